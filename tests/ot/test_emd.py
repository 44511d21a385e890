"""Exact OT: network simplex against scipy HiGHS, POT and properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from skot.ot import OTResult, cost_matrix, emd, emd2
from tests._reference.ot import emd_linprog

pytestmark = pytest.mark.kernel


def _problem(n, m, seed, d=2, zeros=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(m, d)) + 0.5
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    if zeros:
        a[rng.random(n) < 0.3] = 0
        b[rng.random(m) < 0.3] = 0
        a[0] = b[0] = 1.0
    a /= a.sum()
    b /= b.sum()
    return a, b, cost_matrix(X, Y, norm="max")


def _check_optimality(res, a, b, M):
    P = res.plan.toarray() if sparse.issparse(res.plan) else res.plan
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(P.sum(0), b, atol=1e-12)
    viol = res.f[:, None] + res.g[None, :] - M
    assert viol.max() < 1e-10
    # complementary slackness: equality on the support
    assert np.abs(viol[P > 0]).max() < 1e-10
    # strong duality
    assert abs(a @ res.f + b @ res.g - res.cost) < 1e-10
    assert np.count_nonzero(P) <= M.shape[0] + M.shape[1] - 1


@pytest.mark.parametrize("n,m", [(1, 1), (1, 5), (6, 1), (7, 9), (25, 13), (40, 40)])
def test_emd_matches_linprog(n, m):
    a, b, M = _problem(n, m, n * 100 + m)
    res = emd(a, b, M)
    assert isinstance(res, OTResult)
    ref, _ = emd_linprog(a, b, M)
    assert res.converged
    assert abs(res.cost - ref) <= 1e-10 * max(abs(ref), 1e-12) + 1e-14
    assert res.marginal_error < 1e-12
    _check_optimality(res, a, b, M)


@pytest.mark.parametrize("n,m,d", [(60, 45, 2), (120, 120, 10), (300, 200, 2)])
def test_emd_matches_pot(n, m, d):
    ot = pytest.importorskip("ot")
    a, b, M = _problem(n, m, n + m + d, d=d)
    ref = ot.emd2(a, b, M, numItermax=10**8)
    res = emd(a, b, M)
    assert abs(res.cost - ref) <= 1e-10 * abs(ref)
    assert abs(emd2(a, b, M) - ref) <= 1e-10 * abs(ref)
    _check_optimality(res, a, b, M)


def test_emd_integer_and_degenerate():
    # assignment problem: uniform masses, many ties (degenerate pivots)
    rng = np.random.default_rng(3)
    M = rng.integers(0, 3, size=(30, 30)).astype(float)
    res = emd(None, [], M)
    ref, _ = emd_linprog(np.full(30, 1 / 30), np.full(30, 1 / 30), M)
    assert abs(res.cost - ref) < 1e-12
    _check_optimality(res, np.full(30, 1 / 30), np.full(30, 1 / 30), M)
    # all-equal costs
    res = emd([0.2, 0.8], [0.5, 0.5], np.ones((2, 2)))
    assert res.cost == pytest.approx(1.0)


def test_emd_negative_costs_and_float32():
    a, b, M = _problem(15, 12, 4)
    M = M - 0.5
    res = emd(a, b, M)
    ref, _ = emd_linprog(a, b, M)
    assert abs(res.cost - ref) < 1e-12
    res32 = emd(a, b, M.astype(np.float32))
    ref32, _ = emd_linprog(a, b, M.astype(np.float32).astype(float))
    assert abs(res32.cost - ref32) < 1e-10
    assert res32.plan.dtype == np.float64


def test_emd_zero_masses():
    a, b, M = _problem(20, 15, 5, zeros=True)
    res = emd(a, b, M)
    ref, _ = emd_linprog(a, b, M)
    assert abs(res.cost - ref) < 1e-12
    assert (res.plan[a == 0] == 0).all() and (res.plan[:, b == 0] == 0).all()
    _check_optimality(res, a, b, M)


def test_emd_sparse_plan_and_readonly():
    a, b, M = _problem(20, 30, 6)
    M.setflags(write=False)
    a.setflags(write=False)
    dense = emd(a, b, M)
    sp = emd(a, b, M, sparse_plan=True)
    assert sparse.isspmatrix_csr(sp.plan) or sparse.issparse(sp.plan)
    np.testing.assert_array_equal(sp.plan.toarray(), dense.plan)
    assert sp.cost == dense.cost


def test_emd_rescales_b_within_tolerance():
    a, b, M = _problem(10, 10, 7)
    res = emd(a, b * (1 + 1e-9), M)
    assert res.marginal_error < 1e-8


def test_emd_max_iter_warns():
    a, b, M = _problem(30, 30, 8)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        res = emd(a, b, M, max_iter=3)
    assert not res.converged
    assert res.n_iter == 3
    # still a feasible plan (the cost is an upper bound)
    assert res.marginal_error < 1e-12
    assert res.cost >= emd2(a, b, M) - 1e-12


@given(
    n=st.integers(1, 8),
    m=st.integers(1, 8),
    seed=st.integers(0, 10_000),
    shift=st.floats(-5, 5),
)
def test_emd_properties(n, m, seed, shift):
    a, b, M = _problem(n, m, seed)
    res = emd(a, b, M)
    ref, _ = emd_linprog(a, b, M)
    assert abs(res.cost - ref) < 1e-11
    # adding constants to rows and columns of M leaves the plan optimal
    rng = np.random.default_rng(seed)
    r = rng.normal(size=n) + shift
    c = rng.normal(size=m)
    res2 = emd(a, b, M + r[:, None] + c[None, :])
    assert abs(res2.cost - (res.cost + a @ r + b @ c)) < 1e-10
    # swapping a and b transposes the problem
    res3 = emd(b, a, M.T)
    assert abs(res3.cost - res.cost) < 1e-11


def _price_reference(M, pi, tree, start, block, eps):
    """Block search, one arc at a time in cyclic order (the obvious version)."""
    n, m = M.shape
    total = n * m
    best, best_k, k, cnt = -eps, -1, start, 0
    for _ in range(total):
        i, j = divmod(k, m)
        rc = M[i, j] + pi[i] - pi[n + j]
        if rc < best and k not in tree:
            best, best_k = rc, k
        k = (k + 1) % total
        cnt += 1
        if cnt == block:
            if best_k >= 0:
                return best_k, k
            cnt = 0
    return best_k, k


@pytest.mark.parametrize("n,m", [(1, 1), (1, 6), (5, 1), (7, 5), (4, 9)])
def test_block_pricing_matches_reference(n, m):
    # the kernel scans row segments; it must pick the same arc and resume at
    # the same place as the arc-by-arc block search, for any block size
    from skot.ot import _network_simplex as ns

    rng = np.random.default_rng(n * 10 + m)
    M = rng.random((n, m))
    pi = rng.normal(size=n + m + 1) * 0.5
    ka = np.zeros(n + m + 1)
    parent = np.full(n + m + 1, n + m, dtype=np.int64)
    arc = np.full(n + m + 1, -1, dtype=np.int64)
    tree = set()
    for i in range(n):  # a few real tree arcs, which must never enter
        if rng.random() < 0.5:
            j = int(rng.integers(m))
            parent[i], arc[i] = n + j, i * m + j
            tree.add(i * m + j)
    for start in range(n * m):
        for block in (1, 2, 3, m, m + 1, n * m, n * m + 5):
            got = ns._price_dense(M, n, m, pi, ka, parent, arc, start, block, 1e-12)
            assert tuple(got) == _price_reference(M, pi, tree, start, block, 1e-12)


@pytest.mark.parametrize("kind", ["random", "uniform", "integer", "tiny"])
@pytest.mark.parametrize("n,m", [(1, 4), (5, 1), (9, 9), (30, 17), (40, 64)])
def test_greedy_start_matches_artificial_start(kind, n, m):
    # the row-minimum starting basis and the all-artificial one reach the same
    # optimum (the simplex is exact from any strongly feasible tree)
    from skot.ot import _emd

    rng = np.random.default_rng(n * 100 + m)
    a, b, M = _problem(n, m, seed=n + m)
    if kind == "uniform":
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    elif kind == "integer":  # many ties: degenerate pivots everywhere
        M = rng.integers(0, 3, size=(n, m)).astype(np.float64)
    elif kind == "tiny":  # masses below the greedy's rounding threshold
        a[0] = 1e-20
        b[-1] = 1e-19
        a /= a.sum()
        b /= b.sum()
    out = {}
    for greedy in (True, False):
        rows, cols, vals, f, g, it, optimal = _emd._solve(a, b, _emd._dense_source(M), None, greedy)
        assert optimal
        P = np.zeros((n, m))
        np.add.at(P, (rows, cols), vals)
        np.testing.assert_allclose(P.sum(1), a, atol=1e-15)
        np.testing.assert_allclose(P.sum(0), b, atol=1e-15)
        assert (f[:, None] + g[None, :] - M).max() < 1e-12
        out[greedy] = float(np.sum(P * M))
    ref, _ = emd_linprog(a, b, M)
    assert abs(out[True] - ref) < 1e-12
    assert abs(out[False] - ref) < 1e-12


@given(n=st.integers(1, 12), m=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_greedy_shipments_are_a_feasible_forest(n, m, seed):
    from scipy.sparse.csgraph import connected_components

    from skot.ot import _emd

    rng = np.random.default_rng(seed)
    a = rng.random(n) + 0.05
    b = rng.random(m) + 0.05
    a /= a.sum()
    b /= b.sum()
    M = rng.integers(0, 4, size=(n, m)).astype(np.float64)
    rows, cols, vals, cnt, ra, rb = _emd._greedy_shipments(M, a, b, 1e-15)
    rows, cols, vals = rows[:cnt], cols[:cnt], vals[:cnt]
    assert (vals > 0).all()
    P = np.zeros((n, m))
    np.add.at(P, (rows, cols), vals)
    np.testing.assert_allclose(P.sum(1) + ra, a, atol=1e-15)
    np.testing.assert_allclose(P.sum(0) + rb, b, atol=1e-15)
    assert np.abs(ra).max() < 1e-14 and np.abs(rb).max() < 1e-14
    # a forest on the n + m nodes: edges = nodes - components
    A = sparse.coo_matrix((np.ones(cnt), (rows, n + cols)), shape=(n + m, n + m))
    n_comp, _ = connected_components(A, directed=False)
    assert cnt == n + m - n_comp
    # row-minimum rule: the first source ships first to its cheapest sink
    assert rows[0] == 0 and M[0, cols[0]] == M[0].min()


# --------------------------------------------------------------- scale invariance


def _reduced_cost_violation(res, M):
    """Largest ``f_i + g_j - M_ij``, relative to ``max |M|``."""
    return float((res.f[:, None] + res.g[None, :] - M).max() / np.abs(M).max())


@pytest.mark.parametrize("k", [-12, -10, -6, 0, 6, 12])
def test_emd_scale_invariance_vs_pot(k):
    # the pricing tolerance is relative to the cost scale (no absolute floor):
    # costs times 1e-10 or 1e-12 used to end 0.3% / 81% above the optimum
    # with converged=True
    ot = pytest.importorskip("ot")
    a, b, M = _problem(40, 40, 11)
    ref = ot.emd2(a, b, M, numItermax=10**8)
    res = emd(a, b, M * 10.0**k)
    assert res.converged
    assert abs(res.cost / 10.0**k - ref) <= 1e-12 * ref
    assert _reduced_cost_violation(res, M * 10.0**k) < 1e-13
    assert abs(a @ res.f + b @ res.g - res.cost) <= 1e-12 * abs(res.cost)


@given(
    n=st.integers(2, 12),
    m=st.integers(2, 12),
    seed=st.integers(0, 10_000),
    k=st.integers(-15, 15),
)
def test_emd_cost_scales_with_M(n, m, seed, k):
    a, b, M = _problem(n, m, seed)
    base = emd(a, b, M)
    res = emd(a, b, M * 10.0**k)
    assert res.converged
    assert abs(res.cost - base.cost * 10.0**k) <= 1e-12 * base.cost * 10.0**k
    assert _reduced_cost_violation(res, M * 10.0**k) < 1e-12


def _sorted_1d(n, seed):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.random(n))
    y = np.sort(rng.random(n))
    # uniform masses on sorted points: the monotone matching is optimal
    return x, y, (x[:, None] - y[None, :]) ** 2, float(np.mean((x - y) ** 2))


def test_emd_1d_squared_cost_reaches_optimum():
    # n = 1000 used to end 1.9e-10 above the optimum with duals violated by 4.9e-11
    x, y, M, opt = _sorted_1d(1000, 1)
    a = np.full(1000, 1e-3)
    res = emd(a, a, M)
    assert res.converged
    assert abs(res.cost - opt) <= 1e-13 * opt
    assert _reduced_cost_violation(res, M) < 1e-13


@pytest.mark.slow
def test_emd_1d_squared_cost_n3000():
    # the case: 1.9e-8 above the optimum, duals violated by 4.6e-9
    ot = pytest.importorskip("ot")
    x, y, M, opt = _sorted_1d(3000, 2)
    a = np.full(3000, 1.0 / 3000)
    res = emd(a, a, M, sparse_plan=True)
    assert res.converged
    assert abs(res.cost - opt) <= 1e-13 * opt
    assert _reduced_cost_violation(res, M) < 1e-13
    assert abs(res.cost - ot.emd2(a, a, M, numItermax=10**8)) <= 1e-10 * opt


def test_emd_converged_is_checked_on_every_arc():
    # an all-zero cost and a constant cost: any plan is optimal, duals exact
    a, b, M = _problem(9, 7, 12)
    for c in (0.0, 3e-300, 7e250):
        res = emd(a, b, np.full_like(M, c))
        assert res.converged
        assert res.cost == pytest.approx(c, rel=1e-12, abs=0)
        assert (res.f[:, None] + res.g[None, :] <= c * (1 + 1e-12)).all()
