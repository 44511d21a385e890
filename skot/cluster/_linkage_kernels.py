"""Numba kernels for agglomerative (bottom-up) clustering on distance matrices.

Contract (no validation here; the public layer in ``_linkage.py`` checks
every shape, dtype and value before calling):

* ``d`` is a condensed distance vector of length ``n (n - 1) / 2`` (scipy's
  order: pair ``(i, j)``, ``i < j``, at ``n i - i (i + 1) / 2 + j - i - 1``),
  float32 or float64, C-contiguous and writable: the matrix kernels update it
  in place (Lance-Williams), so callers pass a copy they own. Arithmetic is
  done in float64 and stored back in ``d``'s dtype.
* Method codes: 0 single, 1 complete, 2 average, 3 weighted, 4 ward,
  5 centroid, 6 median.
* Every tree kernel fills ``Z`` (n - 1, 4) float64 with *slot* rows
  ``(x, y, height, size)``: ``x`` and ``y`` are the index of a leaf of each
  merged cluster (the slot where the cluster lives). :func:`label_tree` turns
  slot rows into scipy cluster ids (``min`` id first), after the caller has
  sorted the rows by height where the method is monotone.

Algorithms and costs (n points):

* single: Prim's minimum spanning tree, O(n^2), O(n) memory.
* complete, average, weighted, ward: nearest-neighbour chain, O(n^2) time,
  the matrix updated in place.
* centroid, median: Muellner's generic algorithm (lazy nearest-neighbour
  candidates in an indexed binary heap), O(n^2) typical, O(n^3) worst.

The kernels on feature rows are in ``_feature_linkage_kernels.py`` (they share
the heap helpers below), the graph kernel in ``_graph_linkage_kernels.py``.
"""

import math

import numpy as np

from ..utils._numba import jit

SINGLE, COMPLETE, AVERAGE, WEIGHTED, WARD, CENTROID, MEDIAN = range(7)


# ------------------------------------------------------------------ helpers


# Small allocation and search helpers: plain loops instead of np.arange,
# np.full, np.ones, np.searchsorted and slice assignment, whose generic
# implementations (broadcasting, error messages) cost seconds of compilation.
# Likewise, comparisons instead of the builtins min and max (each compiles an
# implementation on first use), written as numba's min/max select
# (``b if b < a else a``): the same values, signed zeros included.


@jit
def iota(n):
    """``iota(n)`` as int64."""
    a = np.empty(n, dtype=np.int64)
    for i in range(n):
        a[i] = i
    return a


@jit
def filled(n, value):
    """A float64 array of ``n`` copies of ``value``."""
    a = np.empty(n, dtype=np.float64)
    for i in range(n):
        a[i] = value
    return a


@jit
def filled_int(n, value):
    """An int64 array of ``n`` copies of ``value``."""
    a = np.empty(n, dtype=np.int64)
    for i in range(n):
        a[i] = value
    return a


@jit(inline="always")
def bisect_left(a, m, x):
    """First position ``t`` with ``a[t] >= x`` in the increasing ``a[:m]``."""
    lo = 0
    hi = m
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit(inline="always")
def _cidx(n, i, j):
    """Condensed index of the pair (i, j); requires i != j."""
    if i > j:
        i, j = j, i
    return n * i - (i * (i + 1)) // 2 + j - i - 1


@jit
def scan_condensed(d):
    """Return ``(all_finite, min_value, max_abs)`` of a condensed vector."""
    finite = True
    vmin = np.inf
    vmax = 0.0
    for k in range(d.shape[0]):
        v = np.float64(d[k])
        if not np.isfinite(v):
            finite = False
        else:
            if v < vmin:
                vmin = v
            a = abs(v)
            if a > vmax:
                vmax = a
    return finite, vmin, vmax


@jit
def clip_negative(d):
    """Set the negative entries of ``d`` to zero, in place (rounding-level ones)."""
    for k in range(d.shape[0]):
        if d[k] < 0:
            d[k] = 0


@jit
def square_to_condensed(D, out):
    """Copy the upper triangle of ``D`` (any layout) into ``out``, negatives as zero.

    Read in 64 x 64 tiles, so C-ordered, F-ordered and strided matrices all
    stream through the cache. Validation (the one symmetry rule) is done
    before, by ``skot.utils._validation.scan_matrix``.
    """
    n = D.shape[0]
    bs = 64
    for ib in range(0, n, bs):
        ie = ib + bs if ib + bs < n else n
        for jb in range(ib, n, bs):
            je = jb + bs if jb + bs < n else n
            for i in range(ib, ie):
                off = n * i - (i * (i + 1)) // 2 - i - 1
                for j in range(jb if jb > i else i + 1, je):
                    v = D[i, j]
                    out[off + j] = v if v > 0 else 0


@jit
def label_tree(Z, leaf_counts, parent, count):
    """Turn slot rows into scipy ids in place (union-find over the rows' order).

    Also sets the size column from ``leaf_counts`` (n,), the count of each
    leaf. ``parent`` (2 n - 1,) int64 must hold ``0, 1, ...``; ``count``
    (2 n - 1,) float64 is scratch (both allocated by the caller: no array
    allocation is compiled here).
    """
    n = leaf_counts.shape[0]
    for i in range(n):
        count[i] = leaf_counts[i]
    nxt = n
    for k in range(n - 1):
        a = np.int64(Z[k, 0])
        while parent[a] != a:
            a = parent[a]
        b = np.int64(Z[k, 1])
        while parent[b] != b:
            b = parent[b]
        # compress both paths
        c = np.int64(Z[k, 0])
        while parent[c] != a:
            t = parent[c]
            parent[c] = a
            c = t
        c = np.int64(Z[k, 1])
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
    dist = filled(n, np.inf)
    active = iota(n)
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
            if v < dist[i]:
                dist[i] = v
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


@jit(inline="always")
def _lw(method, dxi, dyi, dxy, nx, ny, ni):
    if method == SINGLE:
        return dyi if dyi < dxi else dxi
    if method == COMPLETE:
        return dyi if dyi > dxi else dxi
    if method == AVERAGE:
        return (nx * dxi + ny * dyi) / (nx + ny)
    if method == WEIGHTED:
        return 0.5 * (dxi + dyi)
    if method == WARD:
        t = nx + ny + ni
        v = ((nx + ni) * dxi * dxi + (ny + ni) * dyi * dyi - ni * dxy * dxy) / t
        return math.sqrt(0.0 if 0.0 > v else v)
    if method == CENTROID:
        s = nx + ny
        v = (nx * dxi * dxi + ny * dyi * dyi - nx * ny * dxy * dxy / s) / s
        return math.sqrt(0.0 if 0.0 > v else v)
    # MEDIAN
    v = 0.5 * dxi * dxi + 0.5 * dyi * dyi - 0.25 * dxy * dxy
    return math.sqrt(0.0 if 0.0 > v else v)


@jit(inline="always")
def _remove_sorted(act, m, x):
    """Remove x from the sorted act[:m]; return m - 1."""
    t = bisect_left(act, m, x)
    for u in range(t, m - 1):
        act[u] = act[u + 1]
    return m - 1


@jit
def nn_chain_condensed(d, n, method, Z, size, act, chain, off):
    """Nearest-neighbour chain (complete, average, weighted, ward) on ``d``.

    ``d`` is overwritten. Rows are in the order found (sort by height, then
    :func:`label_tree`). On ties the previous chain element wins, then the
    lowest index (scipy's convention). The start of every row of ``d`` is
    tabulated once (``off``), so the strided column reads and the update do
    no index arithmetic beyond an addition.

    Work arrays, allocated by the caller (no allocation is compiled here):
    ``size`` (n,) float64 ones, ``act`` (n,) int64 ``0, 1, ...`` (the active
    clusters, increasing), ``chain`` and ``off`` (n,) int64 scratch.
    """
    m = n
    clen = 0
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
            px = bisect_left(act, m, x)
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


# An indexed binary min-heap of the keys 0..size-1 (``heap[h]`` the key at
# position h, ``pos[key]`` its position, ``val[key]`` its value). Only strict
# comparisons move an element and a tie prefers the left child: on equal
# values the arrangement, and so which key comes out first, is the one of
# scipy's and fastcluster's heaps, which is what makes the merge order on
# tied distances theirs.


@jit
def _heap_sift_up(heap, pos, val, h):
    while h > 0:
        parent = (h - 1) >> 1
        a = heap[h]
        b = heap[parent]
        if val[b] > val[a]:
            heap[h] = b
            heap[parent] = a
            pos[b] = h
            pos[a] = parent
            h = parent
        else:
            break


@jit
def _heap_sift_down(heap, pos, val, h, size):
    while True:
        c = 2 * h + 1
        if c >= size:
            break
        if c + 1 < size and val[heap[c + 1]] < val[heap[c]]:
            c += 1
        a = heap[h]
        b = heap[c]
        if val[a] > val[b]:
            heap[h] = b
            heap[c] = a
            pos[b] = h
            pos[a] = c
            h = c
        else:
            break


@jit
def _heap_update(heap, pos, val, i, value, size):
    """Set ``val[i]`` (key ``i`` in the heap) and restore the heap order."""
    old = val[i]
    val[i] = value
    if value < old:
        _heap_sift_up(heap, pos, val, pos[i])
    else:
        _heap_sift_down(heap, pos, val, pos[i], size)


@jit
def _heap_pop(heap, pos, val, size):
    """Remove the top key (swapped with the last one); return the new size."""
    last = size - 1
    a = heap[0]
    b = heap[last]
    heap[0] = b
    heap[last] = a
    pos[b] = 0
    pos[a] = last
    _heap_sift_down(heap, pos, val, 0, last)
    return last


@jit
def _nearest_above(d, n, act, m, x):
    """Nearest active cluster with index > x: (index, distance), (-1, inf) if none."""
    best = np.inf
    y = -1
    off = n * x - (x * (x + 1)) // 2 - x - 1
    for t in range(bisect_left(act, m, x) + 1, m):
        i = act[t]
        v = float(d[off + i])
        if v < best or y < 0:
            best = v
            y = i
    return y, best


@jit
def _generic(d, n, method, Z):
    act = iota(n)  # active clusters, increasing
    m = n
    size = filled(n, 1.0)
    nghbr = filled_int(n, -1)
    mind = filled(n, np.inf)
    off = np.empty(n, dtype=np.int64)  # d[off[i] + j] is the pair (i, j), i < j
    for i in range(n):
        off[i] = n * i - (i * (i + 1)) // 2 - i - 1
    for x in range(n - 1):
        y, v = _nearest_above(d, n, act, m, x)
        nghbr[x] = y
        mind[x] = v
    # the heap holds the active clusters below n - 1 (n - 1 has nothing above)
    heap = iota(n)
    pos = iota(n)
    hs = n - 1
    for h in range(hs // 2 - 1, -1, -1):
        _heap_sift_down(heap, pos, mind, h, hs)
    for k in range(n - 1):
        while True:
            a = heap[0]
            b = nghbr[a]
            delta = mind[a]
            if delta == float(d[off[a] + b]):
                break
            b, v = _nearest_above(d, n, act, m, a)
            nghbr[a] = b
            _heap_update(heap, pos, mind, a, v, hs)
        # a < b always (neighbours are searched above); the new cluster lives in b
        na = size[a]
        nb = size[b]
        Z[k, 0] = a
        Z[k, 1] = b
        Z[k, 2] = delta
        Z[k, 3] = na + nb
        hs = _heap_pop(heap, pos, mind, hs)
        m = _remove_sorted(act, m, a)
        size[a] = 0.0
        size[b] = na + nb
        # One pass, in increasing order, does what scipy does in three: the
        # Lance-Williams update of d(i, b); for i < b, the candidates that
        # pointed to a now point to b and a distance to b below the lower
        # bound of i updates it; for i > b, the nearest cluster above b.
        offa = off[a]
        offb = off[b]
        yb = -1
        best = np.inf
        for t in range(m):
            i = act[t]
            if i < b:
                if i < a:
                    ka = off[i] + a
                    if nghbr[i] == a:
                        nghbr[i] = b
                else:
                    ka = offa + i
                kb = off[i] + b
                d[kb] = _lw(method, float(d[ka]), float(d[kb]), delta, na, nb, size[i])
                v = float(d[kb])
                if v < mind[i]:
                    nghbr[i] = b
                    _heap_update(heap, pos, mind, i, v, hs)
            elif i > b:
                kb = offb + i
                d[kb] = _lw(method, float(d[offa + i]), float(d[kb]), delta, na, nb, size[i])
                v = float(d[kb])
                if v < best or yb < 0:
                    best = v
                    yb = i
        if b < n - 1:
            nghbr[b] = yb
            _heap_update(heap, pos, mind, b, best, hs)


@jit
def generic_condensed(d, n, method, Z):
    """Centroid or median linkage on a condensed matrix (updated in place).

    Muellner's generic algorithm: ``mind[x]`` is a lower bound of the distance
    from x to its nearest neighbour above it, ``nghbr[x]`` the candidate; a
    candidate popped from the heap is re-checked and recomputed if stale.
    """
    _generic(d, n, method, Z)
