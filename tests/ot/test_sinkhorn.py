"""Entropic OT: Sinkhorn (log, scaling, sns) against POT, a naive reference and properties."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skot.ot import (
    OTResult,
    cost_matrix,
    sinkhorn,
    sinkhorn2,
    sinkhorn_newton_sparse,
    sinkhorn_unbalanced,
    sinkhorn_unbalanced2,
)
from tests._reference.ot import (
    sinkhorn_log_naive,
    sinkhorn_unbalanced_naive,
)

pytestmark = pytest.mark.kernel

METHODS = ["log", "scaling", "sns"]


def _problem(n, m, seed, d=2, zeros=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(m, d)) + 0.5
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    if zeros:
        a[1::4] = 0
        b[2::5] = 0
    a /= a.sum()
    b /= b.sum()
    return a, b, cost_matrix(X, Y, norm="max")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("reg", [1.0, 0.1, 0.02])
def test_sinkhorn_matches_pot(method, reg):
    ot = pytest.importorskip("ot")
    a, b, M = _problem(40, 30, 0)
    P_ref = ot.sinkhorn(a, b, M, reg, stopThr=1e-13, numItermax=100_000)
    res = sinkhorn(a, b, M, reg, method=method, tol=1e-12, max_iter=100_000)
    assert isinstance(res, OTResult)
    assert res.converged
    np.testing.assert_allclose(res.plan, P_ref, atol=1e-8, rtol=0)
    assert res.marginal_error < 1e-11
    assert res.cost == pytest.approx(float(np.sum(P_ref * M)), rel=1e-7)
    # potentials in cost units reproduce the plan
    P = np.exp((res.f[:, None] + res.g[None, :] - M) / reg)
    np.testing.assert_allclose(P, res.plan, rtol=1e-12, atol=0)


def test_sinkhorn_log_matches_pot_sinkhorn_log_small_reg():
    ot = pytest.importorskip("ot")
    a, b, M = _problem(25, 20, 1)
    P_ref = ot.sinkhorn(a, b, M, 5e-3, method="sinkhorn_log", stopThr=1e-12, numItermax=100_000)
    for method in METHODS:
        res = sinkhorn(a, b, M, 5e-3, method=method, tol=1e-12, max_iter=100_000)
        np.testing.assert_allclose(res.plan, P_ref, atol=1e-8, rtol=0)


def test_sinkhorn_matches_naive_reference():
    a, b, M = _problem(12, 9, 2)
    P_ref, _, _ = sinkhorn_log_naive(a, b, M, 0.05, 3000)
    for method in METHODS:
        res = sinkhorn(a, b, M, 0.05, method=method, tol=1e-13, max_iter=100_000)
        np.testing.assert_allclose(res.plan, P_ref, atol=1e-10)
        assert sinkhorn2(a, b, M, 0.05, method=method, tol=1e-13) == pytest.approx(
            res.cost, rel=1e-9
        )


@pytest.mark.parametrize("method", METHODS)
def test_small_reg_stable(method):
    # reg = 1e-4 on a cost normalised to max 1: no NaN, no overflow
    a, b, M = _problem(30, 30, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = sinkhorn(a, b, M, 1e-4, method=method, max_iter=300, tol=1e-9)
    assert np.isfinite(res.plan).all() and np.isfinite(res.f).all()
    assert np.isfinite(res.cost)
    assert (res.plan >= 0).all()
    assert res.marginal_error < 0.5


def test_epsilon_scaling_and_warm_start():
    a, b, M = _problem(30, 25, 4)
    ref = sinkhorn(a, b, M, 2e-3, tol=1e-10, max_iter=100_000)
    for method in METHODS:
        eps = sinkhorn(
            a, b, M, 2e-3, method=method, tol=1e-10, max_iter=100_000, epsilon_scaling=0.5
        )
        assert eps.converged
        np.testing.assert_allclose(eps.plan, ref.plan, atol=1e-8)
    warm = sinkhorn(a, b, M, 2e-3, tol=1e-10, init=(ref.f, ref.g))
    assert warm.n_iter <= 1
    np.testing.assert_allclose(warm.plan, ref.plan, atol=1e-9)


def test_zero_masses_and_float32(dtype):
    a, b, M = _problem(20, 16, 5, zeros=True)
    res = sinkhorn(a, b, M.astype(dtype), 0.05, tol=1e-11)
    assert (res.plan[a == 0] == 0).all() and (res.plan[:, b == 0] == 0).all()
    assert np.isneginf(res.f[a == 0]).all() and np.isfinite(res.f[a > 0]).all()
    assert res.marginal_error < 1e-10
    ia, ib = a > 0, b > 0
    sub = sinkhorn(a[ia], b[ib], M[np.ix_(ia, ib)].astype(dtype), 0.05, tol=1e-11)
    np.testing.assert_allclose(res.plan[np.ix_(ia, ib)], sub.plan, atol=1e-13)
    res64 = sinkhorn(a, b, M, 0.05, tol=1e-11)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(res.plan, res64.plan, atol=tol)


def test_readonly_and_pickle():
    a, b, M = _problem(10, 8, 6)
    M.setflags(write=False)
    a.setflags(write=False)
    for method in METHODS:
        res = sinkhorn(a, b, M, 0.1, method=method)
        back = pickle.loads(pickle.dumps(res))
        np.testing.assert_array_equal(back.plan, res.plan)


def test_uniform_defaults():
    _, _, M = _problem(7, 5, 7)
    res = sinkhorn(None, [], M, 0.1)
    np.testing.assert_allclose(res.plan.sum(1), np.full(7, 1 / 7), atol=1e-9)
    np.testing.assert_allclose(res.plan.sum(0), np.full(5, 1 / 5), atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_convergence_warning(method):
    a, b, M = _problem(30, 30, 8)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = sinkhorn(a, b, M, 1e-3, method=method, max_iter=3)
    assert not res.converged
    assert res.n_iter == 3


def test_n_jobs_identical():
    # above the parallel threshold: results must not depend on the thread count
    a, b, M = _problem(500, 420, 9)
    for method in METHODS:
        r1 = sinkhorn(a, b, M, 0.5, method=method, n_jobs=1, max_iter=50, tol=1e-8)
        r2 = sinkhorn(a, b, M, 0.5, method=method, n_jobs=2, max_iter=50, tol=1e-8)
        np.testing.assert_array_equal(r1.plan, r2.plan)
        np.testing.assert_array_equal(r1.f, r2.f)
        assert r1.n_iter == r2.n_iter


def test_sns_fewer_iterations():
    a, b, M = _problem(60, 60, 10)
    log = sinkhorn(a, b, M, 2e-3, tol=1e-9, max_iter=100_000)
    sns = sinkhorn_newton_sparse(a, b, M, 2e-3, tol=1e-9)
    assert sns.converged
    assert sns.n_iter * 5 < log.n_iter
    np.testing.assert_allclose(sns.plan, log.plan, atol=1e-8)


def test_verbose(capsys):
    a, b, M = _problem(10, 10, 11)
    sinkhorn(a, b, M, 0.1, method="sns", verbose=1)
    assert "sinkhorn[sns]" in capsys.readouterr().out


@given(
    n=st.integers(1, 7),
    m=st.integers(1, 7),
    seed=st.integers(0, 10_000),
    reg=st.floats(0.02, 2.0),
)
def test_sinkhorn_properties(n, m, seed, reg):
    a, b, M = _problem(n, m, seed)
    res = sinkhorn(a, b, M, reg, tol=1e-12, max_iter=100_000)
    assert (res.plan >= 0).all()
    np.testing.assert_allclose(res.plan.sum(1), a, atol=1e-11)
    np.testing.assert_allclose(res.plan.sum(0), b, atol=1e-11)
    # the three methods agree
    for method in ("scaling", "sns"):
        other = sinkhorn(a, b, M, reg, method=method, tol=1e-12, max_iter=100_000)
        np.testing.assert_allclose(other.plan, res.plan, atol=1e-9)
    # symmetry: swapping a and b transposes the plan
    sw = sinkhorn(b, a, M.T, reg, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(sw.plan, res.plan.T, atol=1e-9)
    # invariance to adding constants to rows and columns of M
    rng = np.random.default_rng(seed)
    sh = sinkhorn(
        a,
        b,
        M + rng.normal(size=(n, 1)) + rng.normal(size=(1, m)),
        reg,
        tol=1e-12,
        max_iter=100_000,
    )
    np.testing.assert_allclose(sh.plan, res.plan, atol=1e-9)
    # the cost decreases as reg decreases (towards the exact OT cost)
    small = sinkhorn(a, b, M, reg / 2, tol=1e-12, max_iter=100_000)
    assert small.cost <= res.cost + 1e-10


# ------------------------------------------------------------------ unbalanced


@pytest.mark.parametrize("reg_type", ["kl", "entropy"])
@pytest.mark.parametrize("method", ["log", "scaling"])
@pytest.mark.filterwarnings("ignore:If reg_type = entropy")
def test_unbalanced_matches_pot(method, reg_type):
    ot = pytest.importorskip("ot")
    a, b, M = _problem(30, 20, 12)
    b = 2 * b
    P_ref = ot.sinkhorn_unbalanced(
        a, b, M, 0.05, 0.7, reg_type=reg_type, stopThr=1e-14, numItermax=100_000
    )
    res = sinkhorn_unbalanced(
        a, b, M, 0.05, 0.7, method=method, reg_type=reg_type, tol=1e-13, max_iter=100_000
    )
    assert res.converged
    np.testing.assert_allclose(res.plan, P_ref, atol=1e-9)
    P = np.exp((res.f[:, None] + res.g[None, :] - M) / 0.05)
    np.testing.assert_allclose(P, res.plan, rtol=1e-10)
    assert sinkhorn_unbalanced2(a, b, M, 0.05, 0.7, reg_type=reg_type, tol=1e-13) == pytest.approx(
        res.cost, rel=1e-8
    )


def test_unbalanced_naive_reference_and_limits():
    a, b, M = _problem(10, 12, 13)
    P_ref = sinkhorn_unbalanced_naive(a, 3 * b, M, 0.1, 0.5, 5000)
    res = sinkhorn_unbalanced(
        a, 3 * b, M, 0.1, 0.5, reg_type="entropy", tol=1e-14, max_iter=100_000
    )
    np.testing.assert_allclose(res.plan, P_ref, atol=1e-11)
    # reg_m -> inf gives balanced Sinkhorn
    bal = sinkhorn(a, b, M, 0.1, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        unb = sinkhorn_unbalanced(a, b, M, 0.1, 1e8, tol=1e-12, max_iter=5000)
    np.testing.assert_allclose(unb.plan, bal.plan, atol=1e-6)
    # a pair of reg_m, and a warm start that converges at once
    two = sinkhorn_unbalanced(a, b, M, 0.1, (0.5, 2.0), tol=1e-12)
    again = sinkhorn_unbalanced(a, b, M, 0.1, (0.5, 2.0), tol=1e-9, init=(two.f, two.g))
    assert again.n_iter <= 2
    with pytest.warns(ConvergenceWarning):
        sinkhorn_unbalanced(a, b, M, 0.01, 0.5, max_iter=2)


def test_sns_options():
    a, b, M = _problem(40, 40, 14)
    ref = sinkhorn(a, b, M, 5e-3, tol=1e-11, max_iter=100_000)
    for n_warmup, n_keep in [(0, 3), (3, 1), (50, 40)]:
        res = sinkhorn_newton_sparse(
            a, b, M, 5e-3, tol=1e-11, n_warmup=n_warmup, n_keep=n_keep, max_iter=100_000
        )
        assert res.converged
        np.testing.assert_allclose(res.plan, ref.plan, atol=1e-9)


def test_tol_is_relative_to_the_mass():
    # tol is the L1 marginal error divided by the total mass: scaling the
    # masses by 1e3 changes nothing but the plan's scale
    rng = np.random.RandomState(0)
    M = rng.rand(30, 40)
    a, b = rng.rand(30) + 0.1, rng.rand(40) + 0.1
    b *= a.sum() / b.sum()
    for method in ("log", "scaling"):
        r1 = sinkhorn(a, b, M, 0.1, method=method, tol=1e-7)
        r2 = sinkhorn(1e3 * a, 1e3 * b, M, 0.1, method=method, tol=1e-7)
        assert r1.n_iter == r2.n_iter
        assert r2.marginal_error <= 1e-7 * 1e3 * a.sum()
        np.testing.assert_allclose(r2.plan, 1e3 * r1.plan, rtol=1e-9, atol=1e-15)


def test_verbose_is_an_int(capsys):
    M = np.random.RandomState(0).rand(5, 6)
    sinkhorn(None, None, M, 0.5, verbose=True)
    sinkhorn(None, None, M, 0.5, method="sns", verbose=2)
    out = capsys.readouterr().out
    assert "sinkhorn[log]" in out and "sinkhorn[sns]" in out


# ------------------------------------------------------- issue 13, part 0


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [1e-12, 1e12])
def test_tol_relative_for_tiny_and_huge_masses(method, scale):
    # defect: with masses summing to 1e-12, converged=True after one iteration
    # with a 19% relative marginal error
    a, b, M = _problem(30, 40, 21)
    ref = sinkhorn(a, b, M, 0.05, method=method, tol=1e-9)
    res = sinkhorn(scale * a, scale * b, M, 0.05, method=method, tol=1e-9)
    assert res.converged
    assert res.marginal_error <= 1e-9 * scale
    assert res.n_iter > 1
    np.testing.assert_allclose(res.plan / scale, ref.plan, atol=1e-8 * ref.plan.max())


@pytest.mark.parametrize("method", ["log", "scaling", "translation_invariant"])
def test_unbalanced_tol_relative_for_tiny_masses(method):
    # the unbalanced tol (change of the potentials / reg) has no mass unit:
    # masses of 1e-12 still converge to the fixed point of the naive iteration
    a, b, M = _problem(10, 12, 22)
    a, b = 1e-12 * a, 3e-12 * b
    P_ref = sinkhorn_unbalanced_naive(a, b, M, 0.1, 0.5, 5000)
    res = sinkhorn_unbalanced(
        a, b, M, 0.1, 0.5, method=method, reg_type="entropy", tol=1e-14, max_iter=100_000
    )
    assert res.converged and res.n_iter > 1
    np.testing.assert_allclose(res.plan, P_ref, rtol=0, atol=1e-10 * P_ref.max())


def test_epsilon_scaling_budget_ending_mid_schedule():
    # defect: plan.sum() == 1.3e-18 and marginal error 2 when the budget ends
    # inside the schedule; the plan of the last completed stage is returned
    rng = np.random.default_rng(0)
    M = cost_matrix(rng.random((30, 2)), rng.random((40, 2)))
    with pytest.warns(ConvergenceWarning, match="epsilon scaling stopped") as rec:
        res = sinkhorn(None, None, M, 1e-3, epsilon_scaling=0.5, max_iter=30)
    assert rec[0].filename == __file__
    assert not res.converged
    assert res.plan.sum() == pytest.approx(1.0, rel=1e-2)
    assert res.marginal_error < 0.05
    # the potentials describe the returned plan at the stage's reg, whose
    # value the warning names
    stage_reg = float(str(rec[0].message).split("reg=")[1].split(")")[0].split(";")[0])
    P = np.exp((res.f[:, None] + res.g[None, :] - M) / stage_reg)
    np.testing.assert_allclose(P, res.plan, rtol=1e-6, atol=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = sinkhorn(None, None, M, 1e-3, max_iter=30)
    assert res.marginal_error <= plain.marginal_error
    # a schedule that completes is unaffected
    full = sinkhorn(None, None, M, 1e-2, epsilon_scaling=0.5, max_iter=5000)
    assert full.converged and full.marginal_error < 1e-9


@pytest.mark.parametrize("method", ["log", "scaling", "translation_invariant"])
def test_unbalanced_reg_m_inf_is_the_balanced_limit(method):
    # defect: reg_m=float("inf") was refused
    a, b, M = _problem(20, 15, 23)
    bal = sinkhorn(a, b, M, 0.1, tol=1e-12)
    res = sinkhorn_unbalanced(a, b, M, 0.1, float("inf"), method=method, tol=1e-13)
    np.testing.assert_allclose(res.plan, bal.plan, atol=1e-10)
    semi = sinkhorn_unbalanced(a, 2 * b, M, 0.1, (np.inf, 1.0), method=method, tol=1e-13)
    np.testing.assert_allclose(semi.plan.sum(axis=1), a, atol=1e-10)
    with pytest.raises(ValueError, match="same total mass"):
        sinkhorn_unbalanced(a, 2 * b, M, 0.1, np.inf, method=method)
    with pytest.raises(ValueError, match="reg_m"):
        sinkhorn_unbalanced(a, b, M, 0.1, -1.0)
    with pytest.raises(ValueError, match="reg_m"):
        sinkhorn_unbalanced(a, b, M, 0.1, (1.0, np.nan))


def test_translation_invariant_unbalanced_needs_far_fewer_iterations():
    # reg_m >> reg: plain unbalanced Sinkhorn contracts by reg_m / (reg_m + reg)
    ot = pytest.importorskip("ot")
    a, b, M = _problem(30, 25, 24)
    b = 1.3 * b
    reg, reg_m = 1e-2, 10.0
    ti = sinkhorn_unbalanced(a, b, M, reg, reg_m, tol=1e-10, max_iter=100_000)
    assert ti.method == "translation_invariant"  # the default here
    log = sinkhorn_unbalanced(a, b, M, reg, reg_m, method="log", tol=1e-10, max_iter=100_000)
    assert ti.converged and log.converged
    assert ti.n_iter * 10 < log.n_iter
    P_ref = ot.sinkhorn_unbalanced(a, b, M, reg, reg_m, stopThr=1e-15, numItermax=200_000)
    np.testing.assert_allclose(ti.plan, P_ref, atol=1e-9)
    np.testing.assert_allclose(ti.plan, log.plan, atol=1e-9)
    # potentials in cost units reproduce the plan
    P = np.exp((ti.f[:, None] + ti.g[None, :] - M) / reg)
    np.testing.assert_allclose(P, ti.plan, rtol=1e-10)
    # small reg_m / reg: "auto" keeps the plain iteration
    assert sinkhorn_unbalanced(a, b, M, 0.5, 0.5).method == "log"
    # the parallel path (half-iterations driven from Python) is the same iteration
    from skot.utils._numba import parallel_policy

    with parallel_policy("always"):
        par = sinkhorn_unbalanced(a, b, M, reg, reg_m, tol=1e-10, max_iter=100_000, n_jobs=2)
    assert abs(par.n_iter - ti.n_iter) <= 2
    np.testing.assert_allclose(par.plan, ti.plan, atol=1e-12)


def _conv_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize(
    "call",
    [
        lambda M: sinkhorn(None, None, M, 1e-3, max_iter=2),
        lambda M: sinkhorn2(None, None, M, 1e-3, max_iter=2),
        lambda M: sinkhorn(None, None, M, 1e-3, method="scaling", max_iter=2),
        lambda M: sinkhorn_newton_sparse(None, None, M, 1e-3, max_iter=2),
        lambda M: sinkhorn_unbalanced(None, None, M, 1e-3, 1.0, max_iter=2),
        lambda M: sinkhorn_unbalanced2(None, None, M, 1e-3, 1.0, method="log", max_iter=2),
    ],
)
def test_convergence_warnings_point_at_the_caller(call):
    M = np.random.default_rng(0).random((8, 9))
    caught = _conv_warnings(lambda: call(M))
    assert len(caught) == 1
    assert caught[0].filename == __file__
