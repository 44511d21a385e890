"""Regression with domain adaptation: NaN-masked targets (issue #11)."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.kernel_ridge import KernelRidge
from sklearn.neighbors import KNeighborsRegressor

from skot.da import (
    CircularValidationScorer,
    ClassRegularizedTransport,
    DomainAdaptationRegressor,
    EMDTransport,
    LinearTransport,
    SinkhornTransport,
    UnbalancedSinkhornTransport,
    make_da_pipeline,
)


def _skada_regression(skada_module, shift="conditional_shift", n=20, seed=0):
    from skada.datasets import make_shifted_datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        X, y, sd = make_shifted_datasets(
            n_samples_source=n,
            n_samples_target=n,
            shift=shift,
            noise=0.3,
            label="regression",
            random_state=seed,
        )
    return X, y, sd


@pytest.mark.parametrize(
    "transport",
    [
        EMDTransport(),
        SinkhornTransport(0.1, norm="median"),
        UnbalancedSinkhornTransport(0.1, 1.0, norm="median"),
        LinearTransport(),
    ],
    ids=lambda t: type(t).__name__,
)
def test_every_transporter_with_nan_masked_targets(transport, skada_module):
    X, y, sd = _skada_regression(skada_module)
    ym = np.where(sd < 0, np.nan, y)
    a = transport.fit_transform(X, ym)
    b = sklearn.base.clone(transport).fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(a, b)
    t = sd < 0
    reg = DomainAdaptationRegressor(KernelRidge(alpha=0.1, kernel="rbf"), transport).fit(X, ym)
    base = KernelRidge(alpha=0.1, kernel="rbf").fit(X[~t], y[~t]).score(X[t], y[t])
    assert reg.score(X[t], y[t]) > base  # the conditional shift is corrected
    # a DA pipeline is the same model
    pipe = make_da_pipeline(transport, KernelRidge(alpha=0.1, kernel="rbf")).fit(X, ym)
    np.testing.assert_allclose(pipe.predict(X[t]), reg.predict(X[t]), atol=1e-10)


def test_regressor_equals_pot_mapping_then_regressor(skada_module):
    ot = pytest.importorskip("ot")
    X, y, sd = _skada_regression(skada_module, n=15)
    t = sd < 0
    ym = np.where(t, np.nan, y)
    ours = DomainAdaptationRegressor(KNeighborsRegressor(3), EMDTransport()).fit(X, ym)
    # reference: POT's EMD mapping of the source rows, then the regressor
    mapping = ot.da.EMDTransport().fit(Xs=X[~t], Xt=X[t])
    ref = KNeighborsRegressor(3).fit(mapping.transform(Xs=X[~t]), y[~t])
    np.testing.assert_allclose(ours.predict(X[t]), ref.predict(X[t]), atol=1e-8)


def test_regression_contract():
    rng = np.random.RandomState(0)
    Xs = rng.randn(20, 2)
    Xt = rng.randn(16, 2) + [2.0, 0.0]
    ys = Xs[:, 1] * 2 - 1.0
    ys[0] = -1.0  # an ordinary value of a regression target, not a mask
    yt = Xt[:, 1] * 2 - 1.0
    X = np.vstack([Xs, Xt])
    y = np.concatenate([ys, np.full(16, np.nan)])
    sd = np.r_[np.ones(20, int), -2 * np.ones(16, int)]
    reg = DomainAdaptationRegressor(KNeighborsRegressor(2), EMDTransport()).fit(X, y)
    explicit = DomainAdaptationRegressor(KNeighborsRegressor(2), EMDTransport()).fit(
        X, np.concatenate([ys, yt]), sample_domain=sd
    )
    np.testing.assert_allclose(reg.predict(Xt), explicit.predict(Xt))
    # score: R^2 of the labelled rows only; the NaN rows are never scored
    from sklearn.metrics import r2_score

    assert reg.score(Xt, yt) == pytest.approx(r2_score(yt, reg.predict(Xt)))
    assert reg.score(X, y) == pytest.approx(r2_score(ys, reg.predict(Xs, sample_domain=1)))
    with pytest.raises(ValueError, match="unsupervised scorer"):
        reg.score(Xt, np.full(16, np.nan))
    # circular validation scores regressors with R^2
    value = CircularValidationScorer()(reg, X, y)
    assert np.isfinite(value) and value <= 1.0
    # class regularisation needs classes
    with pytest.raises(ValueError, match="class labels"):
        ClassRegularizedTransport().fit(X, y)
    with pytest.raises(ValueError, match="numeric"):
        DomainAdaptationRegressor().fit(X, np.array(["a"] * 36, dtype=object))
