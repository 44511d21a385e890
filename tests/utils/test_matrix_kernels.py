"""The shared one-pass matrix scan used by the families' validation."""

import numpy as np
import pytest

from skot.utils._matrix_kernels import scan_matrix

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scan_matrix(dtype):
    K = np.array([[1.0, 2.0, 0.0], [2.0, 3.0, 4.0], [0.0, 4.0, 0.5]], dtype=dtype)
    finite, vmin, sym, dmin, dmax, nzero = scan_matrix(K)
    assert finite and vmin == 0 and sym and dmin == 0.5 and dmax == 3 and nzero == 2
    K[0, 1] = 7
    assert not scan_matrix(K)[2]
    K[0, 0] = np.nan
    assert not scan_matrix(K)[0]
    assert not scan_matrix(np.ones((2, 3), dtype=dtype))[2]
    # any layout: a Fortran-ordered matrix gives the same answer
    F = np.asfortranarray(K)
    assert scan_matrix(F)[1:] == scan_matrix(K)[1:]


def _expect(M):
    n = M.shape[0]
    off = ~np.eye(n, dtype=bool)
    return (bool(np.isfinite(M).all()), M.min(), bool(np.array_equal(M, M.T)),
            np.diagonal(M).min(), np.diagonal(M).max(), int((M[off] == 0).sum()))


@pytest.mark.parametrize("n", [1, 63, 64, 65, 130])
def test_scan_matrix_tiles_against_numpy(n):
    # The single tiled pass pairs K[i, j] with K[j, i]; every entry, on either
    # side of a tile boundary, must be seen exactly once.
    rng = np.random.RandomState(n)
    A = rng.rand(n, n)
    A[A < 0.2] = 0.0
    K = A + A.T
    assert scan_matrix(K) == _expect(K)
    if n > 1:
        for i, j in [(n - 1, 0), (n // 2, n // 2 - 1)]:
            B = K.copy()
            B[i, j] = -0.5  # lower triangle only: not symmetric, a new minimum
            assert scan_matrix(B) == _expect(B)
            B[i, j] = np.inf
            assert not scan_matrix(B)[0]
    R = rng.rand(n, n + 3)
    R[0, -1] = 0.0
    assert scan_matrix(R)[:3] == (True, 0.0, False)
    assert scan_matrix(R)[5] == int((R == 0).sum())


@pytest.mark.parametrize("n", [1, 5, 64, 130])
def test_max_asymmetry_against_numpy(n):
    from skot.utils._matrix_kernels import max_asymmetry

    rng = np.random.RandomState(n)
    A = rng.rand(n, n) - 0.5
    for K in (A, A + A.T, np.asfortranarray(A), A.astype(np.float32)):
        gap, scale = max_asymmetry(K)
        K64 = K.astype(np.float64)
        assert gap == np.abs(K64 - K64.T).max()
        assert scale == np.abs(K64).max()
