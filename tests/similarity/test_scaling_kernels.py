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
            assert k.upper_order_stats(D, k1, k2, 0.0, 0.0) == (vals[k1], vals[k2])
    assert k.upper_order_stats(np.ones((4, 4)), 2, 3, 0.0, 0.0) == (1.0, 1.0)


@pytest.mark.parametrize("rng_", [(0.0, 2.0), (-5.0, 100.0), (0.5, 1.0), (0.0, 1e-9)])
def test_upper_order_stats_given_range(rng, rng_):
    # Any given range gives the exact order statistics: a loose one has wider
    # bins, one narrower than the data clamps values into the end bins.
    D = rng.rand(40, 40)
    D = np.round(D + D.T, 3)
    vals = np.sort(D[np.triu_indices(40, 1)])
    for k1, k2 in ((0, 1), (389, 390), (779, 779)):
        assert k.upper_order_stats(D, k1, k2, *rng_) == (vals[k1], vals[k2])


def test_sq_diameter_bound(rng):
    from skot.similarity._affinity import _sq_diameter_bound

    X = rng.randn(50, 3) * [1.0, 10.0, 0.1]
    D2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    b = _sq_diameter_bound(X)
    assert D2.max() <= b <= 4.0001 * D2.max()


def _newton_system(rng, n=30, zero_row=None):
    A = sparse.random(n, n, density=0.2, random_state=rng, format="csr")
    A = (A + A.T + sparse.identity(n)).tocsr()
    if zero_row is not None:
        A = A.tolil()
        A[zero_row, :] = 0
        A[:, zero_row] = 0
        A = A.tocsr()
    A.sort_indices()
    s = np.asarray(A.sum(axis=1)).ravel() > 0
    x = np.where(s, 0.5 + rng.rand(n), 0.0)
    Kx = A @ x
    v = x * Kx
    a = np.where(s, 1.0, 0.0)
    minv = np.zeros(n)
    minv[s] = 1.0 / (x[s] ** 2 * A.diagonal()[s] + v[s])
    return A, s, x, Kx, v, a, minv


@pytest.mark.parametrize("zero_row", [None, 4])
def test_csr_newton_cg_solves_the_newton_system(rng, zero_row):
    A, s, x, Kx, v, a, minv = _newton_system(rng, zero_row=zero_row)
    z, Kxz, Sz = s.astype(float), Kx.copy(), np.abs(Kx)
    # err=0: never stop because the Newton residual grows (solve the linear system)
    n_prod, lin, nonlin = k.csr_newton_cg(A.indptr, A.indices, A.data, x, v, a, s, minv,
                                          z, Kxz, Sz, 0.0, 0.0, False, 1e-13, 1e-30)
    assert 1 <= n_prod <= 30 and lin <= 1e-13
    # (D(x) K D(x) + D(v)) z = a + v on the support, z = 0 outside
    M = (x[:, None] * A.toarray() * x[None, :] + np.diag(v))[np.ix_(s, s)]
    np.testing.assert_allclose(z[s], np.linalg.solve(M, (a + v)[s]), rtol=1e-10)
    assert (z[~s] == 0).all()
    # K (x z) is tracked through the products, without a fresh one
    np.testing.assert_allclose(Kxz, A @ (x * z), rtol=1e-10, atol=1e-14)
    assert (Sz >= np.abs(Kxz) - 1e-12).all()
    assert nonlin == pytest.approx(np.max(np.abs(x * z * Kxz - a)[s] / a[s]), rel=1e-6,
                                   abs=1e-14)


def test_csr_newton_cg_stops_at_tol_and_keeps_z_above_zmin(rng):
    from skot.similarity import sinkhorn_normalize

    A, s, x, Kx, v, a, minv = _newton_system(rng)
    # near the solution: stop as soon as the tracked Newton residual meets tol
    xs = sinkhorn_normalize(A).row_scaling * (1 + 0.01 * rng.rand(A.shape[0]))
    Kxs = A @ xs
    vs = xs * Kxs
    ms = 1.0 / (xs**2 * A.diagonal() + vs)
    err0 = np.max(np.abs(vs - 1))
    z, Kxz, Sz = np.ones(A.shape[0]), Kxs.copy(), np.abs(Kxs)
    n_prod, lin, nonlin = k.csr_newton_cg(A.indptr, A.indices, A.data, xs, vs, a, s, ms,
                                          z, Kxz, Sz, err0, 1e-3, True, 0.0, 1e-30)
    assert n_prod >= 1 and nonlin <= 1e-3 < err0 and lin > 0
    np.testing.assert_allclose(nonlin, np.max(np.abs(xs * z * Kxz - 1)), rtol=1e-6)
    # a large zmin shortens the first step so that min z == zmin exactly
    z, Kxz, Sz = s.astype(float), Kx.copy(), np.abs(Kx)
    n_prod, _, _ = k.csr_newton_cg(A.indptr, A.indices, A.data, x, v, a, s, minv,
                                   z, Kxz, Sz, np.inf, 0.0, False, 0.0, 0.999)
    assert n_prod == 1
    assert z.min() == pytest.approx(0.999, rel=1e-12) or z.min() >= 0.999
    np.testing.assert_allclose(Kxz, A @ (x * z), rtol=1e-12)
