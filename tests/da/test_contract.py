"""The domain-adaptation contract (issue #11): masks, sample_domain, score, pipelines.

Each test of a defect fails on the code before the fix.
"""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skot.da import (
    CircularValidationScorer,
    ClassRegularizedTransport,
    DomainAdaptationClassifier,
    EMDTransport,
    OTLabelPropagation,
    PredictionEntropyScorer,
    SinkhornTransport,
    UnbalancedSinkhornTransport,
    make_da_pipeline,
    source_target_split,
)

from .conftest import make_da


# --------------------------------------------------------------- defect 1
def test_transporter_in_plain_pipeline_refused_with_the_fix():
    X, y, sd, _ys, yt = make_da()
    pipe = make_pipeline(SinkhornTransport(0.1, norm="max"), SVC())
    with pytest.raises(ValueError, match="make_da_pipeline"):
        pipe.fit(X, y)
    with pytest.raises(ValueError, match="make_da_pipeline"):
        make_pipeline(StandardScaler(), EMDTransport(), LogisticRegression()).fit(X, y)
    # the fix: the final estimator sees the labelled source rows only
    da = make_da_pipeline(SinkhornTransport(0.1, norm="max"), SVC()).fit(X, y)
    assert da.classes_.tolist() == [0, 1]
    assert set(da.predict(X[sd < 0])) <= {0, 1}
    assert np.mean(da.predict(X[sd < 0]) == yt) > 0.9


def test_plain_pipeline_still_fine_when_nothing_learns_the_mask():
    X, y, sd, _ys, yt = make_da()
    # unsupervised final step: y is not learnt
    out = make_pipeline(EMDTransport(), PCA(1)).fit_transform(X, y)
    assert out.shape == (len(X), 1)
    # a domain-adaptation final step reads the mask itself
    pipe = make_pipeline(
        StandardScaler(), DomainAdaptationClassifier(LogisticRegression(), EMDTransport())
    ).fit(X, y)
    assert pipe.score(X[sd < 0], yt) > 0.9
    # a transporter on its own is unaffected
    EMDTransport().fit_transform(X, y)


# --------------------------------------------------------------- defect 2
def test_score_never_rates_the_mask_and_transports_source_rows():
    X, y, sd, ys, yt = make_da()
    clf = DomainAdaptationClassifier(LogisticRegression(), EMDTransport()).fit(X, y)
    src = sd > 0
    # stacked data without sample_domain: the labelled rows are source rows,
    # predicted as source rows (moved into the target domain), as in fit
    as_source = np.mean(clf.predict(X[src], sample_domain=1) == ys)
    as_target = np.mean(clf.predict(X[src]) == ys)
    assert as_source != as_target  # the two readings differ on this data
    assert clf.score(X, y) == pytest.approx(as_source)
    assert clf.score(X, y, sample_domain=sd) == pytest.approx(as_source)
    # labelled target rows: target accuracy
    assert clf.score(X[~src], yt) == pytest.approx(np.mean(clf.predict(X[~src]) == yt))
    # nothing labelled: a clear error naming the unsupervised scorers
    with pytest.raises(ValueError, match="PredictionEntropyScorer"):
        clf.score(X[~src], y[~src])
    # cross-validation: each fold's score is its labelled rows' accuracy
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(clf, X, y, cv=cv)
    for s, (train, test) in zip(scores, cv.split(X)):
        fold = clone_fit(clf, X[train], y[train])
        lab = y[test] != -1
        expected = np.mean(fold.predict(X[test][lab], sample_domain=1) == y[test][lab])
        assert s == pytest.approx(expected)


def clone_fit(est, X, y):
    from sklearn.base import clone

    return clone(est).fit(X, y)


# --------------------------------------------------------------- defect 3
def test_circular_validation_on_plain_and_da_pipelines_without_routing():
    import sklearn

    assert not sklearn.get_config()["enable_metadata_routing"]
    X, y, sd, ys, _yt = make_da()
    scorer = CircularValidationScorer()
    dac = DomainAdaptationClassifier(KNeighborsClassifier(1), EMDTransport())
    plain = make_pipeline(StandardScaler(), dac).fit(X, y)
    value = scorer(plain, X, y)
    # by hand: label the target, fit the other way round through the mask
    y_rev = y.copy()
    y_rev[sd < 0] = plain.predict(X[sd < 0])
    y_rev[sd > 0] = -1
    reverse = make_pipeline(StandardScaler(), dac).fit(X, y_rev)
    assert value == pytest.approx(np.mean(reverse.predict(X[sd > 0]) == ys))
    da = make_da_pipeline(StandardScaler(), EMDTransport(), KNeighborsClassifier(1)).fit(X, y)
    assert 0.8 <= scorer(da, X, y) <= 1.0
    grid = GridSearchCV(
        make_da_pipeline(EMDTransport(), KNeighborsClassifier(1)),
        {"kneighborsclassifier__n_neighbors": [1, 3]},
        scoring=scorer,
        cv=KFold(2, shuffle=True, random_state=0),
        error_score="raise",
    )
    grid.fit(X, y)
    assert 0.0 <= grid.best_score_ <= 1.0
    grid2 = GridSearchCV(
        make_pipeline(StandardScaler(), dac),
        {"domainadaptationclassifier__estimator__n_neighbors": [1, 3]},
        scoring=scorer,
        cv=KFold(2, shuffle=True, random_state=0),
        error_score="raise",
    ).fit(X, y)
    assert 0.0 <= grid2.best_score_ <= 1.0


# --------------------------------------------------------------- defect 4
@pytest.mark.parametrize(
    "make",
    [
        lambda: DomainAdaptationClassifier(LogisticRegression(), EMDTransport()),
        lambda: OTLabelPropagation(transport=EMDTransport()),
        lambda: make_da_pipeline(EMDTransport(), LogisticRegression()),
    ],
    ids=["classifier", "propagation", "pipeline"],
)
def test_minus_one_is_a_class_with_sample_domain(make):
    X, _y, sd, ys, yt = make_da()
    ys1, yt1 = np.where(ys == 0, -1, 0), np.where(yt == 0, -1, 0)
    y = np.concatenate([ys1, yt1])  # target labels ignored in fit
    est = make().fit(X, y, sample_domain=sd)
    assert est.classes_.tolist() == [-1, 0]
    assert np.mean(est.predict(X[sd < 0]) == yt1) > 0.9
    # -1 is a class of the model, so score counts the -1 rows
    assert est.score(X[sd < 0], yt1, sample_domain=-2) > 0.9
    # the same labels without sample_domain: the -1 rows are the target rows,
    # and one class is left: a clear error, not a silent drop
    with pytest.raises(ValueError, match="pass sample_domain"):
        make().fit(X, np.concatenate([ys1, np.full(len(yt), -1)]))
    ypm = np.concatenate([np.where(ys == 0, -1, 1), np.full(len(yt), -1)])
    with pytest.raises(ValueError, match="pass sample_domain"):
        make().fit(X, ypm)


def test_minus_one_class_in_class_regularized_transport():
    X, _y, sd, ys, yt = make_da()
    y = np.concatenate([np.where(ys == 0, -1, 0), yt])
    ct = ClassRegularizedTransport(0.5, 1.0, norm="max").fit(X, y, sample_domain=sd)
    assert ct.classes_.tolist() == [-1, 0]
    # float labels masked with NaN: -1.0 is a class, without sample_domain too
    yf = np.concatenate([np.where(ys == 0, -1.0, 0.0), np.full(len(yt), np.nan)])
    ct2 = ClassRegularizedTransport(0.5, 1.0, norm="max").fit(X, yf)
    np.testing.assert_allclose(ct2.coupling_, ct.coupling_)


# --------------------------------------------------------------- defect 5
def test_label_propagation_rows_without_mass():
    X, y, sd, _ys, _yt = make_da()
    Xo = np.vstack([X, [[200.0, 200.0]]])  # a far outlier target row
    yo = np.append(y, -1)
    with pytest.warns(UserWarning, match="received no mass"):
        lp = OTLabelPropagation(transport=UnbalancedSinkhornTransport(reg=0.05, reg_m=0.05)).fit(
            Xo, yo
        )
    assert lp.unassigned_[-1] and lp.unassigned_.sum() == 1
    row = lp.label_distributions_[-1]
    np.testing.assert_allclose(row.sum(), 1.0)
    np.testing.assert_allclose(row, 0.5)  # uniform: no label reached it
    with pytest.warns(UserWarning, match="no transported mass"):
        proba = lp.predict_proba(Xo[-1:])
    np.testing.assert_allclose(proba[0], row)
    with pytest.warns(UserWarning, match="no transported mass"):
        lp.predict(Xo[-1:])
    with pytest.warns(UserWarning, match="no transported mass"):
        entropy = PredictionEntropyScorer()(lp, Xo[-1:])
    assert entropy == pytest.approx(-np.log(2))  # the least confident value
    # zero sample_weight on a target row: the same treatment
    w = np.ones(len(X))
    w[-1] = 0.0
    with pytest.warns(UserWarning, match="received no mass"):
        lp0 = OTLabelPropagation(transport=EMDTransport()).fit(X, y, sample_weight=w)
    assert lp0.unassigned_.tolist() == [False] * (len(_yt) - 1) + [True]
    # with an estimator: trained on the rows that received mass only
    with pytest.warns(UserWarning, match="received no mass"):
        lpe = OTLabelPropagation(KNeighborsClassifier(1), EMDTransport()).fit(X, y, sample_weight=w)
    assert lpe.estimator_.n_samples_fit_ == len(_yt) - 1


# --------------------------------------------------------------- defect 6
def test_class_regularized_refuses_continuous_labels():
    X, _y, sd, _ys, _yt = make_da()
    y = np.random.RandomState(0).rand(len(X))
    with pytest.raises(ValueError, match="class labels"):
        ClassRegularizedTransport().fit(X, y, sample_domain=sd)


# --------------------------------------------------------------- defect 8
def test_split_without_sample_domain_and_single_target_row():
    X, y, sd, _ys, _yt = make_da()
    with pytest.raises(ValueError, match="needs sample_domain"):
        source_target_split(X, sample_domain=None)
    with pytest.raises(ValueError, match="one sample_domain per row"):
        source_target_split(X, sample_domain=1)
    n_s = int((sd > 0).sum())
    for est in [
        EMDTransport(),
        SinkhornTransport(),
        DomainAdaptationClassifier(),
        OTLabelPropagation(),
        make_da_pipeline(EMDTransport(), SVC()),
    ]:
        with pytest.raises(ValueError, match="at least 2 target rows"):
            est.fit(X[: n_s + 1], y[: n_s + 1])
        with pytest.raises(ValueError, match="at least 2 source rows"):
            est.fit(X[n_s - 1 :], y[n_s - 1 :])


def test_default_transport_keeps_rotated_digits_accuracy():
    from scipy.ndimage import rotate
    from sklearn.datasets import load_digits

    d = load_digits()
    idx = np.random.RandomState(0).permutation(len(d.target))[:600]
    src, tgt = idx[:300], idx[300:]
    Xs = d.images[src].reshape(len(src), -1)
    Xt = np.array([rotate(im, 20, reshape=False, order=1) for im in d.images[tgt]])
    Xt = Xt.reshape(len(tgt), -1)
    ys, yt = d.target[src], d.target[tgt]
    X = np.vstack([Xs, Xt])
    y = np.concatenate([ys, np.full(len(tgt), -1)])
    base = SVC().fit(Xs, ys).score(Xt, yt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adapted = DomainAdaptationClassifier().fit(X, y).score(Xt, yt)
        old_guide = DomainAdaptationClassifier(transport=SinkhornTransport(norm="max"))
        old = old_guide.fit(X, y).score(Xt, yt)
    assert adapted > base > old
