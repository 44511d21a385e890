"""The numba kernels of skot.similarity against numpy (run with NUMBA_BOUNDSCHECK=1 in CI)."""

import numpy as np
import pytest
from scipy import sparse

from skot.similarity import _scaling as k

pytestmark = pytest.mark.kernel


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def test_dense_matvec_serial_parallel_same_bits(rng, dtype):
    K = rng.rand(37, 23).astype(dtype)
    x = rng.rand(23)
    a, b = np.empty(37), np.empty(37)
    k.dense_matvec(K, x, a)
    k.dense_matvec_par(K, x, b)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, K.astype(np.float64) @ x, rtol=1e-13)


def test_dense_rmatvec(rng, dtype):
    K = rng.rand(19, 31).astype(dtype)
    u = rng.rand(19)
    u[3] = 0.0
    a, b = np.empty(31), np.empty(31)
    k.dense_rmatvec(K, u, a)
    k.dense_rmatvec_par(K, u, b, 4)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, K.astype(np.float64).T @ u, rtol=1e-13)


def test_csr_matvec(rng, dtype):
    A = sparse.random(40, 30, density=0.2, random_state=rng, format="csr").astype(dtype)
    x = rng.rand(30)
    a, b = np.empty(40), np.empty(40)
    k.csr_matvec(A.indptr, A.indices, A.data, x, a)
    k.csr_matvec_par(A.indptr, A.indices, A.data, x, b)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, A.astype(np.float64) @ x, rtol=1e-13)


def test_scaled_outputs(rng, dtype):
    K = rng.rand(9, 9).astype(dtype)
    K = K + K.T
    d, v = rng.rand(9), rng.rand(9)
    out1, out2 = np.empty((9, 9)), np.empty((9, 9))
    k.dense_scale_sym(K, d, out1)
    k.dense_scale_sym_par(K, d, out2)
    assert np.array_equal(out1, out2) and np.array_equal(out1, out1.T)
    np.testing.assert_allclose(out1, d[:, None] * K * d[None, :], rtol=1e-13)
    k.dense_scale(K, d, v, out1)
    k.dense_scale_par(K, d, v, out2)
    assert np.array_equal(out1, out2)
    np.testing.assert_allclose(out1, d[:, None] * K * v[None, :], rtol=1e-13)
    A = sparse.csr_matrix(K)
    data = np.empty(A.nnz)
    k.csr_scale_sym(A.indptr, A.indices, A.data, d, data)
    np.testing.assert_allclose(data, A.multiply(np.outer(d, d)).tocsr().data, rtol=1e-13)
    k.csr_scale(A.indptr, A.indices, A.data, d, v, data)
    np.testing.assert_allclose(data, A.multiply(np.outer(d, v)).tocsr().data, rtol=1e-13)


def test_scan_dense(dtype):
    K = np.array([[1.0, 2.0, 0.0], [2.0, 3.0, 4.0], [0.0, 4.0, 0.5]], dtype=dtype)
    finite, vmin, sym, dmin, nzero = k.scan_dense(K)
    assert finite and vmin == 0 and sym and dmin == 0.5 and nzero == 2
    K[0, 1] = 7
    assert not k.scan_dense(K)[2]
    K[0, 0] = np.nan
    assert not k.scan_dense(K)[0]
    assert not k.scan_dense(np.ones((2, 3), dtype=dtype))[2]


@pytest.mark.parametrize("symmetric", [False, True])
def test_log_batch_serial_parallel_same_bits(rng, symmetric):
    L = rng.randn(3, 6, 6)
    if symmetric:
        L = L + L.transpose(0, 2, 1)
    shape_r, shape_c = (3, 6), (3, 6)
    args = (np.zeros(shape_r), np.full(shape_c, 0.0), np.ones(shape_r, bool),
            np.ones(shape_c, bool))
    outs = []
    for kern, ekern in ((k.log_sinkhorn_batch, k.log_exp_batch),
                        (k.log_sinkhorn_batch_par, k.log_exp_batch_par)):
        F, G = np.zeros(shape_r), np.zeros(shape_c)
        it, err = np.zeros(3, np.int64), np.zeros(3)
        kern(L, *args, F, G, symmetric, 1e-12, 10_000, True, it, err)
        P = np.empty_like(L)
        ekern(L, F, G, P)
        outs.append(P)
        np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-11)
        np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-11)
    assert np.array_equal(outs[0], outs[1])


def test_dense_symv_blocks_and_threads(rng, dtype):
    n = 41
    K = rng.rand(n, n).astype(dtype)
    K = K + K.T
    x = rng.rand(n)
    bounds = np.array([0, 5, 12, 41], dtype=np.int64)
    bufs = np.empty((3, n))
    a, b = np.empty(n), np.empty(n)
    k.dense_symv(K, x, bounds, bufs, a)
    k.dense_symv_par(K, x, bounds, bufs, b)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, K.astype(np.float64) @ x, rtol=1e-13)


def test_upper_order_stats(rng):
    for n in (2, 3, 10, 51):
        D = rng.rand(n, n)
        D = np.round(D + D.T, 2)  # ties
        vals = np.sort(D[np.triu_indices(n, 1)])
        for k1, k2 in ((0, 0), (len(vals) // 2 - (len(vals) > 1), len(vals) // 2),
                       (len(vals) - 1, len(vals) - 1)):
            assert k.upper_order_stats(D, k1, k2) == (vals[k1], vals[k2])
    assert k.upper_order_stats(np.ones((4, 4)), 2, 3) == (1.0, 1.0)
