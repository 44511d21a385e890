"""JCPOT under target shift (POT's JCPOTTransport and skada's JCPOTLabelProp as references)."""

import warnings

import numpy as np
import pytest
import sklearn

from skot.da._label_shift import JCPOTLabelPropagation

from .conftest import make_da


def _target_shift(n=20, seed=0):
    from skada.datasets import make_shifted_datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_shifted_datasets(n, n, shift="target_shift", noise=0.3, random_state=seed)


def test_proportions_match_pot(skada_module):
    ot = pytest.importorskip("ot")
    X, y, sd = _target_shift()
    Xs, ys, Xt = X[sd >= 0], y[sd >= 0], X[sd < 0]
    two = np.where(np.arange(len(ys)) % 2 == 0, 1, 3)  # two sources
    J = ot.da.JCPOTTransport(reg_e=1.0, max_iter=10000, tol=1e-13, metric="sqeuclidean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        J.fit(Xs=[Xs[two == 1], Xs[two == 3]], ys=[ys[two == 1], ys[two == 3]], Xt=Xt)
    ref = J.proportions_[0] if isinstance(J.proportions_, tuple) else J.proportions_
    sd2 = sd.copy()
    sd2[sd >= 0] = two
    clf = JCPOTLabelPropagation(reg=1.0, tol=1e-13, max_iter=10000)
    clf.fit(X, np.where(sd < 0, -1, y), sample_domain=sd2)
    np.testing.assert_allclose(clf.proportions_, ref, atol=1e-8)
    assert len(clf.couplings_) == 2
    for P in clf.couplings_:
        np.testing.assert_allclose(P.sum(axis=0), 1.0 / Xt.shape[0], rtol=1e-6)
    # the estimate is near the true target proportions, far from the source's
    true = np.bincount(y[sd < 0]) / (sd < 0).sum()
    assert np.abs(clf.proportions_ - true).max() < 0.1


def test_accuracy_at_least_skada(skada_module):
    X, y, sd = _target_shift(n=20, seed=1)
    ym = np.where(sd < 0, -1, y)
    Xt, yt = X[sd < 0], y[sd < 0]
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = skada_module.JCPOTLabelProp(reg=1.0)
        ref.fit(X, ym, sample_domain=sd)
        acc_ref = np.mean(ref.predict(Xt) == yt)
    clf = JCPOTLabelPropagation(reg=1.0).fit(X, ym, sample_domain=sd)
    acc = np.mean(clf.predict(Xt) == yt)
    np.testing.assert_array_equal(clf.predict(Xt), clf.transduction_)
    assert acc >= acc_ref - 1e-12
    assert acc >= 0.8
    assert clf.score(Xt, yt) == pytest.approx(acc)


def test_contract_and_errors():
    X, y, sd, ys, yt = make_da()
    y0 = y.copy()
    clf = JCPOTLabelPropagation(reg=0.5).fit(X, y)
    np.testing.assert_array_equal(y, y0)
    proba = clf.predict_proba(X[sd < 0])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X[sd < 0]), clf.transduction_)
    with pytest.raises(ValueError, match="too small"):
        JCPOTLabelPropagation(reg=1e-5).fit(X * 100, y)
    with pytest.raises(ValueError, match="2 classes"):
        JCPOTLabelPropagation().fit(X, np.where(sd >= 0, 0, -1), sample_domain=sd)
    with pytest.raises(ValueError, match="target rows"):
        JCPOTLabelPropagation().fit(X[sd >= 0], ys)
    Xf = X.astype(np.float32)
    Xf.setflags(write=False)
    assert JCPOTLabelPropagation().fit(Xf, y).predict(Xf).shape == (X.shape[0],)


def test_label_constrained_cost_matches_pot_semi_supervised():
    ot = pytest.importorskip("ot")
    from skot.da._label_shift import label_constrained_cost
    from skot.ot import emd

    X, y, sd, ys, yt = make_da(n_source=12, n_target=10)
    Xs, Xt = X[sd >= 0], X[sd < 0]
    yt_partial = np.where(np.arange(10) < 4, yt, -1)
    M = ot.dist(Xs, Xt)
    M0 = M.copy()
    Mc = label_constrained_cost(M, ys, yt_partial)
    np.testing.assert_array_equal(M, M0)  # input untouched
    ref = ot.da.EMDTransport(limit_max=10).fit(Xs=Xs, ys=ys, Xt=Xt, yt=yt_partial)
    np.testing.assert_allclose(Mc, ref.cost_, rtol=1e-12)
    P = emd(np.full(12, 1 / 12), np.full(10, 1 / 10), Mc).plan
    known = np.arange(10) < 4
    wrong = ys[:, None] != yt_partial[None, :]
    assert P[:, known][wrong[:, known]].sum() == 0
    with pytest.raises(ValueError, match="shape"):
        label_constrained_cost(M, ys[:3], yt_partial)
