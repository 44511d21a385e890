"""Numba kernel for agglomerative clustering under connectivity constraints.

Contract (no validation here; ``_hierarchy_connectivity.py`` checks first):

* The graph is a symmetric CSR structure (``indptr`` (n + 1,), ``indices``
  int64, sorted within rows, no self-loops) with ``weights`` float64: the
  distance along each edge (ignored by ward).
* ``S`` (2 n - 1, p) float64: rows ``0..n-1`` hold the feature rows (ward
  only; ``p`` may be 0 for the other methods); merged rows are written.
* ``Z`` (n - 1, 4) float64 receives the merges in the order made:
  ``(i, j, height, size)`` with scipy's ids (node ``n + k`` formed at row
  ``k``), ``i < j``. Returns the number of merges made (fewer than n - 1
  when the graph is disconnected).

Only adjacent clusters merge, the pair of least distance first; ties go to
the lexicographically least ``(distance, larger id, smaller id)``. A merged
cluster is adjacent to the union of its parts' neighbours, at the distance
(the rules of scikit-learn's ``AgglomerativeClustering(connectivity=...)``):

* 0 single: the minimum of the parts' distances (the one present if only one
  part is adjacent); 1 complete: the maximum; 2 average: the size-weighted
  mean ``(n_a d_a + n_b d_b) / (n_a + n_b)``, or the one present;
* 4 ward: recomputed from the centroids, ``n_a n_b / (n_a + n_b) |c_a - c_b|^2``
  (heights ``sqrt(2 x)``, scipy's).

Each cluster's neighbour list lives in one pool (sorted ids, stale entries
skipped and dropped when a list is moved); the candidate edges in a binary
heap. Cost O(E log E) plus the sizes of the merged neighbour lists.
"""

import math

import numpy as np

from ..utils._numba import jit

SINGLE, COMPLETE, AVERAGE, WARD = 0, 1, 2, 4


@jit(inline="always")
def _less(hw, ha, hb, x, y):
    if hw[x] != hw[y]:
        return hw[x] < hw[y]
    if ha[x] != ha[y]:
        return ha[x] < ha[y]
    return hb[x] < hb[y]


@jit
def _heap_swap(hw, ha, hb, x, y):
    t = hw[x]
    hw[x] = hw[y]
    hw[y] = t
    u = ha[x]
    ha[x] = ha[y]
    ha[y] = u
    u = hb[x]
    hb[x] = hb[y]
    hb[y] = u


@jit
def _heap_up(hw, ha, hb, h):
    while h > 0:
        p = (h - 1) >> 1
        if _less(hw, ha, hb, h, p):
            _heap_swap(hw, ha, hb, h, p)
            h = p
        else:
            break


@jit
def _heap_down(hw, ha, hb, h, size):
    while True:
        c = 2 * h + 1
        if c >= size:
            break
        if c + 1 < size and _less(hw, ha, hb, c + 1, c):
            c += 1
        if _less(hw, ha, hb, c, h):
            _heap_swap(hw, ha, hb, h, c)
            h = c
        else:
            break


@jit
def _ward_dist(S, sz, a, b):
    s = 0.0
    na = sz[a]
    nb = sz[b]
    for f in range(S.shape[1]):
        t = S[a, f] / na - S[b, f] / nb
        s += t * t
    return s * (na * nb / (na + nb))


@jit
def constrained_linkage(indptr, indices, weights, method, S, Z):
    """Greedy agglomeration over the edges of a graph (see the module docstring)."""
    n = indptr.shape[0] - 1
    nn = 2 * n - 1
    nnz = indices.shape[0]
    # neighbour lists in one pool
    cap_pool = 2 * nnz + 16
    pnb = np.empty(cap_pool, dtype=np.int64)
    pval = np.empty(cap_pool, dtype=np.float64)
    st = np.zeros(nn, dtype=np.int64)
    ln = np.zeros(nn, dtype=np.int64)
    cp = np.zeros(nn, dtype=np.int64)
    sz = np.zeros(nn, dtype=np.float64)
    active = np.zeros(nn, dtype=np.bool_)
    top = 0
    for i in range(n):
        st[i] = top
        for t in range(indptr[i], indptr[i + 1]):
            pnb[top] = indices[t]
            pval[top] = weights[t]
            top += 1
        ln[i] = top - st[i]
        cp[i] = ln[i]
        sz[i] = 1.0
        active[i] = True
    # candidate edges: (distance, larger id, smaller id)
    hcap = nnz // 2 + 16
    hw = np.empty(hcap, dtype=np.float64)
    ha = np.empty(hcap, dtype=np.int64)
    hb = np.empty(hcap, dtype=np.int64)
    hs = 0
    for i in range(n):
        for t in range(indptr[i], indptr[i + 1]):
            j = indices[t]
            if j < i:
                if method == WARD:
                    hw[hs] = _ward_dist(S, sz, i, j)
                else:
                    hw[hs] = weights[t]
                ha[hs] = i
                hb[hs] = j
                hs += 1
    for h in range(hs // 2 - 1, -1, -1):
        _heap_down(hw, ha, hb, h, hs)
    newv = np.empty(0, dtype=np.float64)
    newn = np.empty(0, dtype=np.int64)
    made = 0
    for k in range(n - 1):
        found = False
        while hs > 0:
            w = hw[0]
            a = ha[0]
            b = hb[0]
            hs -= 1
            if hs > 0:
                hw[0] = hw[hs]
                ha[0] = ha[hs]
                hb[0] = hb[hs]
                _heap_down(hw, ha, hb, 0, hs)
            if active[a] and active[b]:
                found = True
                break
        if not found:
            break
        node = n + k
        na = sz[a]
        nb = sz[b]
        Z[k, 0] = b if b < a else a
        Z[k, 1] = a if b < a else b
        Z[k, 2] = math.sqrt(2.0 * w) if method == WARD else w
        Z[k, 3] = na + nb
        made += 1
        active[a] = False
        active[b] = False
        sz[node] = na + nb
        if method == WARD:
            for f in range(S.shape[1]):
                S[node, f] = S[a, f] + S[b, f]
        # union of the two sorted neighbour lists
        la = ln[a]
        lb = ln[b]
        if newv.shape[0] < la + lb:
            newv = np.empty(2 * (la + lb), dtype=np.float64)
            newn = np.empty(2 * (la + lb), dtype=np.int64)
        ia = st[a]
        ea = ia + la
        ib = st[b]
        eb = ib + lb
        m = 0
        while ia < ea or ib < eb:
            if ib >= eb or (ia < ea and pnb[ia] < pnb[ib]):
                c = pnb[ia]
                v = pval[ia]
                ia += 1
            elif ia >= ea or pnb[ib] < pnb[ia]:
                c = pnb[ib]
                v = pval[ib]
                ib += 1
            else:  # adjacent to both
                c = pnb[ia]
                va = pval[ia]
                vb = pval[ib]
                ia += 1
                ib += 1
                if method == SINGLE:
                    v = vb if vb < va else va
                elif method == COMPLETE:
                    v = vb if vb > va else va
                else:
                    v = (na * va + nb * vb) / (na + nb)
            if not active[c]:
                continue
            if method == WARD:
                v = _ward_dist(S, sz, node, c)
            newn[m] = c
            newv[m] = v
            m += 1
        active[node] = True
        # pool room for the new list
        if top + m > cap_pool:
            cap2 = 2 * cap_pool + m
            q = np.empty(cap2, dtype=np.int64)
            r = np.empty(cap2, dtype=np.float64)
            q[:top] = pnb[:top]
            r[:top] = pval[:top]
            pnb = q
            pval = r
            cap_pool = cap2
        st[node] = top
        for t in range(m):
            pnb[top + t] = newn[t]
            pval[top + t] = newv[t]
        ln[node] = m
        cp[node] = m
        top += m
        for t in range(m):
            c = newn[t]
            # append (node, value) to c's list; move it (compacted) when full
            if ln[c] == cp[c]:
                live = 0
                for u in range(st[c], st[c] + ln[c]):
                    if active[pnb[u]]:
                        live += 1
                need = 2 * live + 4
                if top + need > cap_pool:
                    cap2 = 2 * cap_pool + need
                    q = np.empty(cap2, dtype=np.int64)
                    r = np.empty(cap2, dtype=np.float64)
                    q[:top] = pnb[:top]
                    r[:top] = pval[:top]
                    pnb = q
                    pval = r
                    cap_pool = cap2
                w2 = top
                for u in range(st[c], st[c] + ln[c]):
                    if active[pnb[u]]:
                        pnb[w2] = pnb[u]
                        pval[w2] = pval[u]
                        w2 += 1
                st[c] = top
                ln[c] = live
                cp[c] = need
                top += need
            pnb[st[c] + ln[c]] = node
            pval[st[c] + ln[c]] = newv[t]
            ln[c] += 1
            # the candidate edge
            if hs == hcap:
                hcap2 = 2 * hcap
                x = np.empty(hcap2, dtype=np.float64)
                y = np.empty(hcap2, dtype=np.int64)
                z = np.empty(hcap2, dtype=np.int64)
                x[:hs] = hw[:hs]
                y[:hs] = ha[:hs]
                z[:hs] = hb[:hs]
                hw = x
                ha = y
                hb = z
                hcap = hcap2
            hw[hs] = newv[t]
            ha[hs] = node
            hb[hs] = c
            hs += 1
            _heap_up(hw, ha, hb, hs - 1)
    return made


@jit
def kruskal_linkage(a, b, w, n, Z):
    """Single linkage on a graph: Kruskal's algorithm over edges sorted by ``w``.

    ``a``, ``b`` (E,) int64 and ``w`` (E,) float64, in increasing order of
    ``w``. Fills ``Z`` with scipy ids (node ``n + k`` formed at row ``k``);
    returns the number of merges. O(E alpha(n)) after the sort.
    """
    parent = np.arange(n)
    node = np.arange(n)  # scipy id of the cluster whose union-find root is r
    cnt = np.ones(n)
    k = 0
    for e in range(a.shape[0]):
        x = a[e]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        y = b[e]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x == y:
            continue
        i = node[x]
        j = node[y]
        Z[k, 0] = i if i < j else j
        Z[k, 1] = j if i < j else i
        Z[k, 2] = w[e]
        Z[k, 3] = cnt[x] + cnt[y]
        if cnt[x] < cnt[y]:
            x, y = y, x
        parent[y] = x
        cnt[x] += cnt[y]
        node[x] = n + k
        k += 1
        if k == n - 1:
            break
    return k
