"""Numba kernels of online (point-cloud) log-domain Sinkhorn: O(n + m) memory.

Contract (no validation here): ``X`` (n, d) and ``Y`` (m, d) are C-contiguous
float32/float64 points; the cost ``C[i, j] = cost(X[i], Y[j]) * sinv`` is
computed on the fly (``metric`` 0: squared Euclidean, 1: Euclidean), never
stored. Potentials ``f`` (n,), ``g`` (m,) are float64 in cost units:
``P[i, j] = exp((f[i] + g[j] - C[i, j]) / reg)``. The column half-iteration
is the row half-iteration with the roles of (X, f, a) and (Y, g, b)
swapped, so every kernel is written for rows. Each pass computes ``n * m``
costs (``d`` flops each) and exponentials; ``*_par`` kernels run ``prange``
over rows, each row summed in the serial order (thread-count independent).
"""

import math

import numpy as np
from numba import prange

from ..utils._numba import jit

_CHUNK = 256


@jit
def _cost(X, i, Y, j, metric):
    s = 0.0
    for k in range(X.shape[1]):
        t = X[i, k] - Y[j, k]
        s += t * t
    if metric == 1:
        return math.sqrt(s)
    return s


@jit
def _lse_row(X, Y, i, g, inv, sinv, metric, buf):
    """``log sum_j exp((g[j] - C[i, j]) * inv)``; chunked online maximum."""
    m = Y.shape[0]
    mx = -np.inf
    s = 0.0
    for j0 in range(0, m, _CHUNK):
        j1 = min(m, j0 + _CHUNK)
        cm = -np.inf
        for j in range(j0, j1):
            x = (g[j] - _cost(X, i, Y, j, metric) * sinv) * inv
            buf[j - j0] = x
            cm = max(cm, x)
        if cm > mx:
            s *= math.exp(mx - cm)
            mx = cm
        t = 0.0
        for j in range(j0, j1):
            t += math.exp(buf[j - j0] - mx)
        s += t
    return mx + math.log(s)


@jit
def _row(X, Y, a, loga, f, g, reg, tau, sinv, metric, i, buf):
    lse = _lse_row(X, Y, i, g, 1.0 / reg, sinv, metric, buf)
    r = math.exp(f[i] / reg + lse)
    fn = tau * reg * (loga[i] - lse)
    return abs(r - a[i]), abs(fn - f[i]), fn


@jit
def online_row_step(X, Y, a, loga, f, g, reg, tau, sinv, metric):
    """Update ``f`` in place; return (L1 row-marginal error before, max |change|)."""
    buf = np.empty(_CHUNK)
    err = 0.0
    dmax = 0.0
    for i in range(X.shape[0]):
        e, d, fn = _row(X, Y, a, loga, f, g, reg, tau, sinv, metric, i, buf)
        err += e
        dmax = max(dmax, d)
        f[i] = fn
    return err, dmax


@jit(parallel=True)
def online_row_step_par(X, Y, a, loga, f, g, reg, tau, sinv, metric):
    n = X.shape[0]
    errs = np.empty(n)
    ds = np.empty(n)
    for i in prange(n):
        buf = np.empty(_CHUNK)
        e, d, fn = _row(X, Y, a, loga, f, g, reg, tau, sinv, metric, i, buf)
        errs[i] = e
        ds[i] = d
        f[i] = fn
    err = 0.0
    dmax = 0.0
    for i in range(n):
        err += errs[i]
        dmax = max(dmax, ds[i])
    return err, dmax


@jit
def _row_stats(X, Y, f, g, reg, sinv, metric, i):
    inv = 1.0 / reg
    s = 0.0
    c = 0.0
    for j in range(Y.shape[0]):
        cij = _cost(X, i, Y, j, metric) * sinv
        p = math.exp((f[i] + g[j] - cij) * inv)
        s += p
        c += p * cij
    return s, c


@jit
def online_row_stats(X, Y, f, g, reg, sinv, metric, sums, costs):
    """Row sums of the plan and of ``plan * C`` (no update)."""
    for i in range(X.shape[0]):
        sums[i], costs[i] = _row_stats(X, Y, f, g, reg, sinv, metric, i)


@jit(parallel=True)
def online_row_stats_par(X, Y, f, g, reg, sinv, metric, sums, costs):
    for i in prange(X.shape[0]):
        sums[i], costs[i] = _row_stats(X, Y, f, g, reg, sinv, metric, i)


@jit
def _row_max(X, Y, metric, i):
    mx = 0.0
    for j in range(Y.shape[0]):
        c = _cost(X, i, Y, j, metric)
        mx = max(mx, c)
    return mx


@jit
def online_max_cost(X, Y, metric):
    mx = 0.0
    for i in range(X.shape[0]):
        mx = max(mx, _row_max(X, Y, metric, i))
    return mx


@jit(parallel=True)
def online_max_cost_par(X, Y, metric):
    n = X.shape[0]
    rows = np.empty(n)
    for i in prange(n):
        rows[i] = _row_max(X, Y, metric, i)
    return rows.max()


@jit
def online_plan_block(X, Y, rows, f, g, reg, sinv, metric, out):
    """Rows ``rows`` of the plan into ``out`` (len(rows), m)."""
    inv = 1.0 / reg
    for r in range(rows.shape[0]):
        i = rows[r]
        for j in range(Y.shape[0]):
            out[r, j] = math.exp((f[i] + g[j] - _cost(X, i, Y, j, metric) * sinv) * inv)
