"""Validation kernels shared by the families: one pass over a dense matrix.

``SYMMETRY_RTOL``: a square matrix whose entries differ from their mirror by at
most this, relative to its largest entry, is symmetric up to rounding (as
scikit-learn's BLAS-based ``pairwise_distances(X)`` or ``rbf_kernel(X)`` give).

Contract: ``K`` is a 2-D float32 or float64 array of any layout, read only.
Cost: one read of every entry; a square matrix is read in 64 x 64 tiles that
pair ``K[i, j]`` with ``K[j, i]``, so the symmetry test costs no second pass.
"""

import numpy as np

from ._numba import jit

SYMMETRY_RTOL = 1e-10


@jit
def scan_matrix(K):
    """Finiteness, minimum, symmetry, diagonal range and zero count in one pass.

    Returns ``(finite, min_value, symmetric, min_diagonal, max_diagonal,
    n_zero_offdiag)``. ``symmetric`` is False and the diagonal bounds are
    ``inf``/``-inf`` for a non-square matrix.
    """
    n, m = K.shape
    finite = True
    vmin = np.inf
    dmin = np.inf
    dmax = -np.inf
    nzero = 0
    if n != m:
        for i in range(n):
            for j in range(m):
                v = K[i, j]
                if not np.isfinite(v):
                    finite = False
                vmin = min(vmin, v)
                if v == 0:
                    nzero += 1
        return finite, vmin, False, np.inf, -np.inf, nzero
    symmetric = True
    for i in range(n):
        v = K[i, i]
        if not np.isfinite(v):
            finite = False
        vmin = min(vmin, v)
        dmin = min(dmin, v)
        dmax = max(dmax, v)
    bs = 64
    for ib in range(0, n, bs):
        ie = min(ib + bs, n)
        for jb in range(ib, n, bs):
            je = min(jb + bs, n)
            for i in range(ib, ie):
                for j in range(max(jb, i + 1), je):
                    v = K[i, j]
                    w = K[j, i]
                    if not (np.isfinite(v) and np.isfinite(w)):
                        finite = False
                    vmin = min(vmin, min(v, w))
                    if v == 0:
                        nzero += 1
                    if w == 0:
                        nzero += 1
                    if v != w:
                        symmetric = False
    return finite, vmin, symmetric, dmin, dmax, nzero


@jit
def max_asymmetry(K):
    """``(max |K[i, j] - K[j, i]|, max |K[i, j]|)`` of a square matrix, one tiled pass."""
    n = K.shape[0]
    gap = 0.0
    scale = 0.0
    for i in range(n):
        scale = max(scale, abs(np.float64(K[i, i])))
    bs = 64
    for ib in range(0, n, bs):
        ie = min(ib + bs, n)
        for jb in range(ib, n, bs):
            je = min(jb + bs, n)
            for i in range(ib, ie):
                for j in range(max(jb, i + 1), je):
                    v = np.float64(K[i, j])
                    w = np.float64(K[j, i])
                    gap = max(gap, abs(v - w))
                    scale = max(scale, max(abs(v), abs(w)))
    return gap, scale
