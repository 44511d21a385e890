"""Numba kernels for the k-medoids initialisations: BUILD, LAB, k-medoids++.

Same contract as ``_fasterpam_kernels.py``: ``DT`` is a C-contiguous (n, n)
float32 or float64 array with ``DT[j, o] = d(o, j)`` (row ``j`` holds the
dissimilarities of every point to candidate ``j``), ``w`` float64 weights,
``near_d`` float64 (n,) distances of each point to its nearest chosen medoid
(updated in place), ``is_med`` a bool (n,) mask. Ties: strict ``<``, the first
minimum wins. Twin kernels (``twin``) take ``n_chunks`` and give the same bits
serially (``n_chunks=1``) and in parallel. Nothing here validates.

Costs: BUILD O(k n^2) directly, O(n^2 + sum |S| n) with the incremental update
on a symmetric matrix; LAB O(k n); one k-medoids++ trial O(n).
"""

import numpy as np
from numba import prange

from ..utils._numba import jit, twin


@jit(inline="always")
def weighted_row_sum(DT, j, w):
    """Sum over ``o != j`` of ``w[o] * DT[j, o]`` (the loss of medoid ``j`` alone)."""
    row = DT[j]
    s = 0.0
    for o in range(row.shape[0]):
        if o != j:
            s += w[o] * row[o]
    return s


@jit(inline="always")
def _build_gain(DT, i, w, near_d):
    row = DT[i]
    s = 0.0
    for j in range(row.shape[0]):
        if j != i:
            d = np.float64(row[j])
            if d < near_d[j]:
                s += w[j] * (d - near_d[j])
    return s - w[i] * near_d[i]


@twin
def build_sums(DT, w, near_d, is_med, sums, first, n_chunks):
    """BUILD objective of every candidate, in ``n_chunks`` chunks; ``first``: step one.

    Step one: the weighted distance sum of each candidate (``near_d`` is then
    infinite). Later steps: the change of the loss if the candidate were added
    (infinite for a medoid). One loop serves both: with an infinite ``near_d``
    the gain's terms are the row's entries.
    """
    n = DT.shape[0]
    for c in prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            if is_med[i] and not first:
                sums[i] = np.inf
                continue
            row = DT[i]
            s = 0.0
            # the mode and the j != i tests hoisted out of the inner loop (two
            # ranges around i); the terms are added in the same order as before
            if first:
                for j in range(i):
                    s += w[j] * np.float64(row[j])
                for j in range(i + 1, n):
                    s += w[j] * np.float64(row[j])
                sums[i] = s
            else:
                for j in range(i):
                    d = np.float64(row[j])
                    if d < near_d[j]:
                        s += w[j] * (d - near_d[j])
                for j in range(i + 1, n):
                    d = np.float64(row[j])
                    if d < near_d[j]:
                        s += w[j] * (d - near_d[j])
                sums[i] = s - w[i] * near_d[i]


@jit(inline="always")
def _build_update_range(DT, w, S, old, new, gains, lo, hi):
    for t in range(S.shape[0]):
        j = S[t]
        rowj = DT[j]
        wj = w[j]
        dn = new[t]
        do = old[t]
        for i in range(lo, hi):
            d = np.float64(rowj[i])
            a = d - dn
            b = d - do
            gains[i] += wj * ((a if a < 0.0 else 0.0) - (b if b < 0.0 else 0.0))
        if lo <= j < hi:
            # j's own term: undo the pair term added above, apply the self term
            d = np.float64(rowj[j])
            a = d - dn
            b = d - do
            gains[j] -= wj * ((a if a < 0.0 else 0.0) - (b if b < 0.0 else 0.0))
            gains[j] -= wj * (dn - do)


@twin
def build_update(DT, w, S, old, new, gains, n_chunks):
    """Incremental BUILD gains for a symmetric ``DT``, candidates in ``n_chunks`` chunks.

    Points ``S`` had their nearest distance lowered from ``old`` to ``new``;
    only their terms change, so the update costs O(|S| n) instead of O(n^2).
    Every gain receives its updates in the same order, whatever the chunking.
    """
    n = DT.shape[0]
    if n_chunks == 1:  # no one-iteration prange in the serial variant (it costs)
        _build_update_range(DT, w, S, old, new, gains, 0, n)
        return
    for c in prange(n_chunks):
        _build_update_range(DT, w, S, old, new, gains, c * n // n_chunks, (c + 1) * n // n_chunks)


@jit
def build_pick(DT, w, near_d, is_med, gains, margin):
    """Exact BUILD choice from approximate gains.

    Candidates whose approximate gain is within ``margin`` (a bound on the
    accumulated rounding error) of the smallest are re-scored with the direct
    sum, in index order, strict ``<``: the same choice as the direct method.
    """
    n = DT.shape[0]
    amin = np.inf
    for i in range(n):
        if not is_med[i] and gains[i] < amin:
            amin = gains[i]
    best = -1
    best_v = np.inf
    for i in range(n):
        if not is_med[i] and gains[i] <= amin + margin:
            v = _build_gain(DT, i, w, near_d)
            if v < best_v:
                best_v = v
                best = i
    return best


@jit
def lab_step(DT, sample, w, near_d):
    """Sample point minimising sum over the sample of w * min(d(j, i), near_d[j]).

    With ``near_d`` all infinite this is LAB's first step: the sample point
    with the smallest weighted distance sum within the sample.
    """
    best = -1
    best_s = np.inf
    for a in range(sample.shape[0]):
        i = sample[a]
        row = DT[i]
        s = 0.0
        for b in range(sample.shape[0]):
            j = sample[b]
            if j != i:
                d = np.float64(row[j])
                s += w[j] * (d if d < near_d[j] else near_d[j])
        if s < best_s:
            best_s = s
            best = i
    return best


@jit
def potential_with(DT, c, w, near_d):
    """Weighted loss if candidate ``c`` were added as a medoid."""
    row = DT[c]
    s = 0.0
    for o in range(row.shape[0]):
        if o == c:
            continue
        d = np.float64(row[o])
        s += w[o] * (d if d < near_d[o] else near_d[o])
    return s
