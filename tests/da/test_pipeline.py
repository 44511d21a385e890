"""skot.da.make_da_pipeline / DAPipeline (issue #11)."""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import check_estimator

from skot.da import (
    DomainAdaptationClassifier,
    EMDTransport,
    PredictionEntropyScorer,
    SinkhornTransport,
    make_da_pipeline,
)
from skot.da._pipeline import DAPipeline

from .conftest import make_da


def test_names_params_and_flattening():
    pipe = make_da_pipeline(StandardScaler(), SinkhornTransport(), SinkhornTransport(), SVC())
    assert [n for n, _ in pipe.steps] == [
        "standardscaler",
        "sinkhorntransport-1",
        "sinkhorntransport-2",
        "svc",
    ]
    assert "svc__C" in pipe.get_params()
    nested = make_da_pipeline(make_da_pipeline(EMDTransport()), SVC())
    assert [n for n, _ in nested.steps] == ["emdtransport", "svc"]
    assert isinstance(clone(pipe), DAPipeline)
    with pytest.raises(ValueError, match="at least one step"):
        make_da_pipeline()


def test_equals_domain_adaptation_classifier_and_never_writes():
    X, y, sd, ys, yt = make_da()
    y0, sd0 = y.copy(), sd.copy()
    pipe = make_da_pipeline(EMDTransport(), LogisticRegression()).fit(X, y)
    dac = DomainAdaptationClassifier(LogisticRegression(), EMDTransport()).fit(X, y)
    t = sd < 0
    np.testing.assert_allclose(pipe.predict_proba(X[t]), dac.predict_proba(X[t]))
    np.testing.assert_array_equal(pipe.predict(X[t]), dac.predict(X[t]))
    # source rows marked by sample_domain are transported first, as in the classifier
    np.testing.assert_array_equal(
        pipe.predict(X, sample_domain=sd), dac.predict(X, sample_domain=sd)
    )
    assert pipe.score(X[t], yt) == dac.score(X[t], yt)
    assert pipe.score(X, y) == pytest.approx(dac.score(X, y))
    # explicit domains and target labels present: the target labels are not learnt
    full = make_da_pipeline(EMDTransport(), LogisticRegression()).fit(
        X, np.concatenate([ys, 1 - yt]), sample_domain=sd
    )
    np.testing.assert_array_equal(full.predict(X[t]), pipe.predict(X[t]))
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sd, sd0)


def test_grid_search_plain_fit_and_with_routing():
    X, y, sd, ys, yt = make_da()
    grid = GridSearchCV(
        make_da_pipeline(SinkhornTransport(norm="median"), LogisticRegression()),
        {"sinkhorntransport__reg": [0.05, 0.5]},
        scoring=PredictionEntropyScorer(),
        cv=KFold(3, shuffle=True, random_state=0),
        error_score="raise",
    ).fit(X, y)
    assert grid.best_estimator_.score(X[sd < 0], yt) > 0.9
    # legacy fit params (no routing): sample_domain passed to fit
    grid.fit(X, np.concatenate([ys, yt]), sample_domain=sd)
    assert grid.best_estimator_.score(X[sd < 0], yt) > 0.9
    with sklearn.config_context(enable_metadata_routing=True):
        grid.fit(X, np.concatenate([ys, yt]), sample_domain=sd)
        assert grid.best_estimator_.score(X[sd < 0], yt) > 0.9


class _Reweight(StandardScaler):
    """A transformer that emits row weights (the reweighting-step protocol)."""

    def fit_transform(self, X, y=None, sample_domain=None):
        self.sample_weight_ = np.where(np.asarray(sample_domain) >= 0, 2.0, 0.0)
        self.sample_weight_[:5] = 0.0
        return np.asarray(X)

    def transform(self, X, sample_domain=None):
        return np.asarray(X)


def test_sample_weight_and_reweighting_steps():
    X, y, sd, ys, yt = make_da()
    w = np.random.RandomState(0).rand(len(X)) + 0.5
    pipe = make_da_pipeline(_Reweight(), LogisticRegression()).fit(X, y, sample_weight=w)
    ref = LogisticRegression().fit(X[:30], ys, sample_weight=(w[:30] * 2.0) * (np.arange(30) >= 5))
    np.testing.assert_allclose(pipe[-1].coef_, ref.coef_)
    with pytest.raises(ValueError, match="sample_weight"):
        from sklearn.neighbors import KNeighborsClassifier

        make_da_pipeline(_Reweight(), KNeighborsClassifier()).fit(X, y)
    with pytest.raises(ValueError, match="<step name>__<parameter>"):
        make_da_pipeline(EMDTransport(), SVC()).fit(X, y, foo=1)
    with pytest.raises(ValueError, match="memory"):
        DAPipeline([("svc", SVC())], memory="/tmp").fit(X, y)


def test_sklearn_checks_without_transporters():
    # with no target rows there is nothing to transport: a DA pipeline of
    # ordinary steps passes the checks scikit-learn applies, but one: like
    # sklearn's Pipeline, it fits its steps in place (they are its parameters)
    expected = {
        "check_estimators_overwrite_params": "steps are fitted in place",
        # labels {-1, 1} without sample_domain: -1 marks the target rows (the
        # contract), so one source class is left and fit says to pass sample_domain
        "check_classifiers_classes": "-1 is the target mask without sample_domain",
    }
    check_estimator(
        make_da_pipeline(StandardScaler(), LogisticRegression()),
        expected_failed_checks=expected,
    )
    from sklearn.pipeline import make_pipeline

    with pytest.raises(AssertionError, match="should not change or mutate"):
        from sklearn.utils.estimator_checks import check_estimators_overwrite_params

        check_estimators_overwrite_params(
            "Pipeline", make_pipeline(StandardScaler(), LogisticRegression())
        )
