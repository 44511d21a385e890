"""BottomUpClustering on feature rows, distances and graphs."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import adjusted_rand_score

from skot.cluster import BottomUpClustering, linkage
from skot.datasets import make_hierarchical_sbm
from tests._reference import hierarchy as ref

METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]


def _blobs(n=60, seed=0):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n, 3, centers=4, random_state=seed)
    return X


def _same_partition(a, b):
    assert adjusted_rand_score(a, b) == 1.0


def _random_weighted_graph(n, density, seed):
    rng = np.random.RandomState(seed)
    W = rng.uniform(0.1, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    W = np.triu(W, 1)
    return W + W.T


# ----------------------------------------------------------- feature rows


@pytest.mark.parametrize("method", METHODS)
def test_features_match_scipy_cuts(method):
    X = _blobs()
    est = BottomUpClustering(n_clusters=4, linkage=method).fit(X)
    Z0 = hierarchy.linkage(X, method)
    np.testing.assert_allclose(est.linkage_matrix_, Z0, atol=1e-10)
    assert est.n_leaves_ == 60 and est.n_clusters_ == 4
    np.testing.assert_array_equal(est.children_, Z0[:, :2].astype(int))
    np.testing.assert_allclose(est.distances_, Z0[:, 2], atol=1e-10)
    np.testing.assert_array_equal(est.counts_, Z0[:, 3].astype(int))
    for k in (1, 2, 5, 17, 60):
        _same_partition(est.labels_at(n_clusters=k), hierarchy.fcluster(Z0, k, "maxclust"))
    assert not hasattr(est, "initial_labels_")


@pytest.mark.parametrize("method", ["single", "complete", "average", "ward"])
def test_features_match_sklearn(method):
    from sklearn.cluster import AgglomerativeClustering

    X = _blobs(80, seed=2)
    for kw in ({"n_clusters": 5}, {"n_clusters": None, "distance_threshold": 3.0}):
        ours = BottomUpClustering(linkage=method, **kw).fit(X)
        theirs = AgglomerativeClustering(linkage=method, **kw).fit(X)
        _same_partition(ours.labels_, theirs.labels_)
        assert ours.n_clusters_ == theirs.n_clusters_


def test_precomputed_and_aliases_equal_features():
    X = _blobs()
    a = BottomUpClustering(n_clusters=3).fit(X)
    b = BottomUpClustering(n_clusters=3, metric="precomputed").fit(squareform(pdist(X)))
    np.testing.assert_allclose(a.linkage_matrix_, b.linkage_matrix_, atol=1e-12)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    c = BottomUpClustering(n_clusters=3, metric="manhattan").fit(X)
    np.testing.assert_allclose(
        c.linkage_matrix_, hierarchy.linkage(X, "average", "cityblock"), atol=1e-10
    )
    d = BottomUpClustering(n_clusters=3, metric=lambda u, v: np.abs(u - v).sum()).fit(X)
    np.testing.assert_allclose(d.linkage_matrix_, c.linkage_matrix_, atol=1e-10)
    np.testing.assert_array_equal(d.counts_, d.linkage_matrix_[:, 3])


def test_labels_first_appearance_and_threshold_extremes():
    X = _blobs()
    est = BottomUpClustering(n_clusters=None, distance_threshold=0.0).fit(X)
    np.testing.assert_array_equal(est.labels_, np.arange(60))  # nothing below 0
    assert est.labels_at(distance_threshold=np.inf).max() == 0
    lab = est.labels_at(n_clusters=4)
    assert lab[0] == 0
    first = [np.flatnonzero(lab == c)[0] for c in range(4)]
    assert first == sorted(first)


def test_threshold_on_non_monotone_tree():
    # centroid linkage may have inversions: a merge is kept only when its whole
    # subtree is below the threshold
    X = _blobs(40, seed=5)
    est = BottomUpClustering(linkage="centroid").fit(X)
    Z = est.linkage_matrix_
    for t in np.quantile(Z[:, 2], [0.2, 0.5, 0.9]):
        lab = est.labels_at(distance_threshold=t)
        # every pair in one cluster has a cophenetic (max over the path) height below t
        coph = squareform(hierarchy.cophenet(Z))
        same = lab[:, None] == lab[None, :]
        assert np.all(coph[same] < t) or np.all(np.diag(coph) == 0)


def test_float32_read_only_pickle():
    X = _blobs().astype(np.float32)
    X.setflags(write=False)
    est = BottomUpClustering(n_clusters=3, linkage="ward").fit(X)
    est2 = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est.labels_at(n_clusters=5), est2.labels_at(n_clusters=5))


# ----------------------------------------------------------------- graphs


@pytest.mark.parametrize("seed, density", [(0, 1.0), (1, 0.1), (2, 0.03)])
def test_graph_singletons_equal_paris_uniform(seed, density):
    sknetwork = pytest.importorskip("sknetwork")
    from sknetwork.hierarchy import Paris, cut_straight

    W = _random_weighted_graph(120, density, seed)
    A = sparse.csr_matrix(W)
    est = BottomUpClustering(metric="adjacency").fit(A)
    dendro = Paris(weights="uniform").fit_predict(A)
    n_comp = sparse.csgraph.connected_components(A)[0]
    for k in range(max(2, n_comp), 120):
        _same_partition(est.labels_at(n_clusters=k), cut_straight(dendro, n_clusters=k))
    assert sknetwork.__version__


@pytest.mark.parametrize("graph", ["erdos-renyi", "hsbm"])
def test_graph_singletons_unweighted_ties_like_paris(graph):
    # unweighted graphs are full of ties: both break them towards the lowest
    # cluster id, so every cut at a height without a tie agrees with Paris
    pytest.importorskip("sknetwork")
    from sknetwork.hierarchy import Paris, cut_straight

    if graph == "hsbm":
        A, _ = make_hierarchical_sbm(2, 2, 40, (3, 8, 30), random_state=0)
    else:
        rng = np.random.RandomState(0)
        M = np.triu(rng.uniform(size=(150, 150)) < 0.2, 1)
        A = sparse.csr_matrix((M + M.T).astype(float))
    n = A.shape[0]
    dendro = Paris(weights="uniform").fit_predict(A)
    est = BottomUpClustering(metric="adjacency").fit(A)
    h = dendro[:, 2]
    untied = [k for k in range(2, n) if h[n - k - 1] < h[n - k] * (1 - 1e-5)]
    assert len(untied) >= 10
    for k in untied:
        _same_partition(est.labels_at(n_clusters=k), cut_straight(dendro, n_clusters=k))
    # the lowest id wins a tie, not the previous chain element: the chain
    # 0 -> 5 -> 4 finds 5 and 1 equally close to 4 and goes on to 1
    W = np.zeros((6, 6))
    for i, j, w in [(0, 5, 1.0), (5, 4, 2.0), (4, 1, 2.0), (2, 3, 0.5)]:
        W[i, j] = W[j, i] = w
    est = BottomUpClustering(metric="adjacency").fit(W)
    np.testing.assert_array_equal(est.children_[0], [1, 4])
    assert sorted(Paris(weights="uniform").fit_predict(W)[0, :2]) == [1, 4]


def test_graph_equals_naive_reference():
    W = _random_weighted_graph(25, 0.4, 3)
    est = BottomUpClustering(metric="adjacency").fit(W)
    merges = ref.naive_graph_linkage(W)
    Z = est.linkage_matrix_
    wmax = W.max()
    np.testing.assert_allclose(Z[: len(merges), 2], [1 - s / wmax for s, _ in merges], atol=1e-12)
    # merged node sets agree
    members = {i: {i} for i in range(25)}
    for i, (_, nodes) in enumerate(merges):
        new = members[int(Z[i, 0])] | members[int(Z[i, 1])]
        members[25 + i] = new
        assert new == set(nodes)


def test_graph_from_partition_equals_reference():
    W = _random_weighted_graph(40, 0.5, 4)
    est = BottomUpClustering(metric="adjacency", n_initial_clusters=6, random_state=0).fit(W)
    init = est.initial_labels_
    assert est.n_leaves_ == est.n_initial_clusters_ == init.max() + 1
    merges = ref.naive_graph_linkage(W, init)
    np.testing.assert_allclose(
        est.distances_[: len(merges)], [1 - s / W.max() for s, _ in merges], atol=1e-12
    )
    assert est.counts_[-1] == 40
    hierarchy.is_valid_linkage(est.linkage_matrix_, throw=True)
    # labels at the finest level are the initial communities
    _same_partition(est.labels_at(n_clusters=est.n_leaves_), init)


def test_hsbm_paper_setting_every_level():
    A, levels = make_hierarchical_sbm(3, 2, 200, (40, 50, 60, 100), random_state=0)
    for n_init in (8, "auto"):
        est = BottomUpClustering(metric="adjacency", n_initial_clusters=n_init, random_state=0).fit(
            A
        )
        assert est.n_initial_clusters_ == 8
        for true in levels:
            pred = est.labels_at(n_clusters=len(np.unique(true)))
            assert ref.level_accuracy(true, pred) >= 0.99


def test_hsbm_ternary_small():
    A, levels = make_hierarchical_sbm(2, 3, 60, (6, 20, 60), random_state=1)
    est = BottomUpClustering(metric="adjacency", n_initial_clusters="auto", random_state=1).fit(A)
    assert est.n_initial_clusters_ == 9
    for true in levels:
        pred = est.labels_at(n_clusters=len(np.unique(true)))
        assert ref.level_accuracy(true, pred) >= 0.99


def test_auto_count_equals_reference_definition():
    # dense path (n <= 600) and sparse path (n > 600), sparse and denser graphs
    counts = []
    for depth, block, a, seed in [
        (2, 40, (5, 6, 9), 1),
        (2, 40, (3, 8, 30), 0),
        (3, 80, (15, 20, 25, 45), 2),
    ]:
        A, _ = make_hierarchical_sbm(depth, 2, block, a, random_state=seed)
        est = BottomUpClustering(
            n_clusters=1, metric="adjacency", n_initial_clusters="auto", random_state=0
        ).fit(A)
        counts.append(est.n_initial_clusters_)
        assert est.n_initial_clusters_ == ref.naive_spectral_count(A.toarray())
    # too weak a structure: one community; the 8 blocks of the last graph
    assert counts[0] == 1 and counts[-1] == 8


def test_auto_dense_correction_sees_more_levels():
    # the harder HSBM setting: the sparse-graph count (negative eigenvalues of
    # H_r) sees 4 communities, the bulk edge corrected for density 6
    from skot.cluster._bottom_up import _bethe_hessian

    A, levels = make_hierarchical_sbm(3, 2, 200, (30, 35, 40, 60), random_state=0)
    H, _ = _bethe_hessian(A)
    assert np.sum(np.linalg.eigvalsh(H.toarray())[:20] < 0) == 4
    est = BottomUpClustering(metric="adjacency", n_initial_clusters="auto", random_state=0).fit(A)
    assert est.n_initial_clusters_ == 6
    for true in levels[:2]:
        pred = est.labels_at(n_clusters=len(np.unique(true)))
        assert ref.level_accuracy(true, pred) >= 0.95


def test_graph_dense_sparse_random_state():
    A, _ = make_hierarchical_sbm(2, 2, 50, (4, 8, 25), random_state=3)
    kw = {"metric": "adjacency", "n_initial_clusters": 4, "random_state": 7}
    a = BottomUpClustering(**kw).fit(A)
    b = BottomUpClustering(**kw).fit(A.toarray())
    c = BottomUpClustering(**kw).fit(A.tocoo().astype(np.float32))
    np.testing.assert_array_equal(a.initial_labels_, b.initial_labels_)
    np.testing.assert_array_equal(a.initial_labels_, c.initial_labels_)
    np.testing.assert_allclose(a.linkage_matrix_, b.linkage_matrix_)


def test_disconnected_graph():
    W = sparse.block_diag(
        [_random_weighted_graph(10, 0.8, 0), _random_weighted_graph(7, 0.8, 1), np.zeros((1, 1))]
    ).tocsr()
    est = BottomUpClustering(n_clusters=3, metric="adjacency").fit(W)
    expected = np.repeat([0, 1, 2], [10, 7, 1])
    np.testing.assert_array_equal(est.labels_, expected)
    Z = est.linkage_matrix_
    assert np.all(Z[-2:, 2] == 1.0) and np.all(Z[:-2, 2] < 1.0)
    assert hierarchy.is_monotonic(Z)
    hierarchy.dendrogram(Z, no_plot=True)
    # and with the spectral step
    est = BottomUpClustering(
        n_clusters=2, metric="adjacency", n_initial_clusters=3, random_state=0
    ).fit(W)
    assert est.n_leaves_ == 3


def test_graph_without_edges():
    est = BottomUpClustering(n_clusters=1, metric="adjacency").fit(np.zeros((4, 4)))
    np.testing.assert_array_equal(est.distances_, np.ones(3))
    np.testing.assert_array_equal(est.labels_, np.zeros(4))


def test_asymmetric_adjacency_symmetrised_with_warning():
    W = _random_weighted_graph(30, 0.5, 2)
    D = np.triu(W)  # directed: one direction only
    with pytest.warns(UserWarning, match=r"replaced by \(X \+ X.T\) / 2"):
        a = BottomUpClustering(n_clusters=4, metric="adjacency").fit(D)
    b = BottomUpClustering(n_clusters=4, metric="adjacency").fit((D + D.T) / 2)
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_self_loops_ignored():
    W = _random_weighted_graph(20, 0.5, 5)
    Wl = W + np.diag(np.arange(20.0))
    a = BottomUpClustering(n_clusters=3, metric="adjacency").fit(W)
    b = BottomUpClustering(n_clusters=3, metric="adjacency").fit(Wl)
    np.testing.assert_array_equal(a.linkage_matrix_, b.linkage_matrix_)


@settings(max_examples=25)
@given(st.integers(3, 30), st.floats(0.05, 1.0), st.integers(0, 10_000))
def test_property_cuts_are_nested(n, density, seed):
    W = _random_weighted_graph(n, density, seed)
    est = BottomUpClustering(n_clusters=1, metric="adjacency").fit(W)
    hierarchy.is_valid_linkage(est.linkage_matrix_, throw=True)
    assert hierarchy.is_monotonic(est.linkage_matrix_)
    prev = est.labels_at(n_clusters=n)
    assert len(np.unique(prev)) == n
    for k in range(n - 1, 0, -1):
        lab = est.labels_at(n_clusters=k)
        assert len(np.unique(lab)) == k
        # each finer cluster lies inside one coarser cluster
        for c in np.unique(prev):
            assert len(np.unique(lab[prev == c])) == 1
        prev = lab


# ----------------------------------------------------------------- errors


def test_errors():
    X = _blobs(10)
    with pytest.raises(ValueError, match="at most the number of samples"):
        BottomUpClustering(n_clusters=11).fit(X)
    with pytest.raises(ValueError, match="Exactly one of n_clusters and distance_threshold"):
        BottomUpClustering(n_clusters=None).fit(X)
    with pytest.raises(ValueError, match="Exactly one of n_clusters and distance_threshold"):
        BottomUpClustering(n_clusters=2, distance_threshold=1.0).fit(X)
    with pytest.raises(ValueError, match="only used with metric='adjacency'"):
        BottomUpClustering(n_initial_clusters=3).fit(X)
    with pytest.raises(ValueError, match="linkage must be 'average'"):
        BottomUpClustering(linkage="ward", metric="adjacency").fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="needs the Euclidean metric"):
        BottomUpClustering(linkage="ward", metric="cosine").fit(X)
    with pytest.raises(ValueError, match="symmetric"):
        D = squareform(pdist(X))
        D[0, 1] += 1
        BottomUpClustering(metric="precomputed").fit(D)
    with pytest.raises(ValueError, match="square"):
        BottomUpClustering(metric="precomputed").fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="negative"):
        BottomUpClustering(metric="precomputed").fit(-np.ones((4, 4)) + np.eye(4))
    with pytest.raises(ValueError, match="NaN"):
        Xn = X.copy()
        Xn[0, 0] = np.nan
        BottomUpClustering().fit(Xn)
    est = BottomUpClustering(n_clusters=2).fit(X)
    with pytest.raises(ValueError, match="Give exactly one"):
        est.labels_at()
    with pytest.raises(ValueError, match=r"integer in \[1, 10\]"):
        est.labels_at(n_clusters=11)
    with pytest.raises(ValueError, match=r"integer in \[1, 10\]"):
        est.labels_at(n_clusters=0)
    with pytest.raises(ValueError, match="real number"):
        est.labels_at(distance_threshold=float("nan"))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        BottomUpClustering().labels_at(n_clusters=2)


def test_graph_errors():
    g = BottomUpClustering(metric="adjacency")
    with pytest.raises(ValueError, match="square"):
        g.fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="non-negative weights"):
        g.fit(-np.ones((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        g.fit(sparse.csr_matrix(np.array([[0, np.nan], [np.nan, 0]])))
    with pytest.raises(ValueError, match="number of leaves"):
        BottomUpClustering(n_clusters=5, metric="adjacency").fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="Raise n_initial_clusters"):
        BottomUpClustering(
            n_clusters=5, metric="adjacency", n_initial_clusters=2, random_state=0
        ).fit(_random_weighted_graph(20, 0.5, 0))
    with pytest.raises(ValueError, match="at most the\nnumber of nodes|number of nodes"):
        BottomUpClustering(metric="adjacency", n_initial_clusters=30).fit(np.ones((5, 5)))
    with pytest.raises(ValueError, match="n_initial_clusters"):
        BottomUpClustering(metric="adjacency", n_initial_clusters="many").fit(np.ones((5, 5)))
    with pytest.raises(TypeError, match="(?i)sparse"):
        BottomUpClustering().fit(sparse.csr_matrix(np.ones((5, 2))))


def test_verbose(capsys):
    BottomUpClustering(metric="adjacency", n_initial_clusters=2, verbose=1, random_state=0).fit(
        _random_weighted_graph(20, 0.5, 0)
    )
    assert "Bethe-Hessian" in capsys.readouterr().out


def test_linkage_function_and_estimator_agree():
    X = _blobs(30)
    est = BottomUpClustering(linkage="complete").fit(X)
    np.testing.assert_array_equal(est.linkage_matrix_, linkage(X, "complete"))
