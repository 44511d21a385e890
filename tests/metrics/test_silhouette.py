"""skot.metrics: silhouette and medoid silhouette against scikit-learn and kmedoids."""

import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.datasets import make_blobs

from skot.metrics import (
    medoid_silhouette,
    medoid_silhouette_samples,
    silhouette_samples,
    silhouette_score,
)
from skot.utils._numba import parallel_policy


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(160, 4, centers=5, random_state=0)
    y[:1] = 7  # a singleton cluster (scores 0)
    return X, y


def _reference_weighted(D, y, w):
    """Slow reference: weighted means over the other points."""
    n = D.shape[0]
    s = np.zeros(n)
    for i in range(n):
        own = (y == y[i]) & (np.arange(n) != i)
        if w[own].sum() == 0:
            continue
        a = np.dot(w[own], D[i, own]) / w[own].sum()
        b = min(
            np.dot(w[y == c], D[i, y == c]) / w[y == c].sum() for c in np.unique(y) if c != y[i]
        )
        s[i] = (b - a) / max(a, b)
    return s


def test_precomputed_bits_equal_sklearn(data):
    X, y = data
    D = skm.pairwise_distances(X)
    ours = silhouette_samples(D, y, metric="precomputed")
    np.testing.assert_array_equal(ours, skm.silhouette_samples(D, y, metric="precomputed"))
    assert ours[0] == 0.0
    assert silhouette_score(D, y, metric="precomputed") == pytest.approx(
        skm.silhouette_score(D, y, metric="precomputed"), abs=1e-15
    )


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "sqeuclidean", "chebyshev", "cosine"])
def test_features_equal_sklearn(data, metric):
    X, y = data
    ours = silhouette_samples(X, y, metric=metric)
    np.testing.assert_allclose(ours, skm.silhouette_samples(X, y, metric=metric), atol=1e-12)
    assert silhouette_score(X, y, metric=metric) == pytest.approx(
        skm.silhouette_score(X, y, metric=metric), abs=1e-12
    )


def test_parallel_equals_serial_and_float32(data):
    X, y = data
    D = skm.pairwise_distances(X)
    with parallel_policy("never"):
        c = silhouette_samples(D, y, metric="precomputed")
    with parallel_policy("always"):
        d = silhouette_samples(D, y, metric="precomputed", n_jobs=2)
    np.testing.assert_array_equal(c, d)
    X32 = X.astype(np.float32)
    X32.setflags(write=False)
    s32 = silhouette_samples(X32, y)
    assert s32.dtype == np.float32
    np.testing.assert_allclose(s32, c, atol=1e-5)


def test_sample_weight(data):
    X, y = data
    D = skm.pairwise_distances(X)
    w = np.random.RandomState(0).rand(X.shape[0])
    ours = silhouette_samples(X, y, sample_weight=w)
    np.testing.assert_allclose(ours, _reference_weighted(D, y, w), atol=1e-12)
    score = silhouette_score(X, y, sample_weight=w)
    assert score == pytest.approx(np.dot(w, ours) / w.sum(), abs=1e-14)
    ones = silhouette_samples(X, y, sample_weight=np.ones(X.shape[0]))
    np.testing.assert_array_equal(ones, silhouette_samples(X, y))


def test_no_full_matrix_for_exact_metrics(data, monkeypatch):
    """O(n) memory: the exact metrics never call pairwise_distances."""
    X, y = data
    from skot.metrics import _silhouette

    def refuse(*args, **kwargs):
        raise AssertionError("no distance matrix expected")

    monkeypatch.setattr(_silhouette, "pairwise_distances", refuse)
    silhouette_samples(X, y)
    monkeypatch.setattr(_silhouette, "_BLOCK_ENTRIES", 500)  # cosine: blocks of 3 rows
    monkeypatch.undo()
    monkeypatch.setattr(_silhouette, "_BLOCK_ENTRIES", 500)
    np.testing.assert_allclose(
        silhouette_samples(X, y, metric="cosine"),
        skm.silhouette_samples(X, y, metric="cosine"),
        atol=1e-12,
    )


def test_sample_size(data):
    X, y = data
    a = silhouette_score(X, y, sample_size=60, random_state=3)
    b = skm.silhouette_score(X, y, sample_size=60, random_state=3)
    assert a == pytest.approx(b, abs=1e-12)


def test_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="Number of labels is 1"):
        silhouette_samples(X, np.zeros(X.shape[0]))
    with pytest.raises(ValueError, match="labels must have shape"):
        silhouette_samples(X, y[:5])
    D = skm.pairwise_distances(X)
    D2 = D + 1.0
    with pytest.raises(ValueError, match="diagonal"):
        silhouette_samples(D2, y, metric="precomputed")
    with pytest.raises(ValueError, match="non-negative"):
        silhouette_samples(-D, y, metric="precomputed")
    with pytest.raises(ValueError, match="n_jobs=0"):
        silhouette_samples(X, y, n_jobs=0)
    with pytest.raises(ValueError, match="sample_weight"):
        silhouette_samples(X, y, sample_weight=-np.ones(X.shape[0]))
    with pytest.raises(ValueError, match="metric"):
        silhouette_samples(X, y, metric="nope")


def test_medoid_silhouette_equals_kmedoids(data):
    kmedoids = pytest.importorskip("kmedoids")
    X, _ = data
    D = skm.pairwise_distances(X)
    med = np.array([3, 50, 100, 7])
    ams, samples = kmedoids.medoid_silhouette(D, med, True)
    assert medoid_silhouette(D, med, metric="precomputed") == ams
    np.testing.assert_array_equal(medoid_silhouette_samples(D, med, metric="precomputed"), samples)
    assert medoid_silhouette(X, med) == pytest.approx(ams, rel=1e-12)
    # duplicates: a zero distance gives 1 (the reference's convention)
    Xd = np.vstack([X, X[:1]])
    s = medoid_silhouette_samples(Xd, [0, 160])
    assert s[0] == 1.0 and s[160] == 1.0
    w = np.random.RandomState(1).rand(X.shape[0])
    assert medoid_silhouette(X, med, sample_weight=w) == pytest.approx(
        np.dot(w, samples) / w.sum(), rel=1e-12
    )
    assert medoid_silhouette_samples(X.astype(np.float32), med).dtype == np.float32
    with pytest.raises(ValueError, match="at least 2"):
        medoid_silhouette(X, [3])
    with pytest.raises(ValueError, match="distinct"):
        medoid_silhouette(X, [3, 3])
    with pytest.raises(ValueError, match=r"in \[0, 159\]"):
        medoid_silhouette(X, [3, 500])
