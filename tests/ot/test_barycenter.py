"""Barycenters: fixed-support entropic (IBP, debiased) and free-support exact, against POT."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skot.ot._barycenter import barycenter, free_support_barycenter

pytestmark = pytest.mark.kernel


def _hists(n=30, seed=0):
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, n)
    M = (x[:, None] - x[None, :]) ** 2
    A = np.stack(
        [np.exp(-((x - 0.2) ** 2) / 0.005), np.exp(-((x - 0.7) ** 2) / 0.01), rng.random(n)], 1
    )
    return A / A.sum(0), M


@pytest.mark.parametrize("method", ["sinkhorn", "sinkhorn_log"])
def test_barycenter_matches_pot(method):
    ot = pytest.importorskip("ot")
    A, M = _hists()
    w = np.array([0.2, 0.5, 0.3])
    ref = ot.bregman.barycenter(
        A, M, 0.02, w, method="sinkhorn_log", numItermax=5000, stopThr=1e-14
    )
    res = barycenter(A, M, 0.02, w, method=method, tol=1e-12, max_iter=5000)
    assert res.converged
    np.testing.assert_allclose(res.barycenter, ref, atol=1e-10)
    assert res.barycenter.sum() == pytest.approx(1.0, abs=1e-10)


def test_barycenter_small_reg_log_domain():
    A, M = _hists()
    with pytest.raises(ValueError, match="sinkhorn_log"):
        barycenter(A, M, 1e-4)
    res = barycenter(A, M, 1e-4, method="sinkhorn_log", max_iter=5000, tol=1e-6)
    assert np.isfinite(res.barycenter).all()
    assert res.barycenter.sum() == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("method", ["debiased", "debiased_log"])
def test_debiased_matches_pot(method):
    ot = pytest.importorskip("ot")
    A, M = _hists()
    A = A[:, :2]
    ref = ot.bregman.barycenter_debiased(
        A, M, 0.02, method="sinkhorn", numItermax=2000, stopThr=1e-15
    )
    # the debiased iteration converges slowly: compare the same number of iterations
    with pytest.warns(ConvergenceWarning):
        res = barycenter(A, M, 0.02, method=method, max_iter=2000, tol=0.0)
    assert res.error < 1e-6
    np.testing.assert_allclose(res.barycenter, ref, atol=1e-6)


def test_debiased_is_sharper():
    # the barycenter of a bump with itself: debiased keeps its width
    x = np.linspace(0, 1, 40)
    M = (x[:, None] - x[None, :]) ** 2
    a = np.exp(-((x - 0.5) ** 2) / 0.003)
    a /= a.sum()
    A = np.stack([a, a], 1)
    plain = barycenter(A, M, 0.01, tol=1e-10).barycenter
    deb = barycenter(A, M, 0.01, method="debiased", tol=1e-7, max_iter=5000).barycenter
    var = lambda h: h @ (x - h @ x) ** 2  # noqa: E731
    assert var(plain) > 1.5 * var(a)
    assert abs(var(deb) - var(a)) < 0.05 * var(a)


def test_cost_and_weights():
    A, M = _hists()
    res = barycenter(A, M, 0.05, weights=[0.0, 1.0, 0.0], tol=1e-11, max_iter=5000)
    # zero weights drop their histograms
    alone = barycenter(A[:, [1]], M, 0.05, tol=1e-11, max_iter=5000)
    np.testing.assert_allclose(res.barycenter, alone.barycenter, atol=1e-10)
    same = barycenter(A, M, 0.05, weights=[0, 2, 0], tol=1e-11, max_iter=5000)
    np.testing.assert_allclose(same.barycenter, res.barycenter)
    log = barycenter(A, M, 0.05, weights=[0, 2, 0], method="sinkhorn_log", tol=1e-11)
    assert log.cost == pytest.approx(res.cost, rel=1e-8)
    assert res.cost > 0


def test_float32_read_only_and_max_iter():
    A, M = _hists()
    ref = barycenter(A, M, 0.05)
    A2, M2 = A.astype(np.float32), M.astype(np.float32)
    A2.setflags(write=False)
    M2.setflags(write=False)
    res = barycenter(A2, M2, 0.05)
    np.testing.assert_allclose(res.barycenter, ref.barycenter, atol=1e-6)
    with pytest.warns(ConvergenceWarning) as rec:
        res = barycenter(A, M, 0.05, max_iter=2)
    assert rec[0].filename == __file__
    assert not res.converged


def test_barycenter_errors():
    A, M = _hists()
    with pytest.raises(ValueError, match="A must have shape"):
        barycenter(A[:5], M, 0.1)
    with pytest.raises(ValueError, match="same total mass"):
        barycenter(A * [1, 2, 1], M, 0.1)
    with pytest.raises(ValueError, match="non-negative"):
        barycenter(-A, M, 0.1)
    with pytest.raises(ValueError, match="weights must have shape"):
        barycenter(A, M, 0.1, weights=[1, 2])
    with pytest.raises(ValueError, match="reg"):
        barycenter(A, M, 0.0)
    with pytest.raises(ValueError, match="square M"):
        barycenter(A, M[:, :10], 0.1, method="debiased")
    with pytest.raises(ValueError, match="method"):
        barycenter(A, M, 0.1, method="bregman")
    with pytest.raises(TypeError, match="M must hold real"):
        barycenter(A, M + 0j, 0.1)
    with pytest.raises(ValueError, match="zero total mass"):
        barycenter(np.zeros_like(A), M, 0.1)


def test_free_support_matches_pot():
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(1)
    Ys = [rng.normal(size=(15 + i, 2)) + i for i in range(3)]
    nus = [rng.random(Y.shape[0]) for Y in Ys]
    nus = [v / v.sum() for v in nus]
    X0 = rng.normal(size=(8, 2))
    w = np.array([0.2, 0.5, 0.3])
    ref = ot.lp.free_support_barycenter(Ys, nus, X0, weights=w, numItermax=100, stopThr=0.0)
    res = free_support_barycenter(Ys, nus, X0, weights=w, tol=0.0)
    assert res.converged
    np.testing.assert_allclose(res.barycenter, ref, atol=1e-6)
    # the cost is the weighted sum of the exact W2^2 from the barycenter
    M = [((res.barycenter[:, None] - Y[None]) ** 2).sum(-1) for Y in Ys]
    exact = sum(w[s] * ot.emd2(res.weights, nus[s], M[s]) for s in range(3))
    assert res.cost == pytest.approx(exact, rel=1e-9)
    threaded = free_support_barycenter(Ys, nus, X0, weights=w, tol=0.0, n_jobs=2)
    np.testing.assert_array_equal(threaded.barycenter, res.barycenter)


def test_free_support_properties_and_errors():
    Y1 = np.array([[0.0, 0.0], [0.0, 2.0]])
    Y2 = np.array([[2.0, 0.0], [2.0, 2.0]])
    for scale in (1e-6, 1.0, 1e6):
        res = free_support_barycenter([Y1 * scale, Y2 * scale], None, np.zeros((2, 2)))
        got = res.barycenter[np.argsort(res.barycenter[:, 1])]
        np.testing.assert_allclose(got, np.array([[1.0, 0.0], [1.0, 2.0]]) * scale)
        assert res.converged
    with pytest.raises(ValueError, match="2 features"):
        free_support_barycenter([np.zeros((3, 3))], None, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="empty"):
        free_support_barycenter([], None, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one entry per measure"):
        free_support_barycenter([Y1, Y2], [np.ones(2) / 2], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="total mass of b"):
        free_support_barycenter([Y1], [np.ones(2)], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        free_support_barycenter([Y1 * np.nan], None, np.zeros((2, 2)))
    with pytest.warns(ConvergenceWarning):
        rng = np.random.default_rng(0)
        free_support_barycenter(
            [rng.normal(size=(30, 2)), rng.normal(size=(30, 2))],
            None,
            rng.normal(size=(10, 2)),
            max_iter=1,
            tol=0.0,
        )
