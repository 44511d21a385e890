"""sample_weight (masses of the domains) and verbose output of skot.da."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier

from skot.da import (
    ClassRegularizedTransport,
    DomainAdaptationClassifier,
    EMDTransport,
    LinearTransport,
    OTLabelPropagation,
    SinkhornTransport,
    UnbalancedSinkhornTransport,
)
from skot.ot import sinkhorn_lpl1_mm

from .._reference import da as ref
from .conftest import make_da

TIGHT = {"tol": 1e-13, "max_iter": 20000}


def _weighted_problem(n_source=9, n_target=7, seed=0):
    X, y, sd, _ys, _yt = make_da(n_source=n_source, n_target=n_target, seed=seed)
    w = np.random.RandomState(seed + 1).randint(1, 4, size=X.shape[0])
    return X, y, sd, w


def _repeat(X, y, sd, w):
    idx = np.repeat(np.arange(X.shape[0]), w)
    return X[idx], y[idx], sd[idx], idx


def _aggregate(P, rows, cols):
    """Sum the coupling of repeated rows/columns back onto the original ones."""
    out = np.zeros((rows.max() + 1, P.shape[1]))
    np.add.at(out, rows, P)
    out2 = np.zeros((out.shape[0], cols.max() + 1))
    np.add.at(out2.T, cols, out.T)
    return out2


@pytest.mark.parametrize(
    "est",
    [
        EMDTransport(),
        SinkhornTransport(0.5, **TIGHT),
        SinkhornTransport(0.5, method="log", **TIGHT),
        UnbalancedSinkhornTransport(1.0, 0.5, **TIGHT),
        # the class-regularised transports (lpl1: the target masses enter its
        # penalty as row counts, issue #11 defect 7; l1l2: scale-free already)
        ClassRegularizedTransport(0.5, 1.0, max_inner_iter=20000, tol=1e-13),
        ClassRegularizedTransport(
            0.5, 1.0, penalty="l1l2", max_iter=5, max_inner_iter=20000, tol=1e-13
        ),
    ],
    ids=["emd", "sinkhorn", "sinkhorn-log", "unbalanced", "lpl1", "l1l2"],
)
def test_integer_weights_equal_repeated_rows(est):
    X, y, sd, w = _weighted_problem()
    Xr, yr, sdr, idx = _repeat(X, y, sd, w)
    weighted = clone(est).fit(X, y, sample_weight=w, sample_domain=sd)
    repeated = clone(est).fit(Xr, yr, sample_domain=sdr)
    n_s = int((sd > 0).sum())
    rows = idx[sdr > 0]
    cols = idx[sdr < 0] - n_s
    P = repeated.coupling_
    if isinstance(est, UnbalancedSinkhornTransport):
        # the unbalanced problem's masses are not normalised away: compare the
        # normalised masses of both problems on the same scale
        P = P * (w[sd > 0].sum() / (sdr > 0).sum())
    np.testing.assert_allclose(weighted.coupling_, _aggregate(P, rows, cols), atol=1e-9)
    if isinstance(est, SinkhornTransport):
        # strictly convex: repeated rows share their mass equally, so they map
        # (fitted and new rows) exactly like the weighted row
        Xnew = np.random.RandomState(7).randn(5, 2) + 1.0
        np.testing.assert_allclose(
            weighted.transform(Xnew, sample_domain=1),
            repeated.transform(Xnew, sample_domain=1),
            atol=1e-9,
        )
        np.testing.assert_allclose(
            weighted.transform(X, sample_domain=sd)[idx],
            repeated.transform(Xr, sample_domain=sdr),
            atol=1e-9,
        )


def test_linear_weights_equal_repeated_rows_and_reference():
    X, y, sd, w = _weighted_problem(n_source=14, n_target=11)
    Xr, yr, sdr, _idx = _repeat(X, y, sd, w)
    weighted = LinearTransport().fit(X, y, sample_weight=w, sample_domain=sd)
    repeated = LinearTransport().fit(Xr, yr, sample_domain=sdr)
    np.testing.assert_allclose(weighted.A_, repeated.A_, atol=1e-9)
    np.testing.assert_allclose(weighted.B_, repeated.B_, atol=1e-9)
    np.testing.assert_allclose(weighted.A1_, repeated.A1_, atol=1e-9)
    s, t = sd > 0, sd < 0
    A, B = ref.weighted_bures_map(X[s], X[t], w[s], w[t])
    np.testing.assert_allclose(weighted.A_, A, atol=1e-8)
    np.testing.assert_allclose(weighted.B_, B, atol=1e-8)


def test_zero_weight_rows_are_dropped():
    X, y, sd, w = _weighted_problem(n_source=10, n_target=8)
    w = w.astype(float)
    w[[2, 12]] = 0.0  # one source row, one target row
    keep = w > 0
    for est in (EMDTransport(), SinkhornTransport(0.5, **TIGHT)):
        weighted = clone(est).fit(X, y, sample_weight=w, sample_domain=sd)
        dropped = clone(est).fit(X[keep], y[keep], sample_weight=w[keep], sample_domain=sd[keep])
        P = weighted.coupling_
        np.testing.assert_allclose(P[2], 0.0, atol=1e-300)
        np.testing.assert_allclose(P[:, 12 - 10], 0.0, atol=1e-300)
        Pk = np.delete(np.delete(P, 2, axis=0), 2, axis=1)
        np.testing.assert_allclose(Pk, dropped.coupling_, atol=1e-9)
        # a massless fitted row stays where it is
        out = weighted.transform(X, sample_domain=sd)
        np.testing.assert_array_equal(out[2], X[2])


def test_weights_equal_pot_with_explicit_masses():
    ot = pytest.importorskip("ot")
    X, y, sd, _w = _weighted_problem(n_source=12, n_target=10)
    rng = np.random.RandomState(3)
    w = rng.rand(X.shape[0]) + 0.1
    s, t = sd > 0, sd < 0
    a, b = w[s] / w[s].sum(), w[t] / w[t].sum()
    M = ot.dist(X[s], X[t])
    emd = EMDTransport().fit(X, y, sample_weight=w, sample_domain=sd)
    np.testing.assert_allclose(emd.coupling_, ot.emd(a, b, M), atol=1e-10)
    sk = SinkhornTransport(0.5, **TIGHT).fit(X, y, sample_weight=w, sample_domain=sd)
    np.testing.assert_allclose(
        sk.coupling_,
        ot.sinkhorn(a, b, M, 0.5, method="sinkhorn_log", numItermax=20000, stopThr=1e-13),
        atol=1e-9,
    )
    np.testing.assert_allclose(sk.coupling_, ref.sinkhorn(a, b, M, 0.5), atol=1e-9)
    ub = UnbalancedSinkhornTransport(1.0, 0.5, **TIGHT).fit(X, y, sample_weight=w, sample_domain=sd)
    np.testing.assert_allclose(
        ub.coupling_,
        ot.unbalanced.sinkhorn_unbalanced(a, b, M, 1.0, 0.5, numItermax=20000, stopThr=1e-13),
        atol=1e-9,
    )
    ys = y[s]
    cr = ClassRegularizedTransport(1.0, 0.5, tol=1e-13, max_inner_iter=20000).fit(
        X, y, sample_weight=w, sample_domain=sd
    )
    # lpl1 counts a target row of weight w_j as w_j rows of the unit mass
    # 1 / sum(w_target) (issue #11): POT's algorithm is the function layer's
    # default (no unit mass), and the transporter equals it given the unit
    P = ot.da.sinkhorn_lpl1_mm(a, ys, b, M, 1.0, 0.5, numInnerItermax=20000, stopInnerThr=1e-13)
    kw = {"max_inner_iter": 20000, "tol": 1e-13}
    np.testing.assert_allclose(sinkhorn_lpl1_mm(a, ys, b, M, 1.0, 0.5, **kw).plan, P, atol=1e-9)
    unit = 1.0 / w[t].sum()
    P_unit = sinkhorn_lpl1_mm(a, ys, b, M, 1.0, 0.5, target_unit_mass=unit, **kw).plan
    np.testing.assert_allclose(cr.coupling_, P_unit, atol=1e-12)
    assert np.abs(P_unit - P).max() > 1e-6
    # the weighted barycentric map of the fitted rows
    np.testing.assert_allclose(
        sk.transform(X[s], sample_domain=1), ref.barycentric_map(sk.coupling_, X[t]), atol=1e-10
    )


def test_uniform_weights_change_nothing(da_data):
    X, y, sd, _ys, _yt = da_data
    for est in (EMDTransport(), SinkhornTransport(), LinearTransport()):
        a = clone(est).fit_transform(X, y, sample_domain=sd)
        b = clone(est).fit_transform(X, y, sample_weight=np.full(len(X), 2.5), sample_domain=sd)
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_sample_weight_errors(da_data):
    X, y, sd, _ys, _yt = da_data
    est = SinkhornTransport()
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        est.fit(X, y, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        est.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        est.fit(X, y, sample_weight=np.full(len(X), np.nan))
    w = np.ones(len(X))
    w[sd > 0] = 0
    with pytest.raises(ValueError, match="source rows are all zero"):
        EMDTransport().fit(X, y, sample_weight=w, sample_domain=sd)
    with pytest.raises(ValueError, match="source rows are all zero"):
        DomainAdaptationClassifier().fit(X, y, sample_weight=w, sample_domain=sd)
    w = np.ones(len(X))
    w[sd < 0] = 0
    with pytest.raises(ValueError, match="target rows are all zero"):
        LinearTransport().fit(X, y, sample_weight=w, sample_domain=sd)
    with pytest.raises(ValueError, match="target rows are all zero"):
        OTLabelPropagation().fit(X, y, sample_weight=w, sample_domain=sd)


class _WeightSpy(ClassifierMixin, BaseEstimator):
    """Nearest-centroid classifier that records the weights it was fitted with."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.seen_weight_ = None if sample_weight is None else np.asarray(sample_weight)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        self.centres_ = np.array(
            [np.average(X[y == c], axis=0, weights=w[y == c]) for c in self.classes_]
        )
        return self

    def predict(self, X):
        d = ((np.asarray(X)[:, None, :] - self.centres_[None]) ** 2).sum(-1)
        return self.classes_[d.argmin(1)]


def test_classifier_passes_weights_to_transport_and_estimator(da_data):
    X, y, sd, _ys, _yt = da_data
    w = np.random.RandomState(0).rand(len(X)) + 0.5
    clf = DomainAdaptationClassifier(_WeightSpy(), SinkhornTransport(0.5)).fit(
        X, y, sample_weight=w, sample_domain=sd
    )
    np.testing.assert_array_equal(clf.estimator_.seen_weight_, w[sd > 0])
    alone = SinkhornTransport(0.5).fit(X, y, sample_weight=w, sample_domain=sd)
    np.testing.assert_array_equal(clf.transport_.coupling_, alone.coupling_)
    # an estimator without sample_weight still trains (the transport is weighted)
    knn = DomainAdaptationClassifier(KNeighborsClassifier(3), SinkhornTransport(0.5)).fit(
        X, y, sample_weight=w, sample_domain=sd
    )
    np.testing.assert_array_equal(knn.transport_.coupling_, alone.coupling_)
    # label propagation: weighted coupling, target weights to its estimator
    lp = OTLabelPropagation(_WeightSpy(), transport=SinkhornTransport(0.5)).fit(
        X, y, sample_weight=w, sample_domain=sd
    )
    np.testing.assert_array_equal(lp.transport_.coupling_, alone.coupling_)
    np.testing.assert_array_equal(lp.estimator_.seen_weight_, w[sd < 0])
    np.testing.assert_allclose(lp.label_distributions_, alone.transform_labels(y[sd > 0]))


def test_classifier_weights_equal_repeated_rows():
    X, y, sd, w = _weighted_problem(n_source=20, n_target=16)
    Xr, yr, sdr, _idx = _repeat(X, y, sd, w)
    Xnew = np.random.RandomState(4).randn(30, 2) * 2 + np.array([3.0, 1.0])
    for clf in (
        DomainAdaptationClassifier(_WeightSpy(), SinkhornTransport(0.5, **TIGHT)),
        OTLabelPropagation(transport=SinkhornTransport(0.5, **TIGHT)),
    ):
        a = clone(clf).fit(X, y, sample_weight=w, sample_domain=sd)
        b = clone(clf).fit(Xr, yr, sample_domain=sdr)
        np.testing.assert_array_equal(a.predict(Xnew), b.predict(Xnew))


def test_classifier_refuses_weights_its_transport_cannot_take(da_data):
    X, y, sd, _ys, _yt = da_data

    class NoWeight(SinkhornTransport):
        def fit(self, X, y=None, *, sample_domain=None):
            return super().fit(X, y, sample_domain=sample_domain)

        def fit_transform(self, X, y=None, *, sample_domain=None):
            return super().fit_transform(X, y, sample_domain=sample_domain)

    with pytest.raises(TypeError, match="does not accept"):
        DomainAdaptationClassifier(transport=NoWeight()).fit(
            X, y, sample_weight=np.ones(len(X)), sample_domain=sd
        )
    with pytest.raises(TypeError, match="does not accept"):
        OTLabelPropagation(transport=NoWeight()).fit(
            X, y, sample_weight=np.ones(len(X)), sample_domain=sd
        )


# ------------------------------------------------------------------ verbose


@pytest.mark.parametrize(
    "est",
    [
        EMDTransport(),
        SinkhornTransport(),
        SinkhornTransport(method="sns"),
        UnbalancedSinkhornTransport(),
        ClassRegularizedTransport(),
        ClassRegularizedTransport(penalty="l1l2"),
    ],
    ids=["emd", "sinkhorn", "sns", "unbalanced", "lpl1", "l1l2"],
)
def test_verbose_transport_prints_progress(est, da_data, capsys):
    X, y, _sd, _ys, _yt = da_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clone(est).fit(X, y)
        assert capsys.readouterr().out == ""
        quiet = clone(est).fit(X, y).coupling_
        capsys.readouterr()
        loud = clone(est).set_params(verbose=1).fit(X, y).coupling_
    out = capsys.readouterr().out
    name = type(est).__name__
    assert f"{name}: 30 source x 24 target rows" in out
    assert "iterations" in out and "marginal error" in out
    np.testing.assert_array_equal(quiet, loud)  # printing changes nothing
    if isinstance(est, ClassRegularizedTransport):
        assert "outer iteration 1" in out


def test_verbose_two_shows_solver_messages(da_data, capsys):
    X, y, _sd, _ys, _yt = da_data
    SinkhornTransport(method="sns", verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "SinkhornTransport:" in out
    assert len(out.splitlines()) > 1


def test_verbose_linear_and_classifiers(da_data, capsys):
    X, y, _sd, _ys, _yt = da_data
    LinearTransport(verbose=1).fit(X, y)
    assert "LinearTransport: Gaussian maps between 30 source and 24 target" in (
        capsys.readouterr().out
    )
    DomainAdaptationClassifier(transport=EMDTransport(), verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "DomainAdaptationClassifier: transport EMDTransport fitted" in out
    assert "EMDTransport: 30 source x 24 target rows" in out  # the transport's progress
    assert "estimator SVC fitted on 30 transported source rows" in out
    clf = OTLabelPropagation(transport=SinkhornTransport(), verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "OTLabelPropagation: transport SinkhornTransport fitted" in out
    assert "marginal error" in out
    # the user's transport parameters are not changed, only the fitted clone's
    assert clf.transport.verbose == 0 and clf.transport_.verbose == 1
    DomainAdaptationClassifier(transport=EMDTransport()).fit(X, y)
    assert capsys.readouterr().out == ""
