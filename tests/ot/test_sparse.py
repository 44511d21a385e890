"""Sparsity-constrained OT against POT's semi-dual objective."""

import contextlib
import io

import numpy as np
import pytest
from scipy import sparse

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
    res = sparsity_constrained_ot(a, b, M, 0.1, k)
    assert res.converged
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
