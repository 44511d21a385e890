"""Row-wise bandwidth search of entropic affinities (t-SNE's perplexity calibration).

Each row ``i`` gets the Gibbs distribution ``p_j ∝ exp(-beta_i d_ij)`` over its
candidate neighbours ``j`` whose Shannon entropy (nats) equals ``log(perplexity)``.
"""

import math

import numpy as np
from numba import prange

from ..utils._fastexp import fexp_lse
from ..utils._numba import jit, twin


@jit
def _newton_row(d, skip, target, tol, max_iter, p, start):
    """Safeguarded Newton on ``t = log(beta)``; returns ``(beta, iterations, converged)``.

    ``H(t)`` is decreasing with ``dH/dt = -beta^2 Var_p(d)``; a step leaving the
    bracket is replaced by bisection (in ``t``), so it always converges.
    ``d`` is a float64 scratch copy of the row (shifted in place).
    """
    k = d.shape[0]
    dmin = math.inf
    for j in range(k):
        if j != skip and d[j] < dmin:
            dmin = d[j]
    mean = 0.0
    for j in range(k):
        d[j] -= dmin
        mean += d[j]
    if skip >= 0:
        mean -= d[skip]
        d[skip] = 0.0
    mean /= k - (1 if skip >= 0 else 0)
    # start: exp(-beta x) spread over about k / perplexity of the mean distance
    t = math.log(start / mean) if mean > 0.0 else 0.0
    lo = -math.inf  # H(lo) > target
    hi = math.inf  # H(hi) < target
    beta = math.exp(t)
    z = 1.0
    for it in range(1, max_iter + 1):
        beta = math.exp(t)
        for j in range(k):  # vectorised
            p[j] = fexp_lse(-beta * d[j])
        if skip >= 0:
            p[skip] = 0.0
        z = 0.0
        m1 = 0.0
        m2 = 0.0
        for j in range(k):
            w = p[j]
            x = d[j]
            z += w
            m1 += w * x
            m2 += w * x * x
        m1 /= z
        var = m2 / z - m1 * m1
        if var < 0.0:
            var = 0.0
        diff = math.log(z) + beta * m1 - target
        if abs(diff) <= tol:
            break
        if diff > 0.0:
            lo = t
        else:
            hi = t
        slope = beta * beta * var
        tn = t + diff / slope if slope > 0.0 else math.nan
        if not (tn > lo and tn < hi):  # outside the bracket (or flat): bisect / expand
            if lo == -math.inf:
                tn = t - 1.0
            elif hi == math.inf:
                tn = t + 1.0
            else:
                tn = 0.5 * (lo + hi)
        if tn == t or (hi - lo) < 4e-16 * (1.0 + abs(t)):
            # t cannot move by less than one rounding unit: the entropy is as
            # close to the target as float64 allows (converged if within that)
            limit = 4.0 * slope * 2.3e-16 * (1.0 + abs(t))
            inv = 1.0 / z
            for j in range(k):
                p[j] *= inv
            return beta, it, abs(diff) <= limit + tol
        t = tn
    else:
        inv = 1.0 / z
        for j in range(k):
            p[j] *= inv
        return beta, max_iter, False
    inv = 1.0 / z
    for j in range(k):
        p[j] *= inv
    return beta, it, True


@jit
def _bisection_row(d, skip, target, tol, max_iter, p):
    """t-SNE's doubling/halving search on ``beta`` from 1 (scikit-learn's schedule)."""
    k = d.shape[0]
    beta = 1.0
    lo = -math.inf
    hi = math.inf
    for it in range(1, max_iter + 1):
        z = 0.0
        for j in range(k):
            if j != skip:
                w = math.exp(-d[j] * beta)
                p[j] = w
                z += w
        if z == 0.0:
            z = 1e-8
        s = 0.0
        for j in range(k):
            p[j] /= z
            s += d[j] * p[j]
        diff = math.log(z) + beta * s - target
        if abs(diff) <= tol:
            return beta, it, True
        if diff > 0.0:
            lo = beta
            beta = beta * 2.0 if hi == math.inf else (beta + hi) / 2.0
        else:
            hi = beta
            beta = beta / 2.0 if lo == -math.inf else (beta + lo) / 2.0
    return beta, max_iter, False


@twin
def perplexity_search(D, exclude_diag, target, tol, max_iter, newton, start, P, beta, n_iter, ok):
    """Calibrate every row of ``D`` (n, k) of squared distances; writes ``P`` (n, k)
    float64, ``beta`` (n,), ``n_iter`` (n,) and ``ok`` (n,) in place.
    ``exclude_diag``: column ``i`` of row ``i`` is the point itself (left at 0)."""
    n = D.shape[0]
    for i in prange(n):
        d = D[i].astype(np.float64)
        # (the prange index is unsigned: mixing it with -1 would give a float)
        skip = np.int64(i) if exclude_diag else np.int64(-1)
        if newton:
            b, it, conv = _newton_row(d, skip, target, tol, max_iter, P[i], start)
        else:
            b, it, conv = _bisection_row(d, skip, target, tol, max_iter, P[i])
        beta[i] = b
        n_iter[i] = it
        ok[i] = conv


@twin
def sea_rows(C, gamma, lam, rowsum, rowent, diag_g, diag_l):
    """One pass of the symmetric entropic affinity's dual (SNEkhorn).

    ``P_ij = exp(x_ij)``, ``x_ij = (lam_i + lam_j - 2 C_ij) / (gamma_i + gamma_j)``
    (``j != i``); writes per row ``rowsum_i = sum_j P_ij``,
    ``rowent_i = sum_j P_ij x_ij`` and the diagonal of the negated dual Hessian,
    ``diag_g_i = sum_j P_ij x_ij^2 / (gamma_i + gamma_j)`` and
    ``diag_l_i = sum_j P_ij / (gamma_i + gamma_j)``.
    """
    n = C.shape[0]
    for i in prange(n):
        s = 0.0
        e = 0.0
        dg = 0.0
        dl = 0.0
        gi = gamma[i]
        li = lam[i]
        for j in range(n):
            if j == i:
                continue
            w = 1.0 / (gi + gamma[j])
            x = min((li + lam[j] - 2.0 * C[i, j]) * w, 700.0)
            p = math.exp(x)
            s += p
            e += p * x
            pw = p * w
            dl += pw
            dg += pw * x * x
        rowsum[i] = s
        rowent[i] = e
        diag_g[i] = dg
        diag_l[i] = dl


@twin
def sea_hvp(C, gamma, lam, a, b, out_a, out_b):
    """Product of the negated dual Hessian with ``(a, b)`` (directions in gamma, lam):
    ``dP_ij = P_ij (b_i + b_j - x_ij (a_i + a_j)) / (gamma_i + gamma_j)``,
    ``out_a_i = -sum_j x_ij dP_ij``, ``out_b_i = sum_j dP_ij``."""
    n = C.shape[0]
    for i in prange(n):
        sa = 0.0
        sb = 0.0
        gi = gamma[i]
        li = lam[i]
        ai = a[i]
        bi = b[i]
        for j in range(n):
            if j == i:
                continue
            w = 1.0 / (gi + gamma[j])
            x = min((li + lam[j] - 2.0 * C[i, j]) * w, 700.0)
            dp = math.exp(x) * w * (bi + b[j] - x * (ai + a[j]))
            sa -= x * dp
            sb += dp
        out_a[i] = sa
        out_b[i] = sb


@twin
def sea_matrix(C, gamma, lam, P):
    """The affinity of :func:`sea_rows` (zero diagonal)."""
    n = C.shape[0]
    for i in prange(n):
        for j in range(n):
            if j == i:
                P[i, j] = 0.0
            else:
                x = (lam[i] + lam[j] - 2.0 * C[i, j]) / (gamma[i] + gamma[j])
                P[i, j] = math.exp(min(x, 700.0))
