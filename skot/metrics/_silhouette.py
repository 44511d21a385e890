"""Silhouette and medoid silhouette: O(n) extra memory, parallel, float32 kept.

:func:`silhouette_samples` and :func:`silhouette_score` give scikit-learn's
values (to rounding; the same bits on the same float64 matrix with unit
weights) without its chunked n x n work arrays: per point, one pass over its
row of dissimilarities accumulates the per-cluster sums. On features with an
exact metric the distances are computed on the fly; other metrics go through
row blocks of bounded size. :func:`medoid_silhouette` needs only the n x k
distances to the medoids.
"""

from numbers import Integral

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import n_chunks, numba_threads, use_parallel
from ..utils._pairwise import EXACT_METRICS, METRICS, pairwise_distances
from ..utils._validation import check_nonnegative_weights, check_square_matrix, scan_matrix

__all__ = [
    "medoid_silhouette",
    "medoid_silhouette_samples",
    "silhouette_samples",
    "silhouette_score",
]

# rows of a generic-metric block: about 32 MB of float64 whatever n
_BLOCK_ENTRIES = 1 << 22


def _check_n_jobs(n_jobs):
    if n_jobs is not None and (isinstance(n_jobs, (bool, np.bool_)) or int(n_jobs) == 0):
        raise ValueError(
            f"n_jobs={n_jobs!r} has no meaning: use None (one thread), a positive "
            "number of threads or -1 (all cores)."
        )


def _check_precomputed(X):
    X = check_square_matrix(X, "X", check_values=False)
    scan = scan_matrix(X)
    if not scan.finite:
        raise ValueError("X contains NaN or infinity.")
    if scan.min < 0:
        raise ValueError(f"X must hold non-negative dissimilarities, got min {scan.min!r}.")
    tol = np.finfo(X.dtype).eps * 100
    if max(abs(scan.min_diagonal), abs(scan.max_diagonal)) > tol * max(1.0, scan.max_abs):
        raise ValueError(
            "The precomputed distance matrix X has non-zero elements on the diagonal "
            f"(largest {scan.largest_diagonal!r}); use np.fill_diagonal(X, 0)."
        )
    return X


def _check_input(X, metric):
    finite = "allow-nan" if metric == "nan_euclidean" else True
    if metric == "precomputed":
        return _check_precomputed(
            check_array(X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        )
    return check_array(
        X, dtype=[np.float64, np.float32], ensure_all_finite=finite, ensure_min_samples=2
    )


def _encode_labels(labels, n):
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"labels must have shape ({n},), got {labels.shape}.")
    codes = LabelEncoder().fit_transform(labels).astype(np.int64)
    k = int(codes.max()) + 1 if n else 0
    if not 1 < k < n:
        raise ValueError(
            f"Number of labels is {k}. Valid values are 2 to n_samples - 1 (inclusive)."
        )
    return codes, k


_METRIC = [StrOptions(set(METRICS) | {"precomputed"}), callable]


@validate_params(
    {
        "X": ["array-like"],
        "labels": ["array-like"],
        "metric": _METRIC,
        "metric_params": [dict, None],
        "sample_weight": ["array-like", None],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def silhouette_samples(
    X, labels, *, metric="euclidean", metric_params=None, sample_weight=None, n_jobs=None
):
    """Silhouette coefficient of every sample, with O(n) extra memory.

    ``s(i) = (b(i) - a(i)) / max(a(i), b(i))`` where ``a(i)`` is the mean
    dissimilarity of ``i`` to the other members of its cluster and ``b(i)``
    the smallest mean dissimilarity to another cluster; 0 for a point alone in
    its cluster. With ``sample_weight`` the means are weighted by the weights
    of the *other* points. The values are scikit-learn's
    (:func:`sklearn.metrics.silhouette_samples`) to rounding: the same bits on
    the same float64 matrix without weights. O(n^2) time, O(n_threads * k)
    extra memory on a matrix or with the exact metrics (``"euclidean"``,
    ``"sqeuclidean"``, ``"manhattan"``, ``"chebyshev"``), bounded row blocks
    (about 32 MB) with the others.

    Read more in the :ref:`User Guide <kmedoids_silhouette>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        Feature rows, or a dissimilarity matrix when ``metric="precomputed"``
        (non-negative, zero diagonal; float32 or float64, not copied).
    labels : array-like of shape (n_samples,)
        Cluster label of each sample (2 to n_samples - 1 distinct values).
    metric : str or callable, default="euclidean"
        A metric of :func:`sklearn.metrics.pairwise_distances`, or
        ``"precomputed"``.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the points in the means.
    n_jobs : int, default=None
        Threads (``-1``: all cores). Results do not depend on it.

    Returns
    -------
    silhouette : ndarray of shape (n_samples,)
        Silhouette of each sample, float32 for float32 input, else float64.
    """
    _check_n_jobs(n_jobs)
    X = _check_input(X, metric)
    n = X.shape[0]
    codes, k = _encode_labels(labels, n)
    w = check_nonnegative_weights(sample_weight, n)
    wc = np.bincount(codes, weights=w, minlength=k).astype(np.float64)
    out = np.empty(n, dtype=X.dtype)
    from . import _silhouette_kernels as K

    with numba_threads(n_jobs) as n_threads:
        exact = isinstance(metric, str) and metric in EXACT_METRICS and not metric_params
        if metric == "precomputed" or not exact:
            block = max(1, _BLOCK_ENTRIES // max(n, 1)) if metric != "precomputed" else n
            for lo in range(0, n, block):
                hi = min(n, lo + block)
                if metric == "precomputed":
                    D = X[lo:hi]
                    if not D.flags.c_contiguous:
                        D = np.ascontiguousarray(D)
                else:
                    D = pairwise_distances(
                        X[lo:hi], X, metric=metric, n_jobs=n_jobs, metric_params=metric_params
                    )
                    if not np.isfinite(D).all():
                        raise ValueError(f"The {metric!r} distances contain NaN or infinity.")
                work = (hi - lo) * n
                kernel, chunks = _pick(K.silhouette_rows, work, n_threads)
                kernel(D, lo, codes, w, wc, out[lo:hi], chunks)
        else:
            Xc = np.ascontiguousarray(X)
            kernel, chunks = _pick(K.silhouette_features, n * n * X.shape[1], n_threads)
            kernel(Xc, EXACT_METRICS[metric], codes, w, wc, out, chunks)
    return out


def _pick(kernel, work, n_threads):
    if use_parallel(work, n_threads, "rows"):
        return kernel.parallel, n_chunks(n_threads)
    return kernel.serial, 1


@validate_params(
    {
        "X": ["array-like"],
        "labels": ["array-like"],
        "metric": _METRIC,
        "metric_params": [dict, None],
        "sample_weight": ["array-like", None],
        "sample_size": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def silhouette_score(
    X,
    labels,
    *,
    metric="euclidean",
    metric_params=None,
    sample_weight=None,
    sample_size=None,
    random_state=None,
    n_jobs=None,
):
    """Mean silhouette coefficient (weighted by ``sample_weight``), O(n) extra memory.

    The mean of :func:`silhouette_samples`: scikit-learn's
    :func:`sklearn.metrics.silhouette_score` to rounding.

    Read more in the :ref:`User Guide <kmedoids_silhouette>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        Feature rows, or dissimilarities when ``metric="precomputed"``.
    labels : array-like of shape (n_samples,)
        Cluster label of each sample.
    metric : str or callable, default="euclidean"
        A metric of :func:`sklearn.metrics.pairwise_distances`, or
        ``"precomputed"``.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights: of the points in the means, and of the samples in
        the average.
    sample_size : int, default=None
        Score a random subset of this size (as scikit-learn does); ``None``:
        all samples.
    random_state : int, RandomState instance or None, default=None
        Draws the subset when ``sample_size`` is set.
    n_jobs : int, default=None
        Threads (``-1``: all cores). Results do not depend on it.

    Returns
    -------
    score : float
        Mean silhouette, in [-1, 1].
    """
    if sample_size is not None:
        X = _check_input(X, metric)
        n = X.shape[0]
        idx = check_random_state(random_state).permutation(n)[:sample_size]
        X = X[idx][:, idx] if metric == "precomputed" else X[idx]
        labels = np.asarray(labels)[idx]
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)[idx]
    s = silhouette_samples(
        X,
        labels,
        metric=metric,
        metric_params=metric_params,
        sample_weight=sample_weight,
        n_jobs=n_jobs,
    )
    if sample_weight is None:
        return float(np.mean(s, dtype=np.float64))
    w = check_nonnegative_weights(sample_weight, s.shape[0])
    return float(np.dot(w, s.astype(np.float64)) / w.sum())


def _medoid_distances(X, medoids, metric, metric_params, n_jobs):
    X = _check_input(X, metric)
    n = X.shape[0]
    med = np.asarray(medoids)
    if med.ndim != 1 or not np.issubdtype(med.dtype, np.integer):
        raise ValueError(f"medoids must be 1-D integer row indices, got {medoids!r}.")
    if med.shape[0] < 2:
        raise ValueError(
            f"medoids must hold at least 2 indices (a nearest and a second-nearest "
            f"medoid), got {med.shape[0]}."
        )
    if med.min() < 0 or med.max() >= n:
        raise ValueError(f"medoids must be row indices in [0, {n - 1}], got {med.tolist()}.")
    if np.unique(med).shape[0] != med.shape[0]:
        raise ValueError(f"medoids must be distinct, got {med.tolist()}.")
    if metric == "precomputed":
        Dm = np.asarray(X[:, med], dtype=np.float64)
    else:
        Dm = pairwise_distances(
            X, X[med], metric=metric, n_jobs=n_jobs, metric_params=metric_params
        )
        Dm = Dm.astype(np.float64, copy=False)
    Dm[med, np.arange(med.shape[0])] = 0.0  # a medoid is its own nearest
    return X, Dm


def _medoid_ratios(Dm):
    """``d1 / d2`` per row (0 when either is zero)."""
    two = np.partition(Dm, 1, axis=1)
    d1, d2 = two[:, 0], two[:, 1]
    ratio = np.zeros_like(d1)
    ok = (d1 != 0) & (d2 != 0)
    ratio[ok] = d1[ok] / d2[ok]
    return ratio


_MEDOID_PARAMS = {
    "X": ["array-like"],
    "medoids": ["array-like"],
    "metric": _METRIC,
    "metric_params": [dict, None],
    "sample_weight": ["array-like", None],
    "n_jobs": [Integral, None],
}


@validate_params(_MEDOID_PARAMS, prefer_skip_nested_validation=True)
def medoid_silhouette_samples(
    X, medoids, *, metric="euclidean", metric_params=None, n_jobs=None, sample_weight=None
):
    """Medoid silhouette of every sample: ``1 - d1 / d2``, O(n k).

    ``d1`` and ``d2`` are the distances of the sample to its nearest and
    second-nearest medoid; the value is 1 when either is zero (as the
    ``kmedoids`` package defines it). Van der Laan, Pollard & Bryan (2003);
    Lenssen & Schubert (2022).

    Read more in the :ref:`User Guide <kmedoids_silhouette>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        Feature rows, or dissimilarities when ``metric="precomputed"``.
    medoids : array-like of shape (n_clusters,)
        Row indices of the (at least two, distinct) medoids.
    metric : str or callable, default="euclidean"
        A metric of :func:`sklearn.metrics.pairwise_distances`, or
        ``"precomputed"``.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    n_jobs : int, default=None
        Threads for the distances. Results do not depend on it.
    sample_weight : array-like of shape (n_samples,), default=None
        Accepted for symmetry with :func:`medoid_silhouette` (each sample's
        value does not depend on the weights); validated only.

    Returns
    -------
    silhouette : ndarray of shape (n_samples,)
        Medoid silhouette of each sample, float32 for float32 input.
    """
    _check_n_jobs(n_jobs)
    X, Dm = _medoid_distances(X, medoids, metric, metric_params, n_jobs)
    check_nonnegative_weights(sample_weight, X.shape[0])
    return (1.0 - _medoid_ratios(Dm)).astype(X.dtype, copy=False)


@validate_params(_MEDOID_PARAMS, prefer_skip_nested_validation=True)
def medoid_silhouette(
    X, medoids, *, metric="euclidean", metric_params=None, n_jobs=None, sample_weight=None
):
    """Average medoid silhouette (AMS) of a set of medoids, O(n k).

    The (weighted) mean of :func:`medoid_silhouette_samples`: what
    ``KMedoids(method="fastermsc")`` maximises. Equal to
    ``kmedoids.medoid_silhouette(D, medoids)[0]`` on a dissimilarity matrix.

    Read more in the :ref:`User Guide <kmedoids_silhouette>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        Feature rows, or dissimilarities when ``metric="precomputed"``.
    medoids : array-like of shape (n_clusters,)
        Row indices of the (at least two, distinct) medoids.
    metric : str or callable, default="euclidean"
        A metric of :func:`sklearn.metrics.pairwise_distances`, or
        ``"precomputed"``.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    n_jobs : int, default=None
        Threads for the distances. Results do not depend on it.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples in the average.

    Returns
    -------
    score : float
        Average medoid silhouette, in [0, 1].
    """
    _check_n_jobs(n_jobs)
    X, Dm = _medoid_distances(X, medoids, metric, metric_params, n_jobs)
    ratio = _medoid_ratios(Dm)
    # summed in index order (a cumulative sum), as the reference does
    if sample_weight is None:
        return float(1.0 - np.cumsum(ratio)[-1] / ratio.shape[0])
    w = check_nonnegative_weights(sample_weight, X.shape[0])
    return float(1.0 - np.cumsum(w * ratio)[-1] / w.sum())
