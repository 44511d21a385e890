"""Numba kernels of the Sinkhorn solvers (log domain, stabilised scaling).

Contract (no validation here; the public layer checks everything):

- ``M`` is a C-contiguous ``(n, m)`` float32 or float64 cost with finite
  entries; every other array is float64 and contiguous. Sums are accumulated
  in float64.
- Potentials ``f`` (n,), ``g`` (m,) are in cost units: the plan is
  ``P[i, j] = exp((f[i] + g[j] - M[i, j]) / reg)``; the masses ``a``, ``b``
  are positive (zero masses are removed by the caller).
- ``tau_a``, ``tau_b`` are the KL-relaxation exponents
  ``reg_m / (reg_m + reg)`` of the unbalanced problem (1.0 when balanced).
- Log-domain half-iterations read ``M`` once (one fused pass per row: the
  log-sum-exp with an online running maximum, one ``exp`` per entry).
  Scaling half-iterations read the stored kernel ``K`` once (no ``exp``).
- ``*_par`` kernels run ``prange`` over rows (or blocks of columns), every
  thread writing its own slice; each output entry is summed in the same order
  as the serial twin, so results do not depend on the thread count.
"""

import math

import numpy as np
from numba import prange

from ..utils._fastexp import fexp, fexp_lse
from ..utils._numba import jit

_COL_BLOCK = 256
_CHUNK = 256
_ROW_CHUNK = 32
_ROW_BLOCK = 16


# ------------------------------------------------------------------ log domain


@jit
def _max8(buf, w):
    """Largest of ``buf[:w]`` on eight lanes (a fixed order, independent adds)."""
    m0 = -np.inf
    m1 = -np.inf
    m2 = -np.inf
    m3 = -np.inf
    m4 = -np.inf
    m5 = -np.inf
    m6 = -np.inf
    m7 = -np.inf
    k = 0
    while k + 8 <= w:
        m0 = _fmax(m0, buf[k])
        m1 = _fmax(m1, buf[k + 1])
        m2 = _fmax(m2, buf[k + 2])
        m3 = _fmax(m3, buf[k + 3])
        m4 = _fmax(m4, buf[k + 4])
        m5 = _fmax(m5, buf[k + 5])
        m6 = _fmax(m6, buf[k + 6])
        m7 = _fmax(m7, buf[k + 7])
        k += 8
    while k < w:
        m0 = _fmax(m0, buf[k])
        k += 1
    return _fmax(_fmax(_fmax(m0, m1), _fmax(m2, m3)), _fmax(_fmax(m4, m5), _fmax(m6, m7)))


@jit
def _sum8(buf, w):
    """``sum(buf[:w])`` on eight accumulators, always in the same order."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    s5 = 0.0
    s6 = 0.0
    s7 = 0.0
    k = 0
    while k + 8 <= w:
        s0 += buf[k]
        s1 += buf[k + 1]
        s2 += buf[k + 2]
        s3 += buf[k + 3]
        s4 += buf[k + 4]
        s5 += buf[k + 5]
        s6 += buf[k + 6]
        s7 += buf[k + 7]
        k += 8
    while k < w:
        s0 += buf[k]
        k += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@jit
def _fmax(x, y):
    return x if x > y else y


@jit
def _lse_row(M, i, g, inv, buf):
    """``log sum_j exp((g[j] - M[i, j]) * inv)`` in one pass over the row.

    Chunks of ``_CHUNK`` entries (``buf``, in L1): the exponents are written
    to ``buf`` and their maximum taken, the running sum is rescaled at most
    once per chunk, then the chunk's exponentials (``fexp_lse``, a SIMD loop)
    replace the exponents and are summed on eight lanes.
    """
    m = M.shape[1]
    mx = -np.inf
    s = 0.0
    for j0 in range(0, m, _CHUNK):
        j1 = min(m, j0 + _CHUNK)
        w = j1 - j0
        # slices: unit-stride loads (an offset index would compile to gathers)
        gc = g[j0:j1]
        Mc = M[i, j0:j1]
        for k in range(w):
            buf[k] = (gc[k] - Mc[k]) * inv
        cm = _max8(buf, w)
        if cm > mx:
            s *= math.exp(mx - cm)
            mx = cm
        for k in range(w):
            buf[k] = fexp_lse(buf[k] - mx)
        s += _sum8(buf, w)
    return mx + math.log(s)


@jit
def _row_update(M, a, loga, f, g, reg, tau, i, buf):
    lse = _lse_row(M, i, g, 1.0 / reg, buf)
    r = math.exp(f[i] / reg + lse)
    fn = tau * reg * (loga[i] - lse)
    return abs(r - a[i]), abs(fn - f[i]), fn


@jit
def log_row_step(M, a, loga, f, g, reg, tau):
    """Update ``f`` in place; return (L1 row-marginal error before, max |change|)."""
    buf = np.empty(_CHUNK)
    err = 0.0
    dmax = 0.0
    for i in range(M.shape[0]):
        e, d, fn = _row_update(M, a, loga, f, g, reg, tau, i, buf)
        err += e
        dmax = max(dmax, d)
        f[i] = fn
    return err, dmax


@jit(parallel=True)
def log_row_step_par(M, a, loga, f, g, reg, tau):
    n = M.shape[0]
    errs = np.empty(n)
    ds = np.empty(n)
    nblocks = (n + _ROW_BLOCK - 1) // _ROW_BLOCK
    for blk in prange(nblocks):
        buf = np.empty(_CHUNK)
        for i in range(blk * _ROW_BLOCK, min(n, (blk + 1) * _ROW_BLOCK)):
            e, d, fn = _row_update(M, a, loga, f, g, reg, tau, i, buf)
            errs[i] = e
            ds[i] = d
            f[i] = fn
    err = 0.0
    dmax = 0.0
    for i in range(n):
        err += errs[i]
        dmax = max(dmax, ds[i])
    return err, dmax


@jit
def _col_block(M, b, logb, f, g, reg, tau, j0, j1, errs, ds, mx, s, cm):
    """Column log-sum-exps of columns ``j0:j1`` (at most ``_COL_BLOCK``).

    Chunks of ``_ROW_CHUNK`` rows: the chunk's column maxima first, one
    rescaling per column and chunk, then the exponentials, the inner loops
    running along a row (SIMD over columns). ``mx``, ``s``, ``cm`` are work
    arrays of length ``_COL_BLOCK``. Each column is summed over the rows in
    the same order whatever the block boundaries.
    """
    inv = 1.0 / reg
    n = M.shape[0]
    w = j1 - j0
    for k in range(w):
        mx[k] = -np.inf
        s[k] = 0.0
    for i0 in range(0, n, _ROW_CHUNK):
        i1 = min(n, i0 + _ROW_CHUNK)
        for k in range(w):
            cm[k] = -np.inf
        for i in range(i0, i1):
            fi = f[i]
            Mr = M[i, j0:j1]
            for k in range(w):
                x = (fi - Mr[k]) * inv
                cm[k] = x if x > cm[k] else cm[k]
        for k in range(w):
            if cm[k] > mx[k]:
                s[k] *= math.exp(mx[k] - cm[k])
                mx[k] = cm[k]
        for i in range(i0, i1):
            fi = f[i]
            Mr = M[i, j0:j1]
            for k in range(w):
                s[k] += fexp_lse((fi - Mr[k]) * inv - mx[k])
    for k in range(w):
        j = j0 + k
        lse = mx[k] + math.log(s[k])
        c = math.exp(g[j] * inv + lse)
        gn = tau * reg * (logb[j] - lse)
        errs[j] = abs(c - b[j])
        ds[j] = abs(gn - g[j])
        g[j] = gn


@jit
def log_col_step(M, b, logb, f, g, reg, tau):
    """Update ``g`` in place; return (L1 column-marginal error before, max |change|)."""
    m = M.shape[1]
    errs = np.empty(m)
    ds = np.empty(m)
    mx = np.empty(_COL_BLOCK)
    s = np.empty(_COL_BLOCK)
    cm = np.empty(_COL_BLOCK)
    for j0 in range(0, m, _COL_BLOCK):
        _col_block(M, b, logb, f, g, reg, tau, j0, min(m, j0 + _COL_BLOCK), errs, ds,
                   mx, s, cm)
    err = 0.0
    dmax = 0.0
    for j in range(m):
        err += errs[j]
        dmax = max(dmax, ds[j])
    return err, dmax


@jit(parallel=True)
def log_col_step_par(M, b, logb, f, g, reg, tau):
    m = M.shape[1]
    errs = np.empty(m)
    ds = np.empty(m)
    nblocks = (m + _COL_BLOCK - 1) // _COL_BLOCK
    for blk in prange(nblocks):
        j0 = blk * _COL_BLOCK
        mx = np.empty(_COL_BLOCK)
        s = np.empty(_COL_BLOCK)
        cm = np.empty(_COL_BLOCK)
        _col_block(M, b, logb, f, g, reg, tau, j0, min(m, j0 + _COL_BLOCK), errs, ds,
                   mx, s, cm)
    err = 0.0
    dmax = 0.0
    for j in range(m):
        err += errs[j]
        dmax = max(dmax, ds[j])
    return err, dmax


@jit
def log_loop(M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit):
    """Run log-domain Sinkhorn iterations until the criterion is below ``tol``.

    ``crit`` 0: L1 row-marginal error measured at the start of an iteration
    (the columns are exact after the previous one); 1: largest potential
    change of an iteration divided by ``reg``. Returns ``(n_iter, err, done)``.
    """
    f_old = np.empty_like(f)
    err = np.inf
    for it in range(max_iter):
        f_old[:] = f
        err, df = log_row_step(M, a, loga, f, g, reg, tau_a)
        if crit == 0 and err < tol:
            # the plan before this row update met the tolerance: keep it
            f[:] = f_old
            return it, err, True
        _, dg = log_col_step(M, b, logb, f, g, reg, tau_b)
        if crit == 1:
            ch = max(df, dg) / reg
            if ch < tol:
                return it + 1, ch, True
    return max_iter, err, False


@jit
def log_loop_par(M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit):
    f_old = np.empty_like(f)
    err = np.inf
    for it in range(max_iter):
        f_old[:] = f
        err, df = log_row_step_par(M, a, loga, f, g, reg, tau_a)
        if crit == 0 and err < tol:
            f[:] = f_old
            return it, err, True
        _, dg = log_col_step_par(M, b, logb, f, g, reg, tau_b)
        if crit == 1:
            ch = max(df, dg) / reg
            if ch < tol:
                return it + 1, ch, True
    return max_iter, err, False


# ----------------------------------------------------------- plan and kernel


@jit
def _kernel_row(M, f, g, reg, K, i):
    inv = 1.0 / reg
    fi = f[i]
    Mr = M[i]
    Kr = K[i]
    for j in range(M.shape[1]):
        Kr[j] = fexp((fi + g[j] - Mr[j]) * inv)


@jit
def gibbs(M, f, g, reg, K):
    """``K[i, j] = exp((f[i] + g[j] - M[i, j]) / reg)`` (the plan of f, g)."""
    for i in range(M.shape[0]):
        _kernel_row(M, f, g, reg, K, i)


@jit(parallel=True)
def gibbs_par(M, f, g, reg, K):
    for i in prange(M.shape[0]):
        _kernel_row(M, f, g, reg, K, i)


# ------------------------------------------------- stabilised scaling domain


@jit
def _kv_row(K, v, i):
    """Row ``i`` of ``K v`` on four accumulators (independent add chains)."""
    m = K.shape[1]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    j = 0
    while j + 4 <= m:
        s0 += K[i, j] * v[j]
        s1 += K[i, j + 1] * v[j + 1]
        s2 += K[i, j + 2] * v[j + 2]
        s3 += K[i, j + 3] * v[j + 3]
        j += 4
    while j < m:
        s0 += K[i, j] * v[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


@jit
def _ktu_block(K, u, out, j0, j1):
    for j in range(j0, j1):
        out[j] = 0.0
    for i in range(K.shape[0]):
        ui = u[i]
        for j in range(j0, j1):
            out[j] += K[i, j] * ui


@jit
def kv(K, v, out):
    for i in range(K.shape[0]):
        out[i] = _kv_row(K, v, i)


@jit(parallel=True)
def kv_par(K, v, out):
    for i in prange(K.shape[0]):
        out[i] = _kv_row(K, v, i)


@jit
def ktu(K, u, out):
    _ktu_block(K, u, out, 0, K.shape[1])


@jit(parallel=True)
def ktu_par(K, u, out):
    m = K.shape[1]
    nblocks = (m + _COL_BLOCK - 1) // _COL_BLOCK
    for blk in prange(nblocks):
        j0 = blk * _COL_BLOCK
        _ktu_block(K, u, out, j0, min(m, j0 + _COL_BLOCK))


@jit
def _scale(w, s, tau, new):
    """new = (w / s) ** tau; return (ok, max |new/old - 1| later), checks s > 0."""
    ok = True
    for k in range(w.shape[0]):
        sk = s[k]
        if not (sk > 0.0) or not (sk < np.inf):
            ok = False
            break
        if tau == 1.0:
            new[k] = w[k] / sk
        else:
            new[k] = (w[k] / sk) ** tau
        if not (new[k] > 0.0) or not (new[k] < np.inf):
            ok = False
            break
    return ok


@jit
def scaling_loop(K, a, b, wa, wb, u, v, tau_a, tau_b, max_iter, tol, crit, bound, parallel):
    """Sinkhorn-Knopp iterations on the kernel ``K`` with scalings ``u``, ``v``.

    The plan is ``u[i] K[i, j] v[j]``. Stops when the criterion (as in
    :func:`log_loop`) is below ``tol``, after ``max_iter`` iterations, when a
    scaling leaves ``[1 / bound, bound]`` (the caller absorbs it into the
    potentials and rebuilds ``K``), or when a kernel sum is zero or infinite
    (``u``, ``v`` are then left at their last valid values). The updates are
    ``u = (wa / K v) ** tau_a``, ``v = (wb / K^T u) ** tau_b``: with potentials
    ``f`` folded into ``K``, the unbalanced update needs
    ``wa = a * exp((1 - 1 / tau_a) * f / reg)`` (``wa = a`` when balanced).
    Returns ``(n_iter, err, status)`` with status 0 converged, 1 ``max_iter``,
    2 absorb, 3 numerical failure.
    """
    n, m = K.shape
    s_r = np.empty(n)
    s_c = np.empty(m)
    un = np.empty(n)
    vn = np.empty(m)
    err = np.inf
    lo = 1.0 / bound
    for it in range(max_iter):
        if parallel:
            kv_par(K, v, s_r)
        else:
            kv(K, v, s_r)
        err = 0.0
        for i in range(n):
            err += abs(u[i] * s_r[i] - a[i])
        if crit == 0 and err < tol:
            return it, err, 0
        if not _scale(wa, s_r, tau_a, un):
            return it, err, 3
        if parallel:
            ktu_par(K, un, s_c)
        else:
            ktu(K, un, s_c)
        if not _scale(wb, s_c, tau_b, vn):
            return it, err, 3
        ch = 0.0
        big = False
        for i in range(n):
            d = abs(math.log(un[i] / u[i]))
            ch = max(ch, d)
            u[i] = un[i]
            if un[i] > bound or un[i] < lo:
                big = True
        for j in range(m):
            d = abs(math.log(vn[j] / v[j]))
            ch = max(ch, d)
            v[j] = vn[j]
            if vn[j] > bound or vn[j] < lo:
                big = True
        if crit == 1 and ch < tol:
            return it + 1, ch, 0
        if big:
            return it + 1, err, 2
    return max_iter, err, 1
