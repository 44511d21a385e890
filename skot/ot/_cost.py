"""Cost matrices between point clouds and their normalisations."""

import numbers

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._pairwise import METRICS, pairwise_distances
from ._utils import check_dense_2d

__all__ = ["cost_matrix", "cost_scale"]

_NORMS = ("max", "median", "log", "loglog")


def _check_norm(norm):
    if norm is None:
        return None
    if isinstance(norm, str):
        if norm not in _NORMS:
            raise ValueError(
                f"norm must be None, a positive number or one of {list(_NORMS)}, got {norm!r}."
            )
        return norm
    if isinstance(norm, bool) or not isinstance(norm, numbers.Real):
        raise TypeError(f"norm must be None, a string or a positive number, got {norm!r}.")
    if not np.isfinite(norm) or norm <= 0:
        raise ValueError(f"norm as a number must be positive and finite, got {norm!r}.")
    return float(norm)


@validate_params(
    {
        "M": ["array-like", "sparse matrix"],
        "norm": [StrOptions({"max", "median"}), Interval(numbers.Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def cost_scale(M, norm="max"):
    """Divisor that :func:`cost_matrix` uses for a normalisation of ``M``.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    M : array-like of shape (n, m)
        Cost matrix (not yet normalised).
    norm : {"max", "median"} or float, default="max"
        ``"max"``: the largest absolute entry; ``"median"``: the median
        absolute entry (for the usual non-negative costs, the largest and
        the median entry; with negative costs the divisor stays positive, so
        dividing keeps the sign and the order of the costs); a positive
        number is returned as it is.

    Returns
    -------
    scale : float
        The divisor, positive; 1.0 when the statistic is zero (an all-zero
        cost).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import cost_matrix, cost_scale
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> cost_scale(cost_matrix(X), "max")
    9.0
    """
    if isinstance(norm, numbers.Real):
        return float(norm)
    if sparse.issparse(M):
        raise TypeError("M must be a dense 2-D array, got a sparse matrix; use M.toarray().")
    M = np.asarray(M)
    if np.iscomplexobj(M):
        raise TypeError(f"M must hold real numbers, got the complex dtype {M.dtype}.")
    if M.ndim != 2 or M.size == 0:
        raise ValueError(f"M must be a non-empty 2-D array, got shape {np.shape(M)}.")
    if not np.isfinite(M).all():
        raise ValueError("M contains NaN or infinity.")
    A = np.abs(M)
    s = float(np.max(A)) if norm == "max" else float(np.median(A))
    if s <= 0:
        return 1.0
    return s


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like", None],
        "metric": [str, callable],
        "norm": [StrOptions(set(_NORMS)), Interval(numbers.Real, 0, None, closed="neither"), None],
        "n_jobs": [numbers.Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def cost_matrix(X, Y=None, *, metric="sqeuclidean", norm=None, n_jobs=None):
    """Cost matrix between the rows of ``X`` and ``Y``, optionally normalised.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Source points.
    Y : array-like of shape (m, d) or None, default=None
        Target points; ``None`` means ``X``.
    metric : str or callable, default="sqeuclidean"
        ``"sqeuclidean"``, ``"euclidean"``, ``"cityblock"``, ``"chebyshev"``
        (exact numba kernels) or any metric :func:`sklearn.metrics.pairwise_distances`
        accepts.
    norm : {"max", "median", "log", "loglog"}, float or None, default=None
        ``"max"`` / ``"median"``: divide by the largest / median entry
        (see :func:`cost_scale`); ``"log"``: ``log(1 + M)``; ``"loglog"``:
        ``log(1 + log(1 + M))``; a positive number: divide by it (reuse the
        divisor of a training cost for new points).

    n_jobs : int or None, default=None
        Threads for the distance kernels (joblib semantics).

    Returns
    -------
    M : ndarray of shape (n, m)
        The cost, float64 (float32 when ``X`` is float32).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import cost_matrix
    >>> cost_matrix(np.array([[0.0], [2.0]]), np.array([[1.0]]), norm="max")
    array([[1.],
           [1.]])
    """
    X = _as_points(X, "X")
    Yv = None if Y is None else _as_points(Y, "Y")
    if Yv is not None and Yv.shape[1] != X.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features, got {X.shape[1]} and {Yv.shape[1]}."
        )
    if Yv is not None and Yv.dtype != X.dtype:
        X = X.astype(np.float64)
        Yv = Yv.astype(np.float64)
    if isinstance(metric, str) and metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}.")
    M = pairwise_distances(X, Yv, metric=metric, n_jobs=n_jobs)
    if metric in ("sqeuclidean", "euclidean", "l2") or Yv is None:
        # exact kernels give exact zeros; guard tiny negatives from other metrics
        np.maximum(M, 0, out=M)
    return _normalise(M, _check_norm(norm))


def _as_points(X, name):
    return check_dense_2d(X, name, "(n_samples, n_features) array of points")


def _normalise(M, norm):
    if norm is None:
        return M
    if norm == "log":
        return np.log1p(M)
    if norm == "loglog":
        return np.log1p(np.log1p(M))
    s = cost_scale(M, norm)
    M /= M.dtype.type(s)
    return M
