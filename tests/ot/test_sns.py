"""Sinkhorn-Newton-Sparse at small reg: 10-D and clustered problems, the sparse
Newton solvers (CG and the direct Schur-complement solve) against dense algebra."""

import numpy as np
import pytest

from skot.ot import cost_matrix, sinkhorn, sinkhorn_newton_sparse

pytestmark = pytest.mark.kernel


def _uniform_cloud(n, m, d, seed):
    rng = np.random.default_rng(seed)
    return cost_matrix(rng.random((n, d)), rng.random((m, d)), norm="max")


def _blobs(n, m, seed):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=n, random_state=seed)
    Y, _ = make_blobs(n_samples=m, random_state=seed + 1)
    return cost_matrix(X, Y, norm="max")


def _check_against_log(M, reg, **opts):
    sns = sinkhorn_newton_sparse(None, None, M, reg, tol=1e-9, **opts)
    assert sns.converged
    assert sns.marginal_error < 1e-9
    log = sinkhorn(None, None, M, reg, method="log", tol=1e-9, max_iter=50_000)
    assert log.converged
    # far fewer iterations than log Sinkhorn, the same plan
    assert 20 * sns.n_iter < log.n_iter
    np.testing.assert_allclose(sns.plan, log.plan, atol=1e-8, rtol=0)
    assert sns.cost == pytest.approx(log.cost, rel=1e-7)
    return sns


@pytest.mark.parametrize("cg_max_iter", [200, 5])
def test_sns_10d_small_reg(cg_max_iter, capsys):
    # a nearly-permutation plan: an ill-conditioned Newton system; with few
    # CG iterations CG stalls and the steps are solved directly
    M = _uniform_cloud(150, 160, 10, 0)
    sns = _check_against_log(M, 1e-3, cg_max_iter=cg_max_iter, verbose=1)
    assert sns.n_iter <= 100
    assert ("direct solves" in capsys.readouterr().out) == (cg_max_iter == 5)


def test_sns_clustered_small_reg():
    # diffuse plan inside matched clusters: more entries kept per row
    sns = _check_against_log(_blobs(100, 120, 0), 1e-3)
    assert sns.n_iter <= 100


def test_sns_swap_and_transpose():
    # n < m and n > m use the two Schur complements: the plans are transposes
    M = _uniform_cloud(70, 90, 10, 3)
    a = np.random.default_rng(3).random(70) + 0.2
    a /= a.sum()
    r1 = sinkhorn_newton_sparse(a, None, M, 2e-3, tol=1e-11, max_iter=500)
    r2 = sinkhorn_newton_sparse(None, a, M.T, 2e-3, tol=1e-11, max_iter=500)
    assert r1.converged and r2.converged
    np.testing.assert_allclose(r1.plan, r2.plan.T, atol=1e-10)


@pytest.mark.parametrize("kind", ["uniform", "blobs"])
def test_sns_n_jobs_identical(kind):
    # above the parallel threshold, through the direct solver (uniform 10-D)
    # and the growing number of kept entries (blobs)
    M = _uniform_cloud(500, 420, 10, 6) if kind == "uniform" else _blobs(500, 420, 6)
    opts = {"cg_max_iter": 5} if kind == "uniform" else {}
    r1 = sinkhorn_newton_sparse(None, None, M, 1e-3, tol=1e-9, n_jobs=1, **opts)
    r2 = sinkhorn_newton_sparse(None, None, M, 1e-3, tol=1e-9, n_jobs=2, **opts)
    assert r1.converged
    assert r1.n_iter == r2.n_iter
    np.testing.assert_array_equal(r1.f, r2.f)
    np.testing.assert_array_equal(r1.plan, r2.plan)


def test_sns_disconnected_blocks():
    # two groups so far apart that the plan between them underflows to 0:
    # the Newton system splits into blocks (extra null directions)
    rng = np.random.default_rng(4)
    X = np.vstack([rng.random((30, 2)), rng.random((30, 2)) + 50.0])
    Y = np.vstack([rng.random((40, 2)), rng.random((20, 2)) + 50.0])
    M = cost_matrix(X, Y, norm="max")
    a = np.full(60, 1 / 60)
    b = np.concatenate([np.full(40, 0.5 / 40), np.full(20, 0.5 / 20)])
    res = sinkhorn_newton_sparse(a, b, M, 1e-3, tol=1e-9, max_iter=500)
    assert res.converged
    assert np.isfinite(res.plan).all()
    ref = sinkhorn(a, b, M, 1e-3, tol=1e-10, max_iter=50_000)
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-8)


def _sparse_system(n, m, k, seed):
    """A random sparsified plan (kept entries per row, decreasing) and its H."""
    rng = np.random.default_rng(seed)
    P = rng.random((n, m)) ** 4
    idx = np.argsort(-P, axis=1)[:, :k].astype(np.int64)
    val = np.take_along_axis(P, idx, axis=1)
    cnt = rng.integers(1, k + 1, size=n).astype(np.int64)
    Pk = np.zeros((n, m))
    for i in range(n):
        Pk[i, idx[i, : cnt[i]]] = val[i, : cnt[i]]
    r, c = P.sum(axis=1), P.sum(axis=0)
    H = np.block([[np.diag(r), Pk], [Pk.T, np.diag(c)]])
    return r, c, idx, val, cnt, H


@pytest.mark.parametrize("n, m", [(12, 9), (9, 12)])
@pytest.mark.parametrize("full", [False, True])
def test_newton_solvers_match_dense(n, m, full):
    from skot.ot import _sns_kernels as K
    from skot.ot._sns import _direct_solve

    k = m if full else 4
    r, c, idx, val, cnt, H = _sparse_system(n, m, k, n)
    if full:  # nothing dropped: H is singular along (1, -1)
        cnt[:] = m
        Pk = np.zeros((n, m))
        np.put_along_axis(Pk, idx, val, axis=1)
        H = np.block([[np.diag(r), Pk], [Pk.T, np.diag(c)]])
    rhs = np.random.default_rng(0).normal(size=n + m)
    rhs[n:] += (rhs[:n].sum() - rhs[n:].sum()) / m  # consistent: (1, -1) . rhs = 0
    z_cg, n_cg, rel = K.sparse_cg(r, c, idx, val, cnt, rhs, 500, 1e-13)
    assert rel <= 1e-13 and 0 < n_cg <= 500
    np.testing.assert_allclose(H @ z_cg, rhs, atol=1e-10)
    z_direct = _direct_solve(K, r, c, idx, val, cnt, rhs)
    if full:
        np.testing.assert_allclose(H @ z_direct, rhs, atol=1e-10)
    else:
        np.testing.assert_allclose(z_cg, np.linalg.solve(H, rhs), atol=1e-8)
        # the direct solve fixes the last unknown of the smaller side (the
        # null direction when nothing is dropped): all other equations hold
        g = n - 1 if n < m else n + m - 1
        assert z_direct[g] == 0.0
        keep = np.arange(n + m) != g
        np.testing.assert_allclose((H @ z_direct)[keep], rhs[keep], atol=1e-10)


def test_schur_complements_match_dense():
    from skot.ot import _sns_kernels as K

    r, c, idx, val, cnt, H = _sparse_system(8, 6, 3, 1)
    Pk = H[:8, 8:]
    S = np.empty((6, 6))
    K.schur_rows(r, c, idx, val, cnt, S)
    np.testing.assert_allclose(S, np.diag(c) - Pk.T @ np.diag(1 / r) @ Pk, atol=1e-13)
    S = np.empty((8, 8))
    K.schur_cols(r, c, idx, val, cnt, S)
    np.testing.assert_allclose(S, np.diag(r) - Pk @ np.diag(1 / c) @ Pk.T, atol=1e-13)


def test_plan_stats_keeps_largest_entries():
    from skot.ot import _sns_kernels as K

    rng = np.random.default_rng(5)
    P = rng.random((7, 30)) ** 8
    P[3] = 0.0
    P[5, 3:] = 0.0  # fewer candidates than k
    k = 5
    idx = np.zeros((7, k), dtype=np.int64)
    val = np.zeros((7, k))
    cnt = np.zeros(7, dtype=np.int64)
    rows = np.empty(7)
    K.plan_stats(P, k, 1e-3, idx, val, cnt, rows)
    np.testing.assert_allclose(rows, P.sum(axis=1), rtol=1e-14)
    assert cnt[3] == 0
    for i in range(7):
        if i == 3:
            continue
        order = np.argsort(-P[i])
        expect = sorted(j for j in order[:k] if P[i, j] >= 1e-3 * P[i].max())
        assert cnt[i] == len(expect)
        np.testing.assert_array_equal(np.sort(idx[i, : cnt[i]]), expect)
        np.testing.assert_array_equal(val[i, : cnt[i]], P[i, idx[i, : cnt[i]]])
    c = np.empty(30)
    K.col_sums(P, c)
    np.testing.assert_allclose(c, P.sum(axis=0), rtol=1e-14)
