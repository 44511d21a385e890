"""Connectivity constraints and kNN graphs: BottomUpClustering against scikit-learn."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.neighbors import kneighbors_graph

from skot.cluster._bottom_up import BottomUpClustering
from skot.cluster._hierarchy_connectivity import constrained_linkage

pytestmark = pytest.mark.kernel

METHODS = ["ward", "average", "complete", "single"]


def _data(seed, n=200, p=3):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, p))
    X[: n // 3] += 3
    return X


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("include_self", [False, True])
def test_same_labels_as_sklearn(method, include_self):
    for seed in range(3):
        X = _data(seed)
        G = kneighbors_graph(X, 5, include_self=include_self)
        est = BottomUpClustering(2, linkage=method, connectivity=G).fit(X)
        for k in (2, 3, 7, 25):
            ref = AgglomerativeClustering(k, linkage=method, connectivity=G).fit(X)
            labels = est.labels_at(k)
            # the same partition (scikit-learn numbers clusters differently)
            pairs = set(zip(labels, ref.labels_))
            assert len(pairs) == k, (seed, k)
        # the heights of scikit-learn's full tree
        ref = AgglomerativeClustering(
            None, linkage=method, connectivity=G, distance_threshold=0, compute_full_tree=True
        ).fit(X)
        np.testing.assert_allclose(est.distances_, ref.distances_, rtol=1e-10)
        np.testing.assert_array_equal(np.sort(est.children_, 1), np.sort(ref.children_, 1))


@pytest.mark.parametrize("method", ["average", "single"])
def test_n_neighbors_equals_knn_connectivity(method):
    X = _data(4, n=300)
    est = BottomUpClustering(4, linkage=method, n_neighbors=8).fit(X)
    ref = AgglomerativeClustering(4, linkage=method, connectivity=kneighbors_graph(X, 8)).fit(X)
    assert len(set(zip(est.labels_, ref.labels_))) == 4
    assert est.linkage_matrix_.shape == (299, 4)


def test_callable_dense_precomputed_and_float32():
    X = _data(5, n=120)
    G = kneighbors_graph(X, 6)
    base = BottomUpClustering(3, linkage="average", connectivity=G).fit(X)
    dense = BottomUpClustering(3, linkage="average", connectivity=G.toarray()).fit(X)
    call = BottomUpClustering(
        3, linkage="average", connectivity=lambda Y: kneighbors_graph(Y, 6)
    ).fit(X)
    from scipy.spatial.distance import cdist

    pre = BottomUpClustering(3, linkage="average", metric="precomputed", connectivity=G).fit(
        cdist(X, X)
    )
    for other in (dense, call, pre):
        np.testing.assert_array_equal(other.labels_, base.labels_)
    f32 = BottomUpClustering(3, linkage="average", connectivity=G).fit(X.astype(np.float32))
    assert (f32.labels_ == base.labels_).mean() > 0.95


def test_disconnected_graph_completed_with_warning():
    X = _data(6, n=90)
    X[:30] += 50
    G = kneighbors_graph(X, 3)
    with pytest.warns(UserWarning, match="connected components"):
        est = BottomUpClustering(2, linkage="average", connectivity=G).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = AgglomerativeClustering(2, linkage="average", connectivity=G).fit(X)
    assert len(set(zip(est.labels_, ref.labels_))) == 2
    assert np.isfinite(est.distances_).all()


def test_extreme_scale_constrained():
    X = _data(7, n=80)
    G = kneighbors_graph(X, 5)
    for method in METHODS:
        Z0, _ = constrained_linkage(X, G, method)
        Z1, _ = constrained_linkage(X * 2.0**600, G, method)
        np.testing.assert_array_equal(Z1[:, [0, 1, 3]], Z0[:, [0, 1, 3]])
        np.testing.assert_allclose(Z1[:, 2], Z0[:, 2] * 2.0**600, rtol=1e-13)


def test_connectivity_errors():
    X = _data(8, n=30)
    G = kneighbors_graph(X, 3)
    with pytest.raises(ValueError, match="linkage must be one of"):
        BottomUpClustering(2, linkage="centroid", connectivity=G).fit(X)
    with pytest.raises(ValueError, match="at most one of"):
        BottomUpClustering(2, connectivity=G, n_neighbors=3).fit(X)
    with pytest.raises(ValueError, match="shape"):
        BottomUpClustering(2, connectivity=G[:10, :10]).fit(X)
    with pytest.raises(ValueError, match="n_neighbors=30"):
        BottomUpClustering(2, n_neighbors=30).fit(X)
    with pytest.raises(ValueError, match="adjacency"):
        BottomUpClustering(2, metric="adjacency", connectivity=G).fit(G)
    with pytest.raises(ValueError, match="Euclidean"):
        BottomUpClustering(2, linkage="ward", metric="manhattan", connectivity=G).fit(X)
