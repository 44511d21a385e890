"""Exact pairwise distance kernels.

Contract: ``X`` (n, d) and ``Y`` (m, d) C-contiguous float32 or float64; ``out``
(n, m) of the output dtype, written in place. Each entry is computed pair by
pair (accumulated in float64, then cast), so the same pair of rows always gives
the same bits whichever call computes it: ``d(x, x) == 0`` exactly, the
symmetric kernel is exactly symmetric, and distances to a medoid computed at
fit and at predict time agree bit for bit. Cost O(n m d).

Metric codes: 0 euclidean, 1 squared euclidean, 2 manhattan, 3 chebyshev.

``pairwise_xy`` and ``pairwise_xx`` are :func:`~skot.utils._numba.twin` kernels:
callers pick ``.serial`` or ``.parallel`` with ``select``; callers running inside
joblib worker threads must use the serial one (numba's default threading layer
does not allow concurrent parallel launches).
"""

import numpy as np
from numba import prange

from ._numba import jit, twin


@jit(inline="always")
def _dist(X, i, Y, j, metric):
    d = X.shape[1]
    acc = 0.0
    if metric == 0 or metric == 1:
        for f in range(d):
            t = np.float64(X[i, f]) - np.float64(Y[j, f])
            acc += t * t
        if metric == 0:
            acc = np.sqrt(acc)
    elif metric == 2:
        for f in range(d):
            acc += abs(np.float64(X[i, f]) - np.float64(Y[j, f]))
    else:
        for f in range(d):
            t = abs(np.float64(X[i, f]) - np.float64(Y[j, f]))
            if t > acc:
                acc = t
    return acc


@jit(inline="always")
def _xy_row(X, Y, i, metric, out):
    for j in range(Y.shape[0]):
        out[i, j] = _dist(X, i, Y, j, metric)


@jit(inline="always")
def _xx_row(X, i, metric, out):
    out[i, i] = 0.0
    for j in range(i + 1, X.shape[0]):
        v = _dist(X, i, X, j, metric)
        out[i, j] = v
        out[j, i] = v


@twin
def pairwise_xy(X, Y, metric, out):
    """``out[i, j] = d(X[i], Y[j])``, rows in parallel in the ``parallel`` variant."""
    for i in prange(X.shape[0]):
        _xy_row(X, Y, i, metric, out)


@twin
def pairwise_xx(X, metric, out):
    """``out[i, j] = d(X[i], X[j])``, computed once per pair and mirrored.

    The ``parallel`` variant splits rows over threads; each pair is still
    computed once, so both variants give the same bits.
    """
    for i in prange(X.shape[0]):
        _xx_row(X, i, metric, out)
