"""JDOT classifier and regressor (skada's JDOT as reference)."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge

from skot.da._jdot import JDOTClassifier, JDOTRegressor

from .conftest import make_da


def _data(skada_module, label="binary", seed=0):
    from skada.datasets import make_shifted_datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return make_shifted_datasets(
            10, 10, shift="conditional_shift", label=label, noise=0.3, random_state=seed
        )


@pytest.mark.parametrize("seed", [0, 1])
def test_classifier_matches_skada(skada_module, seed):
    X, y, sd = _data(skada_module, seed=seed)
    ym = np.where(sd < 0, -1, y)
    Xt = X[sd < 0]
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = skada_module.JDOTClassifier(LogisticRegression(), alpha=0.5, n_iter_max=4, tol=0)
        ref.fit(X, ym, sample_domain=sd)
        p_ref = ref.predict_proba(Xt)
        y_ref = ref.predict(Xt)
    ours = JDOTClassifier(LogisticRegression(), alpha=0.5, max_iter=4, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, ym, sample_domain=sd)
    np.testing.assert_array_equal(ours.predict(Xt), y_ref)
    np.testing.assert_allclose(ours.predict_proba(Xt), p_ref, atol=1e-8)
    # JDOT does better than the source-only model on a conditional shift
    base = LogisticRegression().fit(X[sd >= 0], y[sd >= 0])
    assert ours.score(Xt, y[sd < 0]) >= base.score(Xt, y[sd < 0])


def test_regressor_matches_skada(skada_module):
    X, y, sd = _data(skada_module, label="regression")
    ym = np.where(sd < 0, np.nan, y)
    Xt = X[sd < 0]
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = skada_module.JDOTRegressor(Ridge(), alpha=0.5, n_iter_max=4, tol=0)
        ref.fit(X, ym, sample_domain=sd)
        y_ref = ref.predict(Xt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = JDOTRegressor(Ridge(), alpha=0.5, max_iter=4, tol=0).fit(X, ym, sample_domain=sd)
    np.testing.assert_allclose(ours.predict(Xt), y_ref, rtol=1e-10, atol=1e-10)


def test_alternation_decreases_loss():
    X, y, sd, ys, yt = make_da(n_source=30, n_target=30)
    clf = JDOTClassifier(max_iter=30, tol=1e-10).fit(X, y, sample_domain=sd)
    losses = np.asarray(clf.ot_losses_)
    assert np.all(np.diff(losses) <= 1e-9 * np.abs(losses[:-1]) + 1e-12)
    assert clf.coupling_.shape == (30, 30)
    np.testing.assert_allclose(clf.coupling_.sum(), 1.0)
    assert clf.score(X[sd < 0], yt) >= 0.9
    # entropic couplings work too
    clf = JDOTClassifier(reg=0.1, max_iter=10).fit(X, y, sample_domain=sd)
    assert clf.score(X[sd < 0], yt) >= 0.9


def test_regressor_nan_mask_and_score():
    rng = np.random.RandomState(0)
    xs = rng.uniform(0, 1, 40)
    xt = rng.uniform(0, 1, 40) + 0.3
    X = np.r_[xs, xt][:, None]
    y = np.r_[2 * xs, np.full(40, np.nan)]
    y0 = y.copy()
    reg = JDOTRegressor(max_iter=20).fit(X, y)  # NaN rows are the target rows
    np.testing.assert_array_equal(np.isnan(y), np.isnan(y0))
    assert reg.predict(xt[:, None]).shape == (40,)
    # score ignores the NaN rows, rates the labelled ones
    s = reg.score(X, np.r_[2 * xs, np.full(40, np.nan)])
    assert np.isfinite(s)


def test_minus_one_is_a_class_with_sample_domain():
    X, y, sd, ys, yt = make_da()
    y2 = np.where(sd >= 0, np.where(ys_full := np.r_[ys, yt] == 0, -1, 1), -1)
    clf = JDOTClassifier(max_iter=5).fit(X, y2, sample_domain=sd)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    assert set(np.unique(clf.predict(X[sd < 0]))) <= {-1, 1}
    assert ys_full.shape == (X.shape[0],)


def test_errors_and_dtypes():
    X, y, sd, ys, yt = make_da()
    with pytest.raises(ValueError, match="2 classes"):
        JDOTClassifier().fit(X, np.where(sd >= 0, 0, -1), sample_domain=sd)
    with pytest.raises(ValueError, match="requires y"):
        JDOTClassifier().fit(X, None, sample_domain=sd)
    with pytest.raises(ValueError, match="target rows"):
        JDOTClassifier().fit(X[sd >= 0], ys)
    with pytest.raises(ValueError, match="alpha"):
        JDOTClassifier(alpha=2.0).fit(X, y, sample_domain=sd)
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        Xd.setflags(write=False)
        clf = JDOTClassifier(max_iter=3).fit(Xd, y)
        assert clf.predict(Xd[sd < 0]).shape == (int((sd < 0).sum()),)
