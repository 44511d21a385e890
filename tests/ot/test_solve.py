"""The front door: solve and solve_sample against POT's ot.solve / ot.solve_sample."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skot.ot import cost_matrix, emd, sinkhorn, sinkhorn_unbalanced
from skot.ot._solve import solve, solve_sample

pytestmark = pytest.mark.kernel


def _problem(n=20, m=25, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    Y = rng.random((m, 2))
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    return X, Y, a / a.sum(), b / b.sum()


def _kl(p, q):
    return float(np.sum(p * np.log(p / q)) - p.sum() + q.sum())


@pytest.mark.parametrize(
    "kw,method",
    [
        ({}, "emd"),
        ({"reg": 0.1}, "sinkhorn_log"),
        ({"reg": 0.1, "reg_type": "entropy"}, "sinkhorn_log"),
        ({"reg": 0.1, "method": "sns"}, "sinkhorn_sns"),
        ({"reg": 0.1, "method": "scaling"}, "sinkhorn_scaling"),
    ],
)
def test_balanced_matches_pot_solve(kw, method):
    ot = pytest.importorskip("ot")
    X, Y, a, b = _problem()
    M = cost_matrix(X, Y)
    res = solve(M, a, b, **kw, tol=1e-12, max_iter=100_000)
    pkw = {k: v for k, v in kw.items() if k != "method"}
    if "reg_type" in pkw:
        pkw["reg_type"] = {"kl": "KL", "entropy": "entropy"}[pkw["reg_type"]]
    ref = ot.solve(M, a, b, **pkw, tol=1e-12, max_iter=100_000)
    assert res.method == method
    assert res.status == "converged"
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-10)
    assert res.value == pytest.approx(float(ref.value), rel=1e-9)
    assert res.value_linear == pytest.approx(float(ref.value_linear), rel=1e-9)
    f, g = res.potentials
    assert f.shape == (20,) and g.shape == (25,)
    # solve_sample builds the same squared-Euclidean cost as POT
    rs = solve_sample(X, Y, a, b, **kw, tol=1e-12, max_iter=100_000)
    refs = ot.solve_sample(X, Y, a, b, **pkw, tol=1e-12, max_iter=100_000)
    assert rs.value == pytest.approx(float(refs.value), rel=1e-9)


@pytest.mark.parametrize("reg_type", ["kl", "entropy"])
@pytest.mark.parametrize("unbalanced", [1.0, (np.inf, 0.5)])
@pytest.mark.filterwarnings("ignore:If reg_type = entropy")
def test_unbalanced_matches_pot_plan_and_objective(reg_type, unbalanced):
    ot = pytest.importorskip("ot")
    X, Y, a, b = _problem(seed=1)
    b = 1.5 * b
    M = cost_matrix(X, Y)
    res = solve(M, a, b, reg=0.05, reg_type=reg_type, unbalanced=unbalanced, tol=1e-13)
    assert res.method == "sinkhorn_unbalanced_translation_invariant"
    rm = unbalanced if isinstance(unbalanced, tuple) else (unbalanced, unbalanced)
    P_ref = ot.unbalanced.sinkhorn_unbalanced(
        a, b, M, 0.05, rm, reg_type=reg_type, stopThr=1e-15, numItermax=100_000
    )
    np.testing.assert_allclose(res.plan, P_ref, atol=1e-10)
    P = res.plan
    reg_term = _kl(P, a[:, None] * b[None, :]) if reg_type == "kl" else float(np.sum(P * np.log(P)))
    expected = float(np.sum(P * M)) + 0.05 * reg_term + rm[1] * _kl(P.sum(0), b)
    if np.isfinite(rm[0]):
        expected += rm[0] * _kl(P.sum(1), a)
    assert res.value == pytest.approx(expected, rel=1e-12)
    assert res.value_linear == pytest.approx(float(np.sum(P_ref * M)), rel=1e-8)
    forced = solve(M, a, b, reg=0.05, unbalanced=unbalanced, method="log", tol=1e-13)
    assert forced.method == "sinkhorn_unbalanced_log"


def test_l2_matches_pot_plan():
    ot = pytest.importorskip("ot")
    X, Y, a, b = _problem(12, 10, 2)
    M = cost_matrix(X, Y)
    res = solve(M, a, b, reg=1.0, reg_type="l2")
    assert res.method == "sparsity_constrained"
    ref = ot.solve(M, a, b, reg=1.0, reg_type="L2", tol=1e-14, max_iter=10_000)
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-6)
    # skot reports the minimised objective <P, M> + reg/2 |P|^2
    assert res.value == pytest.approx(res.cost + 0.5 * float(np.sum(res.plan**2)), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_nnz=2 is tight here
        sparse = solve(M, a, b, reg=1.0, reg_type="l2", max_nnz=2, tol=1e-3)
    assert (np.count_nonzero(sparse.plan, axis=0) <= 2).all()


def test_lazy_solve_sample_matches_dense():
    ot = pytest.importorskip("ot")
    X, Y, a, b = _problem(15, 18, 3)
    for reg_type, pot_type in [("kl", "KL"), ("entropy", "entropy")]:
        lazy = solve_sample(X, Y, a, b, reg=0.1, reg_type=reg_type, lazy=True, tol=1e-12)
        assert lazy.method == "sinkhorn_online" and lazy.plan is None
        ref = ot.solve_sample(X, Y, a, b, reg=0.1, reg_type=pot_type, tol=1e-12)
        assert lazy.value == pytest.approx(float(ref.value), rel=1e-9)
    assert solve_sample(X, Y, reg=0.1, method="online").method == "sinkhorn_online"


def test_dispatch_is_what_the_direct_call_gives():
    X, Y, a, b = _problem(10, 12, 4)
    M = cost_matrix(X, Y)
    assert solve(M, a, b).cost == emd(a, b, M).cost
    np.testing.assert_array_equal(solve(M, a, b, reg=0.2).plan, sinkhorn(a, b, M, 0.2).plan)
    np.testing.assert_array_equal(
        solve(M, a, 2 * b, reg=0.2, unbalanced=0.3).plan,
        sinkhorn_unbalanced(a, 2 * b, M, 0.2, 0.3).plan,
    )
    # unbalanced=inf is the balanced problem
    assert solve(M, a, b, reg=0.2, unbalanced=np.inf).method == "sinkhorn_log"
    # small reg picks SNS
    assert solve(M / M.max(), a, b, reg=5e-4, max_iter=5000).method == "sinkhorn_sns"


def test_float32_readonly_and_caller_arrays_untouched():
    X, Y, a, b = _problem(10, 12, 5)
    M = cost_matrix(X, Y).astype(np.float32)
    M.setflags(write=False)
    a0, M0 = a.copy(), M.copy()
    res = solve(M, a, b, reg=0.1)
    assert res.converged
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(M, M0)


def test_convergence_warning_points_at_caller():
    X, Y, a, b = _problem(10, 12, 6)
    M = cost_matrix(X, Y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = solve(M, a, b, reg=1e-3, method="log", max_iter=3)
    assert res.status == "max_iter"
    conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1 and conv[0].filename == __file__


@pytest.mark.parametrize(
    "kw,exc,match",
    [
        ({"unbalanced": 1.0}, ValueError, "exact .* unbalanced .* not available"),
        ({"reg": 0.1, "unbalanced": 1.0, "unbalanced_type": "tv"}, ValueError, "tv"),
        ({"reg": 0.1, "reg_type": "l2", "unbalanced": 1.0}, ValueError, "l2"),
        ({"reg": 0.1, "method": "emd"}, ValueError, "method='emd'"),
        ({"method": "sns"}, ValueError, "needs reg > 0"),
        ({"reg": 0.1, "method": "translation_invariant"}, ValueError, "balanced"),
        ({"reg": 0.1, "unbalanced": 1.0, "method": "sns"}, ValueError, "unbalanced"),
        ({"reg": 0.1, "max_nnz": 2}, ValueError, "max_nnz"),
        ({"reg": 0.1, "method": "online"}, ValueError, "solve_sample"),
        ({"reg": -1.0}, ValueError, "reg"),
        ({"reg": 0.1, "unbalanced": -1.0}, ValueError, "unbalanced"),
        ({"reg": 0.1, "unbalanced": (1.0, 2.0, 3.0)}, ValueError, "pair"),
        ({"reg_type": "lp"}, ValueError, "reg_type"),
        ({"method": "nope"}, ValueError, "method"),
    ],
)
def test_refusals(kw, exc, match):
    X, Y, a, b = _problem(6, 7, 7)
    with pytest.raises(exc, match=match):
        solve(cost_matrix(X, Y), a, b, **kw)


def test_solve_sample_refusals():
    X, Y, a, b = _problem(6, 7, 8)
    with pytest.raises(ValueError, match="lazy=True needs reg > 0"):
        solve_sample(X, Y, lazy=True)
    with pytest.raises(ValueError, match="unbalanced"):
        solve_sample(X, Y, reg=0.1, unbalanced=1.0, lazy=True)
    with pytest.raises(ValueError, match="metric"):
        solve_sample(X, Y, reg=0.1, metric="cityblock", lazy=True)
    with pytest.raises(ValueError, match="features"):
        solve_sample(X, Y[:, :1], reg=0.1)
    with pytest.raises(TypeError, match="real numbers"):
        solve(cost_matrix(X, Y) + 1j)


def test_batches():
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(9)
    M = rng.random((4, 6, 5))
    a = np.full(6, 1 / 6)
    b = rng.random((4, 5)) + 0.1
    b /= b.sum(1, keepdims=True)
    res = solve(M, a, b, reg=0.1, tol=1e-12)
    assert res.method == "sinkhorn_batch" and res.is_batch
    ex = solve(M, a, b)
    assert ex.method == "emd_batch" and ex.is_batch
    for k in range(4):
        ref = ot.solve(M[k], a, b[k], reg=0.1, tol=1e-12, max_iter=10_000)
        assert res.value[k] == pytest.approx(float(ref.value), rel=1e-9)
        assert ex.value[k] == pytest.approx(ot.emd2(a, b[k], M[k]), rel=1e-12)
    with pytest.raises(ValueError, match="batch"):
        solve(M, a, b, reg=0.1, unbalanced=1.0)
    with pytest.raises(ValueError, match="batch"):
        solve(M, a, b, reg=0.1, method="sns")
