"""Numba kernels of Sinkhorn-Newton-Sparse (top-k plan rows, sparse Hessian CG).

Contract as in :mod:`skot.ot._sinkhorn_kernels`: ``M`` C-contiguous float32 or
float64 and finite, potentials ``f``, ``g`` in cost units (the plan is
``exp((f_i + g_j - M_ij) / reg)``), every other array float64, sums in float64.
"""

import math

import numpy as np
from numba import prange

from ..utils._numba import jit
from ._sinkhorn_kernels import _ktu_block


@jit
def _plan_row_topk(M, f, g, reg, P, i, k, idx, val):
    """Row ``i`` of the plan into ``P``; its ``k`` largest entries into idx/val."""
    inv = 1.0 / reg
    fi = f[i]
    m = M.shape[1]
    s = 0.0
    cnt = 0
    for j in range(m):
        p = math.exp((fi + g[j] - M[i, j]) * inv)
        P[i, j] = p
        s += p
        # keep a small sorted (descending) list of the k largest
        if cnt < k:
            pos = cnt
            cnt += 1
        elif p > val[i, k - 1]:
            pos = k - 1
        else:
            continue
        while pos > 0 and val[i, pos - 1] < p:
            val[i, pos] = val[i, pos - 1]
            idx[i, pos] = idx[i, pos - 1]
            pos -= 1
        val[i, pos] = p
        idx[i, pos] = j
    return s


@jit
def plan_topk(M, f, g, reg, P, k, idx, val, rows):
    for i in range(M.shape[0]):
        rows[i] = _plan_row_topk(M, f, g, reg, P, i, k, idx, val)


@jit(parallel=True)
def plan_topk_par(M, f, g, reg, P, k, idx, val, rows):
    for i in prange(M.shape[0]):
        rows[i] = _plan_row_topk(M, f, g, reg, P, i, k, idx, val)


@jit
def col_sums(P, out):
    _ktu_block(P, np.ones(P.shape[0]), out, 0, P.shape[1])


@jit
def _sparse_hess_mv(r, c, idx, val, x, y, out):
    """out = [diag(r) x + Pk y ; Pk^T x + diag(c) y] for the top-k sparse Pk."""
    n, k = idx.shape
    m = c.shape[0]
    for i in range(n):
        s = r[i] * x[i]
        for t in range(k):
            s += val[i, t] * y[idx[i, t]]
        out[i] = s
    for j in range(m):
        out[n + j] = c[j] * y[j]
    for i in range(n):
        xi = x[i]
        for t in range(k):
            out[n + idx[i, t]] += val[i, t] * xi


@jit
def sparse_cg(r, c, idx, val, rhs, max_iter, rtol):
    """Jacobi-preconditioned CG on the sparsified Hessian system ``H z = rhs``.

    ``H = [diag(r), Pk; Pk^T, diag(c)]`` is positive semi-definite with the
    null direction ``(1, -1)`` when nothing is dropped; ``rhs`` is projected
    orthogonally to it and so is the solution, which keeps CG on a consistent
    system. Returns the solution and the number of CG iterations.
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
    Hp = np.empty(N)
    it = 0
    if nr0 == 0.0:
        return z, 0
    for it in range(1, max_iter + 1):
        _sparse_hess_mv(r, c, idx, val, p[:n], p[n:], Hp)
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
        if math.sqrt(nr) <= rtol * nr0:
            break
        rz_new = 0.0
        for q in range(N):
            zr[q] = res[q] * dinv[q]
            rz_new += res[q] * zr[q]
        beta = rz_new / rz
        rz = rz_new
        for q in range(N):
            p[q] = zr[q] + beta * p[q]
    return z, it
