"""Class-regularised entropic transport: the function layer against POT and the transporter."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skot.da import ClassRegularizedTransport
from skot.ot import cost_matrix, sinkhorn, sinkhorn_l1l2_gl, sinkhorn_lpl1_mm


def _problem(seed=0, n=14, m=11):
    rng = np.random.default_rng(seed)
    Xs = np.vstack([rng.normal(0, 1, (n // 2, 2)), rng.normal(4, 1, (n - n // 2, 2))])
    Xt = np.vstack([rng.normal(1, 1, (m // 2, 2)), rng.normal(5, 1, (m - m // 2, 2))])
    labels = np.r_[np.zeros(n // 2, int), np.ones(n - n // 2, int)]
    a = rng.random(n) + 0.5
    a /= a.sum()
    b = np.full(m, 1.0 / m)
    return a, labels, b, cost_matrix(Xs, Xt, norm="max")


@pytest.mark.parametrize("name", ["sinkhorn_lpl1_mm", "sinkhorn_l1l2_gl"])
def test_matches_pot(name):
    ot = pytest.importorskip("ot")
    a, labels, b, M = _problem()
    ours = {"sinkhorn_lpl1_mm": sinkhorn_lpl1_mm, "sinkhorn_l1l2_gl": sinkhorn_l1l2_gl}[name]
    res = ours(a, labels, b, M, 0.1, 0.5, max_inner_iter=20000, tol=1e-13)
    theirs = getattr(ot.da, name)(
        a, labels, b, M, 0.1, 0.5, numInnerItermax=20000, stopInnerThr=1e-13
    )
    np.testing.assert_allclose(res.plan, theirs, atol=1e-8)
    assert res.converged
    assert res.marginal_error < 1e-10
    assert res.cost == pytest.approx(float(np.sum(res.plan * M)))


def test_eta_zero_is_sinkhorn_and_labels_any_values():
    a, labels, b, M = _problem(1)
    plain = sinkhorn(a, b, M, 0.2, method="scaling", tol=1e-12, max_iter=5000)
    for solver in (sinkhorn_lpl1_mm, sinkhorn_l1l2_gl):
        res = solver(a, labels, b, M, 0.2, 0.0, max_inner_iter=5000, tol=1e-12)
        np.testing.assert_allclose(res.plan, plain.plan, atol=1e-12)
        named = solver(
            a, np.where(labels == 0, "cat", "dog"), b, M, 0.2, 0.3, tol=1e-12, max_inner_iter=5000
        )
        np.testing.assert_array_equal(
            named.plan, solver(a, labels, b, M, 0.2, 0.3, tol=1e-12, max_inner_iter=5000).plan
        )
    # None masses are uniform
    n, m = M.shape
    np.testing.assert_array_equal(
        sinkhorn_lpl1_mm(None, labels, None, M, 0.2).plan,
        sinkhorn_lpl1_mm(np.full(n, 1 / n), labels, np.full(m, 1 / m), M, 0.2).plan,
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_transporter_calls_the_function_layer(da_data):
    X, y, sd, ys, _yt = da_data
    for penalty, solver in (("lpl1", sinkhorn_lpl1_mm), ("l1l2", sinkhorn_l1l2_gl)):
        opts = {"max_inner_iter": 2000, "tol": 1e-10}
        est = ClassRegularizedTransport(0.5, 0.7, penalty=penalty, norm="max", **opts).fit(X, y)
        res = solver(None, ys, None, est.cost_, 0.5, 0.7, **opts)
        np.testing.assert_array_equal(est.coupling_, res.plan)
        assert est.n_iter_ == res.n_iter


def test_errors_and_warnings():
    a, labels, b, M = _problem(2)
    with pytest.raises(ValueError, match=r"labels_a must have shape \(14,\)"):
        sinkhorn_lpl1_mm(a, labels[:-1], b, M, 0.1)
    with pytest.raises(ValueError, match="labels_a contains NaN"):
        sinkhorn_l1l2_gl(a, np.r_[np.nan, labels[1:].astype(float)], b, M, 0.1)
    with pytest.raises(ValueError, match="same total mass"):
        sinkhorn_lpl1_mm(a, labels, 2 * b, M, 0.1)
    with pytest.raises(ValueError, match="reg"):
        sinkhorn_lpl1_mm(a, labels, b, M, 0.0)
    with pytest.raises(ValueError, match="eta"):
        sinkhorn_l1l2_gl(a, labels, b, M, 0.1, -1.0)
    with pytest.raises(ValueError, match="method"):
        sinkhorn_l1l2_gl(a, labels, b, M, 0.1, method="sns")
    with pytest.raises(ValueError, match="NaN or infinity"):
        sinkhorn_lpl1_mm(a, labels, b, np.full_like(M, np.nan), 0.1)
    for solver in (sinkhorn_lpl1_mm, sinkhorn_l1l2_gl):
        with pytest.warns(ConvergenceWarning, match="max_inner_iter=2"):
            res = solver(a, labels, b, M, 0.01, max_inner_iter=2)
        assert not res.converged


def test_verbose_is_an_int(capsys):
    a, labels, b, M = _problem(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sinkhorn_l1l2_gl(a, labels, b, M, 0.1, verbose=1, max_iter=2)
        sinkhorn_lpl1_mm(a, labels, b, M, 0.1, verbose=True, max_iter=2)
    out = capsys.readouterr().out
    assert "sinkhorn_l1l2_gl: outer iteration 1" in out
    assert "sinkhorn_lpl1_mm: outer iteration 2" in out
