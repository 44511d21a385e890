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
def _group_accumulate(P, labels, n_classes, squared, out):
    """``out[c, j] = sum_{i: labels_i = c} P_ij`` (of ``P_ij ** 2`` when ``squared``)."""
    n, m = P.shape
    for c in range(n_classes):
        for j in range(m):
            out[c, j] = 0.0
    for i in range(n):
        c = labels[i]
        if squared:
            for j in range(m):
                out[c, j] += P[i, j] * P[i, j]
        else:
            for j in range(m):
                out[c, j] += P[i, j]


@jit
def group_sums(P, labels, n_classes, out):
    _group_accumulate(P, labels, n_classes, False, out)


@jit
def group_norms(P, labels, n_classes, out):
    _group_accumulate(P, labels, n_classes, True, out)
    for c in range(n_classes):
        for j in range(out.shape[1]):
            out[c, j] = np.sqrt(out[c, j])
