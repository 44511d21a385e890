"""The shared one-pass matrix scan and the one symmetry rule."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.metrics import pairwise_distances
from sklearn.metrics.pairwise import rbf_kernel

from skot.utils._validation import SYMMETRY_RTOL, is_symmetric, scan_matrix

pytestmark = pytest.mark.kernel


def _expect(M):
    n, m = M.shape
    M64 = M.astype(np.float64)
    if n != m:
        return (
            bool(np.isfinite(M64).all()),
            M64.min(),
            np.abs(M64).max(),
            np.inf,
            np.inf,
            -np.inf,
            int((M64 == 0).sum()),
        )
    off = ~np.eye(n, dtype=bool)
    return (
        bool(np.isfinite(M64).all()),
        M64.min(),
        np.abs(M64).max(),
        np.abs(M64 - M64.T).max(),
        np.diagonal(M64).min(),
        np.diagonal(M64).max(),
        int((M64[off] == 0).sum()),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scan_matrix(dtype):
    K = np.array([[1.0, 2.0, 0.0], [2.0, 3.0, 4.0], [0.0, 4.0, 0.5]], dtype=dtype)
    s = scan_matrix(K)
    assert s.finite and s.min == 0 and s.symmetric and s.exactly_symmetric
    assert (s.min_diagonal, s.max_diagonal, s.n_zero_offdiag, s.max_abs) == (0.5, 3, 2, 4)
    assert not s.zero_diagonal and s.largest_diagonal == 3
    K[0, 1] = 7
    assert not scan_matrix(K).symmetric
    K[0, 0] = np.nan
    assert not scan_matrix(K).finite and not scan_matrix(K).symmetric
    assert not scan_matrix(np.ones((2, 3), dtype=dtype)).symmetric
    # any layout: a Fortran-ordered matrix or a strided view gives the same answer
    F = np.asfortranarray(K)
    assert scan_matrix(F)[1:] == scan_matrix(K)[1:]


@pytest.mark.parametrize("n", [1, 63, 64, 65, 130])
def test_scan_matrix_tiles_against_numpy(n):
    # The single tiled pass pairs K[i, j] with K[j, i]; every entry, on either
    # side of a tile boundary, must be seen exactly once.
    rng = np.random.RandomState(n)
    A = rng.rand(n, n)
    A[A < 0.2] = 0.0
    K = A + A.T
    assert tuple(scan_matrix(K)) == _expect(K)
    big = rng.rand(2 * n + 1, 2 * n + 1)
    view = big[1::2, : 2 * n : 2]
    assert tuple(scan_matrix(view)) == _expect(view)
    if n > 1:
        for i, j in [(n - 1, 0), (n // 2, n // 2 - 1)]:
            B = K.copy()
            B[i, j] = -0.5  # lower triangle only: not symmetric, a new minimum
            assert tuple(scan_matrix(B)) == _expect(B)
            B[i, j] = np.inf
            assert not scan_matrix(B).finite
    R = rng.rand(n, n + 3)
    R[0, -1] = 0.0
    assert tuple(scan_matrix(R)) == _expect(R)


def test_symmetry_rule_accepts_rounding_and_refuses_the_rest():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 7)
    D = pairwise_distances(X)  # BLAS: symmetric only up to rounding
    for K in (D, rbf_kernel(X), np.exp(-pairwise_distances(X, squared=True) / 0.01)):
        assert is_symmetric(K) and is_symmetric(K.astype(np.float32))
        assert is_symmetric(np.asfortranarray(K)) and is_symmetric(sparse.csr_matrix(K))
    V = rng.randn(50, 4)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    C = 1 - V @ V.T  # hand-made cosine distances: a diagonal of +-4e-16
    s = scan_matrix(C)
    assert s.symmetric and s.zero_diagonal
    A = D.copy()
    A[0, 1] *= 1 + 1e-6
    assert not is_symmetric(A) and not is_symmetric(sparse.csr_matrix(A))
    Z = D.copy()
    Z[3, 3] = 10 * SYMMETRY_RTOL * D.max()
    assert not scan_matrix(Z).zero_diagonal
    # the rule is relative: scaling the matrix does not change the decision
    for scale in (1e-12, 1e12):
        assert is_symmetric(D * scale) and not is_symmetric(A * scale)
        assert scan_matrix(C * scale).zero_diagonal
