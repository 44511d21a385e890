"""skot.ot's matrix-scaling kernels against numpy (run with NUMBA_BOUNDSCHECK=1 in CI).

The operator kernels (dense, transposed dense, symmetric upper-triangle and
CSR products), the diagonal scalings, the symmetric solvers' Newton-CG loop
and the shared Sinkhorn-Knopp loop on dense and CSR operators.
"""

import numpy as np
import pytest
from scipy import sparse

from skot.ot import _scaling_kernels as k
from skot.ot import _sinkhorn_kernels as sk
from skot.ot import _symmetric_kernels as yk

pytestmark = pytest.mark.kernel


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def test_dense_matvec_serial_parallel_same_bits(rng, dtype):
    K = rng.rand(37, 23).astype(dtype)
    x = rng.rand(23)
    a, b = np.empty(37), np.empty(37)
    k.matvec.serial(K, x, a, 1)
    k.matvec.parallel(K, x, b, 8)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, K.astype(np.float64) @ x, rtol=1e-13)


def test_dense_rmatvec(rng, dtype):
    K = rng.rand(19, 31).astype(dtype)
    u = rng.rand(19)
    u[3] = 0.0
    a, b = np.empty(31), np.empty(31)
    k.matvec.serial((K,), u, a, 1)
    k.matvec.parallel((K,), u, b, 4)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, K.astype(np.float64).T @ u, rtol=1e-13)


def test_csr_matvec(rng, dtype):
    A = sparse.random(40, 30, density=0.2, random_state=rng, format="csr").astype(dtype)
    x = rng.rand(30)
    a, b = np.empty(40), np.empty(40)
    k.matvec.serial((A.indptr, A.indices, A.data), x, a, 1)
    k.matvec.parallel((A.indptr, A.indices, A.data), x, b, 8)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, A.astype(np.float64) @ x, rtol=1e-13)


def test_scaled_outputs(rng, dtype):
    K = rng.rand(9, 9).astype(dtype)
    K = K + K.T
    d, v = rng.rand(9), rng.rand(9)
    out1, out2 = np.empty((9, 9)), np.empty((9, 9))
    k.dense_scale_sym.serial(K, d, out1)
    k.dense_scale_sym.parallel(K, d, out2)
    assert np.array_equal(out1, out2) and np.array_equal(out1, out1.T)
    np.testing.assert_allclose(out1, d[:, None] * K * d[None, :], rtol=1e-13)
    k.dense_scale.serial(K, d, v, out1)
    k.dense_scale.parallel(K, d, v, out2)
    assert np.array_equal(out1, out2)
    np.testing.assert_allclose(out1, d[:, None] * K * v[None, :], rtol=1e-13)
    A = sparse.csr_matrix(K)
    data = np.empty(A.nnz)
    k.csr_scale(A.indptr, A.indices, A.data, d, d, True, data)
    np.testing.assert_allclose(data, A.multiply(np.outer(d, d)).tocsr().data, rtol=1e-13)
    k.csr_scale(A.indptr, A.indices, A.data, d, v, False, data)
    np.testing.assert_allclose(data, A.multiply(np.outer(d, v)).tocsr().data, rtol=1e-13)


def test_dense_symv_blocks_and_threads(rng, dtype):
    n = 41
    K = rng.rand(n, n).astype(dtype)
    K = K + K.T
    x = rng.rand(n)
    bounds = np.array([0, 5, 12, 41], dtype=np.int64)
    bufs = np.empty((3, n))
    a, b = np.empty(n), np.empty(n)
    k.matvec.serial((K, bounds, bufs), x, a, 1)
    k.matvec.parallel((K, bounds, bufs), x, b, 8)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, K.astype(np.float64) @ x, rtol=1e-13)
    # equal-area blocks cover the rows
    bnd = k.symmetric_blocks(n)
    assert bnd[0] == 0 and bnd[-1] == n and (np.diff(bnd) > 0).all()


@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_scaling_loop_on_dense_and_csr_operators(rng, kind):
    # the one Sinkhorn-Knopp loop of skot on both kinds of operator, both
    # twins: same bits, and the relative-error criterion (crit 2) is met
    K = rng.rand(30, 20) + 0.05
    K[K < 0.3] = 0.0
    K[np.arange(20), np.arange(20)] = 1.0
    a, b = np.full(30, 1.0), np.full(20, 1.5)
    if kind == "dense":
        ops = (K, (K,))
    else:
        A = sparse.csr_matrix(K)
        AT = A.T.tocsr()
        ops = ((A.indptr, A.indices, A.data), (AT.indptr, AT.indices, AT.data))
    res = []
    for loop, nb in ((sk.scaling_loop.serial, 1), (sk.scaling_loop.parallel, 8)):
        u, v = np.ones(30), np.ones(20)
        it, err, status = loop(*ops, nb, a, b, a, b, u, v, 1.0, 1.0, 10_000, 1e-12, 2, np.inf)
        assert status == 0 and 0 < it < 10_000 and err < 1e-12
        P = u[:, None] * K * v[None, :]
        np.testing.assert_allclose(P.sum(axis=1), a, rtol=1e-11)
        np.testing.assert_allclose(P.sum(axis=0), b, rtol=1e-13)
        res.append(P)
    assert np.array_equal(res[0], res[1])


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
    n_prod, lin, nonlin = yk.newton_cg.serial(
        (A.indptr, A.indices, A.data),
        1,
        x,
        v,
        a,
        s,
        minv,
        z,
        Kxz,
        Sz,
        0.0,
        0.0,
        False,
        1e-13,
        1e-30,
        np.empty((6, x.shape[0])),
    )
    assert 1 <= n_prod <= 30 and lin <= 1e-13
    # (D(x) K D(x) + D(v)) z = a + v on the support, z = 0 outside
    M = (x[:, None] * A.toarray() * x[None, :] + np.diag(v))[np.ix_(s, s)]
    np.testing.assert_allclose(z[s], np.linalg.solve(M, (a + v)[s]), rtol=1e-10)
    assert (z[~s] == 0).all()
    # K (x z) is tracked through the products, without a fresh one
    np.testing.assert_allclose(Kxz, A @ (x * z), rtol=1e-10, atol=1e-14)
    assert (Sz >= np.abs(Kxz) - 1e-12).all()
    assert nonlin == pytest.approx(np.max(np.abs(x * z * Kxz - a)[s] / a[s]), rel=1e-6, abs=1e-14)


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
    n_prod, lin, nonlin = yk.newton_cg.serial(
        (A.indptr, A.indices, A.data),
        1,
        xs,
        vs,
        a,
        s,
        ms,
        z,
        Kxz,
        Sz,
        err0,
        1e-3,
        True,
        0.0,
        1e-30,
        np.empty((6, xs.shape[0])),
    )
    assert n_prod >= 1 and nonlin <= 1e-3 < err0 and lin > 0
    np.testing.assert_allclose(nonlin, np.max(np.abs(xs * z * Kxz - 1)), rtol=1e-6)
    # a large zmin shortens the first step so that min z == zmin exactly
    z, Kxz, Sz = s.astype(float), Kx.copy(), np.abs(Kx)
    n_prod, _, _ = yk.newton_cg.serial(
        (A.indptr, A.indices, A.data),
        1,
        x,
        v,
        a,
        s,
        minv,
        z,
        Kxz,
        Sz,
        np.inf,
        0.0,
        False,
        0.0,
        0.999,
        np.empty((6, x.shape[0])),
    )
    assert n_prod == 1
    assert z.min() == pytest.approx(0.999, rel=1e-12) or z.min() >= 0.999
    np.testing.assert_allclose(Kxz, A @ (x * z), rtol=1e-12)


def test_log_symmetric_loop_matches_naive_fixed_point(rng):
    # f <- (f + log a - LSE_j(f_j - M_ij)) / 2 on M = -log K, with +inf entries
    A = rng.randn(7, 7)
    M = A + A.T
    M[0, 3] = M[3, 0] = np.inf
    loga = np.log(np.linspace(0.5, 1.5, 7))
    f = np.zeros(7)
    it, err = yk.log_symmetric_loop(M, loga, f, 5, 0.0, False)
    assert it == 5 and err == -1.0
    g = np.zeros(7)
    for _ in range(5):
        with np.errstate(over="ignore"):
            lse = np.log(np.exp(g[None, :] - M).sum(axis=1))
        g = 0.5 * (g + loga - lse)
    np.testing.assert_allclose(f, g, rtol=1e-13, atol=1e-13)
    f = np.zeros(7)
    it, err = yk.log_symmetric_loop(M, loga, f, 10_000, 1e-12, True)
    assert err <= 1e-12
    P = np.exp(f[:, None] + f[None, :] - M)
    np.testing.assert_allclose(P.sum(axis=1), np.exp(loga), rtol=1e-11)
