"""Numba kernels for k-medoids: FasterPAM, FastPAM1, PAM, alternate, final assignment.

Contract (every kernel):

- ``DT`` is a C-contiguous (n, n) float32 or float64 array with
  ``DT[j, o] = d(o, j)``, the dissimilarity of point ``o`` to (candidate)
  medoid ``j``. For a symmetric matrix ``DT`` is the matrix itself, so every
  kernel reads contiguous *rows*: evaluating candidate ``j`` streams row ``j``.
- ``w`` is a float64 (n,) array of non-negative sample weights (ones when
  unweighted: multiplying by 1.0 is exact, so unweighted results are the same
  bits as an unweighted implementation).
- ``med`` is an int64 (k,) array of medoid indices, updated in place by swaps.
- Per point ``o`` the state holds the nearest and second-nearest medoid as
  positions in ``med`` (``near_i``, ``seco_i``: int64) and their distances
  (``near_d``, ``seco_d``: float64), updated in place.
- Losses accumulate in float64 in index order. After a swap the loss is
  recomputed from scratch (no drift), and ties are broken deterministically:
  strict ``<`` everywhere, the first minimum wins, and only strictly negative
  changes are applied.
- A few kernels take ``D`` itself instead (``D[o, j] = d(o, j)``, C-contiguous):
  :func:`final_assignment_rows`, for a matrix that is symmetric only up to
  rounding and therefore used without a transposed copy; the labels then read
  exactly the entries ``predict`` reads.
- Kernels decorated with ``twin`` are written once with ``prange`` over
  ``n_chunks`` chunks of candidates; the caller runs ``k.serial`` with
  ``n_chunks=1`` or ``k.parallel`` (``skot.utils._numba.select``). Every value
  is computed in the same order either way, so the results are the same bits.
  :func:`fasterpam_pass_par` is a different algorithm (speculative batches)
  and stays a separate kernel, chosen with ``use_parallel``.

Nothing here validates: shapes, indices and values are checked by
``skot.cluster._kmedoids_solvers`` before any kernel runs.

Costs: one FasterPAM pass O(n^2 + n k) (O(n + k) per candidate); a FastPAM1
iteration O(n^2); a PAM iteration O(k n^2); an alternate iteration O(sum of
squared cluster sizes). The initialisations (BUILD, LAB, k-medoids++) are in
``_build_kernels.py``.
"""

import numpy as np
from numba import prange

from ..utils._numba import jit, twin

NO_MEDOID = -1


# ---------------------------------------------------------------- helpers


@jit
def assign(DT, med, w, near_i, near_d, seco_i, seco_d, removal_loss, medoid_to_self):
    """Nearest and second-nearest medoid of every point; returns the loss.

    Also fills ``removal_loss``: ``removal_loss[m]`` is the loss increase if
    medoid ``m`` were deleted (accumulated over the points in index order). With
    ``medoid_to_self`` a point that is itself a medoid is assigned to itself
    even when an earlier medoid is at distance zero (duplicate points): the
    state of the swap methods and of alternate. Without it the first nearest
    medoid in ``med`` order wins, exactly what ``predict`` gives: the final
    labels. One kernel for the three uses, so a fit compiles it once.
    """
    n = DT.shape[0]
    k = med.shape[0]
    row = DT[med[0]]
    for o in range(n):
        near_i[o] = 0
        near_d[o] = row[o]
        seco_i[o] = NO_MEDOID
        seco_d[o] = 0.0
    for m in range(1, k):
        me = med[m]
        row = DT[me]
        for o in range(n):
            d = np.float64(row[o])
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


@jit(inline="always")
def find_best_swap(DT, j, w, removal_loss, near_i, near_d, seco_d, ploss):
    """Best medoid to replace by candidate ``j``: returns ``(change, b)``.

    O(n + k): one contiguous pass over row ``j``; ``ploss`` (k,) is scratch.
    """
    k = removal_loss.shape[0]
    for m in range(k):
        ploss[m] = removal_loss[m]
    acc = 0.0
    row = DT[j]
    for o in range(row.shape[0]):
        doj = np.float64(row[o])
        sd = seco_d[o]
        if doj < sd:  # rare for most candidates: keep the common path to two loads
            nd = near_d[o]
            ni = near_i[o]
            wo = w[o]
            if doj < nd:
                acc += wo * (doj - nd)
                ploss[ni] += wo * (nd - sd)
            else:
                ploss[ni] += wo * (doj - sd)
    b = 0
    best = ploss[0]
    for m in range(1, k):
        if ploss[m] < best:
            best = ploss[m]
            b = m
    return best + acc, b


@jit(inline="always")
def point_after_swap(b, doj, ni, nd, si, sd):
    """Nearest and second-nearest medoid of a point after medoid slot ``b`` moved to
    a point at distance ``doj``: returns ``(ni, nd, si, sd, rescan)``; ``rescan``:
    the second nearest must be searched again among the other medoids (the caller
    scans, starting from ``(b, doj)``, with its own distance source)."""
    rescan = False
    if ni == b:
        if doj < sd:
            nd = doj
        else:
            ni = si
            nd = sd
            rescan = True
    elif doj < nd:
        si = ni
        sd = nd
        ni = b
        nd = doj
    elif doj < sd:
        si = b
        sd = doj
    elif si == b:
        rescan = True
    return ni, nd, si, sd, rescan


@jit(inline="always")
def do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, removal_loss, b, j):
    """Replace medoid ``med[b]`` by point ``j``; update the state; return the loss.

    A point whose second-nearest medoid is lost gets a new one by an O(k)
    scan, starting from ``(b, d(o, j))``. ``removal_loss`` is recomputed in
    the same pass (same order and values as :func:`assign`'s).
    """
    med[b] = j
    k = med.shape[0]
    for m in range(k):
        removal_loss[m] = 0.0
    row = DT[j]
    loss = 0.0
    for o in range(row.shape[0]):
        # the state of o in locals: one load and one store per array
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
                    d = np.float64(DT[med[m], o])
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


# --------------------------------------------------------------- FasterPAM


@jit
def fasterpam_pass(
    DT, w, med, near_i, near_d, seco_i, seco_d, removal_loss, ploss, order, lastswap, loss
):
    """One FasterPAM pass over the candidates in ``order`` (eager swaps).

    Stops early at ``lastswap`` (a whole cycle without a swap). Returns
    ``(n_swaps, lastswap, loss)``.
    """
    n_swaps = 0
    for t in range(order.shape[0]):
        j = order[t]
        if j == lastswap:
            break
        if j == med[near_i[j]]:
            continue
        change, b = find_best_swap(DT, j, w, removal_loss, near_i, near_d, seco_d, ploss)
        if change >= 0.0:
            continue
        n_swaps += 1
        lastswap = j
        loss = do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, removal_loss, b, j)
    return n_swaps, lastswap, loss


@jit(parallel=True)
def fasterpam_pass_par(
    DT,
    w,
    med,
    near_i,
    near_d,
    seco_i,
    seco_d,
    removal_loss,
    plosses,
    order,
    lastswap,
    loss,
    min_batch,
):
    """As :func:`fasterpam_pass`, evaluating candidates speculatively in parallel.

    Batches of consecutive candidates are evaluated in parallel against the
    current state; the first one (in order) with a negative change is applied
    and the rest of the batch is discarded. This is exactly what the serial
    pass does, so the swaps, the medoids and the loss are the same bits
    whatever the thread count. The batch doubles (up to ``plosses.shape[0]``)
    while no swap is found and falls back to ``min_batch`` after a swap.
    """
    n = order.shape[0]
    bmax = plosses.shape[0]
    bsize = min(min_batch, bmax)
    cand = np.empty(bmax, dtype=np.int64)
    changes = np.empty(bmax, dtype=np.float64)
    bs = np.empty(bmax, dtype=np.int64)
    n_swaps = 0
    pos = 0
    while pos < n:
        cnt = 0
        stop = False
        while cnt < bsize and pos + cnt < n:
            j = order[pos + cnt]
            if j == lastswap:
                stop = True
                break
            cand[cnt] = j
            cnt += 1
        for t in prange(cnt):
            j = cand[t]
            if j == med[near_i[j]]:
                changes[t] = 0.0
                bs[t] = -1
            else:
                c, b = find_best_swap(DT, j, w, removal_loss, near_i, near_d, seco_d, plosses[t])
                changes[t] = c
                bs[t] = b
        applied = -1
        for t in range(cnt):
            if bs[t] >= 0 and changes[t] < 0.0:
                applied = t
                break
        if applied >= 0:
            j = cand[applied]
            n_swaps += 1
            lastswap = j
            loss = do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, removal_loss, bs[applied], j)
            pos += applied + 1
            bsize = min(min_batch, bmax)
        else:
            pos += cnt
            if stop:
                break
            bsize = min(2 * bsize, bmax)
    return n_swaps, lastswap, loss


# ------------------------------------------------------- FastPAM1 and PAM


@jit
def _fastpam1_eval(DT, w, med, near_i, near_d, seco_d, removal_loss, ploss, lo, hi, changes, bs):
    for j in range(lo, hi):
        if j == med[near_i[j]]:
            bs[j] = -1
            changes[j] = 0.0
        else:
            c, b = find_best_swap(DT, j, w, removal_loss, near_i, near_d, seco_d, ploss)
            changes[j] = c
            bs[j] = b


@twin
def fastpam1_evaluate(DT, w, med, near_i, near_d, seco_d, removal_loss, changes, bs, n_chunks):
    """Best swap change and medoid position for every candidate, in ``n_chunks`` chunks."""
    n = DT.shape[0]
    k = med.shape[0]
    for c in prange(n_chunks):
        ploss = np.empty(k, dtype=np.float64)
        _fastpam1_eval(
            DT,
            w,
            med,
            near_i,
            near_d,
            seco_d,
            removal_loss,
            ploss,
            c * n // n_chunks,
            (c + 1) * n // n_chunks,
            changes,
            bs,
        )


@jit
def _pam_best_for(DT, j, w, k, near_i, near_d, seco_d):
    """Classic PAM: best medoid position for candidate ``j`` by k full passes."""
    best = 0.0
    best_m = -1
    row = DT[j]
    n = row.shape[0]
    for m in range(k):
        acc = -w[j] * near_d[j]
        for o in range(n):
            if o == j:
                continue
            djo = np.float64(row[o])
            if near_i[o] == m:
                if djo < seco_d[o]:
                    acc += w[o] * (djo - near_d[o])
                else:
                    acc += w[o] * (seco_d[o] - near_d[o])
            elif djo < near_d[o]:
                acc += w[o] * (djo - near_d[o])
        if acc < best:
            best = acc
            best_m = m
    return best, best_m


@jit
def _pam_eval(DT, w, med, near_i, near_d, seco_d, lo, hi, changes, bs):
    k = med.shape[0]
    for j in range(lo, hi):
        if j == med[near_i[j]]:
            bs[j] = -1
            changes[j] = 0.0
        else:
            c, b = _pam_best_for(DT, j, w, k, near_i, near_d, seco_d)
            changes[j] = c
            bs[j] = b


@twin
def pam_evaluate(DT, w, med, near_i, near_d, seco_d, changes, bs, n_chunks):
    """Classic PAM SWAP evaluation of every (medoid, candidate) pair, in ``n_chunks`` chunks."""
    n = DT.shape[0]
    for c in prange(n_chunks):
        _pam_eval(
            DT,
            w,
            med,
            near_i,
            near_d,
            seco_d,
            c * n // n_chunks,
            (c + 1) * n // n_chunks,
            changes,
            bs,
        )


@jit
def pick_best_swap(changes, bs):
    """First candidate with the strictly smallest negative change, or -1."""
    best = 0.0
    best_j = -1
    for j in range(changes.shape[0]):
        if bs[j] >= 0 and changes[j] < best:
            best = changes[j]
            best_j = j
    return best_j


# -------------------------------------------------------------- alternate


@jit
def medoid_of_members(DT, members, w, current):
    """Member with the smallest weighted distance sum to the others.

    The current medoid is evaluated first and kept on ties. Returns
    ``(best, cost)``.
    """
    best = current
    best_s = 0.0
    row = DT[current]
    for b in range(members.shape[0]):
        i = members[b]
        if i != current:
            best_s += w[i] * row[i]
    for a in range(members.shape[0]):
        j = members[a]
        if j == current:
            continue
        row = DT[j]
        s = 0.0
        for b in range(members.shape[0]):
            i = members[b]
            if i != j:
                s += w[i] * row[i]
        if s < best_s:
            best_s = s
            best = j
    return best, best_s


@jit
def final_assignment_rows(D, med, w, labels, dist):
    """As :func:`assign` without ``medoid_to_self``, reading ``D[o, med[m]]``.

    ``D`` is not transposed (and no second nearest or removal loss is kept).

    For a matrix symmetric only up to rounding, used as it is: each point's row
    gives its dissimilarities to the medoids, the entries ``predict`` reads.
    """
    n = D.shape[0]
    k = med.shape[0]
    loss = 0.0
    for o in range(n):
        row = D[o]
        best = np.float64(row[med[0]])
        lab = 0
        for m in range(1, k):
            d = np.float64(row[med[m]])
            if d < best:
                best = d
                lab = m
        labels[o] = lab
        dist[o] = best
    for o in range(n):
        loss += w[o] * dist[o]
    return loss
