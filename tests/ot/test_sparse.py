"""Sparsity-constrained OT against POT's semi-dual objective."""

import contextlib
import io
import math
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from skot.ot import cost_matrix, emd, sparsity_constrained_ot

pytestmark = pytest.mark.kernel


def _problem(seed, n=20, m=15):
    rng = np.random.default_rng(seed)
    M = cost_matrix(rng.random((n, 2)), rng.random((m, 2)), norm="max")
    return np.full(n, 1 / n), np.full(m, 1 / m), M


@pytest.mark.parametrize("k", [2, 5, 20])
def test_objective_matches_pot(k):
    smooth = pytest.importorskip("ot.smooth")
    a, b, M = _problem(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = sparsity_constrained_ot(a, b, M, 0.1, k)
    # converged is a promise: the marginals meet tol (k=2 cannot, here)
    assert res.converged == (res.marginal_error <= 1e-9 * a.sum())
    assert res.converged == (k >= 5)
    with contextlib.redirect_stdout(io.StringIO()):
        _, log = smooth.smooth_ot_semi_dual(
            a,
            b,
            M,
            0.1,
            reg_type="sparsity_constrained",
            max_nz=k,
            log=True,
            stopThr=1e-12,
            numItermax=2000,
        )
        regul = smooth.SparsityConstrained(max_nz=k, gamma=0.1)
        ref = smooth.semi_dual_obj_grad(log["alpha"], a, b, M, regul)[0]
        mine = smooth.semi_dual_obj_grad(res.f, a, b, M, regul)[0]
    assert mine == pytest.approx(a @ res.f + b @ res.g, rel=1e-10)
    assert mine >= ref - 1e-8 * abs(ref)
    if res.converged:
        assert mine == pytest.approx(ref, rel=1e-6)
    assert (np.count_nonzero(res.plan, axis=0) <= k).all()
    np.testing.assert_allclose(res.plan.sum(0), b, atol=1e-12)
    assert (res.plan >= 0).all()


def test_limits_and_sparse_plan():
    a, b, M = _problem(1, 8, 8)
    # large max_nnz and small reg: close to exact OT
    res = sparsity_constrained_ot(a, b, M, 1e-4, 8, sparse_plan=True)
    assert sparse.issparse(res.plan)
    assert res.cost == pytest.approx(emd(a, b, M).cost, abs=1e-3)
    assert res.marginal_error < 1e-3
    with pytest.raises(ValueError, match="max_nnz"):
        sparsity_constrained_ot(a, b, M, 0.1, 9)
    with pytest.raises(ValueError, match="reg"):
        sparsity_constrained_ot(a, b, M, 0.0, 2)
    with pytest.warns(Warning):
        sparsity_constrained_ot(a, b, M, 1e-4, 3, max_iter=1)


def test_converged_is_a_promise_and_warns_at_the_caller():
    # defect: converged=True with rows off by up to 59% (max_nnz=3)
    rng = np.random.default_rng(0)
    M = cost_matrix(rng.random((60, 2)), rng.random((40, 2)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sparsity_constrained_ot(None, None, M, 1.0, 3)
    assert not res.converged
    assert res.marginal_error > 1e-9
    conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1
    assert conv[0].filename == __file__


def test_unconstrained_meets_default_tol():
    # defect: 5e-4 marginal error with converged=True at the default tol
    rng = np.random.default_rng(0)
    M = cost_matrix(rng.random((60, 2)), rng.random((40, 2)))
    res = sparsity_constrained_ot(None, None, M, 1.0, 60)
    assert res.converged
    assert res.marginal_error <= 1e-9
    rows = res.plan.sum(axis=1)
    np.testing.assert_allclose(rows, 1 / 60, rtol=1e-7)


@pytest.mark.parametrize("scale", [1e-12, 1e12])
def test_mass_and_cost_scale_invariance(scale):
    # tol is relative: the same problem in other units gives the same plan
    a, b, M = _problem(3)
    ref = sparsity_constrained_ot(a, b, M, 0.1, 5)
    # masses * s and costs * c: the plan scales by s when reg scales by c / s
    s, c = scale, 1.0 / math.sqrt(scale)
    res = sparsity_constrained_ot(a * s, b * s, M * c, 0.1 * c / s, 5)
    assert res.converged
    np.testing.assert_allclose(res.plan / s, ref.plan, atol=1e-9 * ref.plan.max())
    np.testing.assert_allclose(res.f / c, ref.f, rtol=1e-6, atol=1e-9)


def test_infeasible_budget_is_an_error():
    # defect: max_nnz=1 with 60 rows and 40 columns left 23 rows empty silently
    rng = np.random.default_rng(0)
    M = cost_matrix(rng.random((60, 2)), rng.random((40, 2)))
    with pytest.raises(ValueError, match="max_nnz=1 is infeasible.*at least 2"):
        sparsity_constrained_ot(None, None, M, 1.0, 1)
    # zero-mass rows need no nonzero
    a = np.r_[np.full(40, 1 / 40), np.zeros(20)]
    res = sparsity_constrained_ot(a, None, M, 1.0, 1, max_iter=2000)
    assert np.count_nonzero(res.plan, axis=0).max() <= 1
