"""Agglomerative clustering: :func:`linkage`, a drop-in for scipy's.

The function returns scipy's linkage matrix format, so its result works with
:func:`scipy.cluster.hierarchy.dendrogram`, ``fcluster``, ``cophenet`` and
the rest of :mod:`scipy.cluster.hierarchy`.
"""

import warnings
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import StrOptions, validate_params

from ..utils._numba import n_chunks, numba_threads, use_parallel
from ..utils._validation import SYMMETRY_RTOL, check_memory, scan_matrix
from ._metrics import computed_by_pdist, pdist_name

__all__ = ["linkage", "optimal_leaf_ordering"]

METHODS = ("single", "complete", "average", "weighted", "ward", "centroid", "median")
_CODES = {m: i for i, m in enumerate(METHODS)}
_EUCLIDEAN_ONLY = ("ward", "centroid", "median")
_MONOTONE = ("single", "complete", "average", "weighted", "ward")


def _kernels():
    # Imported on first use: importing skot.cluster does not load numba kernels.
    from . import _linkage_kernels

    return _linkage_kernels


def _feature_kernels():
    from . import _feature_linkage_kernels

    return _feature_linkage_kernels


def _run_twin(kernel, n, n_jobs, *args):
    """Run a twin kernel serially (one chunk) or in parallel, by the one policy."""
    with numba_threads(n_jobs) as n_threads:
        if use_parallel(n * n, n_threads, "linkage"):
            kernel.parallel(*args, n_chunks(n_threads))
        else:
            kernel.serial(*args, 1)


def _float_array(X, name="X"):
    if sparse.issparse(X):
        raise TypeError(
            f"{name} must be a dense array of feature rows or distances, got a sparse "
            "matrix; pass X.toarray(), or use BottomUpClustering(metric='adjacency') "
            "for a graph."
        )
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise ValueError(f"{name} must hold numbers, got dtype {X.dtype}.")
        if np.iscomplexobj(X):
            raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}.")
        X = X.astype(np.float64)
    return X


def _n_from_condensed(m):
    n = round((1 + np.sqrt(1 + 8 * m)) / 2)
    if n * (n - 1) // 2 != m or n < 2:
        raise ValueError(
            f"A condensed distance matrix must have length n (n - 1) / 2 for some n >= 2, "
            f"got length {m}."
        )
    return n


def _condensed_bytes(n, dtype):
    return (n * (n - 1) // 2) * np.dtype(dtype).itemsize


def _check_condensed_memory(n, dtype):
    check_memory(
        _condensed_bytes(n, dtype),
        f"a condensed {np.dtype(dtype).name} distance matrix for {n} points",
        hint="Use method='single', 'ward', 'centroid' or 'median' with the Euclidean "
        "metric on feature rows: they never store the distances.",
    )


# Inputs whose largest magnitude lies outside [2**-_SAFE_EXP, 2**_SAFE_EXP] are
# scaled by an even power of two before the kernels (exact: every height is
# the same multiple, and sqrt of the scale is exact), so that squared
# distances and the Lance-Williams updates neither overflow nor underflow.
_SAFE_EXP = 64


def _safe_exponent(amax):
    """Even ``e`` with ``amax * 2**-e`` in [1, 4), or 0 if ``amax`` is safe (or 0)."""
    if amax == 0 or 2.0**-_SAFE_EXP <= amax <= 2.0**_SAFE_EXP:
        return 0
    e = int(np.frexp(amax)[1]) - 1  # 2**e <= amax < 2**(e + 1)
    return e - (e % 2)


def _scaled_heights(Z, e):
    """Undo the input scaling on the heights; refuse heights beyond float64."""
    if e:
        with np.errstate(over="ignore"):
            Z[:, 2] = np.ldexp(Z[:, 2], e)
    if not np.isfinite(Z[:, 2]).all():
        raise ValueError(
            "The distances between the observations overflow float64 (the merge "
            "heights exceed 1.8e308): rescale X, e.g. X / np.abs(X).max()."
        )
    return Z


def _prepare_condensed(y):
    """Validate a condensed vector; return a private C-contiguous copy and n.

    Negative entries at rounding level (the one symmetry rule's tolerance,
    relative to the largest entry) are read as zero; others are refused.
    """
    n = _n_from_condensed(y.shape[0])
    d = np.array(y, dtype=y.dtype, order="C", copy=True)
    K = _kernels()
    finite, vmin, vmax = K.scan_condensed(d)
    if not finite:
        raise ValueError("X contains NaN or infinity.")
    if vmin < 0:
        if vmin < -SYMMETRY_RTOL * vmax:
            raise ValueError(f"X contains negative distances (min {vmin!r}).")
        K.clip_negative(d)
    return d, n, vmax


def _prepare_square(D):
    """Validate a square distance matrix; return its condensed copy and n.

    The one symmetry rule (:func:`skot.utils._validation.scan_matrix`, one
    pass, any layout): symmetric up to rounding, zero diagonal and
    non-negative up to the same tolerance. The upper triangle is used
    (negatives at rounding level as zero), copied once, whatever the layout.
    """
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(
            "With metric='precomputed', X must be a square (n_samples, n_samples) "
            f"distance matrix or a condensed vector, got shape {D.shape}."
        )
    n = D.shape[0]
    if n < 2:
        raise ValueError(f"linkage needs at least 2 observations, got n_samples={n}.")
    scan = scan_matrix(D)
    if not scan.finite:
        raise ValueError("X contains NaN or infinity.")
    if scan.min < -SYMMETRY_RTOL * scan.max_abs:
        raise ValueError(f"X contains negative distances (min {scan.min!r}).")
    if not scan.zero_diagonal:
        raise ValueError(
            "X must have a zero diagonal (the distance of a point to itself), got an "
            f"entry of {scan.largest_diagonal!r}."
        )
    if not scan.symmetric:
        raise ValueError(
            f"X must be a symmetric distance matrix; |X - X.T| reaches {scan.asymmetry!r}. "
            "Symmetrise it first, e.g. (X + X.T) / 2."
        )
    _check_condensed_memory(n, D.dtype)
    d = np.empty(n * (n - 1) // 2, dtype=D.dtype)
    _kernels().square_to_condensed(D, d)
    return d, n, float(scan.max_abs)


def _features_condensed(X, metric, n_jobs):
    n = X.shape[0]
    _check_condensed_memory(n, X.dtype)
    if isinstance(metric, str) and metric == "euclidean":
        d = np.empty(n * (n - 1) // 2, dtype=X.dtype)
        _run_twin(_feature_kernels().pdist_euclidean, n, n_jobs, X, d)
        return d
    if computed_by_pdist(metric):
        from scipy.spatial.distance import pdist

        try:
            d = pdist(X, metric=metric)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"metric={metric!r} could not be computed by pdist: {exc}") from exc
    else:  # a name of the one list that pdist does not know (haversine, ...)
        from scipy.spatial.distance import squareform

        from ..utils._pairwise import pairwise_distances

        try:
            D = pairwise_distances(X, metric=metric, n_jobs=n_jobs)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"metric={metric!r} could not be computed: {exc}") from exc
        d = squareform(D, checks=False)  # the upper triangle
    d = np.ascontiguousarray(d, dtype=X.dtype)
    if not np.isfinite(d).all():
        raise ValueError(f"metric={metric!r} gave NaN or infinite distances.")
    if (d < 0).any():
        raise ValueError(f"metric={metric!r} gave negative distances.")
    return d


def label_tree(Z, leaf_counts):
    """Slot rows to scipy ids, in place, and the size column (see the kernel)."""
    n = leaf_counts.shape[0]
    parent = np.arange(2 * n - 1, dtype=np.int64)
    _kernels().label_tree(Z, leaf_counts, parent, np.empty(2 * n - 1))


def _finish(Z, n, sort):
    if sort:
        Z = Z[np.argsort(Z[:, 2], kind="stable")]
    Z = np.ascontiguousarray(Z)
    label_tree(Z, np.ones(n))
    return Z


def _linkage(X, method, metric, n_jobs):
    """Validated core of :func:`linkage` and :class:`BottomUpClustering` (``X`` a float array)."""
    metric = pdist_name(metric)
    K = _kernels()
    code = _CODES[method]
    sort = method in _MONOTONE
    if X.ndim == 1:
        d, n, vmax = _prepare_condensed(X)
        features = None
    elif X.ndim == 2 and metric == "precomputed":
        d, n, vmax = _prepare_square(X)
        features = None
    elif X.ndim == 2:
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"linkage needs at least 2 observations, got n_samples={n}.")
        if X.shape[1] == 0:
            raise ValueError("X has 0 features: at least one is required.")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinity.")
        if method in _EUCLIDEAN_ONLY and metric != "euclidean":
            raise ValueError(
                f"method={method!r} needs the Euclidean metric on feature rows, got "
                f"metric={metric!r}; pass distances with metric='precomputed' to use "
                "the Lance-Williams update on any dissimilarity."
            )
        features = np.ascontiguousarray(X)
        d = None
        vmax = 0.0
    else:
        raise ValueError(
            "X must be a 1-D condensed distance vector or a 2-D array (feature rows, or "
            f"a square distance matrix with metric='precomputed'), got {X.ndim} dimensions."
        )
    Z = np.zeros((n - 1, 4))
    e = 0
    if features is not None and metric == "euclidean":
        # the Euclidean kernels square differences: scale extreme magnitudes
        e = _safe_exponent(float(np.abs(features).max()))
        if e:
            features = np.ldexp(features, -e).astype(features.dtype, copy=False)
    if (
        features is not None
        and metric == "euclidean"
        and method in ("single", "ward", "centroid", "median")
    ):
        F = _feature_kernels()
        CT = np.array(features.T, dtype=np.float64, order="C")  # updated by the kernels
        if method == "single":
            _run_twin(F.mst_features, n, n_jobs, CT, Z)
        elif method == "ward":
            idx = np.arange(n, dtype=np.int64)
            F.nn_chain_ward_features(
                CT, Z, idx, idx.copy(), np.ones(n), np.empty(n), np.empty(n, dtype=np.int64)
            )
        else:
            F.generic_features(CT, code, Z)
        return _finish(_scaled_heights(Z, e), n, sort)
    if d is None:
        d = _features_condensed(features, metric, n_jobs)
        if e == 0:
            e = _safe_exponent(float(d.max()))
            if e:
                d = np.ldexp(d, -e).astype(d.dtype, copy=False)
    else:
        # the private copy: scaled in place (the Lance-Williams updates of
        # ward, centroid and median square the distances)
        e = _safe_exponent(vmax)
        if e:
            np.ldexp(d, -e, out=d)
    if method == "single":
        K.mst_condensed(d, n, Z)
    elif method in ("centroid", "median"):
        K.generic_condensed(d, n, code, Z)
    else:
        K.nn_chain_condensed(
            d,
            n,
            code,
            Z,
            np.ones(n),
            np.arange(n, dtype=np.int64),
            np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64),
        )
    return _finish(_scaled_heights(Z, e), n, sort)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "method": [StrOptions(set(METHODS))],
        "metric": [str, callable],
        "optimal_ordering": ["boolean"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def linkage(X, method="average", metric="euclidean", optimal_ordering=False, *, n_jobs=None):
    """Hierarchical agglomerative clustering, in scipy's linkage format.

    A drop-in for :func:`scipy.cluster.hierarchy.linkage`: same input
    conventions, same linkage matrix (heights, cluster ids and row order),
    computed with algorithms suited to each method. Single, ward, centroid
    and median linkage on Euclidean feature rows never store the n x n
    distances (O(n) memory besides the input).

    Read more in the :ref:`User Guide <hierarchy>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), (n_samples, n_samples) \
            or (n_samples * (n_samples - 1) / 2,)
        Feature rows; a 1-D condensed distance vector (as returned by
        :func:`scipy.spatial.distance.pdist`, whatever ``metric``); or a square
        symmetric distance matrix with a zero diagonal when
        ``metric="precomputed"``. Symmetric, zero and non-negative are
        decided up to rounding (the one symmetry rule of the User Guide:
        ``sklearn.metrics.pairwise_distances(X)`` or ``1 - V @ V.T`` are
        accepted) and the upper triangle is used. Any layout (views, F-order,
        read-only, memmaps) is read in place and copied once into the
        condensed form. float32 input is stored and updated in float32 (half
        the memory; heights then carry float32 rounding).
    method : {"single", "complete", "average", "weighted", "ward", \
            "centroid", "median"}, default="average"
        The cluster distance. ``"single"``: minimum, by a minimum spanning
        tree; ``"complete"``: maximum; ``"average"`` (UPGMA): mean;
        ``"weighted"`` (WPGMA): mean of the two merged clusters' distances;
        ``"ward"``: increase of the within-cluster variance; ``"centroid"``
        and ``"median"``: distance between centroids (or WPGMC medians).
        The last three assume Euclidean distances.
    metric : str or callable, default="euclidean"
        Distance between feature rows: any :func:`scipy.spatial.distance.pdist`
        metric name, any name of scikit-learn's ``pairwise_distances`` (the
        one metric list of skot; e.g. ``"manhattan"``, ``"haversine"``) or a
        callable, or ``"precomputed"`` for a square distance
        matrix. ``"ward"``, ``"centroid"`` and ``"median"`` need
        ``"euclidean"`` on feature rows. Ignored for a condensed vector.
    optimal_ordering : bool, default=False
        Order the two children of every merge so that the dendrogram's
        adjacent leaves are as close as possible (the least sum of adjacent
        distances, Bar-Joseph et al.; see :func:`optimal_leaf_ordering`).
        The tree and its cuts do not change. O(n^3) time in the worst case
        and three n x n work arrays: for a few thousand points.
    n_jobs : int, default=None
        Threads for the distance computation and the minimum spanning tree on
        large inputs. The result does not depend on it.

    Returns
    -------
    Z : ndarray of shape (n_samples - 1, 4)
        Row ``i`` merges clusters ``Z[i, 0] < Z[i, 1]`` (ids below
        ``n_samples`` are observations, id ``n_samples + i`` is the cluster
        formed at row ``i``) at height ``Z[i, 2]`` into a cluster of
        ``Z[i, 3]`` observations. Rows are sorted by height for the monotone
        methods (all but centroid and median, which list merges in the order
        made and may have inversions). With ``optimal_ordering=True`` the two
        children of a row are in drawing order instead (either may be the
        smaller id). Ready for :func:`scipy.cluster.hierarchy.dendrogram`,
        ``fcluster`` and ``cophenet``.

    See Also
    --------
    BottomUpClustering : The estimator, also for graphs.
    scipy.cluster.hierarchy.linkage : The reference this function reproduces.

    Notes
    -----
    Ties (equal distances) are broken as scipy does where the algorithm
    allows: a nearest-neighbour chain keeps its previous element, otherwise
    the lowest index wins, and equal heights keep the order found. The row
    order of equal heights, and so the flat clusters cut exactly at a tied
    height, can differ from scipy's; the heights themselves and every cut
    between distinct heights agree. Centroid and median linkage on
    distances merge tied pairs in scipy's and fastcluster's order (the same
    heap). On feature rows they compute the distance between the cluster
    centres directly (no n x n matrix), where scipy updates rounded
    distances: the heights agree to rounding, but a tie that scipy's
    rounding breaks may be merged the other way; pass ``pdist(X)`` to
    reproduce scipy's order to the bit.

    Extreme scales are safe: inputs whose magnitude lies outside
    [2**-64, 2**64] are scaled by a power of two before the computation
    (exact, the heights scaled back), so squared distances neither overflow
    nor underflow. Heights that float64 cannot hold (distances above
    1.8e308) raise a ValueError, as scipy does.

    ``optimal_ordering=True`` returns the true optimum of the leaf order
    (checked against exhaustive search); scipy's function of the same name
    can return a costlier order (scipy issue #11227).

    References
    ----------
    .. [1] D. Muellner. "Modern hierarchical, agglomerative clustering
       algorithms." arXiv:1109.2378 (2011).
    .. [2] F. Murtagh, P. Contreras. "Algorithms for hierarchical clustering:
       an overview." WIREs Data Mining and Knowledge Discovery 2 (2012).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.cluster import linkage
    >>> X = np.array([[0.0], [1.0], [5.0], [7.0]])
    >>> linkage(X, method="single")
    array([[0., 1., 1., 2.],
           [2., 3., 2., 2.],
           [4., 5., 4., 4.]])
    """
    X = _float_array(X)
    if metric == "precomputed" and X.ndim == 1:
        metric = "euclidean"
    if metric != "precomputed" and _looks_like_distances(X):
        from scipy.cluster.hierarchy import ClusterWarning

        warnings.warn(
            "X is a square, symmetric, non-negative matrix with a zero diagonal: it "
            "looks like a distance matrix but is read as feature rows. Pass "
            "metric='precomputed' (or the condensed form scipy.spatial.distance."
            "squareform(X)) if it holds distances.",
            ClusterWarning,
            stacklevel=2,
        )
    Z = _linkage(X, method, metric, n_jobs)
    if optimal_ordering:
        from ._dendrogram import _optimal_ordering

        Z = _optimal_ordering(Z, _square_distances(X, metric, Z.shape[0] + 1))
    return Z


def _looks_like_distances(X):
    """scipy's test for a distance matrix passed as features (square, hollow,
    non-negative, symmetric up to rounding)."""
    if X.ndim != 2 or X.shape[0] != X.shape[1] or X.shape[0] < 2:
        return False
    if not np.isfinite(X).all():
        return False
    scan = scan_matrix(X)
    return bool(scan.zero_diagonal and scan.symmetric and scan.min >= 0)


@validate_params(
    {"Z": ["array-like"], "y": ["array-like"], "metric": [str, callable]},
    prefer_skip_nested_validation=True,
)
def optimal_leaf_ordering(Z, y, metric="euclidean"):
    """Reorder the children of every merge so that adjacent leaves are close.

    Among the ``2 ** (n - 1)`` leaf orders of the dendrogram of ``Z`` (each
    merge may put either child on the left), finds the one that minimises
    the sum of the distances between adjacent leaves (Bar-Joseph et al.), and
    returns ``Z`` with the two children of each row in that order. The tree,
    its heights and its flat clusters do not change. A drop-in for
    :func:`scipy.cluster.hierarchy.optimal_leaf_ordering`.

    Read more in the :ref:`User Guide <hierarchy>`.

    Parameters
    ----------
    Z : array-like of shape (n_samples - 1, 4)
        A linkage matrix (scipy's format), e.g. from :func:`linkage`.
    y : array-like of shape (n_samples * (n_samples - 1) / 2,), \
            (n_samples, n_features) or (n_samples, n_samples)
        The condensed distances between the leaves; or feature rows, whose
        distances ``metric`` computes; or a square distance matrix with
        ``metric="precomputed"``.
    metric : str or callable, default="euclidean"
        The distance of :func:`scipy.spatial.distance.pdist` for feature
        rows, or ``"precomputed"``. Ignored for a condensed vector.

    Returns
    -------
    Z_ordered : ndarray of shape (n_samples - 1, 4)
        ``Z`` with the children of some rows swapped: its dendrogram draws
        the leaves in the optimal order.

    See Also
    --------
    linkage : With ``optimal_ordering=True``, returns the ordered tree.
    scipy.cluster.hierarchy.optimal_leaf_ordering : The reference.

    Notes
    -----
    O(n^3) time in the worst case (O(n^2 log n) on balanced trees) and
    O(n^2) memory: three n x n work arrays. The costs are summed in float64
    (scipy sums them in float32, so two orders whose costs agree to about
    1e-7 may be told apart differently); exact ties go to the order found
    first.

    References
    ----------
    .. [1] Z. Bar-Joseph, D. K. Gifford, T. S. Jaakkola. "Fast optimal leaf
       ordering for hierarchical clustering." Bioinformatics 17 (2001).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.cluster import linkage
    >>> from skot.cluster import leaves_list, optimal_leaf_ordering
    >>> X = np.array([[0.0], [10.0], [1.0], [11.0], [5.0]])
    >>> Z = linkage(X, "average")
    >>> Zo = optimal_leaf_ordering(Z, X)
    >>> Zo[:, :2]
    array([[2., 0.],
           [3., 1.],
           [4., 5.],
           [6., 7.]])
    >>> X[leaves_list(Zo), 0]  # adjacent leaves close: 1 + 5 + 4 + 1
    array([11., 10.,  5.,  1.,  0.])
    """
    from ._dendrogram import _check_linkage_matrix, _optimal_ordering

    Z = _check_linkage_matrix(Z)
    D = _square_distances(y, metric, Z.shape[0] + 1)
    return _optimal_ordering(Z, D)


def _square_distances(y, metric, n):
    """Square float64 distances of the ``n`` leaves from the forms ``y`` may take."""
    from scipy.spatial.distance import squareform

    from ._metrics import pdist_name

    metric = pdist_name(metric)
    y = _float_array(y, "y")
    if y.ndim == 1:
        if y.shape[0] != n * (n - 1) // 2:
            raise ValueError(
                f"y must hold the n (n - 1) / 2 = {n * (n - 1) // 2} distances of the {n} "
                f"leaves of Z, got length {y.shape[0]}."
            )
        d = _prepare_condensed(y)[0]
    elif y.ndim == 2:
        if y.shape[0] != n:
            raise ValueError(
                f"y must have a row for each of the {n} leaves of Z, got {y.shape[0]}."
            )
        if metric == "precomputed":
            d = _prepare_square(y)[0]
        else:
            if not np.isfinite(y).all():
                raise ValueError("y contains NaN or infinity.")
            y = np.ascontiguousarray(y, dtype=np.float64)
            if metric == "euclidean":  # squares of extreme magnitudes: scale exactly
                e = _safe_exponent(float(np.abs(y).max()))
                if e:
                    y = np.ldexp(y, -e)
            d = _features_condensed(y, metric, None)
    else:
        raise ValueError(f"y must be a condensed vector or a 2-D array, got {y.ndim} dimensions.")
    check_memory(
        32 * n * n,
        f"the optimal leaf ordering of {n} leaves (four {n} x {n} work arrays)",
    )
    D = squareform(np.asarray(d, dtype=np.float64), checks=False)
    amax = float(D.max()) if n > 1 else 0.0
    if amax > 0 and not 2.0**-256 <= amax <= 2.0**256:
        D = np.ldexp(D, -int(np.frexp(amax)[1]))  # sums of n distances stay finite
    return D
