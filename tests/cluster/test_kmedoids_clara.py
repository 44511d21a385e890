"""FastCLARANS and the FastCLARA fixes of issue #12."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import pairwise_distances as sk_pairwise

from skot.cluster import KMedoids, fasterpam
from skot.cluster._clarans import fastclarans, max_neighbor_count
from tests._reference import kmedoids as ref


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(400, 3, centers=6, random_state=3)
    return X


def test_fastclarans_quality_and_reproducibility(blobs):
    X = blobs
    D = sk_pairwise(X)
    best = fasterpam(D, 6).loss
    r = fastclarans(D, 6, random_state=0, max_neighbor=0.2, n_init=3)
    assert r.loss == pytest.approx(ref.loss(D, r.medoids), rel=1e-12)
    assert r.loss <= 1.02 * best
    again = fastclarans(D, 6, random_state=0, max_neighbor=0.2, n_init=3, n_jobs=2)
    np.testing.assert_array_equal(r.medoids, again.medoids)
    km = KMedoids(6, method="fastclarans", init="random", max_neighbor=0.2, n_init=3,
                  random_state=0).fit(X)  # fmt: skip
    np.testing.assert_array_equal(km.medoid_indices_, r.medoids)
    np.testing.assert_array_equal(km.predict(X), km.labels_)


def test_fastclarans_stops_at_a_local_optimum_of_all_k_swaps():
    """With max_neighbor large enough every candidate is drawn: no improving swap is left."""
    X, _ = make_blobs(40, 2, centers=3, random_state=0)
    D = sk_pairwise(X)
    r = fastclarans(D, 3, max_neighbor=2000, random_state=1)
    for j in range(40):
        if j in r.medoids:
            continue
        for b in range(3):
            med = r.medoids.copy()
            med[b] = j
            assert ref.loss(D, med) >= r.loss - 1e-9


def test_fastclarans_edges_and_params():
    D = sk_pairwise(np.random.RandomState(0).rand(10, 2))
    assert fastclarans(D, 10).loss == 0.0
    one = fastclarans(D, 1)
    np.testing.assert_array_equal(one.medoids, fasterpam(D, 1).medoids)
    assert max_neighbor_count(0.025, 1000, 10) == 25
    assert max_neighbor_count(7, 1000, 10) == 7
    with pytest.raises(ValueError, match="max_neighbor"):
        fastclarans(D, 2, max_neighbor=1.5)
    with pytest.raises(ValueError, match="max_neighbor=0.5 is used by method='fastclarans'"):
        KMedoids(2, max_neighbor=0.5).fit(D)


def test_fastclara_weighted_sampling_finds_heavy_points():
    """Three heavy points in 3,000: a uniform sample misses them (inertia 2.5)."""
    rng = np.random.RandomState(0)
    X = rng.rand(3000, 2)
    heavy = np.array([10, 1500, 2999])
    X[heavy] = [[5.0, 5.0], [-5.0, 5.0], [5.0, -5.0]]
    w = np.full(3000, 1e-6)
    w[heavy] = 1e3
    km = KMedoids(4, method="fastclara", random_state=0).fit(X, sample_weight=w)
    assert set(heavy) <= set(km.medoid_indices_.tolist())
    # equal weights keep the historical uniform draw
    a = KMedoids(4, method="fastclara", random_state=0).fit(X)
    b = KMedoids(4, method="fastclara", random_state=0).fit(X, sample_weight=np.full(3000, 2.0))
    np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)


def test_fastclara_init_rows_are_rows_of_X():
    X, _ = make_blobs(3000, 2, centers=3, random_state=0)
    init = np.array([2500, 17, 1234])
    km = KMedoids(3, method="fastclara", init=init, max_iter=0, random_state=0).fit(X)
    np.testing.assert_array_equal(km.medoid_indices_, init)


def test_ignored_parameters_are_refused(blobs):
    X = blobs
    with pytest.raises(ValueError, match="n_init=3 has no meaning with method='fastclara'"):
        KMedoids(3, method="fastclara", n_init=3).fit(X)
    with pytest.raises(ValueError, match="n_sampling=50 is used by method='fastclara' only"):
        KMedoids(3, n_sampling=50).fit(X)
    with pytest.raises(ValueError, match="n_sampling_iter=2 is used by method='fastclara'"):
        KMedoids(3, method="pam", n_sampling_iter=2).fit(X)
    with pytest.raises(ValueError, match="min_clusters=3 is used by method='dynmsc' only"):
        KMedoids(3, min_clusters=3).fit(X)
