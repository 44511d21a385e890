"""Dendrogram tools on scipy-format linkage matrices: optimal leaf ordering, leaf order."""

import numpy as np

__all__ = ["leaves_list"]


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
