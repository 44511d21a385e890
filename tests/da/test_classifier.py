"""Classifiers, scorers, pipelines, grid search and skada interoperability."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skot.da import (
    CircularValidationScorer,
    DomainAdaptationClassifier,
    EMDTransport,
    LinearTransport,
    OTLabelPropagation,
    PredictionEntropyScorer,
    SinkhornTransport,
)

from .._reference import da as ref
from .conftest import make_da


def _masked(y, sd):
    return np.where(sd < 0, -1, y)


def test_classifier_trains_on_transported_sources(da_data):
    X, y, sd, ys, yt = da_data
    clf = DomainAdaptationClassifier(KNeighborsClassifier(1), EMDTransport()).fit(X, y)
    mapped = EMDTransport().fit_transform(X, y)[sd > 0]
    manual = KNeighborsClassifier(1).fit(mapped, ys)
    Xt = X[sd < 0]
    np.testing.assert_array_equal(clf.predict(Xt), manual.predict(Xt))
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.score(Xt, yt) > 0.85
    # source rows, when marked, are transported before prediction
    np.testing.assert_array_equal(clf.predict(X[sd > 0], sample_domain=1), manual.predict(mapped))
    # the adapted classifier beats the source-only one on the shifted target
    source_only = KNeighborsClassifier(1).fit(X[sd > 0], ys)
    assert clf.score(Xt, yt) > source_only.score(Xt, yt)


def test_classifier_methods_follow_the_estimator(da_data):
    X, y, sd, ys, yt = da_data
    clf = DomainAdaptationClassifier(LogisticRegression(), LinearTransport()).fit(X, y)
    Xt = X[sd < 0]
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(Xt)), proba)
    assert clf.decision_function(Xt).shape == (Xt.shape[0],)
    svc = DomainAdaptationClassifier(SVC(), EMDTransport())
    assert not hasattr(svc, "predict_proba")
    assert hasattr(svc, "decision_function")
    assert not hasattr(DomainAdaptationClassifier(KNeighborsClassifier()), "decision_function")
    # score ignores the masked rows
    assert clf.score(X, np.concatenate([ys, -np.ones_like(yt)]), sample_domain=sd) >= 0.5
    with pytest.raises(ValueError, match="labelled rows"):
        clf.score(Xt, -np.ones_like(yt))


def test_classifier_string_labels(da_data):
    X, _y, sd, ys, yt = da_data
    names = np.array(["cat", "dog"], dtype=object)
    y_str = np.concatenate([names[ys], np.array(["-1"] * len(yt), dtype=object)])
    clf = DomainAdaptationClassifier(KNeighborsClassifier(1), EMDTransport()).fit(X, y_str)
    assert set(clf.predict(X[sd < 0])) <= {"cat", "dog"}


def test_label_propagation_matches_coupling(da_data):
    X, y, sd, ys, yt = da_data
    lp = OTLabelPropagation(transport=EMDTransport()).fit(X, y)
    P = EMDTransport().fit(X, y).coupling_
    np.testing.assert_allclose(lp.label_distributions_, ref.propagate_labels(P, ys), atol=1e-12)
    Xt = X[sd < 0]
    np.testing.assert_array_equal(lp.predict(Xt), lp.transduction_)
    np.testing.assert_allclose(lp.predict_proba(Xt), lp.label_distributions_)
    assert lp.score(Xt, yt) > 0.9
    with_est = OTLabelPropagation(SVC(), transport=SinkhornTransport()).fit(X, y)
    assert with_est.score(Xt, yt) > 0.9
    assert not hasattr(with_est, "predict_proba")
    with pytest.raises(ValueError, match="transport"):
        OTLabelPropagation(transport=LinearTransport()).fit(X, y)


def test_classifiers_take_the_estimator_first(da_data):
    """Both classifiers: (estimator, transport); the former order warns and still works."""
    import inspect

    for cls in (DomainAdaptationClassifier, OTLabelPropagation):
        params = list(inspect.signature(cls).parameters)
        assert params[:2] == ["estimator", "transport"]
    X, y, sd, _ys, yt = da_data
    new = OTLabelPropagation(SVC(), EMDTransport()).fit(X, y)
    with pytest.warns(FutureWarning, match="transport="):
        old = OTLabelPropagation(EMDTransport()).fit(X, y)
    np.testing.assert_array_equal(old.transduction_, new.transduction_)
    assert old.estimator_ is None and isinstance(old.transport_, EMDTransport)
    np.testing.assert_array_equal(old.predict(X[sd < 0]), new.transduction_)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        OTLabelPropagation(transport=EMDTransport()).fit(X, y)


def test_label_propagation_against_skada(da_data, skada_module):
    from skada import OTLabelProp

    X, y, sd, ys, yt = da_data
    y_full = np.concatenate([ys, yt])
    with sklearn.config_context(enable_metadata_routing=True):
        theirs = OTLabelProp(SVC(), reg=None).fit(X, y_full.copy(), sample_domain=sd)
        acc_theirs = theirs.score(X[sd < 0], yt)
    ours = OTLabelPropagation(SVC(), transport=EMDTransport()).fit(X, y)
    assert ours.score(X[sd < 0], yt) >= acc_theirs


def test_pipeline_and_grid_search_with_plain_fit(da_data):
    X, y, sd, _ys, yt = da_data
    pipe = make_pipeline(
        StandardScaler(), DomainAdaptationClassifier(LogisticRegression(), SinkhornTransport())
    )
    pipe.fit(X, y)
    assert pipe.score(X[sd < 0], yt) > 0.9
    grid = GridSearchCV(
        DomainAdaptationClassifier(LogisticRegression(), SinkhornTransport(max_iter=3000)),
        {"transport__reg": [0.5, 2.0], "estimator__C": [0.1, 1.0]},
        scoring=PredictionEntropyScorer(),
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert grid.best_estimator_.score(X[sd < 0], yt) > 0.9
    assert np.all(np.asarray(grid.cv_results_["mean_test_score"]) <= 0)


def test_grid_search_with_sample_domain_and_circular_validation(da_data):
    X, _y, sd, ys, yt = da_data
    y_full = np.concatenate([ys, yt])
    clf = DomainAdaptationClassifier(KNeighborsClassifier(1), EMDTransport())
    grid = GridSearchCV(
        clf,
        {"transport__metric": ["sqeuclidean", "euclidean"]},
        scoring=CircularValidationScorer(),
        cv=2,
    )
    grid.fit(X, _masked(y_full, sd), sample_domain=sd)
    assert 0.0 <= grid.best_score_ <= 1.0
    clf.fit(X, _masked(y_full, sd))
    # by hand: label the target, fit the other way round, score on the source labels
    y_rev = y_full.copy()
    y_rev[sd < 0] = clf.predict(X[sd < 0])
    reverse = clone(clf).fit(X, y_rev, sample_domain=np.where(sd < 0, 1, -2))
    expected = np.mean(reverse.predict(X[sd > 0]) == ys)
    assert CircularValidationScorer()(clf, X, _masked(y_full, sd)) == pytest.approx(expected)
    assert expected > 0.8
    with pytest.raises(ValueError, match="both source and target"):
        CircularValidationScorer()(clf, X[sd < 0], _masked(y_full, sd)[sd < 0], sample_domain=-2)


def test_entropy_scorer_rows_and_errors(da_data):
    X, y, sd, ys, yt = da_data
    clf = DomainAdaptationClassifier(LogisticRegression(), EMDTransport()).fit(X, y)
    proba = clf.predict_proba(X[sd < 0])
    expected = np.mean(np.sum(proba * np.log(proba), axis=1))
    scorer = PredictionEntropyScorer()
    assert scorer(clf, X, y) == pytest.approx(expected)
    assert scorer(clf, X, np.concatenate([ys, yt]), sample_domain=sd) == pytest.approx(expected)
    assert scorer(clf, X[sd < 0]) == pytest.approx(expected)
    with pytest.raises(TypeError, match="predict_proba"):
        scorer(DomainAdaptationClassifier(SVC()).fit(X, y), X, y)
    with pytest.raises(ValueError, match="no target rows"):
        scorer(clf, X, y, sample_domain=1)
    assert "PredictionEntropyScorer" in repr(scorer)


@pytest.mark.parametrize("shift", ["covariate_shift", "conditional_shift", "target_shift"])
def test_accuracy_at_least_skada(shift, skada_module):
    from skada import EntropicOTMapping, OTMapping
    from skada.datasets import make_shifted_datasets

    X, y, sd = make_shifted_datasets(
        n_samples_source=20, n_samples_target=21, shift=shift, noise=0.3, random_state=0
    )
    Xt, yt = X[sd < 0], y[sd < 0]
    ym = _masked(y, sd)
    for ours, theirs in [
        (DomainAdaptationClassifier(SVC(), EMDTransport()), OTMapping(SVC())),
        (
            DomainAdaptationClassifier(SVC(), SinkhornTransport(1.0)),
            EntropicOTMapping(SVC(), reg_e=1.0),
        ),
    ]:
        with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.fit(X, y.copy(), sample_domain=sd)
            acc_theirs = theirs.score(Xt, yt)
            acc_ours = ours.fit(X, ym).score(Xt, yt)
        assert acc_ours >= acc_theirs - 1e-12, (shift, type(ours.transport).__name__)


def test_skot_transport_in_skada_pipeline(da_data, skada_module):
    from skada import make_da_pipeline
    from skada.metrics import PredictionEntropyScorer as SkadaEntropy
    from skada.model_selection import SourceTargetShuffleSplit

    X, y, sd, ys, yt = da_data
    y_full = np.concatenate([ys, yt])
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_da_pipeline(SinkhornTransport(), SVC())
        pipe.fit(X, y_full.copy(), sample_domain=sd)
        ours = DomainAdaptationClassifier(SVC(), SinkhornTransport()).fit(X, y)
        np.testing.assert_array_equal(pipe.predict(X[sd < 0]), ours.predict(X[sd < 0]))
        # skada's splitter and scorer with skot's classifier
        clf = DomainAdaptationClassifier(LogisticRegression(), SinkhornTransport())
        scores = cross_val_score(
            clf,
            X,
            y_full,
            params={"sample_domain": sd},
            cv=SourceTargetShuffleSplit(n_splits=2, random_state=0),
            scoring=SkadaEntropy(),
        )
        assert np.all(np.isfinite(scores))
        # skot's scorer with routing on
        grid = GridSearchCV(
            clf,
            {"transport__reg": [0.5, 1.0]},
            scoring=PredictionEntropyScorer(),
            cv=SourceTargetShuffleSplit(n_splits=2, random_state=0),
        )
        grid.fit(X, y_full, sample_domain=sd)
        assert grid.best_params_["transport__reg"] in (0.5, 1.0)
    assert not sklearn.get_config()["enable_metadata_routing"]


@pytest.mark.parametrize(
    "est", [EMDTransport(), SinkhornTransport(), LinearTransport()], ids=lambda e: type(e).__name__
)
def test_set_output_pandas_and_feature_names(est):
    pd = pytest.importorskip("pandas")
    X, y, _sd, _ys, _yt = make_da(n_features=3)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    out = clone(est).set_output(transform="pandas").fit_transform(df, y)
    assert list(out.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(out.to_numpy(), clone(est).fit_transform(X, y))
    fitted = clone(est).fit(df, y)
    assert list(fitted.get_feature_names_out()) == ["a", "b", "c"]
    with pytest.warns(UserWarning, match="feature names"):
        fitted.transform(X)
    with pytest.raises(ValueError, match="feature names"):
        fitted.transform(df[["c", "b", "a"]])


def test_classifier_errors(da_data):
    X, y, _sd, _ys, _yt = da_data
    with pytest.raises(ValueError, match="estimator"):
        DomainAdaptationClassifier(estimator="svc").fit(X, y)
    with pytest.raises(ValueError, match="transport"):
        DomainAdaptationClassifier(transport=object()).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        DomainAdaptationClassifier().fit(X, np.where(y == -1, np.nan, y + 0.5))
    clf = DomainAdaptationClassifier(transport=EMDTransport())
    with pytest.raises(sklearn.exceptions.NotFittedError):
        clf.predict(X)
