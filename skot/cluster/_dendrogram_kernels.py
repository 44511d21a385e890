"""Numba kernels for dendrogram leaf ordering.

Contract (no validation here; ``_dendrogram.py`` checks everything first):

* Leaves are numbered by their *position* in the dendrogram's current leaf
  order, so every node covers a contiguous range ``[start, end)`` of
  positions. ``children`` (n - 1, 2) int64 holds the two children of each
  merge (positions for leaves, ``n + i`` for the node of row ``i``);
  ``start``, ``end`` and ``split`` (2 n - 1,) int64 give each node's range
  and, for internal nodes, where its second child starts.
* ``D`` (n, n) float64 are the distances between leaves in position order.
* ``M`` (n, n) float64 zeros, ``bm`` and ``bk`` (n, n) int32, ``tbest``
  (n,) float64 and ``targ`` (n,) int64 are work arrays of the caller.

Algorithm: Bar-Joseph, Gifford & Jaakkola (2001). ``M[u, w]`` is the least
sum of adjacent distances over the orderings of the node whose leftmost and
rightmost leaves are ``u`` and ``w`` (the lowest common ancestor of u and
w). For a node with children A and B, ``M[u, w] = min M[u, m] + D[m, k] +
M[k, w]`` over ``m`` in the other child of A than u and ``k`` in the other
child of B than w, computed for one ``u`` at a time through
``T[k] = min_m M[u, m] + D[m, k]``: O(n^3) in the worst case, O(n^2) memory.
Ties go to the first position (strict comparisons).
"""

import numpy as np

from ..utils._numba import jit


@jit(inline="always")
def _other(node, n, pos, lo, split, hi):
    """The range of the child of ``node`` that does not hold ``pos``."""
    if node < n:
        return pos, pos + 1
    if pos < split:
        return split, hi
    return lo, split


@jit
def optimal_order_costs(children, start, end, split, D, M, bm, bk, tbest, targ):
    """Fill ``M``, ``bm``, ``bk`` bottom-up; return the root's best ends (u, w)."""
    n = D.shape[0]
    bu = 0
    bw = 0
    for i in range(n - 1):
        a = children[i, 0]
        b = children[i, 1]
        a0 = start[a]
        a1 = end[a]
        b0 = start[b]
        b1 = end[b]
        for u in range(a0, a1):
            m0, m1 = _other(a, n, u, a0, split[a], a1)
            for k in range(b0, b1):
                tbest[k] = np.inf
                targ[k] = -1
            for m in range(m0, m1):
                base = M[u, m]
                for k in range(b0, b1):
                    v = base + D[m, k]
                    if v < tbest[k]:
                        tbest[k] = v
                        targ[k] = m
            for w in range(b0, b1):
                k0, k1 = _other(b, n, w, b0, split[b], b1)
                best = np.inf
                kk = k0
                for k in range(k0, k1):
                    v = tbest[k] + M[w, k]
                    if v < best:
                        best = v
                        kk = k
                M[u, w] = best
                M[w, u] = best
                bm[u, w] = targ[kk]
                bk[u, w] = kk
                bm[w, u] = kk
                bk[w, u] = targ[kk]
        if i == n - 2:
            best = np.inf
            for u in range(a0, a1):
                for w in range(b0, b1):
                    if M[u, w] < best:
                        best = M[u, w]
                        bu = u
                        bw = w
    return bu, bw


@jit
def optimal_order_leaves(children, start, end, bm, bk, u, w, out):
    """Leaf positions in the optimal order (the root ends ``u``, ``w``) into ``out``."""
    n = out.shape[0]
    stack_node = np.empty(2 * n, dtype=np.int64)
    stack_u = np.empty(2 * n, dtype=np.int64)
    stack_w = np.empty(2 * n, dtype=np.int64)
    top = 0
    stack_node[0] = 2 * n - 2
    stack_u[0] = u
    stack_w[0] = w
    top = 1
    t = 0
    while top > 0:
        top -= 1
        node = stack_node[top]
        u = stack_u[top]
        w = stack_w[top]
        if node < n:
            out[t] = node
            t += 1
            continue
        a = children[node - n, 0]
        b = children[node - n, 1]
        if not (start[a] <= u < end[a]):
            a, b = b, a
        m = bm[u, w]
        k = bk[u, w]
        # the second child (k .. w) below the first (u .. m) on the stack
        stack_node[top] = b
        stack_u[top] = k
        stack_w[top] = w
        top += 1
        stack_node[top] = a
        stack_u[top] = u
        stack_w[top] = m
        top += 1
