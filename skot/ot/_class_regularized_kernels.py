"""Numba kernels of the class-regularised solvers (no validation here).

Contract: ``P`` (n, m) C-contiguous float64, ``labels`` int64 (n,) in
``[0, n_classes)``, ``out`` float64 (n_classes, m), overwritten; sums in
float64, rows in order (results do not depend on any thread count). O(n m).

- ``group_sums(P, labels, n_classes, out)``: ``out[c, j] = sum_{i: labels_i = c} P_ij``.
- ``group_norms(P, labels, n_classes, out)``: ``out[c, j]`` = Euclidean norm
  of ``P[labels == c, j]``.
"""

import numpy as np

from ..utils._numba import jit


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
