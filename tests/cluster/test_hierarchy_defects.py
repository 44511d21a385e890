"""Defects of issue #14 (hierarchy): overflow, centroid/median ties, input forms."""

import warnings

import numpy as np
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform

from skot.cluster._bottom_up import BottomUpClustering
from skot.cluster._linkage import linkage

pytestmark = pytest.mark.kernel

METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]


def _same_tree_scaled(Z, Z0, scale):
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], Z0[:, [0, 1, 3]])
    np.testing.assert_allclose(Z[:, 2], Z0[:, 2] * scale, rtol=1e-13, atol=0)


# ------------------------------------------------------------- overflow


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [1e160, 1e-170])
def test_extreme_scales_give_the_scaled_tree(method, scale):
    """Distances whose squares overflow (or underflow) gave a corrupt tree."""
    X0 = np.random.RandomState(0).normal(size=(20, 3))
    Z0 = linkage(X0, method)
    Z = linkage(X0 * scale, method)
    hierarchy.is_valid_linkage(Z, throw=True)
    _same_tree_scaled(Z, Z0, scale)
    # condensed and square distances at the same scale
    d = pdist(X0) * scale
    _same_tree_scaled(linkage(d, method), linkage(pdist(X0), method), scale)
    _same_tree_scaled(
        linkage(squareform(d), method, "precomputed"),
        linkage(squareform(pdist(X0)), method, "precomputed"),
        scale,
    )


@pytest.mark.parametrize("method", METHODS)
def test_float32_large_features_do_not_overflow(method):
    X0 = np.random.RandomState(1).normal(size=(15, 2)).astype(np.float32)
    Z = linkage(X0 * np.float32(1e37), method)
    assert np.isfinite(Z).all()
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], linkage(X0, method)[:, [0, 1, 3]])


@pytest.mark.parametrize("method", METHODS)
def test_heights_beyond_float64_refused(method):
    X = np.random.RandomState(2).normal(size=(12, 3)) * 1e306
    X[:6, 0] += 1.5e308  # finite features, distances between the halves beyond float64
    X[6:, 0] -= 1.5e308
    with pytest.raises(ValueError, match="finite values"):
        hierarchy.linkage(X, method)  # scipy refuses too
    with pytest.raises(ValueError, match="overflow float64"):
        linkage(X, method)
    with pytest.raises(ValueError, match="overflow float64"):
        BottomUpClustering(2, linkage=method).fit(X)


def test_bottom_up_extreme_scale_same_labels():
    X0 = np.random.RandomState(3).normal(size=(30, 3))
    X0[:10] += 6
    for method in METHODS:
        est0 = BottomUpClustering(3, linkage=method).fit(X0)
        est = BottomUpClustering(3, linkage=method).fit(X0 * 1e160)
        assert est.n_clusters_ == 3
        np.testing.assert_array_equal(est.labels_, est0.labels_)


def test_graph_heavy_weights_same_result():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(40, 2))
    X[:20] += 4
    A = np.exp(-(squareform(pdist(X)) ** 2))
    np.fill_diagonal(A, 0)
    est0 = BottomUpClustering(2, metric="adjacency", n_initial_clusters=4, random_state=0).fit(A)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow inside
        est = BottomUpClustering(2, metric="adjacency", n_initial_clusters=4, random_state=0).fit(
            A * 1e200
        )
    np.testing.assert_array_equal(est.labels_, est0.labels_)
    np.testing.assert_allclose(est.distances_, est0.distances_, rtol=1e-12)


# ------------------------------------------------ centroid / median ties


@pytest.mark.parametrize("method", ["centroid", "median"])
def test_issue_example_ties(method):
    X = np.array([[0.0, 1], [0, 1], [0, 2], [1, 2]])
    expected = hierarchy.linkage(X, method)
    np.testing.assert_allclose(expected[:, 2], [0, 1, np.sqrt(1.25)])
    for Z in (linkage(X, method), linkage(pdist(X), method)):
        np.testing.assert_allclose(Z[:, 2], expected[:, 2], rtol=1e-15)
        np.testing.assert_array_equal(Z[:, [0, 1, 3]], expected[:, [0, 1, 3]])


def _grid(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 3, (6 + seed, 2)).astype(np.float64)


@pytest.mark.parametrize("method", ["centroid", "median"])
def test_tie_heavy_grids_equal_scipy_and_fastcluster(method):
    """The merge order on tied distances is scipy's (its heap's arrangement)."""
    fastcluster = pytest.importorskip("fastcluster")
    for seed in range(18):
        X = _grid(seed)
        Z0 = hierarchy.linkage(X, method)
        Z = linkage(pdist(X), method)
        np.testing.assert_array_equal(Z[:, [0, 1, 3]], Z0[:, [0, 1, 3]], err_msg=str(seed))
        np.testing.assert_allclose(Z[:, 2], Z0[:, 2], rtol=1e-12, err_msg=str(seed))
        np.testing.assert_allclose(
            Z[:, 2], fastcluster.linkage(X, method)[:, 2], rtol=1e-12, err_msg=str(seed)
        )
        if method == "centroid":
            # on feature rows too (median: see test_median_features_exact_on_grids)
            Zf = linkage(X, method)
            np.testing.assert_allclose(Zf[:, 2], Z0[:, 2], rtol=1e-12, err_msg=str(seed))
            np.testing.assert_array_equal(Zf[:, [0, 1, 3]], Z0[:, [0, 1, 3]], err_msg=str(seed))


def test_median_features_exact_on_grids():
    """On feature rows the median centres of grid points are exact dyadic numbers:
    every merge height is the exact distance between the two medians (scipy's
    Lance-Williams update on rounded distances may break an exact tie the other
    way, which is why the documented route to its order is ``pdist(X)``)."""
    for seed in range(18):
        X = _grid(seed)
        Z = linkage(X, "median")
        centre = {i: X[i] for i in range(X.shape[0])}
        for k, (a, b, h, _) in enumerate(Z):
            ca, cb = centre.pop(int(a)), centre.pop(int(b))
            assert h == np.sqrt(((ca - cb) ** 2).sum())
            centre[X.shape[0] + k] = (ca + cb) / 2


# ------------------------------------------------------------ input forms


def test_square_distances_as_features_warn_like_scipy():
    D = squareform(pdist(np.random.RandomState(5).normal(size=(8, 2))))
    with pytest.warns(hierarchy.ClusterWarning, match="metric='precomputed'"):
        Z = linkage(D, "average")
    with pytest.warns(hierarchy.ClusterWarning):
        Z0 = hierarchy.linkage(D, "average")
    np.testing.assert_allclose(Z, Z0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linkage(D, "average", "precomputed")
        linkage(np.random.RandomState(6).normal(size=(8, 8)), "average")


def test_bottom_up_precomputed_accepts_condensed():
    X = np.random.RandomState(7).normal(size=(25, 3))
    d = pdist(X)
    for method in METHODS:
        square = BottomUpClustering(4, linkage=method, metric="precomputed").fit(squareform(d))
        cond = BottomUpClustering(4, linkage=method, metric="precomputed").fit(d)
        np.testing.assert_array_equal(cond.labels_, square.labels_)
        np.testing.assert_array_equal(cond.linkage_matrix_, square.linkage_matrix_)
        assert cond.n_features_in_ == 25
    cond32 = BottomUpClustering(4, metric="precomputed").fit(d.astype(np.float32).tolist())
    assert cond32.labels_.shape == (25,)
    with pytest.raises(ValueError, match="n \\(n - 1\\) / 2"):
        BottomUpClustering(2, metric="precomputed").fit(d[:-1])
    with pytest.raises(ValueError, match="n_clusters=30"):
        BottomUpClustering(30, metric="precomputed").fit(d)


def test_level_finer_than_bottom_partition_says_what_to_pass():
    rng = np.random.RandomState(8)
    X = rng.normal(size=(60, 2))
    X[:30] += 5
    A = np.exp(-(squareform(pdist(X)) ** 2))
    np.fill_diagonal(A, 0)
    est = BottomUpClustering(2, metric="adjacency", n_initial_clusters=3, random_state=0).fit(A)
    with pytest.raises(
        ValueError, match="finer than the bottom partition of 3.*n_initial_clusters=5"
    ):
        est.labels_at(5)
