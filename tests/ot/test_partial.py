"""Partial optimal transport, exact and entropic: against a linear program
(scipy HiGHS), POT, and properties."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from skot.ot import OTResult, cost_matrix
from skot.ot._partial import (
    entropic_partial_wasserstein,
    partial_wasserstein,
    partial_wasserstein2,
)
from skot.utils._numba import parallel_policy

pytestmark = pytest.mark.kernel


def _partial_linprog(a, b, M, m):
    """The partial OT linear program, solved by HiGHS (slow, obviously correct)."""
    n, k = M.shape
    A_ub = np.vstack([np.kron(np.eye(n), np.ones(k)), np.kron(np.ones(n), np.eye(k))])
    res = linprog(
        M.ravel(),
        A_ub=A_ub,
        b_ub=np.concatenate([a, b]),
        A_eq=np.ones((1, n * k)),
        b_eq=[m],
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0
    return res.fun


def _problem(n, k, seed, unequal=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    Y = rng.normal(size=(k, 2)) + [1.0, 0.0]
    a = rng.random(n) + 0.1
    b = rng.random(k) + 0.1
    a /= a.sum()
    b /= b.sum() / (1.3 if unequal else 1.0)
    return a, b, cost_matrix(X, Y)


def _check_feasible(P, a, b, m, atol=1e-12):
    P = P.toarray() if sparse.issparse(P) else P
    assert (P >= 0).all()
    assert (P.sum(1) <= a + atol).all()
    assert (P.sum(0) <= b + atol).all()
    assert P.sum() == pytest.approx(m, abs=atol)


# ------------------------------------------------------------------ exact


@pytest.mark.parametrize("n,k", [(1, 1), (1, 4), (5, 1), (9, 7), (20, 25)])
@pytest.mark.parametrize("frac", [0.0, 0.3, 0.8, 1.0])
def test_partial_matches_linprog(n, k, frac):
    a, b, M = _problem(n, k, n * 10 + k)
    m = frac * min(a.sum(), b.sum())
    res = partial_wasserstein(a, b, M, m=m)
    assert isinstance(res, OTResult)
    assert res.converged
    ref = _partial_linprog(a, b, M, m)
    assert res.cost == pytest.approx(ref, rel=1e-9, abs=1e-12)
    _check_feasible(res.plan, a, b, m)
    assert res.marginal_error < 1e-12
    # dual feasibility and complementary slackness
    viol = res.f[:, None] + res.g[None, :] - M
    assert viol.max() < 1e-10
    if m > 0:
        assert np.abs(viol[res.plan > 0]).max() < 1e-10
    assert partial_wasserstein2(a, b, M, m=m) == res.cost


@pytest.mark.parametrize("m", [0.2, 0.5, 0.77])
@pytest.mark.parametrize("unequal", [False, True])
def test_partial_matches_pot(m, unequal):
    ot = pytest.importorskip("ot")
    a, b, M = _problem(40, 30, 3, unequal=unequal)
    res = partial_wasserstein(a, b, M, m=m)
    ref = ot.partial.partial_wasserstein(a, b, M, m=m)
    # continuous random costs: the optimal plan is unique
    np.testing.assert_allclose(res.plan, ref, atol=1e-12)
    assert res.cost == pytest.approx(ot.partial.partial_wasserstein2(a, b, M, m=m), rel=1e-12)


def test_partial_default_mass_and_pot_lagrangian():
    ot = pytest.importorskip("ot")
    a, b, M = _problem(15, 12, 4, unequal=False)
    b = b * 0.7  # both in the simplex, |b| < |a|
    res = partial_wasserstein(a, b, M)
    _check_feasible(res.plan, a, b, b.sum())
    # POT's m=None (Lagrangian with the cost max(M) + 1) moves the most mass too
    np.testing.assert_allclose(res.plan, ot.partial.partial_wasserstein(a, b, M), atol=1e-12)
    sp = partial_wasserstein(a, b, M, sparse_plan=True)
    assert sparse.issparse(sp.plan)
    np.testing.assert_allclose(sp.plan.toarray(), res.plan, atol=0)


def test_partial_negative_costs_and_scale():
    a, b, M = _problem(12, 10, 5)
    M = M - 2.0  # negative costs: still the least-cost mass m
    for scale in (1.0, 1e-10, 1e8):
        res = partial_wasserstein(a, b, M * scale, m=0.5)
        assert res.cost == pytest.approx(_partial_linprog(a, b, M, 0.5) * scale, rel=1e-8)
        _check_feasible(res.plan, a, b, 0.5)


def test_partial_float32_readonly_zero_masses():
    a, b, M = _problem(10, 8, 6)
    a[[2, 5]] = 0.0
    b[1] = 0.0
    M32 = M.astype(np.float32)
    for arr in (a, b, M32):
        arr.flags.writeable = False
    res = partial_wasserstein(a, b, M32, m=0.4)
    assert res.cost == pytest.approx(_partial_linprog(a, b, M32.astype(np.float64), 0.4), rel=1e-9)
    assert (res.plan[[2, 5]] == 0).all() and (res.plan[:, 1] == 0).all()


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"m": 2.0}, ValueError, "exceeds min"),
        ({"m": -0.1}, ValueError, "'m' parameter"),
        ({"m": float("nan")}, ValueError, "m"),
        ({"a": [1.0, -1.0]}, ValueError, "a must be non-negative"),
        ({"M": np.zeros((3, 2))}, ValueError, r"a must have shape \(3,\)"),
        ({"M": [[0.0, np.inf], [1.0, 1.0]]}, ValueError, "M contains NaN or infinity"),
        ({"M": sparse.eye(2)}, TypeError, "M must be a dense"),
    ],
)
def test_partial_errors(kwargs, err, match):
    args = {"a": [0.5, 0.5], "b": [0.3, 0.3], "M": [[0.0, 1.0], [1.0, 0.0]], **kwargs}
    with pytest.raises(err, match=match):
        partial_wasserstein(**args)
    with pytest.raises(err, match=match):
        entropic_partial_wasserstein(reg=0.1, **args)


# ------------------------------------------------------------------ entropic


@pytest.mark.parametrize("reg", [1.0, 0.1])
@pytest.mark.parametrize("m", [0.3, 0.7, None])
def test_entropic_matches_pot(reg, m):
    ot = pytest.importorskip("ot")
    a, b, M = _problem(30, 24, 7)
    res = entropic_partial_wasserstein(a, b, M, reg, m=m, max_iter=20000, tol=1e-13)
    assert res.converged
    ref = ot.partial.entropic_partial_wasserstein(a, b, M, reg, m=m, numItermax=res.n_iter + 10)
    np.testing.assert_allclose(res.plan, ref, atol=1e-10)
    assert res.cost == pytest.approx(float((ref * M).sum()), rel=1e-8)
    mass = min(a.sum(), b.sum()) if m is None else m
    _check_feasible(res.plan, a, b, mass, atol=1e-11)
    # P = exp((f + g - M) / reg) with g <= 0
    np.testing.assert_allclose(
        res.plan, np.exp((res.f[:, None] + res.g[None, :] - M) / reg), rtol=1e-12
    )
    assert (res.g <= 0).all()


def test_entropic_iterates_are_pots():
    ot = pytest.importorskip("ot")
    a, b, M = _problem(25, 20, 8)
    for it in (1, 2, 9):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = entropic_partial_wasserstein(a, b, M, 0.3, m=0.6, max_iter=it, tol=0)
        ref = ot.partial.entropic_partial_wasserstein(a, b, M, 0.3, m=0.6, numItermax=it)
        np.testing.assert_allclose(res.plan, ref, atol=1e-14)
        assert res.n_iter == it


def test_entropic_small_reg_no_nan_where_pot_fails():
    """POT's default solver underflows to NaN; skot's log-domain solver does not."""
    ot = pytest.importorskip("ot")
    a, b, M = _problem(20, 16, 9)
    M = M / M.max()
    reg = 0.01
    shifted = M + 10.0  # same partial problem (the mass is fixed), exp(-1000) == 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        bad = ot.partial.entropic_partial_wasserstein(a, b, shifted, reg, m=0.5)
    assert np.isnan(bad).any()
    res = entropic_partial_wasserstein(a, b, shifted, reg, m=0.5, max_iter=20000)
    assert res.converged and np.isfinite(res.plan).all()
    ref = ot.partial.entropic_partial_wasserstein(a, b, M, reg, m=0.5, numItermax=res.n_iter + 10)
    np.testing.assert_allclose(res.plan, ref, atol=1e-9)
    _check_feasible(res.plan, a, b, 0.5, atol=1e-9)


def test_entropic_tends_to_exact():
    a, b, M = _problem(15, 12, 10)
    M = M / M.max()
    exact = partial_wasserstein2(a, b, M, m=0.5)
    gaps = []
    for reg in (0.1, 0.02, 0.004):
        res = entropic_partial_wasserstein(a, b, M, reg, m=0.5, max_iter=50000)
        assert res.converged
        gaps.append(res.cost - exact)
    assert gaps[0] > gaps[1] > gaps[2] > -1e-9
    assert gaps[2] < 0.02 * exact


def test_entropic_zero_masses_zero_m_and_float32():
    a, b, M = _problem(10, 9, 11)
    a[3] = 0.0
    b[[0, 4]] = 0.0
    res = entropic_partial_wasserstein(a, b, M.astype(np.float32), 0.2, m=0.5)
    assert res.converged
    assert (res.plan[3] == 0).all() and (res.plan[:, [0, 4]] == 0).all()
    assert res.f[3] == -np.inf and res.g[0] == -np.inf
    ref = entropic_partial_wasserstein(a, b, M.astype(np.float32).astype(np.float64), 0.2, m=0.5)
    np.testing.assert_allclose(res.plan, ref.plan, rtol=1e-12, atol=1e-300)
    zero = entropic_partial_wasserstein(a, b, M, 0.2, m=0.0)
    assert zero.cost == 0.0 and (zero.plan == 0).all()


def test_entropic_serial_parallel_identical_and_readonly():
    a, b, M = _problem(60, 70, 12)
    for arr in (a, b, M):
        arr.flags.writeable = False
    with parallel_policy("never"):
        r1 = entropic_partial_wasserstein(a, b, M, 0.05, m=0.6)
    with parallel_policy("always"):
        r2 = entropic_partial_wasserstein(a, b, M, 0.05, m=0.6, n_jobs=2)
    np.testing.assert_array_equal(r1.plan, r2.plan)
    assert r1.n_iter == r2.n_iter


def test_entropic_warns_at_max_iter():
    a, b, M = _problem(10, 10, 13)
    with pytest.warns(ConvergenceWarning, match="max_iter=3") as rec:
        res = entropic_partial_wasserstein(a, b, M, 0.01, m=0.5, max_iter=3)
    assert rec[0].filename == __file__
    assert not res.converged and res.n_iter == 3
