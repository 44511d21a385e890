"""DA splitter and unsupervised scorers, in GridSearchCV with and without routing."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score

from skot.da._jdot import JDOTClassifier
from skot.da._model_selection import SourceTargetShuffleSplit
from skot.da._reweight import DiscriminatorReweight
from skot.da._validation_scorers import ImportanceWeightedScorer, SoftNeighborhoodDensity

from .conftest import make_da


def test_splitter_keeps_both_sides():
    X, y, sd, ys, yt = make_da(n_source=30, n_target=20)
    cv = SourceTargetShuffleSplit(n_splits=3, test_size=0.25, random_state=0)
    for by_mask in (True, False):
        kw = {} if by_mask else {"sample_domain": sd}
        splits = list(cv.split(X, y, **kw))
        assert len(splits) == 3 == cv.get_n_splits()
        for train, test in splits:
            assert np.intersect1d(train, test).size == 0
            assert np.union1d(train, test).size == X.shape[0]
            assert (sd[test] >= 0).sum() == 8 and (sd[test] < 0).sum() == 5
    again = list(SourceTargetShuffleSplit(3, test_size=0.25, random_state=0).split(X, y))
    for (a, _), (c, _) in zip(splits, again):
        np.testing.assert_array_equal(a, c)
    with pytest.raises(ValueError, match="at least 4 target"):
        list(cv.split(X[:33], y[:33]))


def test_snd_matches_skada(skada_module):
    X, y, sd, ys, yt = make_da()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = JDOTClassifier(max_iter=2).fit(X, y, sample_domain=sd)
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = skada_module.metrics.SoftNeighborhoodDensity(T=0.05)
        expected = ref._score(None, clf, X, y, sample_domain=sd)
    got = SoftNeighborhoodDensity(T=0.05)(clf, X, y, sample_domain=sd)
    assert got == pytest.approx(expected, rel=1e-10)
    # the mask gives the same target rows as sample_domain
    assert SoftNeighborhoodDensity()(clf, X, y) == pytest.approx(got)


def test_importance_weighted_scorer_formula():
    X, y, sd, ys, yt = make_da()
    clf = LogisticRegression().fit(X[sd >= 0], ys)
    w = DiscriminatorReweight().fit_weights(X, sample_domain=sd)[sd >= 0]
    correct = clf.predict(X[sd >= 0]) == ys
    expected = np.sum(w * correct) / np.sum(w)
    assert ImportanceWeightedScorer()(clf, X, y) == pytest.approx(expected)
    assert ImportanceWeightedScorer()(clf, X, y, sample_domain=sd) == pytest.approx(expected)
    with pytest.raises(ValueError, match="labelled source rows"):
        ImportanceWeightedScorer()(clf, X[sd < 0], y[sd < 0])


@pytest.mark.parametrize("scorer", [SoftNeighborhoodDensity(), ImportanceWeightedScorer()])
def test_grid_search_plain_fit(scorer):
    X, y, sd, ys, yt = make_da(n_source=24, n_target=24)
    cv = SourceTargetShuffleSplit(n_splits=2, test_size=0.3, random_state=0)
    gs = GridSearchCV(JDOTClassifier(max_iter=3), {"alpha": [0.2, 0.8]}, cv=cv, scoring=scorer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gs.fit(X, y)
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    assert gs.best_params_["alpha"] in (0.2, 0.8)


def test_grid_search_with_routing():
    X, y, sd, ys, yt = make_da(n_source=24, n_target=24)
    yu = np.r_[ys, yt]  # unmasked labels: sample_domain says which rows are target
    cv = SourceTargetShuffleSplit(n_splits=2, test_size=0.3, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = JDOTClassifier(max_iter=3)
        scores = cross_val_score(
            est, X, yu, cv=cv, scoring=SoftNeighborhoodDensity(), params={"sample_domain": sd}
        )
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
