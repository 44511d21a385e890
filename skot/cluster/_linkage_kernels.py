"""Numba kernels for agglomerative (bottom-up) hierarchical clustering.

Contract (no validation here; the public layer in ``_linkage.py`` checks
every shape, dtype and value before calling):

* ``d`` is a condensed distance vector of length ``n (n - 1) / 2`` (scipy's
  order: pair ``(i, j)``, ``i < j``, at ``n i - i (i + 1) / 2 + j - i - 1``),
  float32 or float64, C-contiguous and writable: the matrix kernels update it
  in place (Lance-Williams), so callers pass a copy they own. Arithmetic is
  done in float64 and stored back in ``d``'s dtype.
* ``X`` is a C-contiguous (n, n_features) float32 or float64 array of finite
  feature rows; the feature kernels never allocate an n x n matrix (O(n)
  memory besides the input).
* Method codes: 0 single, 1 complete, 2 average, 3 weighted, 4 ward,
  5 centroid, 6 median.
* Every tree kernel fills ``Z`` (n - 1, 4) float64 with *slot* rows
  ``(x, y, height, size)``: ``x`` and ``y`` are the index of a leaf of each
  merged cluster (the slot where the cluster lives). :func:`label_tree` turns
  slot rows into scipy cluster ids (``min`` id first), after the caller has
  sorted the rows by height where the method is monotone.

Algorithms and costs (n points, p features):

* single: Prim's minimum spanning tree, O(n^2) on a matrix, O(n^2 p) on
  features, O(n) memory.
* complete, average, weighted, ward on a matrix: nearest-neighbour chain,
  O(n^2) time, the matrix updated in place.
* ward on features: nearest-neighbour chain on centroids, O(n^2 p), O(n p)
  memory.
* centroid, median: Muellner's generic algorithm (lazy nearest-neighbour
  candidates in an indexed binary heap), O(n^2) typical, O(n^3) worst; on
  features the distances are the Euclidean distances between the cluster
  centroids (or "medians"), computed on the fly.
* graph average linkage (:func:`graph_average_linkage`): nearest-neighbour
  chain on a sparse weighted graph with the similarity ``w(A, B) / (|A| |B|)``,
  neighbour lists merged small into large, stale entries resolved lazily.
"""

import math

import numpy as np
from numba import prange

from ..utils._numba import jit

SINGLE, COMPLETE, AVERAGE, WEIGHTED, WARD, CENTROID, MEDIAN = range(7)


# ------------------------------------------------------------------ helpers


@jit
def _cidx(n, i, j):
    """Condensed index of the pair (i, j); requires i != j."""
    if i > j:
        i, j = j, i
    return n * i - (i * (i + 1)) // 2 + j - i - 1


@jit
def scan_condensed(d):
    """Return ``(all_finite, min_value)`` of a condensed vector."""
    finite = True
    vmin = np.inf
    for k in range(d.shape[0]):
        v = d[k]
        if not np.isfinite(v):
            finite = False
        elif v < vmin:
            vmin = v
    return finite, vmin


@jit
def square_to_condensed(D, out):
    """Copy the upper triangle of ``D`` into ``out``.

    Returns ``(all_finite, min_value, max_abs_asymmetry, max_abs_diagonal)``.
    """
    n = D.shape[0]
    finite = True
    vmin = np.inf
    asym = 0.0
    diag = 0.0
    k = 0
    for i in range(n):
        v = abs(float(D[i, i]))
        if not np.isfinite(v):
            finite = False
        elif v > diag:
            diag = v
        for j in range(i + 1, n):
            a = D[i, j]
            b = D[j, i]
            if not (np.isfinite(a) and np.isfinite(b)):
                finite = False
            else:
                vmin = min(vmin, a)
                vmin = min(vmin, b)
                s = abs(float(a) - float(b))
                asym = max(asym, s)
            out[k] = a
            k += 1
    return finite, vmin, asym, diag


@jit
def _sqdist(X, i, j):
    s = 0.0
    for f in range(X.shape[1]):
        t = float(X[i, f]) - float(X[j, f])
        s += t * t
    return s


@jit
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


@jit
def pdist_euclidean(X, out):
    """Euclidean distances of the rows of ``X`` into the condensed ``out``."""
    for i in range(X.shape[0] - 1):
        _pdist_row(X, i, out)


@jit(parallel=True)
def pdist_euclidean_par(X, out, n_chunks):
    """Parallel twin of :func:`pdist_euclidean` (same values to the bit)."""
    n = X.shape[0]
    # chunk c takes rows c, c + n_chunks, ...: a fair share of the triangle
    for c in prange(n_chunks):
        for i in range(c, n - 1, n_chunks):
            _pdist_row(X, i, out)


@jit
def label_tree(Z, n, leaf_counts):
    """Turn slot rows into scipy ids in place (union-find over the rows' order).

    Also sets the size column from ``leaf_counts`` (n,), the count of each leaf.
    """
    parent = np.arange(2 * n - 1)
    count = np.empty(2 * n - 1)
    count[:n] = leaf_counts
    nxt = n
    for k in range(n - 1):
        a = int(Z[k, 0])
        while parent[a] != a:
            a = parent[a]
        b = int(Z[k, 1])
        while parent[b] != b:
            b = parent[b]
        # compress both paths
        c = int(Z[k, 0])
        while parent[c] != a:
            t = parent[c]
            parent[c] = a
            c = t
        c = int(Z[k, 1])
        while parent[c] != b:
            t = parent[c]
            parent[c] = b
            c = t
        if a < b:
            Z[k, 0] = a
            Z[k, 1] = b
        else:
            Z[k, 0] = b
            Z[k, 1] = a
        parent[a] = nxt
        parent[b] = nxt
        count[nxt] = count[a] + count[b]
        Z[k, 3] = count[nxt]
        nxt += 1


# ------------------------------------------------------------ single (MST)


@jit
def mst_condensed(d, n, Z):
    """Single linkage by Prim's algorithm on a condensed matrix (slot rows)."""
    dist = np.full(n, np.inf)
    active = np.arange(n)
    m = n
    x = 0
    for k in range(n - 1):
        # drop x from the active list, keeping the index order
        w = 0
        for t in range(m):
            i = active[t]
            if i != x:
                active[w] = i
                w += 1
        m = w
        best = np.inf
        y = -1
        for t in range(m):
            i = active[t]
            v = float(d[_cidx(n, x, i)])
            dist[i] = min(dist[i], v)
            if dist[i] < best:
                best = dist[i]
                y = i
        if y < 0:  # only reachable with non-finite input, rejected upstream
            y = active[0]
            best = dist[y]
        Z[k, 0] = x
        Z[k, 1] = y
        Z[k, 2] = best
        x = y


# ----------------------------------------------- Lance-Williams on matrices


@jit
def _lw(method, dxi, dyi, dxy, nx, ny, ni):
    if method == SINGLE:
        return min(dxi, dyi)
    if method == COMPLETE:
        return max(dxi, dyi)
    if method == AVERAGE:
        return (nx * dxi + ny * dyi) / (nx + ny)
    if method == WEIGHTED:
        return 0.5 * (dxi + dyi)
    if method == WARD:
        t = nx + ny + ni
        v = ((nx + ni) * dxi * dxi + (ny + ni) * dyi * dyi - ni * dxy * dxy) / t
        return math.sqrt(max(v, 0.0))
    if method == CENTROID:
        s = nx + ny
        v = (nx * dxi * dxi + ny * dyi * dyi - nx * ny * dxy * dxy / s) / s
        return math.sqrt(max(v, 0.0))
    # MEDIAN
    v = 0.5 * dxi * dxi + 0.5 * dyi * dyi - 0.25 * dxy * dxy
    return math.sqrt(max(v, 0.0))


@jit
def _remove_sorted(act, m, x):
    """Remove x from the sorted act[:m]; return m - 1."""
    t = np.searchsorted(act[:m], x)
    for u in range(t, m - 1):
        act[u] = act[u + 1]
    return m - 1


@jit
def nn_chain_condensed(d, n, method, Z):
    """Nearest-neighbour chain (complete, average, weighted, ward) on ``d``.

    ``d`` is overwritten. Rows are in the order found (sort by height, then
    :func:`label_tree`). On ties the previous chain element wins, then the
    lowest index (scipy's convention). The start of every row of ``d`` is
    tabulated once (``off``), so the strided column reads and the update do
    no index arithmetic beyond an addition.
    """
    size = np.ones(n)
    act = np.arange(n)  # active clusters, increasing
    m = n
    chain = np.empty(n, dtype=np.int64)
    clen = 0
    off = np.empty(n, dtype=np.int64)
    for i in range(n):
        off[i] = n * i - (i * (i + 1)) // 2 - i - 1
    for k in range(n - 1):
        if clen == 0:
            chain[0] = act[0]
            clen = 1
        while True:
            x = chain[clen - 1]
            if clen > 1:
                y = chain[clen - 2]
                best = float(d[_cidx(n, x, y)])
            else:
                y = -1
                best = np.inf
            px = np.searchsorted(act[:m], x)
            # i < x: column x of the rows above (strided)
            for t in range(px):
                i = act[t]
                v = float(d[off[i] + x])
                if v < best:
                    best = v
                    y = i
            # i > x: row x (contiguous)
            o = off[x]
            for t in range(px + 1, m):
                i = act[t]
                v = float(d[o + i])
                if v < best:
                    best = v
                    y = i
            if clen > 1 and y == chain[clen - 2]:
                break
            chain[clen] = y
            clen += 1
        clen -= 2
        if x > y:
            x, y = y, x
        nx_ = size[x]
        ny_ = size[y]
        Z[k, 0] = x
        Z[k, 1] = y
        Z[k, 2] = best
        Z[k, 3] = nx_ + ny_
        m = _remove_sorted(act, m, x)
        size[x] = 0.0
        size[y] = nx_ + ny_
        offx = off[x]
        offy = off[y]
        for t in range(m):
            i = act[t]
            if i < x:
                r = off[i]
                kx = r + x
                ky = r + y
            elif i < y:
                kx = offx + i
                ky = off[i] + y
            elif i > y:
                kx = offx + i
                ky = offy + i
            else:
                continue
            d[ky] = _lw(method, float(d[kx]), float(d[ky]), best, nx_, ny_, size[i])


# ----------------------------------------------- generic (centroid, median)


@jit
def _heap_sift_up(heap, pos, key, h):
    while h > 0:
        parent = (h - 1) // 2
        a = heap[h]
        b = heap[parent]
        if key[a] < key[b] or (key[a] == key[b] and a < b):
            heap[h] = b
            heap[parent] = a
            pos[b] = h
            pos[a] = parent
            h = parent
        else:
            break


@jit
def _heap_sift_down(heap, pos, key, h, size):
    while True:
        left = 2 * h + 1
        if left >= size:
            break
        c = left
        right = left + 1
        if right < size:
            r = heap[right]
            lft = heap[left]
            if key[r] < key[lft] or (key[r] == key[lft] and r < lft):
                c = right
        a = heap[h]
        b = heap[c]
        if key[b] < key[a] or (key[b] == key[a] and b < a):
            heap[h] = b
            heap[c] = a
            pos[b] = h
            pos[a] = c
            h = c
        else:
            break


@jit
def _heap_update(heap, pos, key, i, value, size):
    old = key[i]
    key[i] = value
    if value < old:
        _heap_sift_up(heap, pos, key, pos[i])
    else:
        _heap_sift_down(heap, pos, key, pos[i], size)


@jit
def _nearest_above(d, n, act, m, x):
    """Nearest active cluster with index > x: (index, distance), (-1, inf) if none."""
    best = np.inf
    y = -1
    off = n * x - (x * (x + 1)) // 2 - x - 1
    for t in range(np.searchsorted(act[:m], x) + 1, m):
        i = act[t]
        v = float(d[off + i])
        if v < best or y < 0:
            best = v
            y = i
    return y, best


@jit
def _generic(d, n, method, Z):
    act = np.arange(n)  # active clusters, increasing
    m = n
    size = np.ones(n)
    nghbr = np.full(n, -1, dtype=np.int64)
    mind = np.full(n, np.inf)
    for x in range(n - 1):
        y, v = _nearest_above(d, n, act, m, x)
        nghbr[x] = y
        mind[x] = v
    heap = np.arange(n)
    pos = np.arange(n)
    for h in range(n // 2 - 1, -1, -1):
        _heap_sift_down(heap, pos, mind, h, n)
    for k in range(n - 1):
        while True:
            a = heap[0]
            b = nghbr[a]
            delta = mind[a]
            if delta == float(d[_cidx(n, a, b)]):
                break
            b, v = _nearest_above(d, n, act, m, a)
            nghbr[a] = b
            _heap_update(heap, pos, mind, a, v, n)
        # a < b always (neighbours are searched above); the new cluster lives in b
        na = size[a]
        nb = size[b]
        Z[k, 0] = a
        Z[k, 1] = b
        Z[k, 2] = delta
        Z[k, 3] = na + nb
        _heap_update(heap, pos, mind, a, np.inf, n)
        m = _remove_sorted(act, m, a)
        size[a] = 0.0
        size[b] = na + nb
        for t in range(m):
            i = act[t]
            if i != b:
                ka = _cidx(n, i, a)
                kb = _cidx(n, i, b)
                d[kb] = _lw(method, float(d[ka]), float(d[kb]), delta, na, nb, size[i])
        for t in range(m):
            i = act[t]
            if i >= b:
                break
            # neighbour candidates pointing to a now point to b (checked lazily)
            if i < a and nghbr[i] == a:
                nghbr[i] = b
            # distances to b that fell below a lower bound update it
            v = float(d[_cidx(n, i, b)])
            if v < mind[i]:
                nghbr[i] = b
                _heap_update(heap, pos, mind, i, v, n)
        y, v = _nearest_above(d, n, act, m, b)
        nghbr[b] = y
        _heap_update(heap, pos, mind, b, v, n)


@jit
def generic_condensed(d, n, method, Z):
    """Centroid or median linkage on a condensed matrix (updated in place).

    Muellner's generic algorithm: ``mind[x]`` is a lower bound of the distance
    from x to its nearest neighbour above it, ``nghbr[x]`` the candidate; a
    candidate popped from the heap is re-checked and recomputed if stale.
    """
    _generic(d, n, method, Z)


# ------------------------------------------- feature kernels (shared parts)
#
# The feature kernels keep the active points (or cluster centres) as the
# columns of a (p, n) float64 array ``CT``, compacted by swapping the removed
# column with the last one; ``idx[t]`` is the original index of column ``t``.
# Distances from one column to all others are computed feature by feature
# (vectorised over the columns, summed in feature order: the same value as a
# scalar loop over the features, to the bit).


@jit
def _transpose_copy(X):
    n, p = X.shape
    CT = np.empty((p, n))
    for i in range(n):
        for f in range(p):
            CT[f, i] = X[i, f]
    return CT


@jit
def _sq_to_column(CT, q, lo, hi, tmp):
    """tmp[t] = ||CT[:, t] - CT[:, q]||^2 for lo <= t < hi."""
    for t in range(lo, hi):
        tmp[t] = 0.0
    for f in range(CT.shape[0]):
        c = CT[f, q]
        for t in range(lo, hi):
            u = CT[f, t] - c
            tmp[t] += u * u


@jit
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
        dist[t] = min(dist[t], v)
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


@jit
def mst_features(X, Z):
    """Single linkage on Euclidean features by Prim's algorithm (slot rows).

    Ties go to the lowest index (scipy's convention).
    """
    n = X.shape[0]
    CT = _transpose_copy(X)
    idx = np.arange(n)
    dist = np.full(n, np.inf)  # squared distance of each column to the tree
    tmp = np.empty(n)
    m = n
    xt = 0
    for k in range(n - 1):
        x = idx[xt]
        # the query column is moved to the end, out of the active range
        m -= 1
        if xt != m:
            _move_to_end(CT, idx, dist, xt, m)
        best, bi, bt = _prim_chunk(CT, idx, dist, tmp, m, 0, m)
        Z[k, 0] = x
        Z[k, 1] = bi
        Z[k, 2] = math.sqrt(best)
        xt = bt


@jit(parallel=True)
def mst_features_par(X, Z, n_chunks):
    """Parallel twin of :func:`mst_features` (identical result)."""
    n = X.shape[0]
    CT = _transpose_copy(X)
    idx = np.arange(n)
    dist = np.full(n, np.inf)
    tmp = np.empty(n)
    bests = np.empty(n_chunks)
    bis = np.empty(n_chunks, dtype=np.int64)
    bts = np.empty(n_chunks, dtype=np.int64)
    m = n
    xt = 0
    for k in range(n - 1):
        x = idx[xt]
        m -= 1
        if xt != m:
            _move_to_end(CT, idx, dist, xt, m)
        step = (m + n_chunks - 1) // n_chunks
        for c in prange(n_chunks):
            lo = min(c * step, m)
            hi = min(lo + step, m)
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
def nn_chain_ward_features(X, Z):
    """Ward linkage by nearest-neighbour chain on centroids (slot rows).

    Heights are ``sqrt(2 |A||B| / (|A|+|B|)) * ||c_A - c_B||`` (scipy's).
    On ties the previous chain element wins, then the lowest index.
    """
    n = X.shape[0]
    CT = _transpose_copy(X)
    idx = np.arange(n)
    pos = np.arange(n)
    size = np.ones(n)  # per column
    tmp = np.empty(n)
    chain = np.empty(n, dtype=np.int64)
    clen = 0
    m = n
    for k in range(n - 1):
        if clen == 0:
            lo_i = idx[0]
            for t in range(1, m):
                lo_i = min(lo_i, idx[t])
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
def generic_features(X, method, Z):
    """Centroid or median linkage on Euclidean features (O(n p) memory).

    Muellner's generic algorithm with the distances between the centres
    computed on the fly; the merged cluster lives in the larger index.
    """
    n = X.shape[0]
    CT = _transpose_copy(X)
    idx = np.arange(n)
    pos = np.arange(n)
    size = np.ones(n)  # per column
    tmp = np.empty(n)
    nghbr = np.full(n, -1, dtype=np.int64)
    mind = np.full(n, np.inf)  # squared distances (lower bounds)
    for x in range(n - 1):
        y, v = _nearest_above_cols(CT, idx, n, x, x, tmp)
        nghbr[x] = y
        mind[x] = v
    heap = np.arange(n)
    hpos = np.arange(n)
    for h in range(n // 2 - 1, -1, -1):
        _heap_sift_down(heap, hpos, mind, h, n)
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
            _heap_update(heap, hpos, mind, a, v, n)
        pa = pos[a]
        pb = pos[b]
        na = size[pa]
        nb = size[pb]
        Z[k, 0] = a
        Z[k, 1] = b
        Z[k, 2] = math.sqrt(delta)
        Z[k, 3] = na + nb
        _heap_update(heap, hpos, mind, a, np.inf, n)
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
                    _heap_update(heap, hpos, mind, i, v, n)
            elif i > b:
                v = tmp[t]
                if v < best or (v == best and i < yb) or yb < 0:
                    best = v
                    yb = i
        nghbr[b] = yb
        _heap_update(heap, hpos, mind, b, best, n)


# ------------------------------------------------- graph average linkage


@jit
def _find(parent, i):
    r = i
    while parent[r] != r:
        r = parent[r]
    while parent[i] != r:
        t = parent[i]
        parent[i] = r
        i = t
    return r


@jit
def graph_average_linkage(indptr, indices, data, sizes):
    """Average linkage on edge density, from ``m`` initial clusters.

    ``(indptr, indices, data)`` is a symmetric CSR matrix of the weights
    between the ``m`` initial clusters (no diagonal, positive weights);
    ``sizes`` their sizes. The similarity of clusters A and B is
    ``w(A, B) / (|A| |B|)``; the most similar pair is merged first
    (nearest-neighbour chain; the similarity is reducible).

    Ties go to the lowest cluster id (the ``m`` initial clusters, then the
    merged ones numbered ``m, m + 1, ...`` in order of creation), the chain
    merging when that neighbour is the previous chain element; the chain
    restarts at the lowest live id. These are the rules of Paris
    (Bonald et al.), so on unweighted graphs, where ties abound, the tree is
    the same as scikit-network's ``Paris(weights="uniform")`` up to that
    code's float32 rounding of the similarities.

    Returns ``(Z, n_merges, roots)``: ``Z`` (m - 1, 4) holds in its first
    ``n_merges`` rows the merges with a positive similarity as slot rows
    ``(leaf of A, leaf of B, similarity, size)`` in the order found;
    ``roots`` lists a leaf of every connected component's cluster, in
    increasing order.
    """
    m = sizes.shape[0]
    total = 2 * m - 1
    parent = np.arange(total)
    size = np.zeros(total)
    rep = np.full(total, -1, dtype=np.int64)  # a leaf of each cluster
    live = np.zeros(total, dtype=np.bool_)
    done = np.zeros(total, dtype=np.bool_)
    nb_ids = []
    nb_w = []
    nb_len = np.zeros(total, dtype=np.int64)
    for i in range(m):
        size[i] = sizes[i]
        rep[i] = i
        live[i] = True
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
    for i in range(m, total):
        nb_ids.append(np.empty(1, dtype=np.int64))
        nb_w.append(np.empty(1))
    acc = np.zeros(total)
    mark = np.zeros(total, dtype=np.bool_)
    touched = np.empty(total, dtype=np.int64)
    chain = np.empty(total, dtype=np.int64)
    clen = 0
    Z = np.zeros((max(m - 1, 0), 4))
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
        # resolve x's neighbour list: aggregate weights per live cluster
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
        if nt == 0:
            # x has no neighbour left: it is a connected component
            done[x] = True
            roots.append(rep[x])
            clen = 0
            continue
        if clen > 1 and y == chain[clen - 2]:
            clen -= 2
            c = new_id
            new_id += 1
            la = nb_len[x]
            lb = nb_len[y]
            big, small = x, y
            if lb > la:
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
                nid[:lbig] = bid[:lbig]
                nw[:lbig] = bw[:lbig]
                bid = nid
                bw = nw
            sid = nb_ids[small]
            sw = nb_w[small]
            bid[lbig:need] = sid[:lsmall]
            bw[lbig:need] = sw[:lsmall]
            nb_ids[c] = bid
            nb_w[c] = bw
            nb_len[c] = need
            nb_ids[x] = np.empty(1, dtype=np.int64)
            nb_w[x] = np.empty(1)
            nb_ids[y] = np.empty(1, dtype=np.int64)
            nb_w[y] = np.empty(1)
            nb_len[x] = 0
            nb_len[y] = 0
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
    out = np.empty(len(roots), dtype=np.int64)
    for t in range(len(roots)):
        out[t] = roots[t]
    out.sort()
    return Z, n_merges, out
