"""Numba kernel of the sparsity-constrained OT semi-dual (Liu, Puigcerver & Blondel 2023).

Contract (no validation): ``MT`` is the C-contiguous transposed cost (m, n),
``alpha`` (n,), ``b`` (m,) positive, ``gamma > 0``, ``1 <= k <= n``. For
every column ``j`` the scaled vector ``x = (alpha - M[:, j]) / (b_j gamma)``
is projected onto the simplex restricted to its ``k`` largest entries; the
projection ``G_j`` (k values, indices in ``idx[j]``), the column's
``max_Omega`` value and the semi-dual gradient are returned. Cost per call:
``O(m n)`` reads plus ``O(m k log k)``.
"""

import numpy as np

from ..utils._numba import jit


@jit
def semi_dual(MT, alpha, a, b, gamma, k, idx, G):
    """Return (objective, gradient); fill ``idx`` (m, k) and ``G`` (m, k)."""
    m, n = MT.shape
    obj = 0.0
    for i in range(n):
        obj += alpha[i] * a[i]
    grad = a.copy()
    val = np.empty(k)
    for j in range(m):
        s = 1.0 / (b[j] * gamma)
        cnt = 0
        for i in range(n):
            x = (alpha[i] - MT[j, i]) * s
            if cnt < k:
                pos = cnt
                cnt += 1
            elif x > val[k - 1]:
                pos = k - 1
            else:
                continue
            while pos > 0 and val[pos - 1] < x:
                val[pos] = val[pos - 1]
                idx[j, pos] = idx[j, pos - 1]
                pos -= 1
            val[pos] = x
            idx[j, pos] = i
        # Euclidean projection of the (sorted) top-k onto the simplex
        csum = 0.0
        theta = 0.0
        for r in range(k):
            csum += val[r]
            t = (csum - 1.0) / (r + 1)
            if val[r] - t > 0:
                theta = t
        dot = 0.0
        sq = 0.0
        for r in range(k):
            gr = val[r] - theta
            gr = max(gr, 0.0)
            G[j, r] = gr
            xr = alpha[idx[j, r]] - MT[j, idx[j, r]]
            dot += xr * gr
            sq += gr * gr
            grad[idx[j, r]] -= b[j] * gr
        obj -= b[j] * (dot - 0.5 * gamma * b[j] * sq)
    return obj, grad
