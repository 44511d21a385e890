"""Numba kernel of the nearest-row (Ferradans) map of skot.da (no validation here).

Contract (every array C-contiguous, float32 or float64 features; sums in
float64): ``nearest_rows(X, Y, idx)``: ``idx[i]`` = index of the row of ``Y``
nearest to ``X[i]`` in squared Euclidean distance (the first one on ties).
``X`` (n, d), ``Y`` (m, d), ``idx`` int64 (n,), written in place. O(n m d),
no n x m temporary. A :func:`~skot.utils._numba.twin`: ``nearest_rows.serial``
and ``nearest_rows.parallel`` (rows over numba threads, each thread writing
its own rows, so both give the same result bit for bit).
"""

import numpy as np
from numba import prange

from ..utils._numba import jit, twin


@jit
def _nearest_one(X, Y, i):
    m, d = Y.shape
    best = np.inf
    arg = 0
    for j in range(m):
        s = 0.0
        for k in range(d):
            t = np.float64(X[i, k]) - np.float64(Y[j, k])
            s += t * t
        if s < best:
            best = s
            arg = j
    return arg


@twin
def nearest_rows(X, Y, idx):
    for i in prange(X.shape[0]):
        idx[i] = _nearest_one(X, Y, i)
