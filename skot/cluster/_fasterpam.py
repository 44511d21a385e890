"""Numba kernels for k-medoids: FasterPAM, FastPAM1, PAM, BUILD, LAB, alternate.

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

Nothing here validates: shapes, indices and values are checked by
``skot.cluster._kmedoids`` before any kernel runs.

Costs: one FasterPAM pass O(n^2 + n k) (O(n + k) per candidate); a FastPAM1
iteration O(n^2); a PAM iteration O(k n^2); BUILD O(k n^2); LAB O(k n);
an alternate iteration O(sum of squared cluster sizes).
"""

import numpy as np
from numba import prange

from ..utils._numba import jit

NO_MEDOID = -1


# ---------------------------------------------------------------- helpers


@jit
def weighted_row_sum(DT, j, w):
    """Sum over ``o != j`` of ``w[o] * DT[j, o]`` (the loss of medoid ``j`` alone)."""
    row = DT[j]
    s = 0.0
    for o in range(row.shape[0]):
        if o != j:
            s += w[o] * row[o]
    return s


@jit
def initial_assignment(DT, med, w, near_i, near_d, seco_i, seco_d):
    """Nearest and second-nearest medoid of every point; returns the loss.

    A point that is itself a medoid is assigned to itself even when an
    earlier medoid is at distance zero (duplicate points).
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
            if d < near_d[o] or o == me:
                seco_i[o] = near_i[o]
                seco_d[o] = near_d[o]
                near_i[o] = m
                near_d[o] = d
            elif seco_i[o] == NO_MEDOID or d < seco_d[o]:
                seco_i[o] = m
                seco_d[o] = d
    loss = 0.0
    for o in range(n):
        loss += w[o] * near_d[o]
    return loss


@jit
def update_removal_loss(w, near_i, near_d, seco_d, removal_loss):
    """``removal_loss[m]``: loss increase if medoid ``m`` were deleted."""
    removal_loss[:] = 0.0
    for o in range(near_i.shape[0]):
        removal_loss[near_i[o]] += w[o] * (seco_d[o] - near_d[o])


@jit
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


@jit
def update_second_nearest(DT, med, near_pos, b, o, doj):
    """Second-nearest medoid of ``o`` by an O(k) scan, starting from ``(b, doj)``."""
    s_i = b
    s_d = doj
    for m in range(med.shape[0]):
        if m == near_pos or m == b:
            continue
        d = np.float64(DT[med[m], o])
        if d < s_d:
            s_i = m
            s_d = d
    return s_i, s_d


@jit
def do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, b, j):
    """Replace medoid ``med[b]`` by point ``j``; update the state; return the loss."""
    med[b] = j
    row = DT[j]
    loss = 0.0
    for o in range(row.shape[0]):
        if o == j:
            if near_i[o] != b:
                seco_i[o] = near_i[o]
                seco_d[o] = near_d[o]
            near_i[o] = b
            near_d[o] = 0.0
            continue
        doj = np.float64(row[o])
        if near_i[o] == b:
            if doj < seco_d[o]:
                near_d[o] = doj
            else:
                near_i[o] = seco_i[o]
                near_d[o] = seco_d[o]
                s_i, s_d = update_second_nearest(DT, med, near_i[o], b, o, doj)
                seco_i[o] = s_i
                seco_d[o] = s_d
        else:
            if doj < near_d[o]:
                seco_i[o] = near_i[o]
                seco_d[o] = near_d[o]
                near_i[o] = b
                near_d[o] = doj
            elif doj < seco_d[o]:
                seco_i[o] = b
                seco_d[o] = doj
            elif seco_i[o] == b:
                s_i, s_d = update_second_nearest(DT, med, near_i[o], b, o, doj)
                seco_i[o] = s_i
                seco_d[o] = s_d
        loss += w[o] * near_d[o]
    return loss


# --------------------------------------------------------------- FasterPAM


@jit
def fasterpam_pass(DT, w, med, near_i, near_d, seco_i, seco_d, removal_loss,
                   ploss, order, lastswap, loss):
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
        loss = do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, b, j)
        update_removal_loss(w, near_i, near_d, seco_d, removal_loss)
    return n_swaps, lastswap, loss


@jit(parallel=True)
def fasterpam_pass_par(DT, w, med, near_i, near_d, seco_i, seco_d, removal_loss,
                       plosses, order, lastswap, loss, min_batch):
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
                c, b = find_best_swap(DT, j, w, removal_loss, near_i, near_d,
                                      seco_d, plosses[t])
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
            loss = do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, bs[applied], j)
            update_removal_loss(w, near_i, near_d, seco_d, removal_loss)
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
def _fastpam1_eval(DT, w, med, near_i, near_d, seco_d, removal_loss, ploss,
                   lo, hi, changes, bs):
    for j in range(lo, hi):
        if j == med[near_i[j]]:
            bs[j] = -1
            changes[j] = 0.0
        else:
            c, b = find_best_swap(DT, j, w, removal_loss, near_i, near_d, seco_d, ploss)
            changes[j] = c
            bs[j] = b


@jit
def fastpam1_evaluate(DT, w, med, near_i, near_d, seco_d, removal_loss, changes, bs):
    """Best swap change and medoid position for every candidate (serial)."""
    ploss = np.empty(med.shape[0], dtype=np.float64)
    _fastpam1_eval(DT, w, med, near_i, near_d, seco_d, removal_loss, ploss,
                   0, DT.shape[0], changes, bs)


@jit(parallel=True)
def fastpam1_evaluate_par(DT, w, med, near_i, near_d, seco_d, removal_loss, changes, bs,
                          n_chunks):
    """As :func:`fastpam1_evaluate`, candidates split into ``n_chunks`` parallel chunks."""
    n = DT.shape[0]
    k = med.shape[0]
    for c in prange(n_chunks):
        lo = c * n // n_chunks
        hi = (c + 1) * n // n_chunks
        ploss = np.empty(k, dtype=np.float64)
        _fastpam1_eval(DT, w, med, near_i, near_d, seco_d, removal_loss, ploss,
                       lo, hi, changes, bs)


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


@jit
def pam_evaluate(DT, w, med, near_i, near_d, seco_d, changes, bs):
    """Classic PAM SWAP evaluation of every (medoid, candidate) pair (serial)."""
    _pam_eval(DT, w, med, near_i, near_d, seco_d, 0, DT.shape[0], changes, bs)


@jit(parallel=True)
def pam_evaluate_par(DT, w, med, near_i, near_d, seco_d, changes, bs, n_chunks):
    """As :func:`pam_evaluate`, candidates split into ``n_chunks`` parallel chunks."""
    n = DT.shape[0]
    for c in prange(n_chunks):
        _pam_eval(DT, w, med, near_i, near_d, seco_d, c * n // n_chunks,
                  (c + 1) * n // n_chunks, changes, bs)


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


# ------------------------------------------------------------------ BUILD


@jit
def _build_gain(DT, i, w, near_d):
    row = DT[i]
    s = 0.0
    for j in range(row.shape[0]):
        if j != i:
            d = np.float64(row[j])
            if d < near_d[j]:
                s += w[j] * (d - near_d[j])
    return s - w[i] * near_d[i]


@jit
def _build_sums(DT, w, near_d, is_med, lo, hi, sums, first):
    for i in range(lo, hi):
        if first:
            sums[i] = weighted_row_sum(DT, i, w)
        elif is_med[i]:
            sums[i] = np.inf
        else:
            sums[i] = _build_gain(DT, i, w, near_d)


@jit
def build_sums(DT, w, near_d, is_med, sums, first):
    """BUILD objective of every candidate (serial); ``first`` selects step one."""
    _build_sums(DT, w, near_d, is_med, 0, DT.shape[0], sums, first)


@jit(parallel=True)
def build_sums_par(DT, w, near_d, is_med, sums, first, n_chunks):
    """As :func:`build_sums`, candidates split into ``n_chunks`` parallel chunks."""
    n = DT.shape[0]
    for c in prange(n_chunks):
        _build_sums(DT, w, near_d, is_med, c * n // n_chunks, (c + 1) * n // n_chunks,
                    sums, first)


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


@jit
def build_update(DT, w, S, old, new, gains):
    """Incremental BUILD gains for a symmetric ``DT`` (serial).

    Points ``S`` had their nearest distance lowered from ``old`` to ``new``;
    only their terms change, so the update costs O(|S| n) instead of O(n^2).
    """
    _build_update_range(DT, w, S, old, new, gains, 0, DT.shape[0])


@jit(parallel=True)
def build_update_par(DT, w, S, old, new, gains, n_chunks):
    """As :func:`build_update`, candidates split into ``n_chunks`` parallel chunks.

    Every gain receives its updates in the same order, whatever the chunking.
    """
    n = DT.shape[0]
    for c in prange(n_chunks):
        _build_update_range(DT, w, S, old, new, gains, c * n // n_chunks,
                            (c + 1) * n // n_chunks)


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
def first_argmin(values):
    """Index of the first minimum (strict ``<``)."""
    best = 0
    for i in range(1, values.shape[0]):
        if values[i] < values[best]:
            best = i
    return best


@jit
def update_nearest(DT, m, near_d):
    """``near_d = min(near_d, DT[m])`` with ``near_d[m] = 0``."""
    row = DT[m]
    for o in range(row.shape[0]):
        d = np.float64(row[o])
        if d < near_d[o]:
            near_d[o] = d
    near_d[m] = 0.0


# -------------------------------------------------------- LAB, k-medoids++


@jit
def lab_first(DT, sample, w):
    """Sample point with the smallest weighted distance sum within the sample."""
    best = -1
    best_s = np.inf
    for a in range(sample.shape[0]):
        i = sample[a]
        row = DT[i]
        s = 0.0
        for b in range(sample.shape[0]):
            j = sample[b]
            if j != i:
                s += w[j] * row[j]
        if s < best_s:
            best_s = s
            best = i
    return best


@jit
def lab_step(DT, sample, w, near_d):
    """Sample point minimising sum over the sample of w * min(d(j, i), near_d[j])."""
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


# -------------------------------------------------------------- alternate


@jit
def assign_nearest(DT, med, w, labels, dist):
    """Nearest medoid (first minimum, a medoid point to itself); returns the loss."""
    n = DT.shape[0]
    row = DT[med[0]]
    for o in range(n):
        labels[o] = 0
        dist[o] = row[o]
    for m in range(1, med.shape[0]):
        me = med[m]
        row = DT[me]
        for o in range(n):
            d = np.float64(row[o])
            if d < dist[o] or o == me:
                labels[o] = m
                dist[o] = d
    loss = 0.0
    for o in range(n):
        loss += w[o] * dist[o]
    return loss


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
def final_assignment(DT, med, w, labels, dist):
    """Labels by the first nearest medoid in ``med`` order; returns the loss.

    Unlike :func:`assign_nearest`, a medoid point is not forced onto itself,
    so the labels are exactly what ``predict`` gives for the training points.
    """
    n = DT.shape[0]
    row = DT[med[0]]
    for o in range(n):
        labels[o] = 0
        dist[o] = row[o]
    for m in range(1, med.shape[0]):
        row = DT[med[m]]
        for o in range(n):
            d = np.float64(row[o])
            if d < dist[o]:
                labels[o] = m
                dist[o] = d
    loss = 0.0
    for o in range(n):
        loss += w[o] * dist[o]
    return loss
