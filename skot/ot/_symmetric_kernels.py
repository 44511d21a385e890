"""Numba kernels of the symmetric matrix-scaling solvers of skot.ot's entropic core.

Contract (nothing here validates; :mod:`skot.ot._symmetric` does):

- ``op`` is an operator of :mod:`skot.ot._scaling_kernels` (a dense array, a
  symmetric dense ``(K, bounds, bufs)`` or a CSR ``(indptr, indices, data)``)
  of a symmetric non-negative ``K``; ``nb`` the number of product blocks.
- Vectors are contiguous float64; ``s`` (bool) marks the support (rows with
  a positive target and a non-zero row), entries outside it are 0.
- ``newton_cg`` is a twin (its two once-called steps are inlined: a separate
  compilation of each costs more on a cold cache than inlining): its products
  run in parallel in ``.parallel``
  (blocks as in ``_scaling_kernels``), everything else serially, so both give
  the same bits.
- ``log_symmetric_loop`` works on a cost ``M = -log K`` (``+inf`` for a zero
  entry) with the shifted one-pass log-sum-exp of the Sinkhorn kernels.

Costs: one product with ``K`` per CG iteration plus O(n) vector work; one
pass over ``M`` with one exponential per entry per fixed-point iteration.
"""

import math

import numpy as np
from numba import prange

from ..utils._numba import jit, twin
from ._scaling_kernels import op_block, op_blocks, op_done
from ._sinkhorn_kernels import _CHUNK, _S_MAX, _S_MIN, _lse_row, _sum_exp_row


@twin
def newton_cg(op, nb, x, v, a, s, minv, z, Kxz, Sz, err, tol, check, target, zmin, work):
    """Inner conjugate-gradient loop of one Knight-Ruiz Newton step.

    Solves ``(D(x) K D(x) + D(v)) z = a + v`` approximately, preconditioned
    by ``minv`` (inverse diagonal, 0 outside the support ``s``), starting at
    ``z = 1_s``. ``v = x * (K x)``; ``z``, ``Kxz`` (= ``K (x z)``, on entry
    ``K x``) and ``Sz`` (running sum of the magnitudes added to ``Kxz``) are
    updated in place. Stops when the preconditioned linear residual
    ``max |r| / a`` is at most ``target``, when the Newton residual
    ``max |x z K(x z) - a| / a`` (tracked, no extra product) is at most ``tol``
    (``check`` True), when it grows after having dropped below ``err``, on a
    breakdown (``p.q <= 0``), or when a step would take an entry of ``z``
    below ``zmin`` (the step is then shortened to keep ``z >= zmin``).

    ``work`` (6, n) float64 is scratch (its rows are the CG vectors; the
    kernel allocates nothing).

    Returns ``(n_products, last_linear_residual, last_newton_residual)``.
    """
    n = x.shape[0]
    r = work[0]
    y = work[1]
    p = work[2]
    q = work[3]
    xp = work[4]
    Kxp = work[5]
    rho = 0.0
    for i in range(n):
        r[i] = 0.0
        y[i] = 0.0
        p[i] = 0.0
        if s[i]:
            r[i] = a[i] - v[i]
            y[i] = minv[i] * r[i]
            p[i] = y[i]
            rho += r[i] * y[i]
    best = np.inf
    lin = np.inf
    n_prod = 0
    nblk = op_blocks(op, nb)
    for _ in range(max(1, n)):
        for i in range(n):
            xp[i] = x[i] * p[i]
        for c in prange(nblk):
            op_block(op, xp, Kxp, c, nblk)
        op_done(op, Kxp)
        n_prod += 1
        pq = 0.0
        for i in range(n):
            q[i] = x[i] * Kxp[i] + v[i] * p[i]
            pq += p[i] * q[i]
        if not pq > 0:
            break
        alpha = rho / pq
        zlow = np.inf
        for i in range(n):
            if s[i]:
                zlow = min(zlow, z[i] + alpha * p[i])
        if zlow < zmin:
            _shortened_step(z, Kxz, Sz, p, Kxp, s, alpha, zmin)
            break
        nonlin = _newton_residual(x, z, Kxz, p, Kxp, a, s, alpha)
        if nonlin > best and best < err:
            break
        best = nonlin
        lin = 0.0
        for i in range(n):
            z[i] += alpha * p[i]
            Kxz[i] += alpha * Kxp[i]
            Sz[i] += abs(alpha * Kxp[i])
            r[i] -= alpha * q[i]
            if s[i]:
                lin = max(lin, abs(r[i]) / a[i])
        if lin <= target or (check and nonlin <= tol):
            break
        rho_new = 0.0
        for i in range(n):
            y[i] = minv[i] * r[i]
            rho_new += r[i] * y[i]
        beta = rho_new / rho
        for i in range(n):
            p[i] = y[i] + beta * p[i]
        rho = rho_new
    return n_prod, lin, best


@jit(inline="always")
def _shortened_step(z, Kxz, Sz, p, Kxp, s, alpha, zmin):
    """The CG step shortened so that the smallest ``z`` on the support is ``zmin``."""
    t = np.inf
    for i in range(z.shape[0]):
        st = alpha * p[i]
        if s[i] and st < 0:
            t = min(t, (z[i] - zmin) / (-st))
    t = min(max(t, 0.0), 1.0)
    ta = t * alpha
    for i in range(z.shape[0]):
        z[i] += t * (alpha * p[i])
        Kxz[i] += ta * Kxp[i]
        Sz[i] += abs(ta * Kxp[i])


@jit(inline="always")
def _newton_residual(x, z, Kxz, p, Kxp, a, s, alpha):
    """``max |x (z + alpha p) (K x z + alpha K x p) - a| / a`` on the support."""
    out = 0.0
    for i in range(x.shape[0]):
        if s[i]:
            e = abs(x[i] * (z[i] + alpha * p[i]) * (Kxz[i] + alpha * Kxp[i]) - a[i]) / a[i]
            if e > out or math.isnan(e):
                out = e
    return out


@jit
def _symmetric_row_lse(M, loga, f, i, buf):
    """``log sum_j exp(f[j] - M[i, j])``, shifted by ``log a_i - f_i`` (its value
    at the fixed point), exactly in two passes where that sum is out of range."""
    c = loga[i] - f[i]
    s = _sum_exp_row(M, i, f, 1.0, c, buf)
    if s >= _S_MIN and s <= _S_MAX:
        return c + math.log(s)
    return _lse_row(M, i, f, 1.0, buf)


@jit
def log_symmetric_loop(M, loga, f, max_iter, tol, check):
    """Symmetric log-domain fixed point ``f <- (f + log a - LSE_j(f_j - M_ij)) / 2``.

    ``M`` (n, n) is ``-log K`` on the support (``+inf`` for a zero entry,
    every row with a finite entry), ``f`` the log scaling, updated in place.
    With ``check``, stops before an update once the largest relative row-sum
    error ``|exp(f_i + LSE_i - log a_i) - 1|`` is at most ``tol``.
    Returns ``(n_iter, error)`` (error -1 without ``check``).
    """
    n = M.shape[0]
    lse = np.empty(n)
    buf = np.empty(_CHUNK)
    err = -1.0
    it = 0
    while True:
        for i in range(n):
            lse[i] = _symmetric_row_lse(M, loga, f, i, buf)
        if check:
            err = 0.0
            for i in range(n):
                e = abs(math.exp(f[i] + lse[i] - loga[i]) - 1.0)
                if e > err or math.isnan(e):
                    err = e
            if err <= tol:
                break
        if it >= max_iter:
            break
        it += 1
        for i in range(n):
            f[i] = 0.5 * (f[i] + loga[i] - lse[i])
    return it, err
