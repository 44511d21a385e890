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


@jit
def scan_matrix_kernel(K):
    """One pass: ``(finite, min, max_abs, asymmetry, min_diag, max_diag, n_zero_offdiag)``.

    ``asymmetry`` is ``max |K[i, j] - K[j, i]|`` (``inf`` for a non-square
    matrix, whose diagonal bounds are ``inf``/``-inf``); a NaN makes ``finite``
    false and leaves the other figures meaningless. Written as plain scalar
    loops (no array allocation, no helpers): it compiles in a fraction of a
    second.
    """
    n, m = K.shape
    finite = True
    vmin = np.inf
    vmax = 0.0
    nzero = 0
    if n != m:
        for i in range(n):
            for j in range(m):
                v = np.float64(K[i, j])
                finite = finite and np.isfinite(v)
                vmin = min(vmin, v)
                vmax = max(vmax, abs(v))
                nzero += v == 0
        return finite, vmin, vmax, np.inf, np.inf, -np.inf, nzero
    dmin = np.inf
    dmax = -np.inf
    for i in range(n):
        v = np.float64(K[i, i])
        finite = finite and np.isfinite(v)
        dmin = min(dmin, v)
        dmax = max(dmax, v)
        vmax = max(vmax, abs(v))
    vmin = dmin
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
                    finite = finite and np.isfinite(v) and np.isfinite(w)
                    vmin = min(vmin, min(v, w))
                    vmax = max(vmax, max(abs(v), abs(w)))
                    nzero += (v == 0) + (w == 0)
                    gap = max(gap, abs(v - w))
    return finite, vmin, vmax, gap, dmin, dmax, nzero
