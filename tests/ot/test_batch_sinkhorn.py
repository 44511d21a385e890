"""Batched sinkhorn: a stack of problems (B, n, m) in one compiled loop."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skot.ot import OTResult, sinkhorn, sinkhorn2
from skot.utils._numba import parallel_policy

pytestmark = pytest.mark.kernel


def _stack(B=6, n=7, m=9, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((B, n, 2))
    Y = rng.random((B, m, 2))
    M = ((X[:, :, None] - Y[:, None]) ** 2).sum(-1)
    a = rng.random((B, n)) + 0.1
    b = rng.random((B, m)) + 0.1
    return a / a.sum(1, keepdims=True), b / b.sum(1, keepdims=True), M


def test_batch_equals_one_call_per_problem():
    a, b, M = _stack()
    res = sinkhorn(a, b, M, 0.05, tol=1e-12)
    assert isinstance(res, OTResult) and res.is_batch
    assert res.method == "sinkhorn_batch"
    assert res.plan.shape == (6, 7, 9) and res.f.shape == (6, 7) and res.g.shape == (6, 9)
    assert res.converged.dtype == bool and res.converged.all()
    assert (res.status == "converged").all()
    for k in range(6):
        one = sinkhorn(a[k], b[k], M[k], 0.05, tol=1e-12)
        np.testing.assert_allclose(res.plan[k], one.plan, atol=1e-12)
        assert res.cost[k] == pytest.approx(one.cost, rel=1e-10)
        assert res.marginal_error[k] <= 1e-12
        # potentials in cost units reproduce the plan
        P = np.exp((res.f[k][:, None] + res.g[k][None, :] - M[k]) / 0.05)
        np.testing.assert_allclose(P, res.plan[k], rtol=1e-10)
        single = res.problem(k)
        assert single.cost == res.cost[k] and not single.is_batch
    np.testing.assert_allclose(sinkhorn2(a, b, M, 0.05, tol=1e-12), res.cost, rtol=1e-14)


def test_batch_matches_pot_loop():
    ot = pytest.importorskip("ot")
    a, b, M = _stack(5, 10, 8, 1)
    res = sinkhorn(a, b, M, 0.02, tol=1e-12, max_iter=10_000)
    for k in range(5):
        ref = ot.sinkhorn(a[k], b[k], M[k], 0.02, stopThr=1e-13, numItermax=100_000)
        np.testing.assert_allclose(res.plan[k], ref, atol=1e-10)


def test_shared_masses_zero_masses_float32_and_small_reg():
    a, b, M = _stack(4, 6, 5, 2)
    shared = sinkhorn(None, b[0], M, 0.1)
    for k in range(4):
        np.testing.assert_allclose(shared.plan[k], sinkhorn(None, b[0], M[k], 0.1).plan, atol=1e-10)
    az = a.copy()
    az[:, 1] = 0.0
    az /= az.sum(1, keepdims=True)
    res = sinkhorn(az, b, M, 0.1, tol=1e-12)
    assert res.converged.all()
    assert (res.plan[:, 1] == 0).all() and np.isneginf(res.f[:, 1]).all()
    np.testing.assert_allclose(
        res.plan[2], sinkhorn(az[2], b[2], M[2], 0.1, tol=1e-12).plan, atol=1e-12
    )
    r32 = sinkhorn(a, b, M.astype(np.float32), 0.1, tol=1e-9)
    assert r32.converged.all()
    # small reg: kernel underflow handled by absorption and log-domain steps
    small = sinkhorn(a, b, M, 1e-3, tol=1e-9, max_iter=100_000)
    assert small.converged.all() and np.isfinite(small.plan).all()
    np.testing.assert_allclose(
        small.plan[0],
        sinkhorn(a[0], b[0], M[0], 1e-3, tol=1e-9, max_iter=100_000).plan,
        atol=1e-7,
    )


def test_tiny_masses_and_thread_independence():
    a, b, M = _stack(8, 5, 6, 3)
    ref = sinkhorn(a, b, M, 0.1, tol=1e-10)
    tiny = sinkhorn(1e-12 * a, 1e-12 * b, M, 0.1, tol=1e-10)
    assert tiny.converged.all() and (tiny.marginal_error <= 1e-22).all()
    np.testing.assert_allclose(tiny.plan / 1e-12, ref.plan, rtol=1e-6, atol=1e-12)
    with parallel_policy("always"):
        par = sinkhorn(a, b, M, 0.1, tol=1e-10, n_jobs=2)
    np.testing.assert_array_equal(par.plan, ref.plan)


def test_batch_warning_and_errors():
    a, b, M = _stack(3, 5, 6, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sinkhorn(a, b, M, 1e-3, max_iter=2)
    conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1 and conv[0].filename == __file__
    assert "3 of 3 problems" in str(conv[0].message)
    assert not res.converged.any()
    with pytest.raises(ValueError, match="same total mass in every problem"):
        sinkhorn(a, 2 * b, M, 0.1)
    with pytest.raises(ValueError, match=r"b must have shape \(6,\) or \(3, 6\)"):
        sinkhorn(a, b[:2], M, 0.1)
    with pytest.raises(ValueError, match="sns"):
        sinkhorn(a, b, M, 0.1, method="sns")
    with pytest.raises(ValueError, match="epsilon_scaling"):
        sinkhorn(a, b, M, 0.1, epsilon_scaling=0.5)
    with pytest.raises(ValueError, match="M contains NaN"):
        sinkhorn(a, b, np.where(M > 0.5, np.nan, M), 0.1)
    with pytest.raises(TypeError, match="complex"):
        sinkhorn(a, b, M + 1j, 0.1)
    with pytest.raises(ValueError, match="a must be non-negative"):
        sinkhorn(-a, b, M, 0.1)
