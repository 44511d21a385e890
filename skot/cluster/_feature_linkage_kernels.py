"""Numba kernels for agglomerative clustering on Euclidean feature rows.

Contract (no validation here; ``_linkage.py`` checks everything first):

* ``X`` is a C-contiguous (n, n_features) float32 or float64 array of finite
  feature rows (:func:`pdist_euclidean`); the tree kernels take ``CT``, its
  (n_features, n) float64 transpose (a copy they update), and never allocate
  an n x n matrix (O(n p) memory besides the input).
* ``Z`` (n - 1, 4) float64 receives *slot* rows, as in ``_linkage_kernels.py``
  (whose heap helpers the generic algorithm shares).
* Twin kernels (``twin``: :func:`pdist_euclidean`, :func:`mst_features`) take
  ``n_chunks``; the serial variant runs with ``n_chunks=1``, the parallel one
  with more, and both give the same bits.

Algorithms and costs (n points, p features): condensed Euclidean distances
O(n^2 p); single linkage by Prim's algorithm O(n^2 p); ward by a
nearest-neighbour chain on centroids O(n^2 p); centroid and median by
Muellner's generic algorithm on the cluster centres, O(n^2 p) typical.
"""

import math

import numpy as np
from numba import prange

from ..utils._numba import jit, twin
from ._linkage_kernels import (
    CENTROID,
    _heap_pop,
    _heap_sift_down,
    _heap_update,
    filled,
    filled_int,
    iota,
)


@jit(inline="always")
def _sqdist(X, i, j):
    s = 0.0
    for f in range(X.shape[1]):
        t = float(X[i, f]) - float(X[j, f])
        s += t * t
    return s


@jit(inline="always")
def _pdist_row(X, i, out):
    """Row i of the condensed matrix: four pairs at a time (independent sums,
    each in feature order, so the values equal a plain loop's to the bit)."""
    n, p = X.shape
    k = n * i - (i * (i + 1)) // 2 - i - 1
    j = i + 1
    while j + 3 < n:
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for f in range(p):
            xi = float(X[i, f])
            t0 = xi - float(X[j, f])
            t1 = xi - float(X[j + 1, f])
            t2 = xi - float(X[j + 2, f])
            t3 = xi - float(X[j + 3, f])
            s0 += t0 * t0
            s1 += t1 * t1
            s2 += t2 * t2
            s3 += t3 * t3
        out[k + j] = math.sqrt(s0)
        out[k + j + 1] = math.sqrt(s1)
        out[k + j + 2] = math.sqrt(s2)
        out[k + j + 3] = math.sqrt(s3)
        j += 4
    while j < n:
        out[k + j] = math.sqrt(_sqdist(X, i, j))
        j += 1


@twin
def pdist_euclidean(X, out, n_chunks):
    """Euclidean distances of the rows of ``X`` into the condensed ``out``.

    Chunk ``c`` takes rows ``c, c + n_chunks, ...``: a fair share of the
    triangle. Every value is computed the same way whatever the chunking.
    """
    n = X.shape[0]
    for c in prange(n_chunks):
        for i in range(c, n - 1, n_chunks):
            _pdist_row(X, i, out)


# ------------------------------------------------------- shared parts
#
# The feature kernels keep the active points (or cluster centres) as the
# columns of a (p, n) float64 array ``CT``, compacted by swapping the removed
# column with the last one; ``idx[t]`` is the original index of column ``t``.
# Distances from one column to all others are computed feature by feature
# (vectorised over the columns, summed in feature order: the same value as a
# scalar loop over the features, to the bit).


@jit(inline="always")
def _sq_to_column(CT, q, lo, hi, tmp):
    """tmp[t] = ||CT[:, t] - CT[:, q]||^2 for lo <= t < hi."""
    for t in range(lo, hi):
        tmp[t] = 0.0
    for f in range(CT.shape[0]):
        c = CT[f, q]
        for t in range(lo, hi):
            u = CT[f, t] - c
            tmp[t] += u * u


@jit(inline="always")
def _remove_column(CT, idx, pos, vals, t, m):
    """Move column m - 1 into column t (the removed one); return m - 1."""
    last = m - 1
    if t != last:
        for f in range(CT.shape[0]):
            CT[f, t] = CT[f, last]
        idx[t] = idx[last]
        pos[idx[t]] = t
        vals[t] = vals[last]
    return last


@jit
def _prim_chunk(CT, idx, dist, tmp, q, lo, hi):
    _sq_to_column(CT, q, lo, hi, tmp)
    best = np.inf
    bi = -1
    bt = -1
    for t in range(lo, hi):
        v = tmp[t]
        if v < dist[t]:
            dist[t] = v
        v = dist[t]
        if v < best or (v == best and idx[t] < bi):
            best = v
            bi = idx[t]
            bt = t
    return best, bi, bt


@jit(inline="always")
def _move_to_end(CT, idx, dist, xt, m):
    """Swap active column ``xt`` with column ``m`` (the new end of the active range)."""
    for f in range(CT.shape[0]):
        c = CT[f, xt]
        CT[f, xt] = CT[f, m]
        CT[f, m] = c
    x = idx[xt]
    idx[xt] = idx[m]
    idx[m] = x
    dist[xt] = dist[m]


@twin
def mst_features(CT, Z, n_chunks):
    """Single linkage on Euclidean features by Prim's algorithm (slot rows).

    Each step scans the active columns in ``n_chunks`` chunks (in parallel
    for the parallel twin) and keeps the smallest distance; ties go to the
    lowest index (scipy's convention), so the result does not depend on the
    chunking.
    """
    n = CT.shape[1]
    idx = iota(n)
    dist = filled(n, np.inf)  # squared distance of each column to the tree
    tmp = np.empty(n)
    bests = np.empty(n_chunks)
    bis = np.empty(n_chunks, dtype=np.int64)
    bts = np.empty(n_chunks, dtype=np.int64)
    m = n
    xt = 0
    for k in range(n - 1):
        x = idx[xt]
        # the query column is moved to the end, out of the active range
        m -= 1
        if xt != m:
            _move_to_end(CT, idx, dist, xt, m)
        if n_chunks == 1:
            # one chunk: the scan straight into the result (the chunk
            # bookkeeping below made the serial Prim step 3x slower)
            best, bi, bt = _prim_chunk(CT, idx, dist, tmp, m, 0, m)
        else:
            step = (m + n_chunks - 1) // n_chunks
            for c in prange(n_chunks):
                lo = c * step if c * step < m else m
                hi = lo + step if lo + step < m else m
                b, bi, bt = _prim_chunk(CT, idx, dist, tmp, m, lo, hi)
                bests[c] = b
                bis[c] = bi
                bts[c] = bt
            best = np.inf
            bi = -1
            bt = -1
            for c in range(n_chunks):
                if bis[c] >= 0 and (bests[c] < best or (bests[c] == best and bis[c] < bi)):
                    best = bests[c]
                    bi = bis[c]
                    bt = bts[c]
        Z[k, 0] = x
        Z[k, 1] = bi
        Z[k, 2] = math.sqrt(best)
        xt = bt


@jit
def nn_chain_ward_features(CT, Z, idx, pos, size, tmp, chain):
    """Ward linkage by nearest-neighbour chain on centroids (slot rows).

    Heights are ``sqrt(2 |A||B| / (|A|+|B|)) * ||c_A - c_B||`` (scipy's).
    On ties the previous chain element wins, then the lowest index.

    Work arrays, allocated by the caller (no allocation is compiled here):
    ``CT`` (p, n) float64 the transposed rows (updated), ``idx`` and ``pos``
    (n,) int64 ``0, 1, ...``, ``size`` (n,) float64 ones, ``tmp`` (n,)
    float64 and ``chain`` (n,) int64 scratch.
    """
    n = CT.shape[1]
    clen = 0
    m = n
    for k in range(n - 1):
        if clen == 0:
            lo_i = idx[0]
            for t in range(1, m):
                if idx[t] < lo_i:
                    lo_i = idx[t]
            chain[0] = lo_i
            clen = 1
        while True:
            x = chain[clen - 1]
            px = pos[x]
            sx = size[px]
            _sq_to_column(CT, px, 0, m, tmp)
            best = np.inf
            y = -1
            for t in range(m):
                if t == px:
                    continue
                st_ = size[t]
                v = (sx * st_ / (sx + st_)) * tmp[t]
                if v < best or (v == best and idx[t] < y):
                    best = v
                    y = idx[t]
            if clen > 1:
                prv = chain[clen - 2]
                pp = pos[prv]
                sp = size[pp]
                if (sx * sp / (sx + sp)) * tmp[pp] == best:
                    y = prv
                    break
            chain[clen] = y
            clen += 1
        clen -= 2
        if x > y:
            x, y = y, x
        px = pos[x]
        py = pos[y]
        nx_ = size[px]
        ny_ = size[py]
        Z[k, 0] = x
        Z[k, 1] = y
        Z[k, 2] = math.sqrt(2.0 * best)
        Z[k, 3] = nx_ + ny_
        for f in range(CT.shape[0]):
            CT[f, py] = (nx_ * CT[f, px] + ny_ * CT[f, py]) / (nx_ + ny_)
        size[py] = nx_ + ny_
        m = _remove_column(CT, idx, pos, size, px, m)


@jit
def _nearest_above_cols(CT, idx, m, q, x, tmp):
    """Nearest active column with original index > x: (index, squared distance)."""
    _sq_to_column(CT, q, 0, m, tmp)
    best = np.inf
    y = -1
    for t in range(m):
        i = idx[t]
        if i > x:
            v = tmp[t]
            if v < best or (v == best and i < y) or y < 0:
                best = v
                y = i
    return y, best


@jit
def _col_sqdist(CT, a, b):
    s = 0.0
    for f in range(CT.shape[0]):
        u = CT[f, a] - CT[f, b]
        s += u * u
    return s


@jit
def generic_features(CT, method, Z):
    """Centroid or median linkage on Euclidean features (O(n p) memory).

    Muellner's generic algorithm with the distances between the centres
    computed on the fly; the merged cluster lives in the larger index.
    """
    n = CT.shape[1]
    idx = iota(n)
    pos = iota(n)
    size = filled(n, 1.0)  # per column
    tmp = np.empty(n)
    nghbr = filled_int(n, -1)
    mind = filled(n, np.inf)  # squared distances (lower bounds)
    for x in range(n - 1):
        y, v = _nearest_above_cols(CT, idx, n, x, x, tmp)
        nghbr[x] = y
        mind[x] = v
    # the heap holds the active clusters below n - 1 (n - 1 has nothing above)
    heap = iota(n)
    hpos = iota(n)
    hs = n - 1
    for h in range(hs // 2 - 1, -1, -1):
        _heap_sift_down(heap, hpos, mind, h, hs)
    m = n
    for k in range(n - 1):
        while True:
            a = heap[0]
            b = nghbr[a]
            delta = mind[a]
            if delta == _col_sqdist(CT, pos[a], pos[b]):
                break
            b, v = _nearest_above_cols(CT, idx, m, pos[a], a, tmp)
            nghbr[a] = b
            _heap_update(heap, hpos, mind, a, v, hs)
        pa = pos[a]
        pb = pos[b]
        na = size[pa]
        nb = size[pb]
        Z[k, 0] = a
        Z[k, 1] = b
        Z[k, 2] = math.sqrt(delta)
        Z[k, 3] = na + nb
        hs = _heap_pop(heap, hpos, mind, hs)
        for f in range(CT.shape[0]):
            if method == CENTROID:
                CT[f, pb] = (na * CT[f, pa] + nb * CT[f, pb]) / (na + nb)
            else:
                CT[f, pb] = 0.5 * (CT[f, pa] + CT[f, pb])
        size[pb] = na + nb
        m = _remove_column(CT, idx, pos, size, pa, m)
        pb = pos[b]
        # distances from b to every active cluster, once
        _sq_to_column(CT, pb, 0, m, tmp)
        best = np.inf
        yb = -1
        for t in range(m):
            i = idx[t]
            if i < a and nghbr[i] == a:
                nghbr[i] = b
            if i < b:
                v = tmp[t]
                if v < mind[i]:
                    nghbr[i] = b
                    _heap_update(heap, hpos, mind, i, v, hs)
            elif i > b:
                v = tmp[t]
                if v < best or (v == best and i < yb) or yb < 0:
                    best = v
                    yb = i
        if b < n - 1:
            nghbr[b] = yb
            _heap_update(heap, hpos, mind, b, best, hs)
