"""Online (point-cloud) Sinkhorn against the dense solver."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skot.ot import cost_matrix, online_plan_rows, sinkhorn, sinkhorn_online

pytestmark = pytest.mark.kernel


def _clouds(n, m, d, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.random((m, d)) + 0.2


@pytest.mark.parametrize("metric", ["sqeuclidean", "euclidean"])
@pytest.mark.parametrize("norm", [None, "max", 2.5])
def test_online_matches_dense(metric, norm):
    X, Y = _clouds(40, 30, 3, 0)
    rng = np.random.default_rng(1)
    a = rng.random(40)
    a /= a.sum()
    M = cost_matrix(X, Y, metric=metric, norm=norm)
    dense = sinkhorn(a, None, M, 0.05, tol=1e-12)
    res = sinkhorn_online(X, Y, 0.05, a=a, metric=metric, norm=norm, tol=1e-12)
    assert res.plan is None and res.converged
    np.testing.assert_allclose(res.f, dense.f - dense.f[0] + res.f[0], atol=1e-9)
    P = online_plan_rows(X, Y, res.f, res.g, 0.05, metric=metric, norm=norm)
    np.testing.assert_allclose(P, dense.plan, atol=1e-10)
    assert res.cost == pytest.approx(dense.cost, rel=1e-9)
    assert res.marginal_error < 1e-11
    block = online_plan_rows(X, Y, res.f, res.g, 0.05, rows=slice(5, 9), metric=metric, norm=norm)
    np.testing.assert_array_equal(block, P[5:9])


def test_online_n_jobs_zero_masses_float32_warm_start():
    X, Y = _clouds(400, 300, 4, 2)
    a = np.ones(400)
    a[::7] = 0
    a /= a.sum()
    r1 = sinkhorn_online(X, Y, 0.1, a=a, n_jobs=1, tol=1e-10)
    r2 = sinkhorn_online(X, Y, 0.1, a=a, n_jobs=2, tol=1e-10)
    np.testing.assert_array_equal(r1.f, r2.f)
    assert np.isneginf(r1.f[::7]).all()
    r32 = sinkhorn_online(X.astype(np.float32), Y.astype(np.float32), 0.1, a=a, tol=1e-10)
    np.testing.assert_allclose(r32.cost, r1.cost, rtol=1e-5)
    warm = sinkhorn_online(X, Y, 0.1, a=a, tol=1e-10, init=(r1.f, r1.g))
    assert warm.n_iter == 0


def test_online_errors_and_warning():
    X, Y = _clouds(5, 4, 2, 3)
    with pytest.raises(ValueError, match="same number of features"):
        sinkhorn_online(X, np.zeros((3, 3)), 0.1)
    with pytest.raises(ValueError, match="same total mass"):
        sinkhorn_online(X, Y, 0.1, a=np.ones(5), b=np.ones(4))
    with pytest.raises(ValueError, match="metric"):
        sinkhorn_online(X, Y, 0.1, metric="cosine")
    with pytest.raises(ValueError, match="reg"):
        sinkhorn_online(X, Y, -0.1)
    with pytest.raises(ValueError, match="X contains NaN"):
        sinkhorn_online(np.full((2, 2), np.nan), Y[:, :2], 0.1)
    with pytest.raises(ValueError, match="shapes"):
        online_plan_rows(X, Y, np.zeros(3), np.zeros(4), 0.1)
    with pytest.raises(ValueError, match="rows must be in"):
        online_plan_rows(X, Y, np.zeros(5), np.zeros(4), 0.1, rows=[7])
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = sinkhorn_online(X, Y, 1e-3, max_iter=2)
    assert not res.converged


@pytest.mark.parametrize("code", [0, 1])
@pytest.mark.parametrize("shift", [0.0, -800.0, 800.0])
def test_blas_lse_rows_blocks_and_bad_stabiliser(code, shift):
    # several row blocks and column chunks; a stabiliser far from the result
    # (shift) forces the exact running-maximum path for every row
    from skot.ot import _online_kernels as K
    from skot.ot._online import BlockEngine

    rng = np.random.default_rng(4)
    X, Y = rng.random((300, 3)), rng.random((K._BLOCK_ELEMS // K._BLOCK_ROWS + 7, 3))
    metric = ("sqeuclidean", "euclidean")[code]
    g = rng.normal(size=Y.shape[0]) * 0.01
    reg, s = 0.002, 0.4
    C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    if code == 1:
        C = np.sqrt(C)
    Z = (g[None, :] - s * C) / reg
    zmax = Z.max(axis=1)
    ref = zmax + np.log(np.exp(Z - zmax[:, None]).sum(axis=1))
    t = ref + shift
    for n_threads in (1, 2):
        out = BlockEngine.points(X, Y, metric=metric, n_threads=n_threads).lse_rows(g, t, reg, s)
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-9)
        # the same engine on the stored cost and on a cost callback
        dense = BlockEngine.dense(C, n_threads=n_threads).lse_rows(g, t, reg, s)
        np.testing.assert_allclose(dense, ref, rtol=1e-12, atol=1e-9)
        cb = BlockEngine.callback(
            X, Y, lambda A, B: cost_matrix(A, B, metric=metric), n_threads=n_threads
        ).lse_rows(g, t, reg, s)
        np.testing.assert_allclose(cb, ref, rtol=1e-12, atol=1e-9)
    assert np.isfinite(out).all()


def test_online_small_reg_matches_dense():
    X, Y = _clouds(70, 50, 2, 5)
    for metric in ("sqeuclidean", "euclidean"):
        M = cost_matrix(X, Y, metric=metric, norm="max")
        dense = sinkhorn(None, None, M, 0.01, tol=1e-10, max_iter=20000)
        res = sinkhorn_online(X, Y, 0.01, metric=metric, norm="max", tol=1e-10, max_iter=20000)
        assert res.converged and dense.converged
        P = online_plan_rows(X, Y, res.f, res.g, 0.01, metric=metric, norm="max")
        np.testing.assert_allclose(P, dense.plan, atol=1e-9)
        assert res.cost == pytest.approx(dense.cost, rel=1e-8)


def test_tol_is_relative_to_the_mass_and_verbose_an_int(capsys):
    import inspect

    X, Y = _clouds(20, 15, 2, 9)
    unit = sinkhorn_online(X, Y, 0.1, tol=1e-9)
    heavy = sinkhorn_online(X, Y, 0.1, a=np.full(20, 1e6 / 20), b=np.full(15, 1e6 / 15), tol=1e-9)
    assert heavy.n_iter == unit.n_iter
    assert inspect.signature(sinkhorn_online).parameters["verbose"].default == 0
    with pytest.warns(ConvergenceWarning):
        sinkhorn_online(X, Y, 0.1, max_iter=3, tol=0.0, verbose=1)
    assert "iteration 2" in capsys.readouterr().out
