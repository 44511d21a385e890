"""Bottom-up hierarchical clustering of feature rows, distances and graphs.

:class:`BottomUpClustering` builds the whole tree once (with
:func:`~skot.cluster.linkage` for feature rows and distances, or with the
bottom-up algorithm of Dreveton et al. for graphs) and cuts it at any level
with :meth:`BottomUpClustering.labels_at`.
"""

import time
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._numba import blas_threads, effective_n_threads
from ._graph_linkage import (
    _bethe_hessian,  # noqa: F401  (re-exported for tests and users of the old path)
    _check_adjacency,
    _first_appearance,
    bethe_hessian_clustering,
    graph_linkage,
)
from ._hierarchy_connectivity import (
    CONNECTIVITY_METHODS,
    constrained_linkage,
    knn_connectivity,
)
from ._linkage import METHODS, _float_array, _linkage, _n_from_condensed
from ._metrics import linkage_metrics, pdist_name

__all__ = ["BottomUpClustering"]


# ----------------------------------------------------------- tree cutting


def _cut(Z, n_leaves, n_clusters=None, distance_threshold=None):
    """Leaf labels after the merges that a level keeps.

    ``n_clusters``: the partition after ``n_leaves - n_clusters`` merges (row
    order). ``distance_threshold``: the merges whose subtree has every height
    below the threshold (merges at or above it are not made).
    """
    parent = np.arange(2 * n_leaves - 1)
    if n_clusters is not None:
        apply = np.zeros(n_leaves - 1, dtype=bool)
        apply[: n_leaves - n_clusters] = True
    else:
        top = np.zeros(2 * n_leaves - 1)
        apply = np.zeros(n_leaves - 1, dtype=bool)
        for i in range(n_leaves - 1):
            a, b = int(Z[i, 0]), int(Z[i, 1])
            top[n_leaves + i] = max(Z[i, 2], top[a], top[b])
            apply[i] = top[n_leaves + i] < distance_threshold
    for i in np.flatnonzero(apply):
        parent[int(Z[i, 0])] = n_leaves + i
        parent[int(Z[i, 1])] = n_leaves + i
    # roots: follow parents (children ids are below their parent's id)
    root = np.arange(2 * n_leaves - 1)
    for node in range(2 * n_leaves - 2, -1, -1):
        p = parent[node]
        if p != node:
            root[node] = root[p]
    return _first_appearance(root[:n_leaves])


# -------------------------------------------------------------- estimator


class BottomUpClustering(ClusterMixin, BaseEstimator):
    """Agglomerative clustering of feature rows, distances or graphs.

    The full tree is built once; ``labels_`` is one cut of it and
    :meth:`labels_at` gives any other level without refitting.

    * Feature rows or ``metric="precomputed"`` distances: the linkage of
      :func:`linkage` (single, complete, average, weighted, ward, centroid
      or median).
    * ``metric="adjacency"``: the bottom-up algorithm of Dreveton, Kuroda,
      Grossglauser & Thiran for hierarchical communities. (1) The finest
      communities come from spectral clustering of the Bethe-Hessian, their
      number given by ``n_initial_clusters`` or estimated from its spectrum
      (``"auto"``: the eigenvalues outside the random bulk, see the User
      Guide); with ``n_initial_clusters=None`` every node starts alone.
      (2) The communities are merged by average linkage on the
      inter-community edge density ``w(A, B) / (|A| |B|)``, sizes carried,
      up to the root.

    Read more in the :ref:`User Guide <hierarchy>`.

    Parameters
    ----------
    n_clusters : int or None, default=2
        Number of clusters of ``labels_``; None when ``distance_threshold``
        is given.
    linkage : {"average", "single", "complete", "weighted", "ward", \
            "centroid", "median"}, default="average"
        Cluster distance for feature rows and distances. Graphs use average
        linkage on edge density (only ``"average"`` is accepted).
    metric : str or callable, default="euclidean"
        For feature rows, a name of skot's one metric list (every
        :func:`sklearn.metrics.pairwise_distances` name, e.g. ``"manhattan"``,
        ``"cosine"``, ``"haversine"``), ``"jensenshannon"``, or a callable
        (given to :func:`scipy.spatial.distance.pdist`); ``"precomputed"``:
        ``X`` is a square distance matrix or a condensed distance vector
        (:func:`scipy.spatial.distance.pdist`'s form); ``"adjacency"``: ``X`` is a dense
        or sparse (weighted) adjacency matrix of an undirected graph.
        Self-loops are ignored; an asymmetric matrix is replaced by
        ``(X + X.T) / 2`` with a warning.
    distance_threshold : float or None, default=None
        Cut ``labels_`` where the merge height reaches this value (merges at
        or above it are not made); ``n_clusters`` must then be None. Graph
        heights are ``1 - density / w_max`` in [0, 1].
    connectivity : array-like, sparse matrix or callable, default=None
        Feature rows and distances: the graph of allowed merges, an
        (n_samples, n_samples) matrix whose stored entries are edges (or a
        callable returning one from ``X``, e.g. a ``kneighbors_graph``). Only
        clusters joined by an edge merge: ward, average, complete or single
        linkage with scikit-learn's rules (``AgglomerativeClustering(
        connectivity=...)``, same trees): a merged cluster keeps the edges of
        both parts; its distance to a neighbour of both is the minimum
        (single), maximum (complete) or size-weighted mean (average) of the
        two, to a neighbour of one part that part's distance; ward recomputes
        it from the centroids. A disconnected graph is completed with the
        closest pair of each pair of components (with a warning). Rows of
        ``linkage_matrix_`` are then in merge order.
    n_neighbors : int, default=None
        Feature rows: use the k-nearest-neighbour graph of ``X`` (built with
        a tree index, O(n k) memory) as ``connectivity``: hierarchical
        clustering of millions of points, where the exact linkages need
        n^2 / 2 distances. Exclusive with ``connectivity``.
    n_initial_clusters : int, "auto" or None, default=None
        Graphs only: number of bottom communities found by the Bethe-Hessian
        step, ``"auto"`` to estimate it, None to start from single nodes
        (which equals scikit-network's ``Paris(weights="uniform")``).
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver's start vector and k-means of the spectral step.
    n_jobs : int, default=None
        Threads for the distance computations of :func:`linkage` and for the
        spectral step (None: one); the result does not depend on it.
    verbose : int, default=0
        Print the time of each step.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each sample (0..n_clusters_-1 in order of first appearance).
    n_clusters_ : int
        Number of clusters in ``labels_``.
    n_leaves_ : int
        Leaves of the tree: the samples, or for graphs with
        ``n_initial_clusters`` the bottom communities.
    children_ : ndarray of shape (n_leaves - 1, 2)
        The two nodes merged at each step; ids below ``n_leaves_`` are leaves,
        ``n_leaves_ + i`` is the node formed at step ``i``.
    distances_ : ndarray of shape (n_leaves - 1,)
        Height of each merge.
    counts_ : ndarray of shape (n_leaves - 1,)
        Samples (nodes) under each merge: the sizes carried up the tree.
    linkage_matrix_ : ndarray of shape (n_leaves - 1, 4)
        The tree in scipy's format (children, height, number of leaves),
        ready for :func:`scipy.cluster.hierarchy.dendrogram` and ``fcluster``.
        Its last column equals ``counts_`` unless the leaves are communities.
    initial_labels_ : ndarray of shape (n_samples,)
        Graphs only: the bottom community (leaf) of each node.
    n_initial_clusters_ : int
        Graphs only: number of bottom communities.
    n_features_in_ : int
        Number of features (columns of ``X``) seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (only when ``X`` has string column names).

    See Also
    --------
    linkage : The linkage function used for feature rows and distances.
    sklearn.cluster.AgglomerativeClustering : The estimator of scikit-learn.

    Notes
    -----
    Disconnected graphs: the merges inside each connected component come
    first; the components are joined last, at height 1, in the order of
    their smallest community. Cuts into more clusters than components are
    then exact, cuts into fewer join components arbitrarily.

    Graph ties (equal densities, frequent on unweighted graphs) go to the
    lowest cluster id, as in Paris: the cuts at heights without a tie agree
    with scikit-network's ``Paris(weights="uniform")``.

    References
    ----------
    .. [1] M. Dreveton, D. Kuroda, M. Grossglauser, P. Thiran. "When does
       bottom-up beat top-down in hierarchical community detection?"
       arXiv:2306.00833.
    .. [2] A. Saade, F. Krzakala, L. Zdeborova. "Spectral clustering of graphs
       with the Bethe Hessian." NeurIPS (2014).
    .. [3] T. Bonald, B. Charpentier, A. Galland, A. Hollocou. "Hierarchical
       graph clustering using node pair sampling." KDD workshop MLG (2018).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.cluster import BottomUpClustering
    >>> X = np.array([[0.0, 0], [0, 1], [5, 5], [5, 6], [20, 0]])
    >>> est = BottomUpClustering(n_clusters=3).fit(X)
    >>> est.labels_
    array([0, 0, 1, 1, 2])
    >>> est.labels_at(n_clusters=2)
    array([0, 0, 0, 0, 1])
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "linkage": [StrOptions(set(METHODS))],
        "metric": [StrOptions(set(linkage_metrics()) | {"precomputed", "adjacency"}), callable],
        "distance_threshold": [Interval(Real, 0, None, closed="left"), None],
        "connectivity": ["array-like", "sparse matrix", callable, None],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "n_initial_clusters": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=2,
        *,
        linkage="average",
        metric="euclidean",
        distance_threshold=None,
        connectivity=None,
        n_neighbors=None,
        n_initial_clusters=None,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.linkage = linkage
        self.metric = metric
        self.distance_threshold = distance_threshold
        self.connectivity = connectivity
        self.n_neighbors = n_neighbors
        self.n_initial_clusters = n_initial_clusters
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric in ("precomputed", "adjacency")
        tags.input_tags.sparse = self.metric == "adjacency"
        return tags

    def _log(self, msg, t0):
        if self.verbose > 0:
            print(f"[BottomUpClustering] {msg} ({time.perf_counter() - t0:.3f} s)")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the tree and cut it.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features) or \
                (n_samples, n_samples)
            Feature rows; distances with ``metric="precomputed"`` (square, or
            a condensed vector of length n (n - 1) / 2); a (sparse) adjacency
            matrix with ``metric="adjacency"``.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : BottomUpClustering
            The fitted estimator.
        """
        if (self.n_clusters is None) == (self.distance_threshold is None):
            raise ValueError(
                "Exactly one of n_clusters and distance_threshold must be set, got "
                f"n_clusters={self.n_clusters!r} and "
                f"distance_threshold={self.distance_threshold!r}."
            )
        graph = self.metric == "adjacency"
        if self.n_initial_clusters is not None and not graph:
            raise ValueError(
                f"n_initial_clusters={self.n_initial_clusters!r} is only used with "
                "metric='adjacency'; leave it to None for feature rows and distances."
            )
        constrained = self.connectivity is not None or self.n_neighbors is not None
        if constrained:
            if graph:
                raise ValueError(
                    "connectivity and n_neighbors apply to feature rows and distances; "
                    "with metric='adjacency' the graph itself constrains the merges."
                )
            if self.connectivity is not None and self.n_neighbors is not None:
                raise ValueError(
                    "Give at most one of connectivity and n_neighbors, got both "
                    f"(n_neighbors={self.n_neighbors!r})."
                )
            if self.linkage not in CONNECTIVITY_METHODS:
                raise ValueError(
                    f"With connectivity or n_neighbors, linkage must be one of "
                    f"{CONNECTIVITY_METHODS}, got linkage={self.linkage!r}."
                )
            if self.n_neighbors is not None and self.metric == "precomputed":
                raise ValueError(
                    "n_neighbors builds a graph from feature rows: pass connectivity "
                    "instead with metric='precomputed'."
                )
        if graph and self.linkage != "average":
            raise ValueError(
                f"Graphs are merged by average linkage on edge density: linkage must be "
                f"'average' with metric='adjacency', got linkage={self.linkage!r}."
            )
        t0 = time.perf_counter()
        if graph:
            X = validate_data(
                self,
                X,
                accept_sparse=("csr", "csc", "coo"),
                dtype=[np.float64, np.float32],
                ensure_min_samples=1,
            )
            self._fit_graph(X, t0)
        else:
            precomputed = self.metric == "precomputed"
            if precomputed and not sparse.issparse(X) and np.ndim(X) == 1:
                # a condensed distance vector (scipy's pdist form)
                X = check_array(X, ensure_2d=False, dtype=[np.float64, np.float32], input_name="X")
                n_samples = _n_from_condensed(X.shape[0])
                self.n_features_in_ = n_samples
                self.__dict__.pop("feature_names_in_", None)
            else:
                X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
                n_samples = X.shape[0]
            metric = self.metric
            if precomputed:
                X = _float_array(X)
            if self.n_clusters is not None and self.n_clusters > n_samples:
                raise ValueError(
                    f"n_clusters={self.n_clusters} must be at most the number of samples, "
                    f"n_samples={n_samples}."
                )
            for stale in ("initial_labels_", "n_initial_clusters_"):
                self.__dict__.pop(stale, None)
            if constrained:
                if X.ndim == 1:
                    raise ValueError(
                        "With connectivity, distances must be a square matrix, not a "
                        "condensed vector."
                    )
                if self.n_neighbors is not None:
                    conn = knn_connectivity(X, self.n_neighbors, metric, self.n_jobs)
                    self._log(f"{self.n_neighbors}-nearest-neighbour graph", t0)
                else:
                    conn = self.connectivity
                Z, _ = constrained_linkage(X, conn, self.linkage, pdist_name(metric))
            else:
                # the same validated core as the function linkage()
                Z = _linkage(X, self.linkage, metric, self.n_jobs)
            self._log(f"{self.linkage} linkage of {n_samples} samples", t0)
            self._set_tree(Z, n_samples, Z[:, 3].astype(np.int64))
            self.labels_ = self.labels_at(self.n_clusters, self.distance_threshold)
        self.n_clusters_ = int(self.labels_.max()) + 1
        return self

    def _fit_graph(self, X, t0):
        A = _check_adjacency(X)
        n = A.shape[0]
        if self.n_initial_clusters is None:
            init = np.arange(n, dtype=np.int64)
        else:
            if self.n_initial_clusters != "auto" and self.n_initial_clusters > n:
                raise ValueError(
                    f"n_initial_clusters={self.n_initial_clusters} must be at most the "
                    f"number of nodes, n_nodes={n}."
                )
            rng = check_random_state(self.random_state)
            if n == 1 or self.n_initial_clusters == 1:
                init = np.zeros(n, dtype=np.int64)
            elif self.n_initial_clusters == n:
                init = np.arange(n, dtype=np.int64)
            else:
                # the eigensolver's BLAS on n_jobs threads (None: one): on small
                # graphs more threads only add synchronisation
                with blas_threads(effective_n_threads(self.n_jobs)):
                    init, _, _ = bethe_hessian_clustering(A, self.n_initial_clusters, rng)
            self._log(f"Bethe-Hessian step: {int(init.max()) + 1} communities", t0)
        K = int(init.max()) + 1
        if self.n_clusters is not None and self.n_clusters > K:
            what = "nodes" if self.n_initial_clusters is None else "initial communities"
            raise ValueError(
                f"n_clusters={self.n_clusters} must be at most the number of leaves of the "
                f"tree, {K} {what}."
                + (
                    ""
                    if self.n_initial_clusters is None
                    else " Raise n_initial_clusters, or set it to None to start from nodes."
                )
            )
        if K > 1:
            Z, counts = graph_linkage(A, init)
        else:
            Z, counts = np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
        self._log("density linkage", t0)
        self.initial_labels_ = init
        self.n_initial_clusters_ = K
        self._set_tree(Z, K, counts)
        self.labels_ = self.labels_at(self.n_clusters, self.distance_threshold)

    def _set_tree(self, Z, n_leaves, counts):
        self.linkage_matrix_ = Z
        self.n_leaves_ = n_leaves
        self.children_ = Z[:, :2].astype(np.int64)
        self.distances_ = Z[:, 2].copy()
        self.counts_ = counts

    def labels_at(self, n_clusters=None, distance_threshold=None):
        """Labels of the samples at another level of the fitted tree.

        Parameters
        ----------
        n_clusters : int, default=None
            Number of clusters: the partition after ``n_leaves_ - n_clusters``
            merges.
        distance_threshold : float, default=None
            Height at or above which merges are not made (exactly one of the
            two must be given).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster of each sample, 0..k-1 in order of first appearance.
        """
        check_is_fitted(self, "linkage_matrix_")
        if (n_clusters is None) == (distance_threshold is None):
            raise ValueError(
                "Give exactly one of n_clusters and distance_threshold, got "
                f"n_clusters={n_clusters!r} and distance_threshold={distance_threshold!r}."
            )
        K = self.n_leaves_
        if n_clusters is not None:
            if (
                not isinstance(n_clusters, Integral)
                or isinstance(n_clusters, bool)
                or n_clusters < 1
                or n_clusters > K
            ):
                msg = (
                    f"n_clusters must be an integer in [1, {K}] (the leaves of the fitted "
                    f"tree), got {n_clusters!r}."
                )
                if (
                    isinstance(n_clusters, Integral)
                    and n_clusters > K
                    and getattr(self, "n_initial_clusters_", None) is not None
                    and K < self.initial_labels_.shape[0]
                ):
                    msg += (
                        f" The level asked for is finer than the bottom partition of {K} "
                        f"communities (n_initial_clusters={self.n_initial_clusters!r}): refit "
                        f"with n_initial_clusters={int(n_clusters)} or more, or with "
                        "n_initial_clusters=None to start from single nodes."
                    )
                raise ValueError(msg)
            leaf = _cut(self.linkage_matrix_, K, n_clusters=int(n_clusters))
        else:
            if (
                not isinstance(distance_threshold, Real)
                or isinstance(distance_threshold, bool)
                or np.isnan(distance_threshold)
            ):
                raise ValueError(
                    f"distance_threshold must be a real number, got {distance_threshold!r}."
                )
            leaf = _cut(self.linkage_matrix_, K, distance_threshold=float(distance_threshold))
        if hasattr(self, "initial_labels_"):
            return _first_appearance(leaf[self.initial_labels_])
        return leaf

    def fit_predict(self, X, y=None):
        """Fit and return ``labels_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features) or \
                (n_samples, n_samples)
            Feature rows; distances with ``metric="precomputed"``; a (sparse)
            adjacency matrix with ``metric="adjacency"``.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster of each sample.
        """
        return self.fit(X).labels_
