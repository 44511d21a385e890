"""Numba kernel of entropic partial optimal transport (log-domain Bregman projections).

Contract (no validation here; :mod:`skot.ot._partial` checks everything):

- ``M`` is a C-contiguous ``(n, m)`` float32 or float64 cost with finite
  entries; ``a``, ``b`` (positive masses), ``loga``, ``logb``, ``f``, ``g``
  are contiguous float64. Sums are accumulated in float64.
- The plan is ``P[i, j] = exp((f[i] + g[j] - M[i, j]) / reg)``. One
  iteration is the three KL projections of Benamou et al. (2015) on
  ``{P 1 <= a}``, ``{P^T 1 <= b}`` and ``{sum P = mass}``, in the dual:
  ``f[i] = min(reg (log a[i] - lse_j((g[j] - M[i, j]) / reg)), h)``, then
  ``g[j] = min(reg (log b[j] - lse_i((f[i] - M[i, j]) / reg)), 0)``, then a
  common shift of ``f`` and ``h`` that makes the total ``mass`` (``h`` is
  the level of ``f`` where the row constraint is inactive).
- Each log-sum-exp is exact: shifted by its maximum (two reads of ``M``
  per half iteration, one exponential per entry, :func:`fexp_lse`).
- The error of an iteration is the L1 change of the row sums, the column
  sums and the total made by the three projections (zero at the solution).
- ``partial_loop`` is a :func:`~skot.utils._numba.twin`: its ``.parallel``
  variant runs ``prange`` over blocks of rows (row step) and of columns
  (column step), each block writing its own entries; the errors are summed
  serially afterwards, so results do not depend on the thread count.
"""

import math

import numpy as np
from numba import prange

from ..utils._fastexp import fexp_lse
from ..utils._numba import jit, twin

_CHUNK = 256
_ROW_BLOCK = 16
_COL_BLOCK = 512


@jit
def _sum4(buf, w):
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    k = 0
    while k + 4 <= w:
        s0 += buf[k]
        s1 += buf[k + 1]
        s2 += buf[k + 2]
        s3 += buf[k + 3]
        k += 4
    while k < w:
        s0 += buf[k]
        k += 1
    return (s0 + s1) + (s2 + s3)


@jit
def _row_lse(M, i, g, inv, buf):
    """``log sum_j exp((g[j] - M[i, j]) / reg)`` shifted by the maximum."""
    m = M.shape[1]
    mx = -np.inf
    for j in range(m):
        v = g[j] - M[i, j]
        if v > mx:
            mx = v
    s = 0.0
    for j0 in range(0, m, _CHUNK):
        j1 = min(m, j0 + _CHUNK)
        gc = g[j0:j1]
        Mc = M[i, j0:j1]
        for k in range(j1 - j0):
            buf[k] = fexp_lse((gc[k] - Mc[k] - mx) * inv)
        s += _sum4(buf, j1 - j0)
    return mx * inv + math.log(s)


@jit
def _col_lse(M, f, inv, j0, j1, cmax, csum, lse):
    """``lse[j] = log sum_i exp((f[i] - M[i, j]) / reg)`` for ``j0 <= j < j1``."""
    n = M.shape[0]
    w = j1 - j0
    cm = cmax[j0:j1]
    cs = csum[j0:j1]
    for k in range(w):
        cm[k] = -np.inf
        cs[k] = 0.0
    for i in range(n):
        fi = f[i]
        Mr = M[i, j0:j1]
        for k in range(w):
            v = fi - Mr[k]
            cm[k] = v if v > cm[k] else cm[k]
    for i in range(n):
        fi = f[i]
        Mr = M[i, j0:j1]
        for k in range(w):
            cs[k] += fexp_lse((fi - Mr[k] - cm[k]) * inv)
    for k in range(w):
        lse[j0 + k] = cm[k] * inv + math.log(cs[k])


@twin
def row_lse(M, g, reg, lse, bufs):
    """``lse[i] = log sum_j exp((g[j] - M[i, j]) / reg)`` (``bufs`` (B, _CHUNK))."""
    n = M.shape[0]
    inv = 1.0 / reg
    nbuf = bufs.shape[0]
    for blk in prange((n + _ROW_BLOCK - 1) // _ROW_BLOCK):
        buf = bufs[blk % nbuf]
        for i in range(blk * _ROW_BLOCK, min(n, (blk + 1) * _ROW_BLOCK)):
            lse[i] = _row_lse(M, i, g, inv, buf)


@twin
def partial_loop(M, a, loga, b, logb, f, g, h, reg, mass, max_iter, tol, work, bufs):
    """Iterate the three projections; returns ``(n_iter, converged, error, h)``.

    ``f``, ``g`` are updated in place; ``h`` is the level of ``f`` (see the
    module docstring). ``work`` is (6, max(n, m)) scratch, ``bufs`` (B,
    _CHUNK). Stops when the error is at most ``tol`` (absolute, in mass).
    """
    n, m = M.shape
    inv = 1.0 / reg
    nbuf = bufs.shape[0]
    lse = work[0]
    errs = work[1]
    cmax = work[2]
    csum = work[3]
    dg = work[4]
    logm = math.log(mass)
    it = 0
    err = np.inf
    while it < max_iter:
        it += 1
        # rows: f_i = min(balanced update, h)
        for blk in prange((n + _ROW_BLOCK - 1) // _ROW_BLOCK):
            buf = bufs[blk % nbuf]
            for i in range(blk * _ROW_BLOCK, min(n, (blk + 1) * _ROW_BLOCK)):
                fb = reg * (loga[i] - _row_lse(M, i, g, inv, buf))
                fn = fb if fb < h else h
                errs[i] = a[i] * abs(math.exp((fn - fb) * inv) - math.exp((f[i] - fb) * inv))
                f[i] = fn
        err = 0.0
        for i in range(n):
            err += errs[i]
        # columns: g_j = min(balanced update, 0)
        for blk in prange((m + _COL_BLOCK - 1) // _COL_BLOCK):
            j0 = blk * _COL_BLOCK
            _col_lse(M, f, inv, j0, min(m, j0 + _COL_BLOCK), cmax, csum, lse)
        mx = -np.inf
        for j in range(m):
            gb = reg * (logb[j] - lse[j])
            gn = gb if gb < 0.0 else 0.0
            err += b[j] * abs(math.exp((gn - gb) * inv) - math.exp((g[j] - gb) * inv))
            g[j] = gn
            dg[j] = logb[j] + (gn - gb) * inv  # log of the new column sum
            mx = max(mx, dg[j])
        # total: one common shift of f (and of its level h)
        s = 0.0
        for j in range(m):
            s += math.exp(dg[j] - mx)
        log_s = mx + math.log(s)
        err += abs(math.exp(log_s) - mass)
        shift = reg * (logm - log_s)
        for i in range(n):
            f[i] += shift
        h += shift
        if not math.isfinite(shift) or not err == err:
            return it, False, err, h
        if err <= tol:
            return it, True, err, h
    return it, False, err, h
