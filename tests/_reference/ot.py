"""Slow, obviously correct references for skot.ot (numpy / scipy only)."""

import numpy as np
from scipy.optimize import linprog
from scipy.special import logsumexp


def emd_linprog(a, b, M):
    """Exact OT cost and plan by scipy's HiGHS linear-programming solver."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    M = np.asarray(M, float)
    n, m = M.shape
    A_eq = np.zeros((n + m, n * m))
    for i in range(n):
        A_eq[i, i * m : (i + 1) * m] = 1.0
    for j in range(m):
        A_eq[n + j, j::m] = 1.0
    res = linprog(
        M.ravel(), A_eq=A_eq, b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs"
    )
    assert res.status == 0, res.message
    return res.fun, res.x.reshape(n, m)


def sinkhorn_log_naive(a, b, M, reg, n_iter):
    """Plain log-domain Sinkhorn with scipy's logsumexp; fixed iteration count."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    M = np.asarray(M, float)
    f = np.zeros(M.shape[0])
    g = np.zeros(M.shape[1])
    for _ in range(n_iter):
        f = reg * np.log(a) - reg * logsumexp((g[None, :] - M) / reg, axis=1)
        g = reg * np.log(b) - reg * logsumexp((f[:, None] - M) / reg, axis=0)
    return np.exp((f[:, None] + g[None, :] - M) / reg), f, g


def sinkhorn_unbalanced_naive(a, b, M, reg, reg_m, n_iter):
    """Scaling iterations of unbalanced (KL) Sinkhorn (Chizat et al. 2018)."""
    K = np.exp(-np.asarray(M, float) / reg)
    tau = reg_m / (reg_m + reg)
    u = np.ones(K.shape[0])
    v = np.ones(K.shape[1])
    for _ in range(n_iter):
        u = (a / (K @ v)) ** tau
        v = (b / (K.T @ u)) ** tau
    return u[:, None] * K * v[None, :]


def sinkhorn_divergence_naive(X, Y, reg, n_iter=5000):
    """Debiased Sinkhorn divergence with the entropic values from naive log-Sinkhorn."""
    X = np.asarray(X, float)
    Y = np.asarray(Y, float)

    def value(P, Q):
        C = ((P[:, None, :] - Q[None, :, :]) ** 2).sum(-1)
        p = np.full(P.shape[0], 1.0 / P.shape[0])
        q = np.full(Q.shape[0], 1.0 / Q.shape[0])
        _, f, g = sinkhorn_log_naive(p, q, C, reg, n_iter)
        return p @ (f - reg * np.log(p)) + q @ (g - reg * np.log(q))

    return value(X, Y) - 0.5 * value(X, X) - 0.5 * value(Y, Y)
