"""Pairwise distances with exact, reproducible kernels for the common metrics."""

import numpy as np

from ._numba import numba_threads, select
from ._validation import check_memory

# Metrics computed by skot's own exact kernels; every other metric goes to
# scikit-learn's ``pairwise_distances``.
EXACT_METRICS = {
    "euclidean": 0,
    "l2": 0,
    "sqeuclidean": 1,
    "manhattan": 2,
    "cityblock": 2,
    "l1": 2,
    "chebyshev": 3,
}


def _supported_metrics():
    from sklearn.metrics.pairwise import _VALID_METRICS

    # "wminkowski" is still listed by scikit-learn but scipy no longer computes it
    return frozenset((set(_VALID_METRICS) | set(EXACT_METRICS)) - {"precomputed", "wminkowski"})


# The one list of metric names every family accepts on feature input (skot's
# exact kernels plus every name scikit-learn's ``pairwise_distances`` takes).
# Families add their own input kinds ("precomputed", "adjacency") on top, and a
# solver that supports fewer (the block-wise online engine) names its subset.
METRICS = _supported_metrics()


def pairwise_distances(X, Y=None, *, metric="euclidean", n_jobs=None, metric_params=None):
    """Distances between the rows of ``X`` and ``Y`` (or ``X`` itself).

    The metrics in :data:`EXACT_METRICS` without ``metric_params`` use exact
    per-pair numba kernels: symmetric to the last bit, zero diagonal, float32
    input gives float32 output, and the same pair gives the same value in every
    call. Other metrics and callables use
    :func:`sklearn.metrics.pairwise_distances`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Validated, finite rows.
    Y : ndarray of shape (m, d) or None, default=None
        Second set of rows; ``None`` means ``X``.
    metric : str or callable, default="euclidean"
        Distance name or callable ``metric(x, y) -> float``.
    n_jobs : int or None, default=None
        Threads for the kernels (joblib semantics).
    metric_params : dict or None, default=None
        Extra keyword arguments for the metric.

    Returns
    -------
    D : ndarray of shape (n, m)
    """
    n = X.shape[0]
    m = n if Y is None else Y.shape[0]
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    check_memory(
        n * m * np.dtype(dtype).itemsize,
        f"a {n} x {m} {np.dtype(dtype).name} distance matrix",
        hint="Use fewer samples, or method='fastclara', which never stores it.",
    )
    if isinstance(metric, str) and metric in EXACT_METRICS and not metric_params:
        from . import _pairwise_kernels as k

        code = EXACT_METRICS[metric]
        Xc = np.ascontiguousarray(X, dtype=dtype)
        out = np.empty((n, m), dtype=dtype)
        with numba_threads(n_jobs) as n_threads:
            work = n * m * X.shape[1]
            if Y is None:
                select(k.pairwise_xx, work, n_threads, "pairwise")(Xc, code, out)
            else:
                Yc = np.ascontiguousarray(Y, dtype=dtype)
                select(k.pairwise_xy, work, n_threads, "pairwise")(Xc, Yc, code, out)
        return out
    from sklearn.metrics import pairwise_distances as sk_pairwise

    D = sk_pairwise(X, Y, metric=metric, n_jobs=n_jobs, **(metric_params or {}))
    return np.asarray(D, dtype=dtype)
