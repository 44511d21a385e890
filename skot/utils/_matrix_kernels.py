"""Validation kernel shared by the families: one pass over a dense matrix.

Contract: ``K`` is a 2-D float32 or float64 array of any layout (C, F, a strided
view), read only; values are accumulated in float64.
Cost: one read of every entry; a square matrix is read in 64 x 64 tiles that
pair ``K[i, j]`` with ``K[j, i]``, so the symmetry measure costs no second pass
and stays cache friendly whichever the layout.

The decision "symmetric up to rounding" is not taken here: it is
:func:`skot.utils._validation.scan_matrix` (the one symmetry rule).
"""

import numpy as np

from ._numba import jit


@jit(inline="always")
def _visit(v, acc):
    # acc: finite flag (0/1), min, max |.|, zero count
    if not np.isfinite(v):
        acc[0] = 0.0
    if v < acc[1]:
        acc[1] = v
    a = abs(v)
    if a > acc[2]:
        acc[2] = a
    if v == 0:
        acc[3] += 1.0


@jit
def scan_matrix_kernel(K):
    """One pass: ``(finite, min, max_abs, asymmetry, min_diag, max_diag, n_zero_offdiag)``.

    ``asymmetry`` is ``max |K[i, j] - K[j, i]|`` (``inf`` for a non-square
    matrix, whose diagonal bounds are ``inf``/``-inf``); a NaN makes ``finite``
    false and leaves the other figures meaningless.
    """
    n, m = K.shape
    acc = np.zeros(4)
    acc[0] = 1.0
    acc[1] = np.inf
    if n != m:
        for i in range(n):
            for j in range(m):
                _visit(np.float64(K[i, j]), acc)
        return (acc[0] == 1.0, acc[1], acc[2], np.inf, np.inf, -np.inf, int(acc[3]))
    dmin = np.inf
    dmax = -np.inf
    for i in range(n):
        v = np.float64(K[i, i])
        dmin = min(dmin, v)
        dmax = max(dmax, v)
        _visit(v, acc)
    diag_zero = acc[3]
    gap = 0.0
    bs = 64
    for ib in range(0, n, bs):
        ie = min(ib + bs, n)
        for jb in range(ib, n, bs):
            je = min(jb + bs, n)
            for i in range(ib, ie):
                for j in range(max(jb, i + 1), je):
                    v = np.float64(K[i, j])
                    w = np.float64(K[j, i])
                    _visit(v, acc)
                    _visit(w, acc)
                    d = abs(v - w)
                    if d > gap:
                        gap = d
    return (acc[0] == 1.0, acc[1], acc[2], gap, dmin, dmax, int(acc[3] - diag_zero))
