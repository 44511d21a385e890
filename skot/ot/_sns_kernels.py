"""Numba kernels of Sinkhorn-Newton-Sparse (top-k plan rows, sparse Hessian CG).

Contract (no validation here; the public layer checks everything): ``M`` is
C-contiguous float32 or float64 and finite, potentials ``f``, ``g`` are in
cost units (the plan is ``exp((f_i + g_j - M_ij) / reg)``), every other array
is float64 (indices integers) and contiguous, sums are accumulated in float64.
The sparsified plan is held as ``idx``, ``val`` of shape ``(n, k)``: the
largest entries of every row (in no particular order), the first ``cnt[i]`` of them
valid. The ``.parallel`` variants of the twins run ``prange`` over rows (or
blocks of columns), each output entry summed in the same order as in the
serial variant, so results do not depend on the thread count.
"""

import math

import numpy as np
from numba import prange

from ..utils._numba import jit, twin

_COL_BLOCK = 256


@jit
def _row_stats(P, i, k, rho, idx, val, cnt):
    """Sum of row ``i`` of ``P``; its largest entries, at most ``k`` and only
    those >= ``rho`` times the row maximum, into ``idx``/``val`` (their
    number into ``cnt[i]``)."""
    m = P.shape[1]
    Pr = P[i]
    # sum and maximum on four independent chains
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    m0 = 0.0
    m1 = 0.0
    m2 = 0.0
    m3 = 0.0
    j = 0
    while j + 4 <= m:
        p0 = Pr[j]
        p1 = Pr[j + 1]
        p2 = Pr[j + 2]
        p3 = Pr[j + 3]
        s0 += p0
        s1 += p1
        s2 += p2
        s3 += p3
        m0 = max(m0, p0)
        m1 = max(m1, p1)
        m2 = max(m2, p2)
        m3 = max(m3, p3)
        j += 4
    while j < m:
        s0 += Pr[j]
        m0 = max(m0, Pr[j])
        j += 1
    mx = max(max(m0, m1), max(m2, m3))
    lim = rho * mx
    if not (lim > 0.0):
        lim = np.finfo(np.float64).tiny
    # candidates (column indices), without branches
    cand = np.empty(m, dtype=np.int64)
    c = 0
    for j in range(m):
        cand[c] = j
        c += 1 if Pr[j] >= lim else 0
    if c <= k:
        for q in range(c):
            idx[i, q] = cand[q]
            val[i, q] = Pr[cand[q]]
    else:
        # too many: keep the k largest, by selection of the k-th largest
        buf = np.empty(c)
        for q in range(c):
            buf[q] = Pr[cand[q]]
        thr = np.partition(buf, c - k)[c - k]
        t = 0
        for q in range(c):
            j = cand[q]
            if Pr[j] > thr:
                idx[i, t] = j
                val[i, t] = Pr[j]
                t += 1
        for q in range(c):
            if t == k:
                break
            j = cand[q]
            if Pr[j] == thr:
                idx[i, t] = j
                val[i, t] = Pr[j]
                t += 1
        c = t
    cnt[i] = c
    return (s0 + s1) + (s2 + s3)


@twin
def plan_stats(P, k, rho, idx, val, cnt, rows):
    """Row sums ``rows`` of the plan ``P`` and its kept entries per row."""
    for i in prange(P.shape[0]):
        rows[i] = _row_stats(P, i, k, rho, idx, val, cnt)


@jit
def _col_block(P, out, j0, j1):
    for j in range(j0, j1):
        out[j] = 0.0
    for i in range(P.shape[0]):
        for j in range(j0, j1):
            out[j] += P[i, j]


@twin
def col_sums(P, out):
    """Column sums of ``P``, by blocks of ``_COL_BLOCK`` columns (rows added in order)."""
    m = P.shape[1]
    nblocks = (m + _COL_BLOCK - 1) // _COL_BLOCK
    for blk in prange(nblocks):
        j0 = blk * _COL_BLOCK
        _col_block(P, out, j0, min(m, j0 + _COL_BLOCK))


@jit
def _sparse_hess_mv(r, c, idx, val, cnt, x, y, out):
    """out = [diag(r) x + Pk y ; Pk^T x + diag(c) y] for the kept sparse Pk.

    One pass over the kept entries (the product is bound by reading them).
    """
    n = idx.shape[0]
    m = c.shape[0]
    for j in range(m):
        out[n + j] = c[j] * y[j]
    for i in range(n):
        xi = x[i]
        s = r[i] * xi
        for t in range(cnt[i]):
            j = idx[i, t]
            v = val[i, t]
            s += v * y[j]
            out[n + j] += v * xi
        out[i] = s


@jit
def sparse_cg(r, c, idx, val, cnt, rhs, max_iter, rtol):
    """Jacobi-preconditioned CG on the sparsified Hessian system ``H z = rhs``.

    ``H = [diag(r), Pk; Pk^T, diag(c)]`` (``r``, ``c`` the full marginals of
    the plan, ``Pk`` its kept entries) is positive semi-definite, with the
    null direction ``(1, -1)`` when nothing is dropped; ``rhs`` is projected
    orthogonally to it (so is every CG iterate), which keeps CG on a
    consistent system. Stops when the residual norm is below ``rtol`` times
    the norm of the projected ``rhs``. Returns the solution, the number of CG
    iterations and the final relative residual.
    """
    n = r.shape[0]
    m = c.shape[0]
    N = n + m
    z = np.zeros(N)
    res = rhs.copy()
    # project out the null direction (1, -1)
    t = 0.0
    for i in range(n):
        t += res[i]
    for j in range(m):
        t -= res[n + j]
    t /= N
    for i in range(n):
        res[i] -= t
    for j in range(m):
        res[n + j] += t
    dinv = np.empty(N)
    for i in range(n):
        dinv[i] = 1.0 / r[i]
    for j in range(m):
        dinv[n + j] = 1.0 / c[j]
    zr = res * dinv
    p = zr.copy()
    rz = 0.0
    nr0 = 0.0
    for q in range(N):
        rz += res[q] * zr[q]
        nr0 += res[q] * res[q]
    nr0 = math.sqrt(nr0)
    if nr0 == 0.0:
        return z, 0, 0.0
    Hp = np.empty(N)
    it = 0
    rel = 1.0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        _sparse_hess_mv(r, c, idx, val, cnt, p[:n], p[n:], Hp)
        pHp = 0.0
        for q in range(N):
            pHp += p[q] * Hp[q]
        if not (pHp > 0.0):
            break
        alpha = rz / pHp
        nr = 0.0
        for q in range(N):
            z[q] += alpha * p[q]
            res[q] -= alpha * Hp[q]
            nr += res[q] * res[q]
        rel = math.sqrt(nr) / nr0
        if rel <= rtol:
            break
        rz_new = 0.0
        for q in range(N):
            zr[q] = res[q] * dinv[q]
            rz_new += res[q] * zr[q]
        beta = rz_new / rz
        rz = rz_new
        for q in range(N):
            p[q] = zr[q] + beta * p[q]
    return z, it, rel


@jit
def schur_rows(r, c, idx, val, cnt, S):
    """``S = diag(c) - Pk^T diag(1 / r) Pk`` (dense ``(m, m)``): the Schur
    complement of the ``diag(r)`` block of the sparsified Hessian."""
    m = c.shape[0]
    for j in range(m):
        for q in range(m):
            S[j, q] = 0.0
        S[j, j] = c[j]
    for i in range(idx.shape[0]):
        w = 1.0 / r[i]
        for t1 in range(cnt[i]):
            j1 = idx[i, t1]
            v1 = val[i, t1] * w
            for t2 in range(cnt[i]):
                S[j1, idx[i, t2]] -= v1 * val[i, t2]


@jit
def schur_cols(r, c, idx, val, cnt, S):
    """``S = diag(r) - Pk diag(1 / c) Pk^T`` (dense ``(n, n)``): the Schur
    complement of the ``diag(c)`` block of the sparsified Hessian."""
    n = r.shape[0]
    m = c.shape[0]
    # column-wise (CSC) copy of the kept entries
    start = np.zeros(m + 1, dtype=np.int64)
    for i in range(n):
        for t in range(cnt[i]):
            start[idx[i, t] + 1] += 1
    for j in range(m):
        start[j + 1] += start[j]
    fill = start[:m].copy()
    rows = np.empty(start[m], dtype=np.int64)
    vals = np.empty(start[m])
    for i in range(n):
        for t in range(cnt[i]):
            j = idx[i, t]
            rows[fill[j]] = i
            vals[fill[j]] = val[i, t]
            fill[j] += 1
    for i in range(n):
        for q in range(n):
            S[i, q] = 0.0
        S[i, i] = r[i]
    for j in range(m):
        w = 1.0 / c[j]
        for s1 in range(start[j], start[j + 1]):
            i1 = rows[s1]
            v1 = vals[s1] * w
            for s2 in range(start[j], start[j + 1]):
                S[i1, rows[s2]] -= v1 * vals[s2]
