"""Gromov-Wasserstein solvers: against POT from the same initial plan, and properties."""

import warnings

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.exceptions import ConvergenceWarning

from skot.ot._gromov import (
    entropic_fused_gromov_wasserstein,
    entropic_fused_gromov_wasserstein2,
    entropic_gromov_wasserstein,
    entropic_gromov_wasserstein2,
    fused_gromov_wasserstein,
    fused_gromov_wasserstein2,
    gromov_wasserstein,
    gromov_wasserstein2,
)


def _spaces(n, m, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    Y = rng.normal(size=(m, 3))
    C1, C2 = cdist(X, X), cdist(Y, Y)
    C1 /= C1.max()
    C2 /= C2.max()
    p = rng.random(n) + 0.5
    q = rng.random(m) + 0.5
    M = cdist(X, Y[:, :2], "sqeuclidean")
    M /= M.max()
    return C1, C2, p / p.sum(), q / q.sum(), M


def _brute_loss(C1, C2, T):
    L = (C1[:, None, :, None] - C2[None, :, None, :]) ** 2
    return float(np.einsum("ijkl,ij,kl->", L, T, T))


@pytest.mark.parametrize("loss", ["square_loss", "kl_loss"])
@pytest.mark.parametrize("seed", [0, 1])
def test_gw_matches_pot(loss, seed):
    ot = pytest.importorskip("ot")
    C1, C2, p, q, _ = _spaces(25, 30, seed)
    T, log = ot.gromov.gromov_wasserstein(C1, C2, p, q, loss, log=True)
    res = gromov_wasserstein(C1, C2, p, q, loss=loss, tol_abs=1e-9)
    assert abs(res.cost - log["gw_dist"]) <= 1e-8 * max(1.0, abs(log["gw_dist"]))
    np.testing.assert_allclose(res.plan, T, atol=1e-8)
    assert res.converged
    assert gromov_wasserstein2(C1, C2, p, q, loss=loss, tol_abs=1e-9) == pytest.approx(res.cost)


def test_gw_matches_pot_nonsymmetric_and_G0():
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(3)
    C1, C2, p, q, _ = _spaces(20, 15, 3)
    A1 = C1 + 0.3 * rng.random(C1.shape)
    A2 = C2 + 0.3 * rng.random(C2.shape)
    G0 = ot.emd(p, q, rng.random((20, 15)))
    T, log = ot.gromov.gromov_wasserstein(A1, A2, p, q, G0=G0, log=True)
    res = gromov_wasserstein(A1, A2, p, q, G0=G0, tol_abs=1e-9)
    assert abs(res.cost - log["gw_dist"]) <= 1e-8
    np.testing.assert_allclose(res.plan, T, atol=1e-8)


def test_fgw_matches_pot():
    ot = pytest.importorskip("ot")
    C1, C2, p, q, M = _spaces(25, 20, 4)
    for alpha in (0.0, 0.3, 1.0):
        T, log = ot.gromov.fused_gromov_wasserstein(M, C1, C2, p, q, alpha=alpha, log=True)
        res = fused_gromov_wasserstein(M, C1, C2, p, q, alpha=alpha, tol_abs=1e-9)
        assert abs(res.cost - log["fgw_dist"]) <= 1e-8
        np.testing.assert_allclose(res.plan, T, atol=1e-8)
        assert fused_gromov_wasserstein2(
            M, C1, C2, p, q, alpha=alpha, tol_abs=1e-9
        ) == pytest.approx(res.cost)


def test_entropic_matches_pot():
    ot = pytest.importorskip("ot")
    C1, C2, p, q, M = _spaces(20, 25, 5)
    T, log = ot.gromov.entropic_gromov_wasserstein(C1, C2, p, q, epsilon=0.01, log=True)
    res = entropic_gromov_wasserstein(C1, C2, p, q, reg=0.01)
    assert res.converged
    assert abs(res.cost - log["gw_dist"]) < 1e-6
    np.testing.assert_allclose(res.plan, T, atol=1e-6)
    assert entropic_gromov_wasserstein2(C1, C2, p, q, reg=0.01) == pytest.approx(res.cost)
    T, log = ot.gromov.entropic_fused_gromov_wasserstein(
        M, C1, C2, p, q, epsilon=0.01, alpha=0.4, log=True
    )
    res = entropic_fused_gromov_wasserstein(M, C1, C2, p, q, reg=0.01, alpha=0.4)
    assert abs(res.cost - log["fgw_dist"]) < 1e-6
    assert entropic_fused_gromov_wasserstein2(
        M, C1, C2, p, q, reg=0.01, alpha=0.4
    ) == pytest.approx(res.cost)


def test_loss_is_the_brute_force_quadruple_sum():
    C1, C2, p, q, _ = _spaces(8, 7, 6)
    res = gromov_wasserstein(C1, C2, p, q)
    assert res.cost == pytest.approx(_brute_loss(C1, C2, res.plan), rel=1e-10)
    np.testing.assert_allclose(res.plan.sum(1), p, atol=1e-12)
    np.testing.assert_allclose(res.plan.sum(0), q, atol=1e-12)
    assert res.marginal_error < 1e-12
    # the loss never exceeds the loss of the initial plan
    assert res.cost <= _brute_loss(C1, C2, np.outer(p, q)) + 1e-12


def test_isometric_spaces_have_zero_loss():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(12, 2))
    perm = rng.permutation(12)
    R = np.array([[0.6, -0.8], [0.8, 0.6]])
    C1 = cdist(X, X)
    C2 = cdist(X[perm] @ R, X[perm] @ R)
    res = gromov_wasserstein(C1, C2, G0=np.eye(12)[perm].T / 12)
    assert res.cost < 1e-12


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_scale_invariance(scale):
    C1, C2, p, q, _ = _spaces(15, 12, 8)
    ref = gromov_wasserstein(C1, C2, p, q)
    res = gromov_wasserstein(C1 * scale, C2 * scale, p, q)
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-10)
    assert res.cost == pytest.approx(ref.cost * scale**2, rel=1e-8)


def test_float32_and_read_only_inputs_untouched():
    C1, C2, p, q, M = _spaces(10, 9, 9)
    ref = fused_gromov_wasserstein(M, C1, C2, p, q)
    args = [x.copy() for x in (M, C1, C2, p, q)]
    for x in args:
        x.setflags(write=False)
    res = fused_gromov_wasserstein(*args)
    np.testing.assert_allclose(res.plan, ref.plan)
    res32 = fused_gromov_wasserstein(
        M.astype(np.float32), C1.astype(np.float32), C2.astype(np.float32), p, q
    )
    assert res32.plan.dtype == np.float64
    assert abs(res32.cost - ref.cost) < 1e-5


def test_max_iter_warns():
    C1, C2, p, q, _ = _spaces(15, 12, 10)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        res = gromov_wasserstein(C1, C2, p, q, max_iter=1)
    assert not res.converged
    with pytest.warns(ConvergenceWarning) as rec:
        entropic_gromov_wasserstein(C1, C2, p, q, reg=0.01, max_iter=1)
    assert rec[0].filename == __file__


def test_entropic_inner_budget_warns():
    # the outer iteration settles while the last Sinkhorn solve is still short of tol
    x = np.array([0.0, 1.0, 3.0])
    C = np.abs(x[:, None] - x[None, :]) / 3
    with pytest.warns(ConvergenceWarning, match="sinkhorn_max_iter=50") as rec:
        res = entropic_gromov_wasserstein(C, C, reg=0.01, tol=1e-6, sinkhorn_max_iter=50)
    assert rec[0].filename == __file__
    assert not res.converged


def test_errors():
    C1, C2, p, q, M = _spaces(6, 5, 11)
    with pytest.raises(ValueError, match="C1 must be a square"):
        gromov_wasserstein(C1[:, :4], C2)
    with pytest.raises(ValueError, match="C2 contains NaN"):
        gromov_wasserstein(C1, np.full((5, 5), np.nan))
    with pytest.raises(ValueError, match="p must have shape"):
        gromov_wasserstein(C1, C2, p[:3], q)
    with pytest.raises(ValueError, match="same total mass"):
        gromov_wasserstein(C1, C2, p, 2 * q)
    with pytest.raises(ValueError, match="loss"):
        gromov_wasserstein(C1, C2, loss="abs")
    with pytest.raises(ValueError, match="non-negative for loss='kl_loss'"):
        gromov_wasserstein(-C1, C2, loss="kl_loss")
    with pytest.raises(ValueError, match=r"M must have shape \(6, 5\)"):
        fused_gromov_wasserstein(M.T, C1, C2)
    with pytest.raises(ValueError, match="alpha"):
        fused_gromov_wasserstein(M, C1, C2, alpha=1.5)
    with pytest.raises(ValueError, match="G0 must have the marginals"):
        gromov_wasserstein(C1, C2, p, q, G0=np.full((6, 5), 1.0))
    with pytest.raises(ValueError, match="G0 must have shape"):
        gromov_wasserstein(C1, C2, p, q, G0=np.full((5, 5), 0.04))
    with pytest.raises(TypeError, match="C1 must hold real numbers"):
        gromov_wasserstein(C1 + 1j, C2)
    with pytest.raises(ValueError, match="reg"):
        entropic_gromov_wasserstein(C1, C2, reg=-1.0)
    with pytest.raises(ValueError, match="reg"):
        entropic_gromov_wasserstein(C1, C2, reg=float("inf"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gromov_wasserstein(C1, C2, p, q)
