"""Numba kernels for average linkage on a graph's edge density.

Contract (no validation here; ``_graph_linkage.py`` builds the inputs):

* ``(indptr, indices, data)`` is a symmetric CSR matrix (int64, int64,
  float64) of the positive weights between ``m`` initial clusters, without
  diagonal; ``sizes`` (m,) float64 their sizes.
* The similarity of clusters A and B is ``w(A, B) / (|A| |B|)``; it is
  reducible, so a nearest-neighbour chain finds the merges.
* Cluster ids: the ``m`` initial clusters, then the merged ones numbered
  ``m, m + 1, ...`` in order of creation. Each live cluster keeps a list of
  (cluster id, weight) entries; entries may name clusters merged since
  (stale) and are resolved lazily through a union-find ``parent`` array.

Cost: O(sum over merges of the smaller neighbour list), the lists merged
small into large, plus the lazy resolution passes.
"""

import numpy as np

from ..utils._numba import jit
from ._linkage_kernels import filled, filled_int, iota


@jit
def _falses(n):
    a = np.empty(n, dtype=np.bool_)
    for i in range(n):
        a[i] = False
    return a


@jit
def _copy_into(dst, lo, src, n):
    """``dst[lo:lo + n] = src[:n]`` as a loop."""
    for t in range(n):
        dst[lo + t] = src[t]


@jit
def _find(parent, i):
    """Root of ``i`` in the union-find forest, with path compression."""
    r = i
    while parent[r] != r:
        r = parent[r]
    while parent[i] != r:
        t = parent[i]
        parent[i] = r
        i = t
    return r


@jit
def _initial_lists(indptr, indices, data, total):
    """Per cluster id, its neighbour ids and weights (copies of the CSR rows)."""
    m = indptr.shape[0] - 1
    nb_ids = []
    nb_w = []
    nb_len = filled_int(total, 0)
    for i in range(m):
        lo = indptr[i]
        hi = indptr[i + 1]
        ids = np.empty(max(hi - lo, 1), dtype=np.int64)
        ws = np.empty(max(hi - lo, 1))
        for t in range(lo, hi):
            ids[t - lo] = indices[t]
            ws[t - lo] = data[t]
        nb_ids.append(ids)
        nb_w.append(ws)
        nb_len[i] = hi - lo
    for _ in range(m, total):
        nb_ids.append(np.empty(1, dtype=np.int64))
        nb_w.append(np.empty(1))
    return nb_ids, nb_w, nb_len


@jit
def _nearest_neighbour(x, parent, size, nb_ids, nb_w, nb_len, acc, mark, touched):
    """Resolve ``x``'s list (aggregate weights per live cluster) and find its nearest.

    The list is rewritten in place without stale or duplicate entries.
    Returns ``(y, similarity)``, ``y = -1`` when ``x`` has no neighbour left;
    ties go to the lowest id.
    """
    ids = nb_ids[x]
    ws = nb_w[x]
    nt = 0
    for t in range(nb_len[x]):
        r = _find(parent, ids[t])
        if r == x:
            continue
        if not mark[r]:
            mark[r] = True
            acc[r] = 0.0
            touched[nt] = r
            nt += 1
        acc[r] += ws[t]
    sx = size[x]
    best = -1.0
    y = -1
    for t in range(nt):
        r = touched[t]
        ids[t] = r
        ws[t] = acc[r]
        mark[r] = False
        s = acc[r] / (sx * size[r])
        if s > best or (s == best and r < y):
            best = s
            y = r
    nb_len[x] = nt
    return y, best


@jit
def _merge_lists(x, y, c, nb_ids, nb_w, nb_len):
    """Give cluster ``c`` the union of the lists of ``x`` and ``y`` (small into large)."""
    big, small = x, y
    if nb_len[y] > nb_len[x]:
        big, small = y, x
    lbig = nb_len[big]
    lsmall = nb_len[small]
    need = lbig + lsmall
    bid = nb_ids[big]
    bw = nb_w[big]
    if need > bid.shape[0]:
        cap = max(need, 2 * bid.shape[0])
        nid = np.empty(cap, dtype=np.int64)
        nw = np.empty(cap)
        _copy_into(nid, 0, bid, lbig)
        _copy_into(nw, 0, bw, lbig)
        bid = nid
        bw = nw
    sid = nb_ids[small]
    sw = nb_w[small]
    _copy_into(bid, lbig, sid, lsmall)
    _copy_into(bw, lbig, sw, lsmall)
    nb_ids[c] = bid
    nb_w[c] = bw
    nb_len[c] = need
    for old in (x, y):
        nb_ids[old] = np.empty(1, dtype=np.int64)
        nb_w[old] = np.empty(1)
        nb_len[old] = 0


@jit
def _as_array(values):
    out = np.empty(len(values), dtype=np.int64)
    for t in range(len(values)):
        out[t] = values[t]
    return out


@jit
def graph_average_linkage(indptr, indices, data, sizes):
    """Average linkage on edge density, from ``m`` initial clusters.

    The most similar pair is merged first (nearest-neighbour chain). Ties go
    to the lowest cluster id, the chain merging when that neighbour is the
    previous chain element; the chain restarts at the lowest live id. These
    are the rules of Paris (Bonald et al.), so on unweighted graphs, where
    ties abound, the tree is the same as scikit-network's
    ``Paris(weights="uniform")`` up to that code's float32 rounding of the
    similarities.

    Returns ``(Z, n_merges, roots)``: ``Z`` (m - 1, 4) holds in its first
    ``n_merges`` rows the merges with a positive similarity as slot rows
    ``(leaf of A, leaf of B, similarity, size)`` in the order found;
    ``roots`` lists a leaf of every connected component's cluster (the
    caller sorts them).
    """
    m = sizes.shape[0]
    total = 2 * m - 1
    parent = iota(total)
    size = filled(total, 0.0)
    rep = filled_int(total, -1)  # a leaf of each cluster
    live = _falses(total)
    done = _falses(total)
    for i in range(m):
        size[i] = sizes[i]
        rep[i] = i
        live[i] = True
    nb_ids, nb_w, nb_len = _initial_lists(indptr, indices, data, total)
    acc = filled(total, 0.0)
    mark = _falses(total)
    touched = np.empty(total, dtype=np.int64)
    chain = np.empty(total, dtype=np.int64)
    clen = 0
    Z = np.empty((max(m - 1, 0), 4))
    n_merges = 0
    new_id = m
    roots = []
    start = 0
    while True:
        if clen == 0:
            while start < new_id and (not live[start] or done[start]):
                start += 1
            if start >= new_id:
                break
            chain[0] = start
            clen = 1
        x = chain[clen - 1]
        y, best = _nearest_neighbour(x, parent, size, nb_ids, nb_w, nb_len, acc, mark, touched)
        if y < 0:
            # x has no neighbour left: it is a connected component
            done[x] = True
            roots.append(rep[x])
            clen = 0
            continue
        if clen > 1 and y == chain[clen - 2]:
            clen -= 2
            c = new_id
            new_id += 1
            _merge_lists(x, y, c, nb_ids, nb_w, nb_len)
            Z[n_merges, 0] = rep[x]
            Z[n_merges, 1] = rep[y]
            Z[n_merges, 2] = best
            Z[n_merges, 3] = size[x] + size[y]
            n_merges += 1
            size[c] = size[x] + size[y]
            rep[c] = min(rep[x], rep[y])
            parent[x] = c
            parent[y] = c
            live[x] = False
            live[y] = False
            live[c] = True
        else:
            chain[clen] = y
            clen += 1
    return Z, n_merges, _as_array(roots)
