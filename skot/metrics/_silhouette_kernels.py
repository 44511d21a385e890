"""Numba kernels for the silhouette: per-cluster distance sums, row by row.

Contract: ``labels`` int64 (n,) in ``[0, k)``; ``w`` float64 (n,) weights;
``wc`` float64 (k,) the weight of every cluster; ``out`` (rows,) of the output
dtype, written in place. :func:`silhouette_rows` reads a block of rows of a
dissimilarity matrix ``D`` (``D[r, j]``: row ``lo + r`` to point ``j``, float32
or float64, C-contiguous); :func:`silhouette_features` computes the
distances on the fly from feature rows ``X`` (n, d) with an exact metric code
of ``skot.utils._pairwise_kernels`` (so no n x n matrix exists). Sums
accumulate in float64 in index order, as scikit-learn's ``bincount`` does:
with unit weights the values are scikit-learn's bits on the same matrix.
Extra memory: one (k,) buffer per chunk. Cost O(n) per row (times d on
features). Both are :func:`~skot.utils._numba.twin` kernels over ``n_chunks``
chunks of rows; every row is computed the same way serially and in parallel.
"""

import numpy as np
from numba import prange

from ..utils._numba import jit, twin
from ..utils._pairwise_kernels import _dist


@jit(inline="always")
def _score(i, sums, labels, w, wc):
    """Silhouette of point ``i`` from its per-cluster weighted distance sums."""
    li = labels[i]
    own = wc[li] - w[i]
    if own <= 0.0:  # a singleton cluster (or only zero-weight companions): 0
        return 0.0
    a = sums[li] / own
    b = np.inf
    for c in range(sums.shape[0]):
        if c != li and wc[c] > 0.0:
            v = sums[c] / wc[c]
            if v < b:
                b = v
    m = a if a > b else b
    if not m > 0.0:
        return 0.0
    return (b - a) / m


@jit(inline="always")
def _rows_range(D, lo, r0, r1, labels, w, wc, sums, out):
    n = D.shape[1]
    for r in range(r0, r1):
        for c in range(sums.shape[0]):
            sums[c] = 0.0
        row = D[r]
        for j in range(n):
            sums[labels[j]] += w[j] * np.float64(row[j])
        out[r] = _score(lo + r, sums, labels, w, wc)


@twin
def silhouette_rows(D, lo, labels, w, wc, out, n_chunks):
    """Silhouette of points ``lo .. lo + D.shape[0]`` from their rows of dissimilarities."""
    rows = D.shape[0]
    k = wc.shape[0]
    if n_chunks == 1:
        _rows_range(D, lo, 0, rows, labels, w, wc, np.empty(k), out)
        return
    for c in prange(n_chunks):
        _rows_range(
            D, lo, c * rows // n_chunks, (c + 1) * rows // n_chunks, labels, w, wc,
            np.empty(k), out,
        )  # fmt: skip


@jit(inline="always")
def _features_range(X, metric, r0, r1, labels, w, wc, sums, out):
    n = X.shape[0]
    for i in range(r0, r1):
        for c in range(sums.shape[0]):
            sums[c] = 0.0
        for j in range(n):
            if j != i:
                sums[labels[j]] += w[j] * _dist(X, i, X, j, metric)
        out[i] = _score(i, sums, labels, w, wc)


@twin
def silhouette_features(X, metric, labels, w, wc, out, n_chunks):
    """Silhouette of every row of ``X``, distances computed on the fly."""
    n = X.shape[0]
    k = wc.shape[0]
    if n_chunks == 1:
        _features_range(X, metric, 0, n, labels, w, wc, np.empty(k), out)
        return
    for c in prange(n_chunks):
        _features_range(
            X, metric, c * n // n_chunks, (c + 1) * n // n_chunks, labels, w, wc,
            np.empty(k), out,
        )  # fmt: skip
