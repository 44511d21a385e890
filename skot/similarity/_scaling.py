"""Numba kernels for doubly stochastic (Sinkhorn) scaling.

Contract (every kernel; nothing here validates, ``skot.similarity._sinkhorn_normalize``
checks shapes, dtypes and values before any call):

- Dense matrices ``K`` are C-contiguous (n, m) float32 or float64 arrays;
  vectors are C-contiguous float64 arrays; every sum accumulates in float64.
- Sparse matrices are CSR triplets ``(indptr, indices, data)`` with int32 or
  int64 ``indptr``/``indices`` in range and float32/float64 ``data``.
- Outputs (``out``) are preallocated by the caller and written in place.
- Every parallel kernel (``*_par``) has a serial twin computing the same
  floating-point operations in the same order, so results do not depend on the
  thread count. Callers use the serial twin for one thread or small problems.

Costs: a dense product O(n m) reading ``K`` once (row-wise), a CSR product
O(nnz). The log-domain solvers cost O(n m) exponentials per half-iteration.
"""

import numpy as np
from numba import prange

from ..utils._numba import jit

# ------------------------------------------------------------ scans


@jit(inline="always")
def _bin(v, lo, scale, nb):
    b = int((np.float64(v) - lo) * scale)
    return min(max(b, 0), nb - 1)


@jit
def upper_order_stats(D, k1, k2, lo, hi):
    """The ``k1``-th and ``k2``-th smallest (0-based, ``k1 <= k2``) entries of
    the strict upper triangle of square ``D``, exactly, without copying it.

    Streaming passes: the range (skipped when the caller gives a range
    ``lo < hi`` -- any range works, values outside it are clamped into the
    end bins, which keeps the binning monotone; a tight one gives small
    bins), a 65536-bin histogram, then only the entries of the bins holding
    the two ranks are gathered and sorted.
    """
    n = D.shape[0]
    if not hi > lo:
        lo = np.inf
        hi = -np.inf
        for i in range(n):
            for j in range(i + 1, n):
                v = np.float64(D[i, j])
                lo = min(lo, v)
                hi = max(hi, v)
        if not hi > lo:
            return lo, lo
    nb = 65536
    scale = nb / (hi - lo)
    hist = np.zeros(nb, dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            hist[_bin(D[i, j], lo, scale, nb)] += 1
    cum = 0
    b1 = -1
    b2 = -1
    before1 = 0
    for b in range(nb):
        if b1 < 0 and cum + hist[b] > k1:
            b1 = b
            before1 = cum
        if cum + hist[b] > k2:
            b2 = b
            break
        cum += hist[b]
    count = 0
    for b in range(b1, b2 + 1):
        count += hist[b]
    buf = np.empty(count)
    c = 0
    for i in range(n):
        for j in range(i + 1, n):
            b = _bin(D[i, j], lo, scale, nb)
            if b >= b1 and b <= b2:
                buf[c] = np.float64(D[i, j])
                c += 1
    buf.sort()
    return buf[k1 - before1], buf[k2 - before1]


# ---------------------------------------------------- matrix-vector products


@jit(inline="always")
def _row_dot(K, i, x):
    # Four interleaved float64 accumulators in a fixed order: faster than one
    # (instruction-level parallelism) and identical in the serial and parallel
    # kernels.
    m = K.shape[1]
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    j = 0
    while j + 4 <= m:
        a0 += np.float64(K[i, j]) * x[j]
        a1 += np.float64(K[i, j + 1]) * x[j + 1]
        a2 += np.float64(K[i, j + 2]) * x[j + 2]
        a3 += np.float64(K[i, j + 3]) * x[j + 3]
        j += 4
    while j < m:
        a0 += np.float64(K[i, j]) * x[j]
        j += 1
    return (a0 + a1) + (a2 + a3)


@jit
def dense_matvec(K, x, out):
    """``out = K @ x`` (serial)."""
    for i in range(K.shape[0]):
        out[i] = _row_dot(K, i, x)


@jit(parallel=True)
def dense_matvec_par(K, x, out):
    """``out = K @ x``, rows in parallel (same bits as :func:`dense_matvec`)."""
    for i in prange(K.shape[0]):
        out[i] = _row_dot(K, i, x)


@jit(inline="always")
def _symv_rows(K, x, buf, r0, r1):
    # Rows r0..r1 of the upper triangle (diagonal included): the row part
    # K[i, i:] @ x[i:] goes to buf[i], the mirrored part K[i, i+1:] * x[i]
    # to buf[i+1:]. Each stored entry is read once: half the traffic of a
    # full product.
    n = K.shape[0]
    for i in range(r0, r1):
        xi = x[i]
        a0 = np.float64(K[i, i]) * xi
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        j = i + 1
        while j + 4 <= n:
            k0 = np.float64(K[i, j])
            k1 = np.float64(K[i, j + 1])
            k2 = np.float64(K[i, j + 2])
            k3 = np.float64(K[i, j + 3])
            a0 += k0 * x[j]
            a1 += k1 * x[j + 1]
            a2 += k2 * x[j + 2]
            a3 += k3 * x[j + 3]
            buf[j] += k0 * xi
            buf[j + 1] += k1 * xi
            buf[j + 2] += k2 * xi
            buf[j + 3] += k3 * xi
            j += 4
        while j < n:
            kj = np.float64(K[i, j])
            a0 += kj * x[j]
            buf[j] += kj * xi
            j += 1
        buf[i] += (a0 + a1) + (a2 + a3)


@jit(inline="always")
def _symv_reduce(bufs, out):
    n = out.shape[0]
    for j in range(n):
        out[j] = 0.0
    for c in range(bufs.shape[0]):
        for j in range(n):
            out[j] += bufs[c, j]


@jit
def dense_symv(K, x, bounds, bufs, out):
    """``out = K @ x`` for a symmetric ``K``, reading its upper triangle only.

    ``bounds`` (C + 1,) int64 splits the rows into C blocks of about equal
    area; ``bufs`` (C, n) float64 is scratch. Blocks are processed in order
    and summed in order, so the parallel twin gives the same bits.
    """
    for c in range(bounds.shape[0] - 1):
        bufs[c, :] = 0.0
        _symv_rows(K, x, bufs[c], bounds[c], bounds[c + 1])
    _symv_reduce(bufs, out)


@jit(parallel=True)
def dense_symv_par(K, x, bounds, bufs, out):
    """As :func:`dense_symv`, blocks in parallel (same bits)."""
    for c in prange(bounds.shape[0] - 1):
        bufs[c, :] = 0.0
        _symv_rows(K, x, bufs[c], bounds[c], bounds[c + 1])
    _symv_reduce(bufs, out)


@jit(inline="always")
def _rmatvec_cols(K, u, out, j0, j1):
    for j in range(j0, j1):
        out[j] = 0.0
    for i in range(K.shape[0]):
        ui = u[i]
        if ui != 0.0:
            for j in range(j0, j1):
                out[j] += ui * np.float64(K[i, j])


@jit
def dense_rmatvec(K, u, out):
    """``out = K.T @ u`` streaming the rows of ``K`` (serial)."""
    _rmatvec_cols(K, u, out, 0, K.shape[1])


@jit(parallel=True)
def dense_rmatvec_par(K, u, out, n_chunks):
    """``out = K.T @ u``, column blocks in parallel (same bits as the serial twin)."""
    m = K.shape[1]
    size = (m + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        j0 = c * size
        j1 = min(m, j0 + size)
        if j0 < j1:
            _rmatvec_cols(K, u, out, j0, j1)


@jit(inline="always")
def _csr_row_dot(indptr, indices, data, i, x):
    acc = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        acc += np.float64(data[p]) * x[indices[p]]
    return acc


@jit
def csr_matvec(indptr, indices, data, x, out):
    """``out = K @ x`` for a CSR matrix (serial)."""
    for i in range(out.shape[0]):
        out[i] = _csr_row_dot(indptr, indices, data, i, x)


@jit(parallel=True)
def csr_matvec_par(indptr, indices, data, x, out):
    """``out = K @ x`` for a CSR matrix, rows in parallel."""
    for i in prange(out.shape[0]):
        out[i] = _csr_row_dot(indptr, indices, data, i, x)


# ------------------------------------------------------- scaled outputs


@jit(inline="always")
def _scale_row_sym(K, d, i, out):
    di = d[i]
    for j in range(K.shape[1]):
        # K_ij * (d_i d_j): the product d_i d_j is commutative, so a symmetric
        # K gives an exactly symmetric result.
        out[i, j] = np.float64(K[i, j]) * (di * d[j])  # cast to out's dtype


@jit
def dense_scale_sym(K, d, out):
    """``out[i, j] = K[i, j] * (d[i] * d[j])`` (serial)."""
    for i in range(K.shape[0]):
        _scale_row_sym(K, d, i, out)


@jit(parallel=True)
def dense_scale_sym_par(K, d, out):
    """As :func:`dense_scale_sym`, rows in parallel."""
    for i in prange(K.shape[0]):
        _scale_row_sym(K, d, i, out)


@jit(inline="always")
def _scale_row(K, u, v, i, out):
    ui = u[i]
    for j in range(K.shape[1]):
        out[i, j] = (ui * np.float64(K[i, j])) * v[j]


@jit
def dense_scale(K, u, v, out):
    """``out[i, j] = u[i] * K[i, j] * v[j]`` (serial)."""
    for i in range(K.shape[0]):
        _scale_row(K, u, v, i, out)


@jit(parallel=True)
def dense_scale_par(K, u, v, out):
    """As :func:`dense_scale`, rows in parallel."""
    for i in prange(K.shape[0]):
        _scale_row(K, u, v, i, out)


@jit
def csr_scale_sym(indptr, indices, data, d, out):
    """CSR data of ``diag(d) K diag(d)``: ``out[p] = data[p] * (d[i] * d[j])``."""
    for i in range(indptr.shape[0] - 1):
        di = d[i]
        for p in range(indptr[i], indptr[i + 1]):
            out[p] = np.float64(data[p]) * (di * d[indices[p]])


@jit
def csr_scale(indptr, indices, data, u, v, out):
    """CSR data of ``diag(u) K diag(v)``."""
    for i in range(indptr.shape[0] - 1):
        ui = u[i]
        for p in range(indptr[i], indptr[i + 1]):
            out[p] = (ui * np.float64(data[p])) * v[indices[p]]


# ------------------------------------------------------ log domain (batched)


@jit(inline="always")
def _row_lse(L, i, g):
    """log sum_j exp(L[i, j] + g[j]) in float64 (-inf for an empty row)."""
    m = L.shape[1]
    mx = -np.inf
    for j in range(m):
        t = np.float64(L[i, j]) + g[j]
        mx = max(mx, t)
    if mx == -np.inf:
        return -np.inf
    s = 0.0
    for j in range(m):
        s += np.exp(np.float64(L[i, j]) + g[j] - mx)
    return mx + np.log(s)


@jit(inline="always")
def _col_lse(L, f, cmax, csum, out):
    """out[j] = log sum_i exp(L[i, j] + f[i]), streaming rows."""
    n, m = L.shape
    for j in range(m):
        cmax[j] = -np.inf
        csum[j] = 0.0
    for i in range(n):
        fi = f[i]
        for j in range(m):
            t = np.float64(L[i, j]) + fi
            cmax[j] = max(cmax[j], t)
    for i in range(n):
        fi = f[i]
        for j in range(m):
            if cmax[j] > -np.inf:
                csum[j] += np.exp(np.float64(L[i, j]) + fi - cmax[j])
    for j in range(m):
        if cmax[j] == -np.inf:
            out[j] = -np.inf
        else:
            out[j] = cmax[j] + np.log(csum[j])


@jit(inline="always")
def _log_alternating_one(L, loga, logb, rows, cols, f, g, tol, max_iter, check,
                         lse_r, lse_c, cmax, csum):
    """Alternating log-domain Sinkhorn on one (n, m) matrix.

    ``rows``/``cols`` mark the support (False: the potential stays -inf).
    Returns ``(n_iter, error)``; ``error`` is the max relative row-sum error
    before the last row update (-1 when ``check`` is False).
    """
    n, m = L.shape
    err = -1.0
    it = 0
    while True:
        for i in range(n):
            lse_r[i] = _row_lse(L, i, g) if rows[i] else -np.inf
        # Columns are exact after a column update, so the row error is the
        # whole error -- but only from the second pass on (the start is not
        # column-normalised).
        if check and it > 0:
            err = 0.0
            for i in range(n):
                if rows[i]:
                    e = abs(np.exp(f[i] + lse_r[i] - loga[i]) - 1.0)
                    if e > err or np.isnan(e):
                        err = e
            if err <= tol:
                break
        if it >= max_iter:
            break
        it += 1
        for i in range(n):
            f[i] = loga[i] - lse_r[i] if rows[i] else -np.inf
        _col_lse(L, f, cmax, csum, lse_c)
        for j in range(m):
            g[j] = logb[j] - lse_c[j] if cols[j] else -np.inf
    return it, err


@jit(inline="always")
def _log_symmetric_one(L, loga, rows, f, tol, max_iter, check, lse_r):
    """Symmetric log-domain fixed point f <- (f + log a - LSE_j(L_ij + f_j)) / 2."""
    n = L.shape[0]
    err = -1.0
    it = 0
    while True:
        for i in range(n):
            lse_r[i] = _row_lse(L, i, f) if rows[i] else -np.inf
        if check:
            err = 0.0
            for i in range(n):
                if rows[i]:
                    e = abs(np.exp(f[i] + lse_r[i] - loga[i]) - 1.0)
                    if e > err or np.isnan(e):
                        err = e
            if err <= tol:
                break
        if it >= max_iter:
            break
        it += 1
        for i in range(n):
            if rows[i]:
                f[i] = 0.5 * (f[i] + loga[i] - lse_r[i])
    return it, err


@jit(inline="always")
def _log_batch_item(L, loga, logb, rows, cols, f, g, symmetric, tol, max_iter, check,
                    n_iter, errors, b):
    n, m = L.shape
    lse_r = np.empty(n)
    if symmetric:
        it, err = _log_symmetric_one(L, loga, rows, f, tol, max_iter, check, lse_r)
        for j in range(m):
            g[j] = f[j]
    else:
        lse_c = np.empty(m)
        cmax = np.empty(m)
        csum = np.empty(m)
        it, err = _log_alternating_one(L, loga, logb, rows, cols, f, g, tol, max_iter,
                                       check, lse_r, lse_c, cmax, csum)
    n_iter[b] = it
    errors[b] = err


@jit
def log_sinkhorn_batch(L, loga, logb, rows, cols, F, G, symmetric, tol, max_iter,
                       check, n_iter, errors):
    """Log-domain scaling of every ``L[b]`` (serial over the batch).

    ``L`` (B, n, m); ``loga`` (B, n), ``logb`` (B, m) log marginals; ``rows``
    (B, n) and ``cols`` (B, m) support masks; ``F`` (B, n), ``G`` (B, m) hold
    the initial log potentials and receive the final ones; ``n_iter`` (B,)
    int64 and ``errors`` (B,) float64 receive each item's iterations and error.
    """
    for b in range(L.shape[0]):
        _log_batch_item(L[b], loga[b], logb[b], rows[b], cols[b], F[b], G[b], symmetric,
                        tol, max_iter, check, n_iter, errors, b)


@jit(parallel=True)
def log_sinkhorn_batch_par(L, loga, logb, rows, cols, F, G, symmetric, tol, max_iter,
                           check, n_iter, errors):
    """As :func:`log_sinkhorn_batch`, batch items in parallel."""
    for b in prange(L.shape[0]):
        _log_batch_item(L[b], loga[b], logb[b], rows[b], cols[b], F[b], G[b], symmetric,
                        tol, max_iter, check, n_iter, errors, b)


@jit(inline="always")
def _exp_item(L, F, G, out, b):
    n, m = L.shape[1], L.shape[2]
    for i in range(n):
        fi = F[b, i]
        for j in range(m):
            # (L + f_i) + g_j vs (L + f_j) + g_i: for a symmetric problem F == G
            # and the sum f_i + g_j is taken first so the result is symmetric.
            out[b, i, j] = np.exp(np.float64(L[b, i, j]) + (fi + G[b, j]))


@jit
def log_exp_batch(L, F, G, out):
    """``out[b, i, j] = exp(L[b, i, j] + (F[b, i] + G[b, j]))`` (serial)."""
    for b in range(L.shape[0]):
        _exp_item(L, F, G, out, b)


@jit(parallel=True)
def log_exp_batch_par(L, F, G, out):
    """As :func:`log_exp_batch`, batch items in parallel."""
    for b in prange(L.shape[0]):
        _exp_item(L, F, G, out, b)


# ------------------------------------------------ Newton-CG inner loop (CSR)


@jit
def csr_newton_cg(indptr, indices, data, x, v, a, s, minv, z, Kxz, Sz, err, tol,
                  check, target, zmin):
    """Inner conjugate-gradient loop of one Knight-Ruiz Newton step, CSR ``K``.

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

    Serial; one CSR product per CG iteration, O(nnz + n) work in all.
    Returns ``(n_products, last_linear_residual, last_newton_residual)``.
    """
    n = x.shape[0]
    r = np.zeros(n)
    y = np.zeros(n)
    p = np.zeros(n)
    q = np.zeros(n)
    xp = np.zeros(n)
    Kxp = np.zeros(n)
    rho = 0.0
    for i in range(n):
        if s[i]:
            r[i] = a[i] - v[i]
            y[i] = minv[i] * r[i]
            p[i] = y[i]
            rho += r[i] * y[i]
    best = np.inf
    lin = np.inf
    n_prod = 0
    for _ in range(max(1, n)):
        for i in range(n):
            xp[i] = x[i] * p[i]
        for i in range(n):
            Kxp[i] = _csr_row_dot(indptr, indices, data, i, xp)
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
            t = np.inf
            for i in range(n):
                st = alpha * p[i]
                if s[i] and st < 0:
                    t = min(t, (z[i] - zmin) / (-st))
            t = min(max(t, 0.0), 1.0)
            ta = t * alpha
            for i in range(n):
                z[i] += t * (alpha * p[i])
                Kxz[i] += ta * Kxp[i]
                Sz[i] += abs(ta * Kxp[i])
            break
        nonlin = 0.0
        for i in range(n):
            if s[i]:
                e = abs(x[i] * (z[i] + alpha * p[i]) * (Kxz[i] + alpha * Kxp[i]) - a[i]) / a[i]
                if e > nonlin or np.isnan(e):
                    nonlin = e
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
