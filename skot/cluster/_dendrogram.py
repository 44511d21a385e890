"""Dendrogram tools on scipy-format linkage matrices: optimal leaf ordering, leaf order."""

import numpy as np
from sklearn.utils._param_validation import validate_params

from ..utils._validation import check_memory

__all__ = ["leaves_list", "optimal_leaf_ordering"]


def _check_linkage_matrix(Z, name="Z"):
    from scipy.cluster.hierarchy import is_valid_linkage

    Z = np.asarray(Z, dtype=np.float64)
    try:
        is_valid_linkage(Z, throw=True, name=name)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} is not a valid linkage matrix: {exc}") from exc
    return Z


def leaves_list(Z):
    """Leaf ids in the order a dendrogram of ``Z`` draws them (left to right).

    Equals :func:`scipy.cluster.hierarchy.leaves_list`: the first child of
    every row is drawn on the left.

    Parameters
    ----------
    Z : array-like of shape (n_samples - 1, 4)
        A linkage matrix (scipy's format).

    Returns
    -------
    order : ndarray of shape (n_samples,)
        The leaves, left to right.
    """
    Z = _check_linkage_matrix(Z)
    return _leaves(Z.astype(np.int64)[:, :2], Z.shape[0] + 1)


def _leaves(children, n):
    out = np.empty(n, dtype=np.int64)
    stack = [2 * n - 2]
    t = 0
    while stack:
        node = stack.pop()
        if node < n:
            out[t] = node
            t += 1
        else:
            a, b = children[node - n]
            stack.append(b)
            stack.append(a)
    return out


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
    >>> from skot.cluster._dendrogram import leaves_list, optimal_leaf_ordering
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
    Z = _check_linkage_matrix(Z)
    D = _square_distances(y, metric, Z.shape[0] + 1)
    return _optimal_ordering(Z, D)


def _square_distances(y, metric, n):
    """Square float64 distances of the ``n`` leaves from the forms ``y`` may take."""
    from scipy.spatial.distance import squareform

    from ._linkage import (
        _features_condensed,
        _float_array,
        _prepare_condensed,
        _prepare_square,
        _safe_exponent,
    )
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


def _optimal_ordering(Z, D):
    n = Z.shape[0] + 1
    Zo = Z.copy()
    if n <= 2:
        return Zo
    from ._dendrogram_kernels import optimal_order_costs, optimal_order_leaves

    children = Z[:, :2].astype(np.int64)
    order = _leaves(children, n)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    ch = children.copy()
    leaf = ch < n
    ch[leaf] = pos[ch[leaf]]
    start = np.empty(2 * n - 1, dtype=np.int64)
    end = np.empty(2 * n - 1, dtype=np.int64)
    split = np.full(2 * n - 1, -1, dtype=np.int64)
    start[:n] = np.arange(n)
    end[:n] = np.arange(1, n + 1)
    for i in range(n - 1):
        a, b = ch[i]
        start[n + i] = start[a]
        end[n + i] = end[b]
        split[n + i] = start[b]
    Dp = np.ascontiguousarray(D[np.ix_(order, order)])
    del D
    M = np.zeros((n, n))
    bm = np.zeros((n, n), dtype=np.int32)
    bk = np.zeros((n, n), dtype=np.int32)
    u, w = optimal_order_costs(
        ch, start, end, split, Dp, M, bm, bk, np.empty(n), np.empty(n, dtype=np.int64)
    )
    out = np.empty(n, dtype=np.int64)
    optimal_order_leaves(ch, start, end, bm, bk, u, w, out)
    rank = np.empty(2 * n - 1, dtype=np.int64)
    rank[order[out]] = np.arange(n)  # final position of each leaf id
    for i in range(n - 1):
        a, b = children[i]
        if rank[b] < rank[a]:
            Zo[i, 0], Zo[i, 1] = Z[i, 1], Z[i, 0]
        rank[n + i] = min(rank[a], rank[b])
    return Zo
