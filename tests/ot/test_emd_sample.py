"""Exact OT on point clouds (cost on the fly), on sparse costs and on stacks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from skot.ot import cost_matrix, emd, emd2
from skot.ot._emd import emd_sample
from tests._reference.ot import emd_linprog

pytestmark = pytest.mark.kernel


def _clouds(n, m, d, seed, zeros=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(m, d)) + 0.3
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    if zeros:
        a[rng.random(n) < 0.3] = 0
        b[rng.random(m) < 0.3] = 0
        a[0] = b[0] = 1.0
    return X, Y, a / a.sum(), b / b.sum()


def _check_duals(res, a, b, M):
    P = res.plan.toarray() if sparse.issparse(res.plan) else res.plan
    scale = np.abs(M).max()
    assert (res.f[:, None] + res.g[None, :] - M).max() < 1e-12 * scale
    assert np.abs((res.f[:, None] + res.g[None, :] - M)[P > 0]).max() < 1e-12 * scale
    assert abs(a @ res.f + b @ res.g - res.cost) < 1e-12 * max(abs(res.cost), scale)


# ---------------------------------------------------------------- point clouds


@pytest.mark.parametrize("metric", ["sqeuclidean", "euclidean"])
@pytest.mark.parametrize("n,m,d", [(1, 1, 2), (1, 7, 3), (30, 20, 2), (60, 45, 10)])
def test_emd_sample_matches_dense_emd(metric, n, m, d):
    X, Y, a, b = _clouds(n, m, d, n + m + d)
    M = cost_matrix(X, Y, metric=metric)
    ref = emd(a, b, M)
    res = emd_sample(X, Y, a, b, metric=metric)
    assert res.converged
    assert sparse.issparse(res.plan)
    assert abs(res.cost - ref.cost) <= 1e-12 * ref.cost + 1e-15
    assert res.marginal_error < 1e-12
    assert res.plan.nnz <= n + m - 1
    _check_duals(res, a, b, M)


def test_emd_sample_matches_pot():
    ot = pytest.importorskip("ot")
    X, Y, a, b = _clouds(120, 90, 5, 1)
    for metric in ("sqeuclidean", "euclidean"):
        M = ot.dist(X, Y, metric=metric)
        ref = ot.emd2(a, b, M, numItermax=10**8)
        res = emd_sample(X, Y, a, b, metric=metric)
        assert abs(res.cost - ref) <= 1e-11 * ref


def test_emd_sample_zero_masses_float32_readonly():
    X, Y, a, b = _clouds(25, 18, 3, 2, zeros=True)
    M = cost_matrix(X, Y)
    ref, _ = emd_linprog(a, b, M)
    X.setflags(write=False)
    Y.setflags(write=False)
    res = emd_sample(X, Y, a, b, sparse_plan=False)
    assert abs(res.cost - ref) < 1e-12
    assert (res.plan[a == 0] == 0).all() and (res.plan[:, b == 0] == 0).all()
    _check_duals(res, a, b, M)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    M32 = ((X32.astype(float)[:, None] - Y32.astype(float)[None]) ** 2).sum(-1)
    res32 = emd_sample(X32, Y32, a, b)
    assert abs(res32.cost - emd(a, b, M32).cost) < 1e-12


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 9),
    m=st.integers(1, 9),
    seed=st.integers(0, 10_000),
    k=st.integers(-6, 6),
)
def test_emd_sample_scale_and_translation(n, m, seed, k):
    # scaling the points by s scales the squared cost by s^2; translating
    # both clouds changes nothing
    X, Y, a, b = _clouds(n, m, 2, seed)
    base = emd_sample(X, Y, a, b)
    s = 10.0**k
    res = emd_sample(X * s + 3.0, Y * s + 3.0, a, b)
    assert res.converged
    assert abs(res.cost - base.cost * s * s) <= 1e-9 * base.cost * s * s + 1e-300


def test_emd_sample_errors():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="same number of features"):
        emd_sample(X, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="metric"):
        emd_sample(X, X, metric="cityblock")
    with pytest.raises(ValueError, match="X contains NaN"):
        emd_sample(np.full((3, 2), np.nan), X)
    with pytest.raises(ValueError, match="same total mass"):
        emd_sample(X, X, [1, 1, 1], [1, 1, 2])
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        emd_sample(X, X, None, [1.0, 2.0])
    with pytest.raises(TypeError, match="sparse"):
        emd_sample(sparse.csr_matrix(X), X)


def test_emd_sample_max_iter_warns():
    X, Y, a, b = _clouds(30, 30, 2, 3)
    with pytest.warns(ConvergenceWarning, match="max_iter=2") as rec:
        res = emd_sample(X, Y, a, b, max_iter=2)
    assert rec[0].filename == __file__
    assert not res.converged and res.n_iter == 2
    assert res.marginal_error < 1e-12
    assert res.cost >= emd_sample(X, Y, a, b).cost


# ----------------------------------------------------------------- sparse cost


def _masked(n, m, seed, density):
    rng = np.random.default_rng(seed)
    X, Y, a, b = _clouds(n, m, 2, seed)
    M = cost_matrix(X, Y)
    mask = rng.random((n, m)) < density
    # the north-west corner plan's arcs: a feasible plan exists
    from skot.ot._emd import _north_west

    r, c, _ = _north_west(a, b)
    mask[r, c] = True
    return a, b, M, mask


@pytest.mark.parametrize("n,m,density", [(1, 1, 1.0), (8, 6, 0.5), (40, 30, 0.2), (50, 60, 1.0)])
def test_emd_sparse_cost_matches_linprog_on_the_arcs(n, m, density):
    a, b, M, mask = _masked(n, m, n + m, density)
    S = sparse.coo_matrix((M[mask], np.nonzero(mask)), shape=(n, m))
    big = np.where(mask, M, 1e3)  # forbidden arcs: prohibitive cost
    ref, _ = emd_linprog(a, b, big)
    res = emd(a, b, S)
    assert res.converged and sparse.issparse(res.plan)
    assert abs(res.cost - ref) <= 1e-12 * ref + 1e-15
    P = res.plan.toarray()
    assert (P[~mask] == 0).all()
    np.testing.assert_allclose(P.sum(1), a, atol=1e-13)
    np.testing.assert_allclose(P.sum(0), b, atol=1e-13)
    # duals feasible on the listed arcs, tight on the plan
    rc = M - res.f[:, None] - res.g[None, :]
    assert rc[mask].min() > -1e-12
    assert np.abs(rc[P > 0]).max() < 1e-12
    if density == 1.0:
        assert abs(res.cost - emd2(a, b, M)) <= 1e-12 * ref


def test_emd_sparse_explicit_zero_cost_arcs_and_zero_masses():
    # stored zeros are arcs of cost 0; zero masses are removed
    M = sparse.csr_matrix((np.array([0.0, 2.0, 0.0, 1.0]), ([0, 0, 1, 2], [0, 1, 1, 1])), (3, 2))
    res = emd([0.5, 0.5, 0.0], [0.5, 0.5], M, sparse_plan=False)
    assert res.converged
    np.testing.assert_allclose(res.plan, [[0.5, 0.0], [0.0, 0.5], [0.0, 0.0]])
    assert res.cost == 0.0


def test_emd_sparse_infeasible_raises():
    # a diagonal support cannot carry non-matching masses
    S = sparse.identity(4, format="csr")
    with pytest.raises(ValueError, match="No transport plan uses only the arcs"):
        emd([0.1, 0.2, 0.3, 0.4], None, S)
    # a column without any listed arc
    S = sparse.csr_matrix(np.array([[1.0, 0.0], [2.0, 0.0]]))
    with pytest.raises(ValueError, match="No transport plan"):
        emd(None, None, S)
    with pytest.raises(ValueError, match="lists no arc"):
        emd(None, None, sparse.csr_matrix((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        emd(None, None, sparse.csr_matrix(np.array([[np.nan, 1.0]])))
    with pytest.raises(TypeError, match="complex"):
        emd(None, None, sparse.csr_matrix(np.array([[1j, 1.0]])))


# ---------------------------------------------------------------------- batches


def test_emd_batch_matches_loop_and_pot():
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(4)
    B, n, m = 12, 9, 7
    M = rng.random((B, n, m))
    a = rng.random((B, n)) + 0.05
    a /= a.sum(1, keepdims=True)
    a[3, 2] = 0.0  # a zero mass: that problem takes the single path
    a[3] /= a[3].sum()
    b = np.full(m, 1.0 / m)  # shared target masses
    res = emd(a, b, M)
    assert res.is_batch and res.plan.shape == (B, n, m)
    assert res.converged.dtype == bool and res.converged.all()
    for p in range(B):
        one = emd(a[p], b, M[p])
        np.testing.assert_allclose(res.plan[p], one.plan, atol=1e-15)
        assert abs(res.cost[p] - ot.emd2(a[p], b, M[p])) < 1e-13
        assert (res.f[p][:, None] + res.g[p][None, :] - M[p]).max() < 1e-13
        assert res.problem(p).cost == res.cost[p]
    assert res.marginal_error.max() < 1e-13
    np.testing.assert_allclose(emd2(a, b, M), res.cost)


def test_emd_batch_parallel_float32_and_errors():
    from skot.utils._numba import parallel_policy

    rng = np.random.default_rng(5)
    M = rng.random((6, 5, 4)).astype(np.float32)
    with parallel_policy("never"):
        ser = emd(None, None, M)
    with parallel_policy("always"):
        par = emd(None, None, M, n_jobs=2)
    np.testing.assert_array_equal(ser.plan, par.plan)
    np.testing.assert_array_equal(ser.cost, par.cost)
    with pytest.raises(ValueError, match=r"a must have shape \(5,\) or \(6, 5\)"):
        emd(np.ones((2, 5)), None, M)
    with pytest.raises(ValueError, match="same total mass in every problem"):
        emd(np.ones(5), np.ones((6, 4)), M)
    with pytest.raises(ValueError, match="M contains NaN"):
        emd(None, None, np.full((2, 2, 2), np.nan))
    with pytest.raises(ValueError, match="M is empty"):
        emd(None, None, np.zeros((0, 2, 2)))
    with pytest.warns(ConvergenceWarning, match="problems"):
        res = emd(None, None, rng.random((3, 20, 20)), max_iter=1)
    assert not res.converged.any()
    assert res.marginal_error.max() < 1e-12
