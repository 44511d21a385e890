"""Medoid-silhouette clustering: FastMSC, FasterMSC, DynMSC against the kmedoids package."""

import itertools

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import pairwise_distances as sk_pairwise

from skot.cluster import KMedoids
from skot.cluster._msc import dynmsc, fastermsc, fastmsc
from skot.metrics import medoid_silhouette


def _matrix(seed, n=120, dtype=np.float64):
    X, _ = make_blobs(n, 3, centers=4, random_state=seed)
    D = sk_pairwise(X)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0)
    return X, D.astype(dtype)


def _ams(D, med):
    """Slow reference: average of 1 - d1/d2 (1 when either is 0)."""
    Dm = np.sort(D[:, med], axis=1)
    d1, d2 = Dm[:, 0], Dm[:, 1]
    r = np.where((d1 == 0) | (d2 == 0), 0.0, d1 / np.where(d2 == 0, 1, d2))
    return 1 - r.mean()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_equal_to_kmedoids_package(seed, k, dtype):
    kmedoids = pytest.importorskip("kmedoids")
    _, D = _matrix(seed, dtype=dtype)
    init = np.random.RandomState(seed).choice(D.shape[0], k, replace=False)
    for ours, theirs in ((fastermsc, kmedoids.fastermsc), (fastmsc, kmedoids.fastmsc)):
        r = ours(D, init.copy())
        t = theirs(D, init.copy(), max_iter=300)
        np.testing.assert_array_equal(r.medoids, t.medoids)
        assert 1 - r.loss / D.shape[0] == pytest.approx(t.loss, rel=1e-12, abs=1e-12)
        assert r.n_swaps == t.n_swap
        ams = medoid_silhouette(D, r.medoids, metric="precomputed")
        assert ams == pytest.approx(1 - r.loss / D.shape[0], rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kmax, kmin", [(6, 2), (6, 3), (5, 5)])
def test_dynmsc_equal_to_kmedoids_package(seed, kmax, kmin):
    kmedoids = pytest.importorskip("kmedoids")
    _, D = _matrix(seed)
    init = np.random.RandomState(seed).choice(D.shape[0], kmax, replace=False)
    r = dynmsc(D, init.copy(), min_clusters=kmin)
    t = kmedoids.dynmsc(D, init.copy(), minimum_k=kmin, max_iter=300)
    assert r.n_clusters == t.bestk
    np.testing.assert_array_equal(r.medoids, t.medoids)
    np.testing.assert_array_equal(r.ks, np.asarray(list(t.rangek)))
    np.testing.assert_allclose(r.scores, t.losses, rtol=1e-12)
    assert r.scores.max() == pytest.approx(t.loss, rel=1e-12)


def test_brute_force_optimum_on_tiny_input():
    _, D = _matrix(0, n=14)
    best = max((_ams(D, list(c)), c) for c in itertools.combinations(range(D.shape[0]), 3))
    for f in (fastermsc, fastmsc):
        r = f(D, 3)
        assert 1 - r.loss / D.shape[0] == pytest.approx(best[0], rel=1e-12)
    # dynmsc's best k: the brute-force best over k in 2..4
    scores = {
        k: max(_ams(D, list(c)) for c in itertools.combinations(range(D.shape[0]), k))
        for k in (2, 3, 4)
    }
    r = dynmsc(D, 4)
    assert r.scores.max() == pytest.approx(max(scores.values()), rel=1e-12)


def test_sample_weight_equals_repetition():
    X, D = _matrix(1, n=40)
    w = np.random.RandomState(0).randint(1, 4, size=40)
    rep = np.repeat(np.arange(40), w)
    init = np.array([0, 10, 20])
    a = fastmsc(D, init.copy(), sample_weight=w.astype(float))
    # repeated rows: the same medoid silhouette for the same medoids
    b_loss = 1 - medoid_silhouette(D[np.ix_(rep, rep)], np.searchsorted(rep, a.medoids),
                                   metric="precomputed")  # fmt: skip
    assert a.loss / w.sum() == pytest.approx(b_loss, rel=1e-12)
    assert medoid_silhouette(D, a.medoids, metric="precomputed", sample_weight=w) == (
        pytest.approx(1 - a.loss / w.sum(), rel=1e-12)
    )


@pytest.mark.parametrize("method", ["fastermsc", "fastmsc", "dynmsc"])
def test_estimator(method):
    X, _ = make_blobs(150, 3, centers=4, random_state=2)
    k = 7 if method == "dynmsc" else 4
    km = KMedoids(k, method=method).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    assert km.n_clusters_ == km.medoid_indices_.shape[0]
    assert km.medoid_silhouette_ == pytest.approx(medoid_silhouette(X, km.medoid_indices_))
    assert km.inertia_ == pytest.approx(km.transform(X).min(axis=1).sum())
    assert km.transform(X).shape == (150, km.n_clusters_)
    if method == "dynmsc":
        assert sorted(km.medoid_silhouette_per_k_) == list(range(2, 8))
        assert max(km.medoid_silhouette_per_k_.values()) == km.medoid_silhouette_
        assert km.n_clusters_ == 4
    else:
        assert not hasattr(km, "medoid_silhouette_per_k_")
    # refitting with another method drops the silhouette attributes
    km.set_params(method="fasterpam", n_clusters=4).fit(X)
    assert not hasattr(km, "medoid_silhouette_")


def test_estimator_restarts_and_errors():
    X, _ = make_blobs(100, 2, centers=3, random_state=0)
    one = KMedoids(3, method="fastermsc", init="random", n_init=1, random_state=0).fit(X)
    many = KMedoids(3, method="fastermsc", init="random", n_init=4, random_state=0).fit(X)
    assert many.medoid_silhouette_ >= one.medoid_silhouette_ - 1e-12
    single = KMedoids(1, method="fastermsc").fit(X)
    assert single.medoid_silhouette_ == 0.0
    np.testing.assert_array_equal(single.medoid_indices_, KMedoids(1).fit(X).medoid_indices_)
    with pytest.raises(ValueError, match="min_clusters=5 must be at most n_clusters=4"):
        KMedoids(4, method="dynmsc", min_clusters=5).fit(X)
    with pytest.raises(ValueError, match="min_clusters"):
        KMedoids(4, method="dynmsc", min_clusters=1).fit(X)
    D = sk_pairwise(X)
    with pytest.raises(TypeError, match="medoids must be an int"):
        fastermsc(D, True)
