"""skot.cluster.linkage against scipy, fastcluster and the slow reference."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform

from skot.cluster import linkage
from tests._reference import hierarchy as ref

pytestmark = pytest.mark.kernel

METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]
MONOTONE = ["single", "complete", "average", "weighted", "ward"]


def _data(seed, n=60, p=3, dtype=np.float64):
    return np.random.RandomState(seed).normal(size=(n, p)).astype(dtype)


def _assert_same_tree(Z, Z0, atol=1e-10):
    np.testing.assert_allclose(Z[:, 2], Z0[:, 2], rtol=0, atol=atol)
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], Z0[:, [0, 1, 3]])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(4))
def test_equals_scipy_all_inputs(method, seed):
    X = _data(seed, n=40 + 13 * seed)
    Z0 = hierarchy.linkage(X, method)
    d = pdist(X)
    for Z in (
        linkage(X, method),
        linkage(d, method),
        linkage(squareform(d), method, "precomputed"),
    ):
        assert Z.shape == (X.shape[0] - 1, 4) and Z.dtype == np.float64
        _assert_same_tree(Z, Z0)
        hierarchy.is_valid_linkage(Z, throw=True)


@pytest.mark.parametrize("method", METHODS)
def test_equals_fastcluster(method):
    fastcluster = pytest.importorskip("fastcluster")
    X = _data(7, n=150, p=5)
    Z = linkage(X, method)
    np.testing.assert_allclose(Z[:, 2], fastcluster.linkage(X, method)[:, 2], rtol=0, atol=1e-10)
    if method in ("single", "ward", "centroid", "median"):
        Zv = fastcluster.linkage_vector(X, method)
        np.testing.assert_allclose(Z[:, 2], Zv[:, 2], rtol=0, atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_equals_naive_reference(method):
    X = _data(3, n=18)
    Z = linkage(X, method)
    Zr = ref.naive_linkage(X, method)
    h = Zr[:, 2] if method not in MONOTONE else np.sort(Zr[:, 2])
    np.testing.assert_allclose(Z[:, 2], h, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(Z[:, 3], Zr[:, 3] if method not in MONOTONE else Z[:, 3])


@pytest.mark.parametrize("method", ["single", "complete", "average", "weighted"])
def test_non_euclidean_metrics(method):
    X = _data(5, n=50)
    for metric in ("cityblock", "cosine", "chebyshev"):
        _assert_same_tree(linkage(X, method, metric), hierarchy.linkage(X, method, metric))
    # a callable metric
    f = lambda u, v: np.abs(u - v).sum()
    _assert_same_tree(linkage(X[:20], method, f), hierarchy.linkage(X[:20], method, "cityblock"))


def test_one_metric_list():
    """The cluster family's names derive from skot.utils._pairwise.METRICS."""
    from skot.cluster import BottomUpClustering
    from skot.cluster._metrics import linkage_metrics, pairwise_metrics
    from skot.utils._pairwise import METRICS

    assert pairwise_metrics() == METRICS
    assert linkage_metrics() >= METRICS
    X = _data(4, n=20, p=3)
    B = X > 0
    B[:, 0] = True  # no all-zero boolean row
    boolean = {"dice", "jaccard", "matching", "rogerstanimoto", "russellrao", "sokalsneath", "yule"}
    # every name of the list works in BottomUpClustering (before: only pdist's)
    # wminkowski: in scikit-learn's list, gone from scipy; scikit-learn refuses it too
    for metric in sorted(linkage_metrics() - {"wminkowski"}):
        Xm = B.astype(float) if metric in boolean else X[:, :2] if metric == "haversine" else X
        if metric == "jensenshannon":  # probability vectors
            Xm = np.abs(X) + 0.1
        labels = BottomUpClustering(3, metric=metric).fit(Xm).labels_
        assert labels.shape == (20,), metric


@pytest.mark.parametrize("metric", ["nan_euclidean", "haversine"])
def test_list_names_unknown_to_pdist(metric):
    """Names of the one list that pdist lacks are computed by pairwise_distances."""
    from sklearn.metrics import pairwise_distances

    X = _data(8, n=30, p=2) * 0.5
    d = squareform(pairwise_distances(X, metric=metric), checks=False)
    for method in ("single", "complete", "average", "weighted"):
        _assert_same_tree(linkage(X, method, metric), hierarchy.linkage(d, method))


@pytest.mark.parametrize("method", METHODS)
def test_same_flat_clusters_at_every_cut(method):
    X = _data(11, n=70)
    Z, Z0 = linkage(X, method), hierarchy.linkage(X, method)
    for k in range(1, 71):
        a = hierarchy.fcluster(Z, k, "maxclust")
        b = hierarchy.fcluster(Z0, k, "maxclust")
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(hierarchy.cophenet(Z), hierarchy.cophenet(Z0), atol=1e-10)


@pytest.mark.parametrize("method", MONOTONE)
def test_monotone_methods(method):
    Z = linkage(_data(2, n=80), method)
    assert hierarchy.is_monotonic(Z)


@pytest.mark.parametrize("method", METHODS)
def test_float32_keeps_float32(method):
    X = _data(4, n=50, dtype=np.float32)
    Z = linkage(X, method)
    Z0 = hierarchy.linkage(X.astype(np.float64), method)
    np.testing.assert_allclose(Z[:, 2], Z0[:, 2], rtol=1e-5, atol=1e-5)
    # the matrix methods work on a float32 matrix: heights are float32 values
    d32 = pdist(X).astype(np.float32)
    Zd = linkage(d32, method)
    assert np.array_equal(Zd[:, 2], Zd[:, 2].astype(np.float32).astype(np.float64))


def test_read_only_inputs():
    X = _data(0, n=30)
    d = pdist(X)
    D = squareform(d)
    for a in (X, d, D):
        a.setflags(write=False)
    for method in METHODS:
        Z0 = hierarchy.linkage(X, method)
        _assert_same_tree(linkage(X, method), Z0)
        _assert_same_tree(linkage(d, method), Z0)
        _assert_same_tree(linkage(D, method, "precomputed"), Z0)
    assert np.array_equal(d, pdist(X))  # input untouched


def test_n_jobs_and_parallel_paths_identical():
    from skot.utils._numba import parallel_policy

    X = _data(9, n=120)
    for method in ("single", "average"):
        with parallel_policy("never"):
            Z1 = linkage(X, method, n_jobs=1)
        with parallel_policy("always"):  # the parallel kernels, whatever the size
            Z2 = linkage(X, method, n_jobs=2)
        np.testing.assert_array_equal(Z1, Z2)


def test_two_points_and_integer_input():
    Z = linkage(np.array([[0, 0], [3, 4]]), "average")
    np.testing.assert_array_equal(Z, [[0, 1, 5, 2]])


def test_ties_documented_behaviour():
    # equally spaced points: every single-linkage height is 1
    X = np.arange(6, dtype=float)[:, None]
    Z = linkage(X, "single")
    np.testing.assert_array_equal(Z[:, 2], np.ones(5))
    np.testing.assert_array_equal(Z, hierarchy.linkage(X, "single"))
    # duplicated points merge at height 0
    Xd = np.repeat(_data(1, n=5), 2, axis=0)
    for method in METHODS:
        Z = linkage(Xd, method)
        assert np.sum(Z[:, 2] == 0) == 5
        np.testing.assert_allclose(Z[:, 2], hierarchy.linkage(Xd, method)[:, 2], atol=1e-10)


@pytest.mark.filterwarnings("ignore::scipy.cluster.hierarchy.ClusterWarning")
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 25), st.integers(1, 3)),
        elements=st.floats(-100, 100, allow_nan=False),
    ),
    st.sampled_from(METHODS),
)
def test_property_valid_tree_and_scipy_heights(X, method):
    Z = linkage(X, method)
    hierarchy.is_valid_linkage(Z, throw=True)
    assert Z[-1, 3] == X.shape[0]
    Z0 = hierarchy.linkage(X, method)
    # heights agree (the rows of equal heights may be ordered differently)
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(Z0[:, 2]), rtol=1e-9, atol=1e-9)
    if method in MONOTONE:
        assert np.all(np.diff(Z[:, 2]) >= 0)


# ------------------------------------------------------------------ errors


def test_errors():
    X = _data(0, n=10)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        linkage(Xn)
    d = pdist(X)
    dn = d.copy()
    dn[4] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        linkage(dn)
    dneg = d.copy()
    dneg[2] = -1.0
    with pytest.raises(ValueError, match="negative distances"):
        linkage(dneg)
    D = squareform(d)
    Dneg = D.copy()
    Dneg[0, 1] = Dneg[1, 0] = -2
    with pytest.raises(ValueError, match="negative distances"):
        linkage(Dneg, metric="precomputed")
    Dnan = D.copy()
    Dnan[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        linkage(Dnan, metric="precomputed")
    with pytest.raises(ValueError, match="square"):
        linkage(D[:, :5], metric="precomputed")
    Da = D.copy()
    Da[0, 1] += 1
    with pytest.raises(ValueError, match="symmetric"):
        linkage(Da, metric="precomputed")
    Dd = D.copy()
    Dd[2, 2] = 1
    with pytest.raises(ValueError, match="zero diagonal"):
        linkage(Dd, metric="precomputed")
    with pytest.raises(ValueError, match="length n \\(n - 1\\) / 2"):
        linkage(d[:-1])
    with pytest.raises(ValueError, match="method"):
        linkage(X, method="upgma")
    with pytest.raises(ValueError, match="needs the Euclidean metric"):
        linkage(X, method="ward", metric="cityblock")
    with pytest.raises(ValueError, match="at least 2 observations"):
        linkage(X[:1])
    with pytest.raises(ValueError, match="at least 2 observations"):
        linkage(np.zeros((1, 1)), metric="precomputed")
    with pytest.raises(ValueError, match="0 features"):
        linkage(np.zeros((4, 0)))
    with pytest.raises(ValueError, match="dimensions"):
        linkage(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="numbers"):
        linkage(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="could not be computed"):
        linkage(X, metric="no-such-metric")
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse"):
        linkage(sparse.csr_matrix(X))


def test_memory_refused(monkeypatch):
    from skot.utils import _validation

    monkeypatch.setattr(_validation, "available_memory", lambda: 1000)
    X = _data(0, n=100)
    with pytest.raises(MemoryError, match="condensed float64 distance matrix"):
        linkage(X, "average")
    # the O(n)-memory paths need no matrix
    linkage(X, "ward")
    linkage(X, "single")


# ------------------------------------------------- graph average linkage


@given(st.integers(2, 14), st.floats(0.1, 1.0), st.integers(0, 10_000), st.booleans())
def test_property_graph_linkage_equals_reference(n, density, seed, from_partition):
    from scipy import sparse

    from skot.cluster._bottom_up import graph_linkage

    rng = np.random.RandomState(seed)
    W = np.triu(rng.uniform(0.1, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density), 1)
    W = W + W.T
    labels = rng.randint(0, max(1, n // 2), n) if from_partition else np.arange(n)
    labels = np.unique(labels, return_inverse=True)[1]
    K = labels.max() + 1
    if K < 2:
        return
    Z, counts = graph_linkage(sparse.csr_matrix(W), labels)
    hierarchy.is_valid_linkage(Z, throw=True)
    assert counts[-1] == n and Z[-1, 3] == K
    merges = ref.naive_graph_linkage(W, labels)
    wmax = W.max() if W.any() else 1.0
    np.testing.assert_allclose(Z[: len(merges), 2], [1 - s / wmax for s, _ in merges], atol=1e-12)
    assert np.all(Z[len(merges) :, 2] == 1.0)
    members = {c: set(np.flatnonzero(labels == c)) for c in range(K)}
    for i, (_, nodes) in enumerate(merges):
        members[K + i] = members[int(Z[i, 0])] | members[int(Z[i, 1])]
        assert members[K + i] == set(nodes)
        assert counts[i] == len(nodes)
