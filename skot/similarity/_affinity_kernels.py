"""Numba kernels of SinkhornAffinity: order statistics of a distance matrix.

Contract: ``D`` is a square C-contiguous float32/float64 matrix (read only);
only its strict upper triangle is read. Nothing is validated here.
Cost: one or two streaming passes over the upper triangle, then a gather of
the entries in the histogram bins holding the wanted ranks (sorted by the
caller with numpy).
"""

import numpy as np

from ..utils._numba import jit

_N_BINS = 65536


@jit
def _bin(v, lo, scale, nb):
    b = int((np.float64(v) - lo) * scale)
    return min(max(b, 0), nb - 1)


@jit
def upper_range(D):
    """``(min, max)`` of the strict upper triangle of ``D``."""
    n = D.shape[0]
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        for j in range(i + 1, n):
            v = np.float64(D[i, j])
            lo = min(lo, v)
            hi = max(hi, v)
    return lo, hi


@jit
def gather_rank_bins(D, k1, k2, lo, hi):
    """The entries of the strict upper triangle that can hold ranks ``k1 <= k2``.

    A ``_N_BINS``-bin histogram over ``[lo, hi]`` (``lo < hi``; values outside
    are clamped into the end bins, which keeps the binning monotone), then the
    entries of the bins from the one of rank ``k1`` to the one of rank ``k2``.
    Returns ``(values, before)``: once sorted, ``values[k - before]`` is the
    ``k``-th smallest entry (0-based) for ``k`` in ``[k1, k2]``.
    """
    n = D.shape[0]
    nb = _N_BINS
    scale = nb / (hi - lo)
    hist = np.zeros(nb, dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            hist[_bin(D[i, j], lo, scale, nb)] += 1
    cum = 0
    b1 = -1
    b2 = nb - 1
    before1 = 0
    for b in range(nb):
        if b1 < 0 and cum + hist[b] > k1:
            b1 = b
            before1 = cum
        if cum + hist[b] > k2:
            b2 = b
            break
        cum += hist[b]
    count = 0
    for b in range(b1, b2 + 1):
        count += hist[b]
    buf = np.empty(count)
    c = 0
    for i in range(n):
        for j in range(i + 1, n):
            b = _bin(D[i, j], lo, scale, nb)
            if b >= b1 and b <= b2:
                buf[c] = np.float64(D[i, j])
                c += 1
    return buf, before1
