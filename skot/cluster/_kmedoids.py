"""k-medoids clustering: FasterPAM and its family (Schubert & Rousseeuw).

The function layer (:func:`fasterpam`, :func:`fastpam1`, :func:`pam`,
:func:`alternate`, :func:`build`, :func:`lab`, :func:`fastclara`) works on a
dissimilarity matrix (or, for :func:`fastclara`, on feature rows) and returns a
:class:`KMedoidsResult`. :class:`KMedoids` is the scikit-learn estimator on top.
"""

import warnings
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._numba import numba_threads
from ..utils._pairwise import EXACT_METRICS, pairwise_distances
from ..utils._validation import (
    SYMMETRY_RTOL,
    check_nonnegative_weights,
    check_square_matrix,
)
from ._clarans import MAX_NEIGHBOR_CONSTRAINT, clarans_solve
from ._kmedoids_dask import as_row_chunked, dask_distances, dask_fastclara, is_dask_array
from ._kmedoids_free import free_fasterpam, needs_matrix_free
from ._kmedoids_solvers import (
    INITS,
    METHODS,
    KMedoidsResult,
    build_medoids,
    check_count,
    check_init_medoids,
    check_k,
    check_n_jobs,
    check_weights,
    fastclara_solve,
    lab_medoids,
    negative_message,
    prepare_distances,
    prepare_matrix,
    result,
    solve,
    split_medoids,
    validate_matrix,
)
from ._metrics import pairwise_metrics
from ._msc import MSC_METHODS, msc_solve

__all__ = [
    "KMedoids",
    "KMedoidsResult",
    "alternate",
    "build",
    "fastclara",
    "fasterpam",
    "fastpam1",
    "lab",
    "pam",
]


# ------------------------------------------------------------- metrics


def _finite(metric):
    """``ensure_all_finite`` for feature input: NaN allowed for ``nan_euclidean`` only.

    A precomputed matrix is checked by :func:`validate_matrix` instead.
    """
    if isinstance(metric, str) and metric == "nan_euclidean":
        return "allow-nan"
    return metric != "precomputed"


def data_metric_params(metric, metric_params, X):
    """``metric_params`` completed with what the metric would otherwise read from the data.

    ``"mahalanobis"`` without ``VI`` and ``"seuclidean"`` without ``V`` compute
    them from the training rows (the inverse covariance, the per-feature
    variance with ``ddof=1``: what :func:`scipy.spatial.distance.pdist` uses),
    so the distances at fit are those of :func:`sklearn.metrics.pairwise_distances`
    on ``X``, and ``predict`` and ``transform`` reuse the same parameters
    (otherwise every call would need them, or use another scale).
    """
    params = dict(metric_params or {})
    if not isinstance(metric, str) or metric not in ("mahalanobis", "seuclidean"):
        return metric_params
    key = "VI" if metric == "mahalanobis" else "V"
    if key in params:
        return metric_params
    if X.shape[0] < 2:
        raise ValueError(
            f"metric={metric!r} needs metric_params={{{key!r}: ...}} with fewer than two "
            f"samples (got n_samples={X.shape[0]})."
        )
    Xd = np.asarray(X, dtype=np.float64)
    if metric == "seuclidean":
        params["V"] = np.var(Xd, axis=0, ddof=1)
        return params
    cov = np.atleast_2d(np.cov(Xd.T))
    if np.linalg.matrix_rank(cov) < cov.shape[0]:
        raise ValueError(
            "metric='mahalanobis': the covariance of X is singular "
            f"(n_samples={X.shape[0]}, n_features={X.shape[1]}); pass "
            "metric_params={'VI': ...} (an inverse covariance)."
        )
    params["VI"] = np.linalg.inv(cov).T
    return params


# ----------------------------------------------------------- function API

_COMMON_PARAMS = {
    "D": ["array-like"],
    "medoids": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "init": [StrOptions(set(INITS))],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "sample_weight": ["array-like", None],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


def _function(method, D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose):
    check_n_jobs(n_jobs)
    n_clusters, init_ = split_medoids(medoids, init)
    P = prepare_matrix(D, "D")
    w = check_weights(sample_weight, P.DT.shape[0])
    return solve(P, w, n_clusters, method, init_, max_iter, random_state, n_jobs, verbose)


_FUNCTION_DOC = """{summary}

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_samples)
        Dissimilarities, float32 or float64, non-negative, finite, zero
        diagonal. ``D[o, m]`` is the dissimilarity of point ``o`` to medoid
        ``m``. Symmetric means symmetric up to rounding (the one rule of the
        User Guide), and the diagonal and signs are checked with the same
        tolerance. Used without a copy when C-ordered and symmetric, or
        F-ordered; any other layout is copied once.
    medoids : int or array-like of shape (n_clusters,)
        Number of clusters (initialised by ``init``) or initial medoid indices.
    init : {{"build", "lab", "random", "k-medoids++"}}, default="build"
        Initialisation when ``medoids`` is an int.
    max_iter : int, default=300
        Maximum number of iterations{iter_note}.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point in the loss.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomised initialisations{order_note}.
    n_jobs : int, default=None
        Threads for the kernels (``-1``: all cores). Results do not depend on it.
    verbose : int, default=0
        Print the loss after each iteration.

    Returns
    -------
    result : KMedoidsResult
        Medoids, labels, loss, ``n_iter``, ``n_swaps`` and ``converged``.
    """


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def fasterpam(
    D,
    medoids,
    *,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    return _function(
        "fasterpam", D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose
    )


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def fastpam1(
    D,
    medoids,
    *,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    return _function(
        "fastpam1", D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose
    )


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def pam(
    D,
    medoids,
    *,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    return _function(
        "pam", D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose
    )


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def alternate(
    D,
    medoids,
    *,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    return _function(
        "alternate", D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose
    )


fasterpam.__doc__ = _FUNCTION_DOC.format(
    summary="""FasterPAM k-medoids: eager swaps, O(n²) per pass.

    Each candidate point is evaluated against all medoids at once in O(n + k)
    and the first improving swap is applied at once (Schubert & Rousseeuw
    2021). With ``random_state=None`` candidates are visited in index order,
    as the reference implementation does; a seed shuffles the order once.""",
    iter_note=" (passes over the candidates)",
    order_note=" and, when not None, shuffles the order in which candidates are visited",
)
fastpam1.__doc__ = _FUNCTION_DOC.format(
    summary="""FastPAM1 k-medoids: exactly PAM's swaps, O(n²) per iteration.

    Every (medoid, candidate) pair is evaluated with the O(k)-faster FastPAM1
    trick and the single best swap is applied per iteration.""",
    iter_note=" (one swap each)",
    order_note="",
)
pam.__doc__ = _FUNCTION_DOC.format(
    summary="""Classic PAM k-medoids SWAP (Kaufman & Rousseeuw), O(k n²) per iteration.

    Provided as a reference: FastPAM1 makes the same swaps much faster.""",
    iter_note=" (one swap each)",
    order_note="",
)
alternate.__doc__ = _FUNCTION_DOC.format(
    summary="""Alternating (Voronoi) k-medoids iteration.

    Assign every point to its nearest medoid, then move each medoid to the
    member with the smallest distance sum to its cluster; repeat until no
    medoid moves. Fast but prone to worse local optima than swap methods.""",
    iter_note=" (reassignment rounds)",
    order_note="",
)


@validate_params(
    {
        "D": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def build(D, n_clusters, *, sample_weight=None, n_jobs=None):
    """PAM's BUILD initialisation, O(k n²), reading contiguous rows.

    The first medoid minimises the distance sum; each next one is the point
    that lowers the loss most.

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_samples)
        Dissimilarities (see :func:`fasterpam`).
    n_clusters : int
        Number of medoids.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point.
    n_jobs : int, default=None
        Threads for the kernels. Results do not depend on it.

    Returns
    -------
    result : KMedoidsResult
        The BUILD medoids with their labels and loss (``n_iter=0``).
    """
    check_count(n_clusters, "n_clusters")
    check_n_jobs(n_jobs)
    P = prepare_matrix(D, "D")
    w = check_weights(sample_weight, P.DT.shape[0])
    check_k(n_clusters, P.DT.shape[0])
    with numba_threads(n_jobs) as n_threads:
        med = build_medoids(P.DT, w, n_clusters, n_threads, P.symmetric)
    return result(P, w, med)


@validate_params(
    {
        "D": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def lab(D, n_clusters, *, sample_weight=None, random_state=None):
    """Linear Approximative BUILD (LAB): BUILD on small random samples, O(k n).

    Each medoid is chosen by BUILD's rule among a fresh sample of
    ``10 + ceil(sqrt(n))`` points, evaluated on that sample only (Schubert &
    Rousseeuw 2021).

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_samples)
        Dissimilarities (see :func:`fasterpam`).
    n_clusters : int
        Number of medoids.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point.
    random_state : int, RandomState instance or None, default=None
        Seeds the samples.

    Returns
    -------
    result : KMedoidsResult
        The LAB medoids with their labels and loss (``n_iter=0``).
    """
    check_count(n_clusters, "n_clusters")
    P = prepare_matrix(D, "D")
    w = check_weights(sample_weight, P.DT.shape[0])
    check_k(n_clusters, P.DT.shape[0])
    med = lab_medoids(P.DT, w, n_clusters, check_random_state(random_state))
    return result(P, w, med)


# --------------------------------------------------------------- CLARA


@validate_params(
    {
        "X": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(set(pairwise_metrics()) | {"precomputed"}), callable],
        "metric_params": [dict, None],
        "n_sampling": [Interval(Integral, 1, None, closed="left"), None],
        "n_sampling_iter": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITS))],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "sample_weight": ["array-like", None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fastclara(
    X,
    n_clusters,
    *,
    metric="euclidean",
    metric_params=None,
    n_sampling=None,
    n_sampling_iter=5,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    """FastCLARA: FasterPAM on random samples, every point assigned, best kept.

    Never builds the full distance matrix: each of the ``n_sampling_iter``
    samples of ``n_sampling`` points gets its own small matrix, the medoids
    found on it are scored on all points (in chunks), and the best sample wins.
    Samples run through joblib (threads by default), so under
    ``joblib.parallel_backend("dask")`` a Dask cluster runs them; every sample's
    seed is drawn up front, so the result does not depend on the backend or
    ``n_jobs``.

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        Feature rows, or dissimilarities when ``metric="precomputed"``.
    n_clusters : int
        Number of medoids.
    metric : str or callable, default="euclidean"
        Any scikit-learn pairwise metric, a callable, or ``"precomputed"``.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    n_sampling : int, default=None
        Sample size; ``None`` means ``80 + 4 * n_clusters`` (FastCLARA's rule).
    n_sampling_iter : int, default=5
        Number of samples.
    init : {"build", "lab", "random", "k-medoids++"}, default="build"
        Initialisation of FasterPAM on each sample.
    max_iter : int, default=300
        Maximum FasterPAM passes per sample.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point. Unequal weights make the samples
        weighted too: rows are drawn with probability proportional to their
        weight, so a few heavy rows are not missed.
    random_state : int, RandomState instance or None, default=None
        Seeds the samples.
    n_jobs : int, default=None
        Samples run in parallel through joblib.
    verbose : int, default=0
        Print each sample's loss.

    Returns
    -------
    result : KMedoidsResult
        Medoids (indices into ``X``), labels of all points and their loss.
    """
    from sklearn.utils import check_array

    check_count(n_clusters, "n_clusters")
    check_n_jobs(n_jobs)
    X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite=_finite(metric))
    if metric == "precomputed":
        X = check_square_matrix(X, "X", check_values=False)
        validate_matrix(X, "X")
    w = check_weights(sample_weight, X.shape[0])
    return fastclara_solve(
        X,
        n_clusters,
        metric,
        data_metric_params(metric, metric_params, X),
        n_sampling,
        n_sampling_iter,
        init,
        max_iter,
        w,
        random_state,
        n_jobs,
        verbose,
    )


# -------------------------------------------------------------- estimator


class KMedoids(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """Medoid-based clustering (k-medoids): FasterPAM and its family, any metric.

    The medoids are actual data points minimising the sum of (weighted)
    dissimilarities of every point to its nearest medoid. The default,
    FasterPAM (Schubert & Rousseeuw 2021), evaluates each candidate against
    all medoids at once and applies improving swaps eagerly: O(n²) per pass,
    as good as PAM in practice, orders of magnitude faster.

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (medoids).
    metric : str or callable, default="euclidean"
        Any scikit-learn pairwise metric name, a callable, or
        ``"precomputed"`` (``X`` is then a dense n×n dissimilarity matrix,
        float32 or float64, symmetric and zero on the diagonal up to rounding
        as the User Guide's rule says; used without a copy when C-ordered and
        symmetric, or F-ordered, and copied once otherwise).
        ``"euclidean"``, ``"sqeuclidean"``, ``"manhattan"`` and
        ``"chebyshev"`` use exact kernels, so ``predict`` on the training data
        reproduces ``labels_`` to the bit.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    method : {"fasterpam", "fastpam1", "pam", "alternate", "fastclara", \
            "fastermsc", "fastmsc", "dynmsc", "fastclarans"}, default="fasterpam"
        ``"fasterpam"``: eager swaps; ``"fastpam1"``: PAM's swaps, O(k) faster;
        ``"pam"``: classic BUILD+SWAP; ``"alternate"``: Voronoi iteration;
        ``"fastclara"``: FasterPAM on ``n_sampling_iter`` random samples, every
        point assigned, the best kept (no full distance matrix).
        ``"fastermsc"`` (eager) and ``"fastmsc"`` (best swap) maximise the
        average medoid silhouette instead of minimising the distance sum
        (``n_clusters >= 2``); ``"dynmsc"`` also chooses the number of
        clusters: FasterMSC from ``n_clusters`` down to ``min_clusters``, the
        best average medoid silhouette kept (see ``n_clusters_``).
        ``"fastclarans"``: randomized eager search, each random candidate
        evaluated against all medoids at once; ``n_init`` searches (2 for
        ``"auto"``), ``max_neighbor`` failures end one.
    init : {"build", "lab", "random", "k-medoids++"} or array-like of shape \
            (n_clusters,), default="build"
        Initial medoids: PAM's BUILD, its linear approximation LAB, a random
        choice, greedy k-medoids++, or the indices themselves.
    n_init : "auto" or int, default="auto"
        Independent restarts (joblib threads), the lowest loss kept. ``"auto"``
        is 10 for ``init="random"`` and 1 otherwise; deterministic inits
        (``"build"``, an array) always run once. ``"fastclarans"``: the number
        of searches (``"auto"``: 2). ``"fastclara"`` refuses it (its restarts
        are the ``n_sampling_iter`` samples).
    max_iter : int, default=300
        Maximum iterations of the swap (or alternate) phase.
    n_sampling : int, default=None
        ``method="fastclara"`` only: sample size, ``None`` for ``80 + 4 k``.
        Samples are weighted by ``sample_weight`` when the weights differ, and
        an ``init`` array (row indices of ``X``) is part of every sample.
    n_sampling_iter : int, default=5
        ``method="fastclara"`` only: number of samples.
    min_clusters : int, default=2
        ``method="dynmsc"`` only: the smallest number of clusters tried
        (``n_clusters`` is the largest).
    max_neighbor : float in (0, 1) or int, default=0.025
        ``method="fastclarans"`` only: failed random draws in a row that end
        a search, as a fraction of the non-medoids or a count.
    precompute : "auto" or bool, default="auto"
        ``method="fasterpam"`` on features with an exact metric
        (``"euclidean"``, ``"sqeuclidean"``, ``"manhattan"``, ``"chebyshev"``):
        ``True`` computes the n×n distance matrix; ``False`` runs matrix-free
        (distances computed on the fly in blocks, O(n k) memory, the same
        medoids; ``init="build"`` is then refused, use ``"lab"`` or
        ``"k-medoids++"``); ``"auto"`` is matrix-free only when the matrix
        would take more than half the available memory.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomised inits, the restarts and the CLARA samples. With a
        seed, FasterPAM also visits the candidates in a shuffled order; with
        ``None`` it visits them in index order (as the reference does).
    n_jobs : int, default=None
        Threads for the distance computation and the kernels, or for the
        restarts/samples when there are several. Results do not depend on it.
    verbose : int, default=0
        Print progress (loss per iteration).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features) or None
        The medoids' feature rows; None when ``metric="precomputed"``.
    medoid_indices_ : ndarray of shape (n_clusters,)
        Row indices of the medoids in the training data.
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training point (its nearest medoid, the first on ties).
    inertia_ : float
        Sum of (weighted) dissimilarities of the points to their medoid.
    n_iter_ : int
        Iterations run by the optimisation.
    n_clusters_ : int
        Number of clusters found: ``n_clusters``, except for ``"dynmsc"``.
    medoid_silhouette_ : float
        Average medoid silhouette reached (silhouette methods only).
    medoid_silhouette_per_k_ : dict
        ``{k: average medoid silhouette}`` for every number of clusters
        ``"dynmsc"`` tried (``"dynmsc"`` only).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (only when ``X`` has string column names).

    See Also
    --------
    fasterpam : The function layer, on a dissimilarity matrix.
    sklearn.cluster.KMeans : Centroids instead of medoids, squared Euclidean only.

    References
    ----------
    .. [1] E. Schubert, P. J. Rousseeuw. "Fast and eager k-medoids clustering:
       O(k) runtime improvement of the PAM, CLARA, and CLARANS algorithms."
       Information Systems 101 (2021).
    .. [2] L. Kaufman, P. J. Rousseeuw. "Clustering by means of medoids." (1987).
    .. [3] L. Lenssen, E. Schubert. "Medoid silhouette clustering with automatic
       cluster number selection." Information Systems 120 (2024).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.cluster import KMedoids
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMedoids(n_clusters=2).fit(X)
    >>> km.labels_
    array([0, 0, 0, 1, 1, 1])
    >>> km.cluster_centers_
    array([[ 1.,  2.],
           [10.,  2.]])
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(set(pairwise_metrics()) | {"precomputed"}), callable],
        "metric_params": [dict, None],
        "method": [StrOptions(set(METHODS) | set(MSC_METHODS) | {"fastclarans"})],
        "init": [StrOptions(set(INITS)), "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_sampling": [Interval(Integral, 1, None, closed="left"), None],
        "n_sampling_iter": [Interval(Integral, 1, None, closed="left")],
        "min_clusters": [Interval(Integral, 2, None, closed="left")],
        "max_neighbor": MAX_NEIGHBOR_CONSTRAINT,
        "precompute": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        metric="euclidean",
        metric_params=None,
        method="fasterpam",
        init="build",
        n_init="auto",
        max_iter=300,
        n_sampling=None,
        n_sampling_iter=5,
        min_clusters=2,
        max_neighbor=0.025,
        precompute="auto",
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.metric = metric
        self.metric_params = metric_params
        self.method = method
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.n_sampling = n_sampling
        self.n_sampling_iter = n_sampling_iter
        self.min_clusters = min_clusters
        self.max_neighbor = max_neighbor
        self.precompute = precompute
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        # a dissimilarity matrix is refused when negative
        tags.input_tags.positive_only = self.metric == "precomputed"
        tags.input_tags.allow_nan = isinstance(self.metric, str) and self.metric == "nan_euclidean"
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _n_init(self):
        if self.method == "fastclarans":  # searches differ by their draws whatever the init
            return 2 if self.n_init == "auto" else self.n_init
        if self.n_init == "auto":
            return 10 if isinstance(self.init, str) and self.init == "random" else 1
        if self.n_init > 1 and (not isinstance(self.init, str) or self.init == "build"):
            warnings.warn(
                f"n_init={self.n_init} has no effect with a deterministic init "
                f"({'an array of medoids' if not isinstance(self.init, str) else 'build'}): "
                "running once.",
                RuntimeWarning,
                stacklevel=3,
            )
            return 1
        return self.n_init

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Find the medoids.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
            Training rows, or dissimilarities when ``metric="precomputed"``.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each point in the loss.

        Returns
        -------
        self : KMedoids
            The fitted estimator.
        """
        precomputed = self.metric == "precomputed"
        self._check_method_params()
        check_count(self.n_clusters, "n_clusters")
        check_n_jobs(self.n_jobs)
        if is_dask_array(X):
            return self._fit_dask(X, sample_weight)
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], ensure_all_finite=_finite(self.metric)
        )
        if precomputed:
            if X.shape[0] != X.shape[1] and not np.isfinite(X).all():
                raise ValueError("X contains NaN or infinity.")
            X = check_square_matrix(X, "X", check_values=False)
        n = X.shape[0]
        check_k(self.n_clusters, n)
        w = check_weights(sample_weight, n)
        metric_params = (
            None if precomputed else data_metric_params(self.metric, self.metric_params, X)
        )
        init = (
            self.init
            if isinstance(self.init, str)
            else check_init_medoids(self.init, self.n_clusters, n)
        )
        P = None
        for stale in ("medoid_silhouette_", "medoid_silhouette_per_k_"):
            self.__dict__.pop(stale, None)
        if self.method == "fastclara":
            if precomputed:
                validate_matrix(X, "X")
            res = fastclara_solve(
                X,
                self.n_clusters,
                self.metric,
                metric_params,
                self.n_sampling,
                self.n_sampling_iter,
                init,
                self.max_iter,
                w,
                self.random_state,
                self.n_jobs,
                self.verbose,
            )
        elif self._matrix_free(X, metric_params):
            res = self._fit_free(X, w, init)
        else:
            # the same validated core as the function layer (fasterpam & co.)
            if precomputed:
                P = prepare_matrix(X, "X")
            else:
                P = prepare_distances(X, self.metric, metric_params, self.n_jobs)
        if self.method in MSC_METHODS:
            res = self._fit_msc(P, w, init)
        elif self.method == "fastclarans":
            res = clarans_solve(
                P,
                w,
                self.n_clusters,
                init,
                self.max_neighbor,
                self._n_init(),
                self.random_state,
                self.n_jobs,
                self.verbose,
            )
        elif self.method != "fastclara" and P is not None:
            res = solve(
                P,
                w,
                self.n_clusters,
                self.method,
                init,
                self.max_iter,
                self.random_state,
                self.n_jobs,
                self.verbose,
                self._n_init(),
            )
        self.medoid_indices_ = res.medoids
        self.labels_ = res.labels
        self.inertia_ = res.loss
        self.n_iter_ = res.n_iter
        self.n_clusters_ = int(res.medoids.shape[0])
        self.cluster_centers_ = None if precomputed else X[res.medoids].copy()
        self._metric_params = metric_params
        return self

    def _check_method_params(self):
        """Refuse a parameter the chosen method would ignore (never silently)."""
        m = self.method
        if m == "fastclara" and self.n_init not in ("auto", 1):
            raise ValueError(
                f"n_init={self.n_init!r} has no meaning with method='fastclara': its "
                "restarts are the samples, set n_sampling_iter instead."
            )
        for name, default, owner in (
            ("n_sampling", None, "fastclara"),
            ("n_sampling_iter", 5, "fastclara"),
            ("min_clusters", 2, "dynmsc"),
            ("max_neighbor", 0.025, "fastclarans"),
        ):
            value = getattr(self, name)
            if m != owner and value != default:
                raise ValueError(
                    f"{name}={value!r} is used by method={owner!r} only, got method={m!r}."
                )

    def _fit_dask(self, X, sample_weight):
        """FastCLARA on a Dask array: only the samples and the medoids reach the client."""
        if self.method != "fastclara" or self.metric == "precomputed":
            raise ValueError(
                "A dask array X needs method='fastclara' on feature rows (the other "
                f"methods need the full matrix), got method={self.method!r}, "
                f"metric={self.metric!r}."
            )
        if isinstance(self.metric, str) and self.metric in ("mahalanobis", "seuclidean"):
            if not self.metric_params:
                raise ValueError(
                    f"metric={self.metric!r} on a dask array needs metric_params "
                    "(they are not estimated from a distributed X)."
                )
        X = as_row_chunked(X)
        n = X.shape[0]
        check_k(self.n_clusters, n)
        w = check_weights(sample_weight, n)
        init = (
            self.init
            if isinstance(self.init, str)
            else check_init_medoids(self.init, self.n_clusters, n)
        )
        res, centers = dask_fastclara(
            X,
            self.n_clusters,
            self.metric,
            self.metric_params,
            self.n_sampling,
            self.n_sampling_iter,
            init,
            self.max_iter,
            w,
            self.random_state,
            self.n_jobs,
            self.verbose,
        )
        self.n_features_in_ = X.shape[1]
        self.__dict__.pop("feature_names_in_", None)
        self.medoid_indices_ = res.medoids
        self.labels_ = res.labels
        self.inertia_ = res.loss
        self.n_iter_ = res.n_iter
        self.n_clusters_ = int(res.medoids.shape[0])
        self.cluster_centers_ = centers
        self._metric_params = self.metric_params
        return self

    def _matrix_free(self, X, metric_params):
        """Whether this fit runs FasterPAM matrix-free (``precompute``)."""
        supported = (
            self.method == "fasterpam"
            and isinstance(self.metric, str)
            and self.metric in EXACT_METRICS
            and not metric_params
        )
        if self.precompute is False and not supported:
            raise ValueError(
                "precompute=False (matrix-free) needs method='fasterpam' and one of the "
                f"exact metrics {sorted(EXACT_METRICS)} without metric_params, got "
                f"method={self.method!r}, metric={self.metric!r}."
            )
        return supported and needs_matrix_free(X.shape[0], X.dtype, self.precompute)

    def _fit_free(self, X, w, init):
        n_init = self._n_init()
        args = (X, self.metric, w, self.n_clusters, init, self.max_iter)
        if n_init == 1:
            return free_fasterpam(*args, self.random_state, self.n_jobs, self.verbose)
        seeds = check_random_state(self.random_state).randint(np.iinfo(np.int32).max, size=n_init)
        runs = [free_fasterpam(*args, int(s), self.n_jobs, 0) for s in seeds]
        return runs[min(range(n_init), key=lambda i: (runs[i].loss, i))]

    def _fit_msc(self, P, w, init):
        """FastMSC / FasterMSC / DynMSC with ``n_init`` restarts; sets the silhouette attributes."""
        n_init = self._n_init()
        args = (P, w, self.n_clusters, self.method, init, self.max_iter)
        if n_init == 1:
            runs = [
                msc_solve(*args, self.random_state, self.n_jobs, self.verbose, self.min_clusters)
            ]
        else:
            seeds = check_random_state(self.random_state).randint(
                np.iinfo(np.int32).max, size=n_init
            )
            runs = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(msc_solve)(*args, int(s), 1, 0, self.min_clusters) for s in seeds
            )
        total = float(w.sum())
        best = max(range(n_init), key=lambda i: (1.0 - runs[i].loss / total, -i))
        r = runs[best]
        self.medoid_silhouette_ = 1.0 - r.loss / total
        if self.method == "dynmsc":
            self.medoid_silhouette_per_k_ = dict(
                zip((int(k) for k in r.ks), (float(v) for v in r.scores))
            )
        # inertia_ keeps one meaning for every method: the sum of dissimilarities
        return result(P, w, r.medoids, r.n_iter, r.n_swaps, r.converged)

    def _distances(self, X):
        check_is_fitted(self)
        precomputed = self.metric == "precomputed"
        check_n_jobs(self.n_jobs)
        if is_dask_array(X):  # lazily, chunk by chunk, where the chunks live
            if precomputed:
                raise ValueError("A dask array X needs a metric on feature rows.")
            X = as_row_chunked(X)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but KMedoids is expecting "
                    f"{self.n_features_in_} features as input."
                )
            return dask_distances(X, self._distances, self.medoid_indices_.shape[0], X.dtype)
        shape = getattr(X, "shape", None)
        if precomputed and shape is not None and len(shape) == 2:
            n_train = self.n_features_in_
            if shape[1] != n_train and np.isfinite(np.asarray(X, dtype=float)).all():
                # scikit-learn's phrase first (its checks match it), then what it means
                raise ValueError(
                    f"X has {shape[1]} features, but KMedoids is expecting {n_train} "
                    "features as input: with metric='precomputed' each row of X holds "
                    f"its dissimilarities to the {n_train} training samples, so X must "
                    f"have shape (n_queries, {n_train})."
                )
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            reset=False,
            ensure_all_finite=_finite(self.metric) or precomputed,
        )
        if precomputed:
            Dm = np.ascontiguousarray(X[:, self.medoid_indices_])
            if X.size and X.min() < 0:
                # negatives at rounding level (the one rule's tolerance) read as zero
                if X.min() < -SYMMETRY_RTOL * np.abs(X).max():
                    raise ValueError(negative_message("X", X.min()))
                np.maximum(Dm, 0, out=Dm)
            return Dm
        return pairwise_distances(
            X,
            self.cluster_centers_.astype(X.dtype, copy=False),
            metric=self.metric,
            n_jobs=self.n_jobs,
            metric_params=getattr(self, "_metric_params", self.metric_params),
        )

    def predict(self, X):
        """Index of the nearest medoid of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_train)
            Rows, or their dissimilarities to the training points when
            ``metric="precomputed"``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each row (the first nearest medoid on ties).
        """
        return np.argmin(self._distances(X), axis=1)

    def transform(self, X):
        """Dissimilarities of each row to every medoid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_train)
            Rows, or their dissimilarities to the training points when
            ``metric="precomputed"``.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
            Same dtype as ``X`` (float32 or float64).
        """
        return self._distances(X)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return ``labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
            Training rows, or dissimilarities when ``metric="precomputed"``.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each point in the loss.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each training point.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def score(self, X, y=None, sample_weight=None):
        """Negative (weighted) sum of dissimilarities to the nearest medoid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_train)
            Rows, or their dissimilarities to the training points when
            ``metric="precomputed"``.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row.

        Returns
        -------
        score : float
            Opposite of the loss of ``X`` (larger is better).
        """
        D = self._distances(X)
        w = check_nonnegative_weights(sample_weight, D.shape[0])
        return -float(np.dot(w, D.min(axis=1).astype(np.float64)))

    @property
    def _n_features_out(self):
        return self.medoid_indices_.shape[0]
