"""Optimal leaf ordering (linkage(optimal_ordering=True)) and dendrogram-ready trees."""

import itertools

import numpy as np
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import adjusted_rand_score

from skot.cluster import leaves_list, optimal_leaf_ordering
from skot.cluster._linkage import linkage

pytestmark = pytest.mark.kernel

METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]


def _cost(Z, D):
    o = hierarchy.leaves_list(Z)
    return D[o[:-1], o[1:]].sum()


def _brute_force_cost(Z, D):
    """The least adjacent-distance sum over all 2^(n-1) child orders."""
    n = Z.shape[0] + 1
    best = np.inf
    for flips in itertools.product((False, True), repeat=n - 1):
        Zf = Z.copy()
        for i, f in enumerate(flips):
            if f:
                Zf[i, [0, 1]] = Zf[i, [1, 0]]
        best = min(best, _cost(Zf, D))
    return best


def _same_tree(Zo, Z):
    """Zo is Z with (possibly) the two children of some rows swapped."""
    np.testing.assert_array_equal(Zo[:, 2:], Z[:, 2:])
    np.testing.assert_array_equal(np.sort(Zo[:, :2], axis=1), np.sort(Z[:, :2], axis=1))


@pytest.mark.parametrize("method", ["single", "average", "ward", "centroid"])
def test_optimal_against_exhaustive_search(method):
    for seed in range(6):
        X = np.random.RandomState(seed).normal(size=(9, 2))
        D = squareform(pdist(X))
        Z = linkage(X, method)
        Zo = linkage(X, method, optimal_ordering=True)
        _same_tree(Zo, Z)
        assert _cost(Zo, D) == pytest.approx(_brute_force_cost(Z, D), rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_never_costlier_than_scipy_and_equal_when_scipy_is_optimal(method):
    """scipy's optimal_leaf_ordering is not always optimal (scipy issue #11227)."""
    for seed in range(8):
        X = np.random.RandomState(seed).normal(size=(12 + 5 * seed, 3))
        y = pdist(X)
        D = squareform(y)
        Zs = hierarchy.linkage(y, method, optimal_ordering=True)
        Zo = linkage(y, method, optimal_ordering=True)
        hierarchy.is_valid_linkage(Zo, throw=True)
        _same_tree(Zo, linkage(y, method))
        assert _cost(Zo, D) <= _cost(Zs, D) * (1 + 1e-12)
        if np.isclose(_cost(Zo, D), _cost(Zs, D), rtol=1e-12):
            np.testing.assert_array_equal(hierarchy.leaves_list(Zo), hierarchy.leaves_list(Zs))
    # the three forms of the distances give one answer
    X = np.random.RandomState(9).normal(size=(20, 3))
    Zo = linkage(X, method, optimal_ordering=True)
    Zc = linkage(pdist(X), method, optimal_ordering=True)  # heights may differ by rounding
    np.testing.assert_array_equal(Zc[:, [0, 1, 3]], Zo[:, [0, 1, 3]])
    np.testing.assert_array_equal(
        linkage(squareform(pdist(X)), method, "precomputed", optimal_ordering=True), Zc
    )
    np.testing.assert_array_equal(optimal_leaf_ordering(linkage(X, method), X), Zo)


def test_scipy_issue_11227_example():
    D = np.array(
        [
            [0.0, 0.46680166, 0.7747411, 0.79942054],
            [0.46680166, 0.0, 0.28626558, 0.68441929],
            [0.7747411, 0.28626558, 0.0, 0.74692541],
            [0.79942054, 0.68441929, 0.74692541, 0.0],
        ]
    )
    Z = linkage(squareform(D), "complete", optimal_ordering=True)
    np.testing.assert_array_equal(hierarchy.leaves_list(Z), [0, 1, 2, 3])


def test_dendrogram_ready():
    X = np.random.RandomState(3).normal(size=(30, 2))
    for optimal in (False, True):
        Z = linkage(X, "average", optimal_ordering=optimal)
        R = hierarchy.dendrogram(Z, no_plot=True)
        np.testing.assert_array_equal(R["leaves"], hierarchy.leaves_list(Z))
        np.testing.assert_array_equal(leaves_list(Z), hierarchy.leaves_list(Z))
        np.testing.assert_allclose(
            hierarchy.cophenet(Z, pdist(X))[0],
            hierarchy.cophenet(hierarchy.linkage(X, "average"), pdist(X))[0],
        )
        # the same flat clusters (numbered in another order when reordered)
        assert (
            adjusted_rand_score(
                hierarchy.fcluster(Z, 4, "maxclust"),
                hierarchy.fcluster(hierarchy.linkage(X, "average"), 4, "maxclust"),
            )
            == 1.0
        )


def test_ordering_other_metrics_and_small_inputs():
    X = np.random.RandomState(4).normal(size=(15, 3))
    for metric in ("cityblock", "manhattan", "cosine"):
        Zo = linkage(X, "average", metric, optimal_ordering=True)
        name = "cityblock" if metric == "manhattan" else metric
        D = squareform(pdist(X, name))
        assert _cost(Zo, D) <= _cost(hierarchy.linkage(X, "average", name, True), D) + 1e-12
    np.testing.assert_array_equal(
        linkage(X[:2], optimal_ordering=True), hierarchy.linkage(X[:2], optimal_ordering=True)
    )
    # extreme scales keep the order
    np.testing.assert_array_equal(
        linkage(X * 2.0**700, "ward", optimal_ordering=True)[:, :2],
        linkage(X, "ward", optimal_ordering=True)[:, :2],
    )


def test_optimal_leaf_ordering_errors():
    X = np.random.RandomState(5).normal(size=(6, 2))
    Z = linkage(X)
    with pytest.raises(ValueError, match="valid linkage"):
        optimal_leaf_ordering(Z[:, :3], X)
    with pytest.raises(ValueError, match="15 distances"):
        optimal_leaf_ordering(Z, pdist(X)[:-1])
    with pytest.raises(ValueError, match="6 leaves"):
        optimal_leaf_ordering(Z, X[:5])
    with pytest.raises(ValueError, match="NaN"):
        optimal_leaf_ordering(Z, np.full((6, 2), np.nan))
