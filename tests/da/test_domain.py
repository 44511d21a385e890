"""The (X, y, sample_domain) convention: derivation, validation, errors."""

import numpy as np
import pytest

from skot.da import (
    DomainAdaptationClassifier,
    EMDTransport,
    LinearTransport,
    OTLabelPropagation,
    SinkhornTransport,
    source_target_merge,
    source_target_split,
)
from skot.da._domain import check_sample_domain, masked_labels

from .conftest import make_da


def test_masked_labels_kinds():
    assert masked_labels(np.array([0, -1, 2])).tolist() == [False, True, False]
    # float labels: NaN is the mask when present (then -1.0 is a class or a value)
    assert masked_labels(np.array([0.0, np.nan, -1.0, 1.5])).tolist() == [False, True, False, False]
    assert masked_labels(np.array([0.0, -1.0, 1.0])).tolist() == [False, True, False]
    assert masked_labels(np.array(["a", "-1", "b"], dtype=object)).tolist() == [False, True, False]
    assert masked_labels(np.array(["a", None, -1], dtype=object)).tolist() == [False, True, True]


def test_sample_domain_derived_in_fit_and_all_target_at_transform():
    y = np.array([0, 1, -1, -1])
    assert check_sample_domain(None, 4, y=y, fit=True).tolist() == [1, 1, -2, -2]
    assert check_sample_domain(None, 3, fit=False).tolist() == [-2, -2, -2]
    assert check_sample_domain(-3, 2).tolist() == [-3, -3]
    assert check_sample_domain(np.array([1.0, -2.0]), 2).dtype == np.int64


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([1, -2, 3]), "shape"),
        (np.array([0.5, -2.0]), "integers"),
        (np.array(["a", "b"]), "integers"),
    ],
)
def test_sample_domain_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        check_sample_domain(bad, 2)


def test_fit_never_writes_into_y_or_sample_domain(da_data):
    X, _y, sd, ys, yt = da_data
    y_full = np.concatenate([ys, yt])
    y_before, sd_before = y_full.copy(), sd.copy()
    DomainAdaptationClassifier(transport=EMDTransport()).fit(X, y_full, sample_domain=sd)
    OTLabelPropagation().fit(X, y_full, sample_domain=sd)
    EMDTransport().fit_transform(X, y_full, sample_domain=sd)
    np.testing.assert_array_equal(y_full, y_before)
    np.testing.assert_array_equal(sd, sd_before)


def test_derived_domains_equal_explicit(da_data):
    X, y, sd, ys, yt = da_data
    a = EMDTransport().fit(X, y)
    b = EMDTransport().fit(X, np.concatenate([ys, yt]), sample_domain=sd)
    np.testing.assert_array_equal(a.coupling_, b.coupling_)


def test_nan_masks_target_rows(da_data):
    X, y, _sd, _ys, _yt = da_data
    y_nan = np.where(y == -1, np.nan, y.astype(float))
    a = SinkhornTransport().fit(X, y_nan)
    b = SinkhornTransport().fit(X, y)
    np.testing.assert_array_equal(a.coupling_, b.coupling_)


def test_multi_source_and_target_domains_are_pooled(da_data):
    X, y, sd, _ys, _yt = da_data
    sd_multi = sd.copy()
    sd_multi[:10] = 3
    sd_multi[-5:] = -4
    a = EMDTransport().fit(X, y, sample_domain=sd_multi)
    b = EMDTransport().fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(a.coupling_, b.coupling_)
    assert a.domains_.tolist() == [-4, -2, 1, 3]


@pytest.mark.parametrize(
    "est",
    [
        EMDTransport(),
        SinkhornTransport(),
        LinearTransport(),
        DomainAdaptationClassifier(),
        OTLabelPropagation(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_no_target_rows_error(est):
    X, _y, _sd, ys, yt = make_da()
    with pytest.raises(ValueError, match="no target rows"):
        est.fit(X, np.concatenate([ys, yt]))
    with pytest.raises(ValueError, match="no target rows"):
        est.fit(X, np.concatenate([ys, yt]), sample_domain=np.ones(len(X), dtype=int))


@pytest.mark.parametrize("est", [EMDTransport(), LinearTransport()], ids=lambda e: type(e).__name__)
def test_no_source_rows_error(est):
    X, _y, _sd, _ys, _yt = make_da()
    with pytest.raises(ValueError, match="no source rows"):
        est.fit(X)
    with pytest.raises(ValueError, match="no source rows"):
        est.fit(X, sample_domain=-2)


@pytest.mark.parametrize(
    "est", [DomainAdaptationClassifier(), OTLabelPropagation()], ids=lambda e: type(e).__name__
)
def test_no_labelled_source_rows_error(est):
    X, _y, sd, _ys, _yt = make_da()
    with pytest.raises(ValueError, match="no labelled source rows"):
        est.fit(X, np.full(len(X), np.nan), sample_domain=sd)
    with pytest.raises(ValueError, match="requires y"):
        est.fit(X, None, sample_domain=sd)


@pytest.mark.parametrize(
    "est",
    [
        EMDTransport(),
        LinearTransport(),
        DomainAdaptationClassifier(),
        OTLabelPropagation(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_bad_input_errors(est):
    X, y, sd, _ys, _yt = make_da()
    with pytest.raises(ValueError, match="lengths must match"):
        est.fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_domain"):
        est.fit(X, y, sample_domain=sd[:-1])
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X_nan, y)
    est.fit(X, y)
    method = est.predict if hasattr(est, "predict") else est.transform
    with pytest.raises(ValueError, match="not seen in fit"):
        method(X[:3], sample_domain=[1, 7, -2])
    with pytest.raises(ValueError, match="features"):
        method(X[:, :1])
    with pytest.raises(ValueError, match="NaN"):
        method(X_nan)


def test_partially_labelled_source_rows():
    X, y, sd, _ys, _yt = make_da()
    y2 = y.astype(float)
    y2[0] = np.nan  # NaN: an unlabelled source row (with sample_domain, -1 is a class)
    # the classifier trains on the labelled source rows only
    clf = DomainAdaptationClassifier(transport=EMDTransport()).fit(X, y2, sample_domain=sd)
    assert clf.classes_.tolist() == [0.0, 1.0]
    # label propagation needs every source label
    with pytest.raises(ValueError, match="unlabelled"):
        OTLabelPropagation().fit(X, y2, sample_domain=sd)


def test_split_and_merge_roundtrip():
    rng = np.random.RandomState(0)
    Xs, Xt = rng.randn(5, 3), rng.randn(4, 3)
    X, y, sd = source_target_merge(Xs, Xt, y_source=np.arange(5))
    assert y[-4:].tolist() == [-1] * 4
    Xs2, Xt2, ys2, _yt2 = source_target_split(X, y, sample_domain=sd)
    np.testing.assert_array_equal(Xs2, Xs)
    np.testing.assert_array_equal(Xt2, Xt)
    np.testing.assert_array_equal(ys2, np.arange(5))
    _, y_float, _ = source_target_merge(Xs, Xt, y_source=np.linspace(0, 1, 5))
    assert np.isnan(y_float[-4:]).all()
    with pytest.raises(ValueError, match="same number of columns"):
        source_target_merge(Xs, Xt[:, :2])
    with pytest.raises(ValueError, match="rows"):
        source_target_split(X[:3], sample_domain=sd)
    with pytest.raises(ValueError, match="y_source"):
        source_target_merge(Xs, Xt, y_source=[1, 2])
    with pytest.raises(ValueError, match="y_target"):
        source_target_merge(Xs, Xt, y_source=np.arange(5), y_target=[1])
    with pytest.raises(ValueError, match="at least one"):
        source_target_split(sample_domain=sd)
