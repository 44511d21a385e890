"""Slow, obviously-correct references for skot.similarity (tiny inputs only)."""

import itertools
import math
import statistics

import numpy as np


def sinkhorn_knopp(K, row_sums=None, col_sums=None, tol=1e-12, max_iter=100_000):
    """Plain alternating Sinkhorn-Knopp, written out with Python loops.

    Returns ``(P, u, v)`` with ``P[i][j] = u[i] K[i][j] v[j]``.
    """
    K = [[float(x) for x in row] for row in np.asarray(K)]
    n, m = len(K), len(K[0])
    a = [1.0] * n if row_sums is None else [float(x) for x in row_sums]
    b = [n / m] * m if col_sums is None else [float(x) for x in col_sums]
    u, v = [1.0] * n, [1.0] * m
    for _ in range(max_iter):
        for i in range(n):
            u[i] = a[i] / sum(K[i][j] * v[j] for j in range(m))
        for j in range(m):
            v[j] = b[j] / sum(K[i][j] * u[i] for i in range(n))
        err = max(abs(u[i] * sum(K[i][j] * v[j] for j in range(m)) - a[i]) / a[i] for i in range(n))
        if err < tol:
            break
    P = np.array([[u[i] * K[i][j] * v[j] for j in range(m)] for i in range(n)])
    return P, np.array(u), np.array(v)


def symmetric_scaling(K, tol=1e-13, max_iter=100_000):
    """The symmetric fixed point ``d <- sqrt(d / (K d))`` with Python loops."""
    K = [[float(x) for x in row] for row in np.asarray(K)]
    n = len(K)
    d = [1.0] * n
    for _ in range(max_iter):
        Kd = [sum(K[i][j] * d[j] for j in range(n)) for i in range(n)]
        if max(abs(d[i] * Kd[i] - 1.0) for i in range(n)) < tol:
            break
        d = [math.sqrt(d[i] / Kd[i]) for i in range(n)]
    return np.array(d)


def symmetric_steps(K, n_iter, omega=2.0 / 3.0):
    """``n_iter`` over-relaxed steps ``d <- d * (1 / (d * K d)) ** omega`` from the
    best constant start ``c 1`` (``c**2 * sum(K) = n``), with Python loops;
    ``omega = 1/2`` is the classical ``d <- sqrt(d / (K d))``. Returns ``d``.
    """
    K = [[float(x) for x in row] for row in np.asarray(K)]
    n = len(K)
    d = [math.sqrt(n / sum(sum(row) for row in K))] * n
    for _ in range(n_iter):
        Kd = [sum(K[i][j] * d[j] for j in range(n)) for i in range(n)]
        d = [d[i] * (1.0 / (d[i] * Kd[i])) ** omega for i in range(n)]
    return np.array(d)


def rbf_kernel(X, Y, gamma):
    """``exp(-gamma ||x - y||^2)`` pair by pair."""
    return np.array(
        [
            [math.exp(-gamma * sum((float(p) - float(q)) ** 2 for p, q in zip(x, y))) for y in Y]
            for x in X
        ]
    )


def median_distance(X):
    """Median Euclidean distance over the pairs i < j."""
    return statistics.median(
        math.dist([float(t) for t in X[i]], [float(t) for t in X[j]])
        for i, j in itertools.combinations(range(len(X)), 2)
    )


def has_total_support(K):
    """Every non-zero of square ``K`` lies on a permutation of non-zeros (brute force)."""
    K = np.asarray(K)
    n = K.shape[0]
    covered = np.zeros(K.shape, dtype=bool)
    for perm in itertools.permutations(range(n)):
        if all(K[i, perm[i]] != 0 for i in range(n)):
            for i in range(n):
                covered[i, perm[i]] = True
    nz = K != 0
    return bool(nz.any() and (covered == nz).all())


def log_sinkhorn(L, n_iter):
    """Alternating log-domain Sinkhorn for ``n_iter`` iterations (uniform marginals)."""
    L = np.asarray(L, dtype=np.float64)
    n, m = L.shape
    f, g = np.zeros(n), np.zeros(m)
    for _ in range(n_iter):
        for i in range(n):
            f[i] = -math.log(sum(math.exp(L[i, j] + g[j]) for j in range(m)))
        for j in range(m):
            g[j] = math.log(n / m) - math.log(sum(math.exp(L[i, j] + f[i]) for i in range(n)))
    return np.exp(L + f[:, None] + g[None, :])
