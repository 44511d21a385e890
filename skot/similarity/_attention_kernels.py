"""Batched log-domain Sinkhorn normalisation of attention scores, and its exact VJP.

For each matrix ``S`` (n, m) of a batch, with ``-inf`` for masked entries, the
potentials follow ``g_0 = 0`` and, for ``t = 1..T``,

    f_t = log a - lse_row(S + g_{t-1}),   g_t = log b - lse_col(S + f_t),

then ``f_{T+1} = log a - lse_row(S + g_T)``; the output is
``P = exp(S + f_{T+1} + g_T)`` (rows sum exactly to ``a``). ``T = 0`` is the
masked softmax. Rows (columns) without an allowed entry keep a zero
potential and a zero row (column).
"""

import math

import numpy as np
from numba import prange

from ..utils._numba import jit, twin


@jit
def _row_update(S, g, loga, f):
    n, m = S.shape
    for i in range(n):
        mx = -math.inf
        for j in range(m):
            v = S[i, j] + g[j]
            if v > mx:
                mx = v
        if mx == -math.inf:
            f[i] = 0.0
            continue
        s = 0.0
        for j in range(m):
            s += math.exp(S[i, j] + g[j] - mx)
        f[i] = loga[i] - mx - math.log(s)


@jit
def _col_update(S, f, logb, g, work, acc):
    """g_j = log b_j - lse_i(S_ij + f_i), rows outer (cache friendly)."""
    n, m = S.shape
    for j in range(m):
        work[j] = -math.inf
        acc[j] = 0.0
    for i in range(n):
        for j in range(m):
            v = S[i, j] + f[i]
            if v > work[j]:
                work[j] = v
    for i in range(n):
        for j in range(m):
            if work[j] > -math.inf:
                acc[j] += math.exp(S[i, j] + f[i] - work[j])
    for j in range(m):
        g[j] = logb[j] - work[j] - math.log(acc[j]) if work[j] > -math.inf else 0.0


@jit
def _col_error(S, f, g, b):
    """Largest relative column-sum error of exp(S + f + g)."""
    n, m = S.shape
    err = 0.0
    for j in range(m):
        if b[j] > 0.0:
            s = 0.0
            for i in range(n):
                s += math.exp(S[i, j] + f[i] + g[j])
            e = abs(s - b[j]) / b[j]
            if e > err:
                err = e
    return err


@twin
def attention_forward(S, loga, logb, b, max_iter, tol, F, G, P, n_iter, error):
    """Forward pass over a batch ``S`` (B, n, m) float64 (``-inf`` masked).

    ``F`` (B, max_iter + 1, n) and ``G`` (B, max_iter, m) receive the potentials
    ``f_1..f_{T+1}`` and ``g_1..g_T`` (for the backward pass); ``P`` the output;
    ``n_iter`` (B,) the ``T`` used; ``error`` (B,) the final column error
    (rows are exact). ``tol < 0``: exactly ``max_iter`` iterations.
    """
    B, n, m = S.shape
    for bi in prange(B):
        Sb = S[bi]
        g = np.zeros(m)
        work = np.empty(m)
        acc = np.empty(m)
        T = 0
        while True:
            _row_update(Sb, g, loga[bi], F[bi, T])
            if T == max_iter:
                break
            if tol >= 0.0 and _col_error(Sb, F[bi, T], g, b[bi]) <= tol:
                break
            _col_update(Sb, F[bi, T], logb[bi], G[bi, T], work, acc)
            g = G[bi, T]
            T += 1
        f = F[bi, T]
        for i in range(n):
            for j in range(m):
                P[bi, i, j] = math.exp(Sb[i, j] + f[i] + g[j])
        n_iter[bi] = T
        error[bi] = _col_error(Sb, f, g, b[bi]) if T > 0 or tol >= 0.0 else -1.0


@twin
def attention_backward(S, logb, F, G, n_iter, P, Pbar, Sbar):
    """Exact vector-Jacobian product of :func:`attention_forward` (unrolled).

    Writes ``Sbar = dL/dS`` given ``Pbar = dL/dP`` (B, n, m), from the stored
    potentials. Masked entries get 0.
    """
    B, n, m = S.shape
    for bi in prange(B):
        Sb = S[bi]
        T = n_iter[bi]
        fbar = np.zeros(n)
        gbar = np.zeros(m)
        sb = Sbar[bi]
        # P = exp(S + f_{T+1} + g_T)
        for i in range(n):
            for j in range(m):
                w = Pbar[bi, i, j] * P[bi, i, j]
                sb[i, j] = w
                fbar[i] += w
                gbar[j] += w
        t = T
        while True:
            # f_{t+1} = log a - lse_row(S + g_t): R = exp(S + g_t + f_{t+1})
            f = F[bi, t]
            for i in range(n):
                if fbar[i] != 0.0:
                    for j in range(m):
                        gj = G[bi, t - 1, j] if t > 0 else 0.0
                        r = math.exp(Sb[i, j] + gj + f[i])
                        sb[i, j] -= fbar[i] * r
                        gbar[j] -= fbar[i] * r
            if t == 0:
                break
            # g_t = log b - lse_col(S + f_t): C = exp(S + f_t + g_t - log b), the
            # column softmax (rows use a = 1, so R above needs no such shift)
            ft = F[bi, t - 1]
            g = G[bi, t - 1]
            lb = logb[bi]
            for i in range(n):
                fbar[i] = 0.0
            for i in range(n):
                for j in range(m):
                    if gbar[j] != 0.0 and lb[j] > -math.inf:
                        c = math.exp(Sb[i, j] + ft[i] + g[j] - lb[j])
                        sb[i, j] -= gbar[j] * c
                        fbar[i] -= gbar[j] * c
            for j in range(m):
                gbar[j] = 0.0
            t -= 1
        for i in range(n):
            for j in range(m):
                if Sb[i, j] == -math.inf:
                    sb[i, j] = 0.0
