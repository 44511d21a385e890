"""Numba kernels for medoid-silhouette clustering: FastMSC, FasterMSC, DynMSC.

Contract (same layout as ``_fasterpam_kernels.py``):

- ``DT`` is a C-contiguous (n, n) float32 or float64 array with
  ``DT[j, o] = d(o, j)``; evaluating candidate ``j`` streams row ``j``.
- ``w`` float64 (n,) non-negative weights; ``med`` int64 (k,) medoid indices,
  updated in place by swaps.
- k >= 3: per point the nearest, second and third nearest medoid as positions
  in ``med`` (``ni``, ``si``, ``ti``: int64, -1 for none) and their distances
  (``nd``, ``sd``, ``td``: the dtype of ``DT``, so sums of two distances are
  rounded as the input type rounds them), updated in place.
- k == 2: per point the distances to ``med[0]`` and ``med[1]`` (``d0``, ``d1``,
  dtype of ``DT``) and the label ``assi`` (int64).
- The loss minimised is ``sum_o w[o] * l(d1(o), d2(o))`` with
  ``l(a, b) = a / b`` (0 when ``a`` or ``b`` is 0), accumulated in float64 in
  index order: the average medoid silhouette is ``1 - loss / sum(w)``.
- ``removal`` (k,) float64: the decrease of the loss if medoid ``m`` were
  removed (a gain; usually negative). Changes returned by the swap search are
  gains too: a swap is applied when its gain is strictly positive. Ties: the
  first maximum wins; only strictly improving swaps are applied.

Costs: one FasterMSC pass O(n^2 + n k); a FastMSC iteration O(n^2 + n k).
Nothing here validates: ``skot.cluster._msc`` checks shapes and indices.
"""

import numpy as np

from ..utils._numba import jit


@jit(inline="always")
def _l(a, b):
    if a == 0 or b == 0:
        return 0.0
    return np.float64(a) / np.float64(b)


# ----------------------------------------------------------------- k >= 3


@jit
def assign3(DT, med, w, ni, nd, si, sd, ti, td):
    """Nearest three medoids of every point (a medoid is its own nearest); returns the loss."""
    n = DT.shape[0]
    k = med.shape[0]
    row = DT[med[0]]
    for o in range(n):
        ni[o] = 0
        nd[o] = row[o]
        si[o] = -1
        sd[o] = 0
        ti[o] = -1
        td[o] = 0
    for m in range(1, k):
        me = med[m]
        row = DT[me]
        for o in range(n):
            d = row[o]
            if d < nd[o] or o == me:
                ti[o] = si[o]
                td[o] = sd[o]
                si[o] = ni[o]
                sd[o] = nd[o]
                ni[o] = m
                nd[o] = d
            elif si[o] == -1 or d < sd[o]:
                ti[o] = si[o]
                td[o] = sd[o]
                si[o] = m
                sd[o] = d
            elif ti[o] == -1 or d < td[o]:
                ti[o] = m
                td[o] = d
    loss = 0.0
    for o in range(n):
        loss += w[o] * _l(nd[o], sd[o])
    return loss


@jit
def removal_gains(w, ni, nd, si, sd, td, removal):
    """``removal[m]``: loss decrease if medoid ``m`` were removed (every point falls back)."""
    for m in range(removal.shape[0]):
        removal[m] = 0.0
    for o in range(ni.shape[0]):
        a = _l(nd[o], sd[o])
        removal[ni[o]] += w[o] * (a - _l(sd[o], td[o]))
        removal[si[o]] += w[o] * (a - _l(nd[o], td[o]))


@jit(inline="always")
def best_swap_for(DT, j, w, removal, ni, nd, si, sd, td, gains):
    """Largest gain of swapping candidate ``j`` with one medoid: ``(gain, b)``; O(n + k)."""
    k = removal.shape[0]
    for m in range(k):
        gains[m] = removal[m]
    acc = 0.0
    row = DT[j]
    for o in range(row.shape[0]):
        doj = row[o]
        t = td[o]
        if not doj < t:
            continue
        n_ = nd[o]
        s = sd[o]
        wo = w[o]
        if doj < s:
            if doj < n_:
                new = _l(doj, n_)
            else:
                new = _l(n_, doj)
            acc += wo * (_l(n_, s) - new)
            gains[ni[o]] += wo * (new + _l(s, t) - _l(n_ + doj, s))
            gains[si[o]] += wo * (_l(n_, t) - _l(n_, s))
        else:
            gains[ni[o]] += wo * (_l(s, t) - _l(s, doj))
            gains[si[o]] += wo * (_l(n_, t) - _l(n_, doj))
    b = 0
    best = gains[0]
    for m in range(1, k):
        if gains[m] > best:
            best = gains[m]
            b = m
    return best + acc, b


@jit(inline="always")
def _third(DT, med, n_, s, b, o, doj):
    """Third nearest medoid of ``o`` other than positions ``n_`` and ``s``, from ``(b, doj)``."""
    bi = b
    bd = doj
    for i in range(med.shape[0]):
        if i == n_ or i == b or i == s:
            continue
        d = DT[med[i], o]
        if d < bd:
            bi = i
            bd = d
    return bi, bd


@jit
def do_swap3(DT, med, w, ni, nd, si, sd, ti, td, b, j):
    """Replace medoid ``med[b]`` by ``j``; update the three nearest; return the loss."""
    med[b] = j
    row = DT[j]
    loss = 0.0
    for o in range(row.shape[0]):
        if o == j:
            if ni[o] != b:
                if si[o] != b:
                    ti[o] = si[o]
                    td[o] = sd[o]
                si[o] = ni[o]
                sd[o] = nd[o]
            ni[o] = b
            nd[o] = 0
            continue
        doj = row[o]
        if ni[o] == b:
            if doj < sd[o]:
                nd[o] = doj
            elif ti[o] == -1 or doj < td[o]:
                ni[o] = si[o]
                nd[o] = sd[o]
                si[o] = b
                sd[o] = doj
            else:
                ni[o] = si[o]
                nd[o] = sd[o]
                si[o] = ti[o]
                sd[o] = td[o]
                ti[o], td[o] = _third(DT, med, ni[o], si[o], b, o, doj)
        elif si[o] == b:
            if doj < nd[o]:
                si[o] = ni[o]
                sd[o] = nd[o]
                ni[o] = b
                nd[o] = doj
            elif ti[o] == -1 or doj < td[o]:
                sd[o] = doj
            else:
                si[o] = ti[o]
                sd[o] = td[o]
                ti[o], td[o] = _third(DT, med, ni[o], si[o], b, o, doj)
        else:
            if doj < nd[o]:
                ti[o] = si[o]
                td[o] = sd[o]
                si[o] = ni[o]
                sd[o] = nd[o]
                ni[o] = b
                nd[o] = doj
            elif doj < sd[o]:
                ti[o] = si[o]
                td[o] = sd[o]
                si[o] = b
                sd[o] = doj
            elif ti[o] == -1 or doj < td[o]:
                ti[o] = b
                td[o] = doj
            elif ti[o] == b:
                ti[o], td[o] = _third(DT, med, ni[o], si[o], b, o, doj)
        loss += w[o] * _l(nd[o], sd[o])
    return loss


@jit
def fastermsc_pass(DT, w, med, ni, nd, si, sd, ti, td, removal, gains, order, lastswap, loss):
    """One FasterMSC pass (eager swaps) over ``order``; returns ``(n_swaps, lastswap, loss)``."""
    n_swaps = 0
    for t in range(order.shape[0]):
        j = order[t]
        if j == lastswap:
            break
        if j == med[ni[j]]:
            continue
        gain, b = best_swap_for(DT, j, w, removal, ni, nd, si, sd, td, gains)
        if not gain > 0.0:
            continue
        n_swaps += 1
        lastswap = j
        loss = do_swap3(DT, med, w, ni, nd, si, sd, ti, td, b, j)
        removal_gains(w, ni, nd, si, sd, td, removal)
    return n_swaps, lastswap, loss


@jit
def fastmsc_best(DT, w, med, ni, nd, si, sd, td, removal, gains):
    """FastMSC: the best (gain, b, j) over all candidates (first maximum); j = -1 if none."""
    best = 0.0
    bb = -1
    bj = -1
    for j in range(DT.shape[0]):
        if j == med[ni[j]]:
            continue
        gain, b = best_swap_for(DT, j, w, removal, ni, nd, si, sd, td, gains)
        if gain > best:
            best = gain
            bb = b
            bj = j
    return best, bb, bj


# ------------------------------------------------------------------ k == 2


@jit
def assign2(DT, med, w, d0, d1, assi):
    """Distances to both medoids and the labels (ties: medoid 1); returns the loss."""
    r0 = DT[med[0]]
    r1 = DT[med[1]]
    loss = 0.0
    for o in range(DT.shape[0]):
        a = r0[o]
        c = r1[o]
        d0[o] = a
        d1[o] = c
        if a < c:
            assi[o] = 0
            loss += w[o] * _l(a, c)
        else:
            assi[o] = 1
            loss += w[o] * _l(c, a)
    return loss


@jit
def swap_loss2(DT, j, w, d0, d1):
    """Loss after replacing medoid 0 or 1 by ``j``: ``(loss, b)``, the first minimum."""
    p0 = 0.0
    p1 = 0.0
    row = DT[j]
    for o in range(row.shape[0]):
        doj = row[o]
        a = d0[o]
        c = d1[o]
        p0 += w[o] * (_l(doj, c) if doj < c else _l(c, doj))
        p1 += w[o] * (_l(doj, a) if doj < a else _l(a, doj))
    if p1 < p0:
        return p1, 1
    return p0, 0


@jit
def do_swap2(DT, med, w, d0, d1, assi, b, j):
    """Replace ``med[b]`` by ``j`` (k == 2); returns the loss."""
    med[b] = j
    row = DT[j]
    loss = 0.0
    for o in range(row.shape[0]):
        if o == j:
            assi[o] = b
            if b == 0:
                d0[o] = 0
            else:
                d1[o] = 0
            continue
        doj = row[o]
        if b == 0:
            d0[o] = doj
            other = d1[o]
        else:
            d1[o] = doj
            other = d0[o]
        if doj < other or (doj == other and assi[o] == b):
            assi[o] = b
            loss += w[o] * _l(doj, other)
        else:
            assi[o] = 1 - b
            loss += w[o] * _l(other, doj)
    return loss


@jit
def fastermsc2_pass(DT, w, med, d0, d1, assi, order, lastswap, loss):
    """One FasterMSC pass for k == 2; returns ``(n_swaps, lastswap, loss)``."""
    n_swaps = 0
    for t in range(order.shape[0]):
        j = order[t]
        if j == lastswap:
            break
        if j == med[assi[j]]:
            continue
        newloss, b = swap_loss2(DT, j, w, d0, d1)
        if not newloss < loss:
            continue
        n_swaps += 1
        lastswap = j
        loss = do_swap2(DT, med, w, d0, d1, assi, b, j)
    return n_swaps, lastswap, loss


@jit
def fastmsc2_best(DT, w, med, d0, d1, assi):
    """FastMSC for k == 2: the smallest loss over all swaps, ``(loss, b, j)``; first wins."""
    best = 0.0
    bb = -1
    bj = -1
    for j in range(DT.shape[0]):
        if j == med[assi[j]]:
            continue
        newloss, b = swap_loss2(DT, j, w, d0, d1)
        if bj == -1 or newloss < best:
            best = newloss
            bb = b
            bj = j
    return best, bb, bj
