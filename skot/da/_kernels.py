"""Numba kernels of the domain-adaptation maps (no validation here).

Contract (every array C-contiguous, float32 or float64 features; sums in
float64):

- ``nearest_rows(X, Y, idx)`` / ``nearest_rows_par``: ``idx[i]`` = index of
  the row of ``Y`` nearest to ``X[i]`` in squared Euclidean distance (the
  first one on ties). ``X`` (n, d), ``Y`` (m, d), ``idx`` int64 (n,), written
  in place. O(n m d), no n x m temporary.
- ``group_sums(P, labels, n_classes, out)``: ``out[c, j] = sum_{i: labels_i = c} P_ij``
  (``out`` float64 (n_classes, m), overwritten). O(n m).
- ``group_norms(P, labels, n_classes, out)``: ``out[c, j]`` = Euclidean norm
  of ``P[labels == c, j]``. O(n m).

The ``_par`` variants split rows over numba threads (each thread writes its
own rows, so results equal the serial ones bit for bit).
"""

import numpy as np
from numba import prange

from ..utils._numba import jit


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


@jit
def nearest_rows(X, Y, idx):
    for i in range(X.shape[0]):
        idx[i] = _nearest_one(X, Y, i)


@jit(parallel=True)
def nearest_rows_par(X, Y, idx):
    for i in prange(X.shape[0]):
        idx[i] = _nearest_one(X, Y, i)


@jit
def group_sums(P, labels, n_classes, out):
    n, m = P.shape
    for c in range(n_classes):
        for j in range(m):
            out[c, j] = 0.0
    for i in range(n):
        c = labels[i]
        for j in range(m):
            out[c, j] += P[i, j]


@jit
def group_norms(P, labels, n_classes, out):
    n, m = P.shape
    for c in range(n_classes):
        for j in range(m):
            out[c, j] = 0.0
    for i in range(n):
        c = labels[i]
        for j in range(m):
            out[c, j] += P[i, j] * P[i, j]
    for c in range(n_classes):
        for j in range(m):
            out[c, j] = np.sqrt(out[c, j])
