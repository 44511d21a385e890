"""Numba kernels for matrix-free FasterPAM: distances computed on the fly, in blocks.

Contract:

- ``X`` (n, d) C-contiguous float32 or float64 feature rows; ``metric`` an exact
  metric code of ``skot.utils._pairwise_kernels`` (0 euclidean, 1 squared
  euclidean, 2 manhattan, 3 chebyshev). Every distance is that module's
  ``_dist`` rounded to the dtype of ``X``: the same bits as the entry of the
  full matrix ``pairwise_distances(X)``, so every decision is the matrix
  path's and the medoids are the same.
- ``B`` (b, n) a block of distance rows of the candidates ``cand`` (dtype of
  ``X``), filled by :func:`block_rows`; ``DM`` (n, k) the distances of every
  point to every medoid (dtype of ``X``), kept up to date by :func:`free_swap`.
- The swap state (``near_i``, ``near_d``, ``seco_i``, ``seco_d``,
  ``removal_loss``, ``med``) is FasterPAM's, as in ``_fasterpam_kernels.py``,
  whose candidate evaluation (:func:`find_best_swap`, reading one row) is
  reused on the block rows.

Memory O(n k + b n); one pass costs O(n^2 d) distance work (parallel over
the rows of a block in ``block_rows.parallel``) and O(n^2) evaluation.
"""

import numpy as np
from numba import prange

from ..utils._numba import jit, twin
from ..utils._pairwise_kernels import _dist
from ._fasterpam_kernels import find_best_swap, point_after_swap

NO_MEDOID = -1


@jit(inline="always")
def _fill_rows(X, cand, metric, B, r0, r1):
    n = X.shape[0]
    for t in range(r0, r1):
        c = cand[t]
        row = B[t]
        for o in range(n):
            row[o] = _dist(X, c, X, o, metric)


@twin
def block_rows(X, cand, metric, B, n_chunks):
    """``B[t, o] = d(X[cand[t]], X[o])`` for the ``len(cand)`` first rows of ``B``."""
    rows = cand.shape[0]
    if n_chunks == 1:
        _fill_rows(X, cand, metric, B, 0, rows)
        return
    for c in prange(n_chunks):
        _fill_rows(X, cand, metric, B, c * rows // n_chunks, (c + 1) * rows // n_chunks)


@jit
def free_assign(DM, med, w, near_i, near_d, seco_i, seco_d, removal_loss, medoid_to_self):
    """``assign`` of ``_fasterpam_kernels`` reading ``DM[o, m]``; returns the loss."""
    n = DM.shape[0]
    k = med.shape[0]
    for o in range(n):
        near_i[o] = 0
        near_d[o] = np.float64(DM[o, 0])
        seco_i[o] = NO_MEDOID
        seco_d[o] = 0.0
    for m in range(1, k):
        me = med[m]
        for o in range(n):
            d = np.float64(DM[o, m])
            if d < near_d[o] or (medoid_to_self and o == me):
                seco_i[o] = near_i[o]
                seco_d[o] = near_d[o]
                near_i[o] = m
                near_d[o] = d
            elif seco_i[o] == NO_MEDOID or d < seco_d[o]:
                seco_i[o] = m
                seco_d[o] = d
    for m in range(k):
        removal_loss[m] = 0.0
    loss = 0.0
    for o in range(n):
        loss += w[o] * near_d[o]
        removal_loss[near_i[o]] += w[o] * (seco_d[o] - near_d[o])
    return loss


@jit
def free_swap(row, DM, med, w, near_i, near_d, seco_i, seco_d, removal_loss, b, j):
    """``do_swap`` of ``_fasterpam_kernels`` with ``row = d(., j)`` and ``DM``; returns the loss.

    ``DM[:, b]`` becomes ``row``; a lost second nearest is rescanned in ``DM``.
    """
    med[b] = j
    k = med.shape[0]
    for o in range(row.shape[0]):
        DM[o, b] = row[o]
    for m in range(k):
        removal_loss[m] = 0.0
    loss = 0.0
    for o in range(row.shape[0]):
        ni = near_i[o]
        nd = near_d[o]
        si = seco_i[o]
        sd = seco_d[o]
        if o == j:
            if ni != b:
                si = ni
                sd = nd
            ni = b
            nd = 0.0
        else:
            doj = np.float64(row[o])
            ni, nd, si, sd, rescan = point_after_swap(b, doj, ni, nd, si, sd)
            if rescan:
                si = b
                sd = doj
                for m in range(k):
                    if m == ni or m == b:
                        continue
                    d = np.float64(DM[o, m])
                    if d < sd:
                        si = m
                        sd = d
            loss += w[o] * nd
        near_i[o] = ni
        near_d[o] = nd
        seco_i[o] = si
        seco_d[o] = sd
        removal_loss[ni] += w[o] * (sd - nd)
    return loss


@jit
def free_pass_block(
    B, cand, w, med, near_i, near_d, seco_i, seco_d, removal_loss, ploss, DM, lastswap, loss
):
    """FasterPAM's pass over the candidates of one block (eager swaps).

    Returns ``(n_swaps, lastswap, loss, stop)``; ``stop``: the pass reached
    ``lastswap`` (a whole cycle without a swap).
    """
    n_swaps = 0
    for t in range(cand.shape[0]):
        j = cand[t]
        if j == lastswap:
            return n_swaps, lastswap, loss, True
        if j == med[near_i[j]]:
            continue
        change, b = find_best_swap(B, t, w, removal_loss, near_i, near_d, seco_d, ploss)
        if change >= 0.0:
            continue
        n_swaps += 1
        lastswap = j
        loss = free_swap(B[t], DM, med, w, near_i, near_d, seco_i, seco_d, removal_loss, b, j)
    return n_swaps, lastswap, loss, False


@jit
def free_potential(row, c, w, near_d):
    """``potential_with`` of ``_build_kernels`` from the row ``d(., c)``."""
    s = 0.0
    for o in range(row.shape[0]):
        if o == c:
            continue
        d = np.float64(row[o])
        s += w[o] * (d if d < near_d[o] else near_d[o])
    return s


@jit
def weighted_sums(B, cand, w, sums):
    """``sums[cand[t]] = sum over o != cand[t] of w[o] * B[t, o]`` in index order."""
    for t in range(cand.shape[0]):
        j = cand[t]
        row = B[t]
        s = 0.0
        for o in range(row.shape[0]):
            if o != j:
                s += w[o] * row[o]
        sums[j] = s
