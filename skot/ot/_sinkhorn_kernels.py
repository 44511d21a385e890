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
- Exponentials are :func:`skot.utils._fastexp.fexp` / ``fexp_lse``: plain
  arithmetic that LLVM compiles to SIMD code (``math.exp`` is a scalar libm
  call), exact to about one ulp.
- Log-domain half-iterations (``log_row_step``, ``log_col_step``) read ``M``
  once: each log-sum-exp is shifted by its previous value (known from the
  potential), with an exact two-pass fallback (shift by the maximum) where
  that sum is out of range. ``log_loop`` does a whole iteration in one pass
  over ``M`` with one ``exp`` per entry: the row update's terms, rescaled per
  row, give the column sums (see ``_FUSED_ROWS``).
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
_MIN_COL_BLOCK = 256
_MAX_COL_BLOCK = 2048
_CHUNK = 256
_ROW_CHUNK = 32
_ROW_BLOCK = 16


# ------------------------------------------------------------------ log domain
#
# A log-sum-exp is computed in one pass with a shift known in advance: the
# previous value of the same log-sum-exp, read off the potential being
# updated (``f = tau reg (log a - lse)`` gives ``lse = log a - f / (tau reg)``).
# The shifted sum ``s = sum exp(x - c)`` is then the ratio of the current to
# the target marginal, close to 1 near convergence. It is accepted when it
# lies in [_S_MIN, _S_MAX]: no term overflowed (``fexp_lse`` saturates at
# exp(709) > _S_MAX), and the terms that ``fexp_lse`` flushed (below
# exp(-708), counted as 3.3e-308) weigh at most m * 3.3e-108 of the sum,
# under 1e-99 for any m below 1e8. Otherwise (far
# from convergence, a nan) the exact two-pass form with the maximum as the
# shift is used. Both are exact to rounding; the choice depends on the data
# only, never on the thread count.
_S_MIN = 1e-200
_S_MAX = 1e200


@jit
def _fmax(x, y):
    # an explicit select (a nan in x is skipped), which LLVM vectorises
    return x if x > y else y  # noqa: FURB136


@jit
def _lanes(m):
    """Accumulator width for rows of length ``m``: ``_CHUNK``, or the next power
    of two (at least 8) for shorter rows."""
    w = 8
    while w < m and w < _CHUNK:
        w *= 2
    return w


@jit
def _pairwise_sum(buf, w):
    """Sum of ``buf[:w]`` (``w`` a power of two, at least 8), destroyed.

    The halves are added elementwise until eight lanes remain (SIMD loops
    with no reduction, so no reordering is needed to vectorise them), then
    the lanes are added in a fixed order.
    """
    h = w // 2
    while h >= 8:
        for k in range(h):
            buf[k] += buf[k + h]
        h //= 2
    return ((buf[0] + buf[1]) + (buf[2] + buf[3])) + ((buf[4] + buf[5]) + (buf[6] + buf[7]))


@jit
def _max8(buf, w):
    """Largest of ``buf[:w]`` (on eight lanes)."""
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
def _sum_exp_row(M, i, g, inv, c, acc):
    """``sum_j exp((g[j] - M[i, j]) * inv - c)`` in one pass over the row.

    Entry ``j`` goes to accumulator ``j % w`` (``w = _lanes(m)`` lanes in
    ``acc``): the inner loop has no reduction, so it runs as SIMD; the lanes
    are added pairwise at the end.
    """
    m = M.shape[1]
    w = _lanes(m)
    for k in range(w):
        acc[k] = 0.0
    for j0 in range(0, m, w):
        j1 = min(m, j0 + w)
        # slices: unit-stride loads (an offset index would compile to gathers)
        gc = g[j0:j1]
        Mc = M[i, j0:j1]
        for k in range(j1 - j0):
            acc[k] += fexp_lse((gc[k] - Mc[k]) * inv - c)
    return _pairwise_sum(acc, w)


@jit
def _lse_row(M, i, g, inv, buf):
    """``log sum_j exp((g[j] - M[i, j]) * inv)`` shifted by the maximum.

    Chunks of ``_CHUNK`` entries: the exponents are written to ``buf`` and
    their maximum taken, the running sum is rescaled at most once per chunk,
    then the chunk's exponentials replace the exponents and are summed.
    """
    m = M.shape[1]
    mx = -np.inf
    s = 0.0
    for j0 in range(0, m, _CHUNK):
        j1 = min(m, j0 + _CHUNK)
        w = j1 - j0
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
        lanes = _lanes(w)
        for k in range(w, lanes):
            buf[k] = 0.0
        s += _pairwise_sum(buf, lanes)
    return mx + math.log(s)


@jit
def _row_update(M, a, loga, f, g, reg, tau, i, buf):
    inv = 1.0 / reg
    c = loga[i] - f[i] * inv / tau  # the previous log-sum-exp of row i
    s = _sum_exp_row(M, i, g, inv, c, buf)
    if s >= _S_MIN and s <= _S_MAX:
        lse = c + math.log(s)
    else:
        lse = _lse_row(M, i, g, inv, buf)
    r = math.exp(f[i] * inv + lse)
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
def _sum_exp_cols(M, f, inv, j0, j1, c, s):
    """``s[k] = sum_i exp((f[i] - M[i, j0 + k]) * inv - c[k])``, rows in order."""
    n = M.shape[0]
    w = j1 - j0
    for k in range(w):
        s[k] = 0.0
    for i in range(n):
        fi = f[i]
        Mr = M[i, j0:j1]
        for k in range(w):
            s[k] += fexp_lse((fi - Mr[k]) * inv - c[k])


@jit
def _lse_cols(M, f, inv, j0, j1, mx, s, cm):
    """Column sums of columns ``j0:j1`` shifted by their maxima (``mx``).

    Chunks of ``_ROW_CHUNK`` rows: the chunk's column maxima first, one
    rescaling per column and chunk, then the exponentials, the inner loops
    running along a row (SIMD over columns).
    """
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
                cm[k] = _fmax(cm[k], (fi - Mr[k]) * inv)
        for k in range(w):
            if cm[k] > mx[k]:
                s[k] *= math.exp(mx[k] - cm[k])
                mx[k] = cm[k]
        for i in range(i0, i1):
            fi = f[i]
            Mr = M[i, j0:j1]
            for k in range(w):
                s[k] += fexp_lse((fi - Mr[k]) * inv - mx[k])


@jit
def _col_lse(M, logb, f, g, inv, tau, j0, j1, lse):
    """``lse[j] = log sum_i exp((f[i] - M[i, j]) * inv)`` for ``j0 <= j < j1``.

    The rows are read in order, each along the block's columns (SIMD over
    columns). Every column is summed over the rows in the same order and
    falls back to the exact form on its own, so the result of a column does
    not depend on the block boundaries.
    """
    w = j1 - j0
    work = np.empty((5, w))
    c = work[0]
    s = work[1]
    for k in range(w):
        c[k] = logb[j0 + k] - g[j0 + k] * inv / tau  # the previous log-sum-exps
    _sum_exp_cols(M, f, inv, j0, j1, c, s)
    ok = True
    for k in range(w):
        if not (s[k] >= _S_MIN and s[k] <= _S_MAX):
            ok = False
    if not ok:
        mx = work[2]
        s2 = work[3]
        _lse_cols(M, f, inv, j0, j1, mx, s2, work[4])
        for k in range(w):
            if not (s[k] >= _S_MIN and s[k] <= _S_MAX):
                c[k] = mx[k]
                s[k] = s2[k]
    for k in range(w):
        lse[j0 + k] = c[k] + math.log(s[k])


@jit
def _cols_lse(M, logb, f, g, inv, tau, lse):
    _col_lse(M, logb, f, g, inv, tau, 0, M.shape[1], lse)


@jit(parallel=True)
def _cols_lse_par(M, logb, f, g, inv, tau, lse):
    m = M.shape[1]
    # wide blocks read M in long runs; at least 8 blocks (when m allows) to
    # share between the threads
    width = min(_MAX_COL_BLOCK, max(_MIN_COL_BLOCK, ((m + 7) // 8 + 7) // 8 * 8))
    nblocks = (m + width - 1) // width
    for blk in prange(nblocks):
        j0 = blk * width
        _col_lse(M, logb, f, g, inv, tau, j0, min(m, j0 + width), lse)


@jit
def _col_finish(b, logb, g, reg, tau, lse):
    """``g`` from the column log-sum-exps; (L1 column error before, max |change|)."""
    inv = 1.0 / reg
    err = 0.0
    dmax = 0.0
    for j in range(g.shape[0]):
        r = math.exp(g[j] * inv + lse[j])
        gn = tau * reg * (logb[j] - lse[j])
        err += abs(r - b[j])
        dmax = max(dmax, abs(gn - g[j]))
        g[j] = gn
    return err, dmax


@jit
def log_col_step(M, b, logb, f, g, reg, tau):
    """Update ``g`` in place; return (L1 column-marginal error before, max |change|)."""
    lse = np.empty(M.shape[1])
    _cols_lse(M, logb, f, g, 1.0 / reg, tau, lse)
    return _col_finish(b, logb, g, reg, tau, lse)


@jit
def log_col_step_par(M, b, logb, f, g, reg, tau):
    lse = np.empty(M.shape[1])
    _cols_lse_par(M, logb, f, g, 1.0 / reg, tau, lse)
    return _col_finish(b, logb, g, reg, tau, lse)


# One pass over M per iteration: the row update computes the row's terms
# E[i, j] = exp((g[j] - M[i, j]) / reg - c[i]) (shifted as in _row_update);
# with alpha[i] = exp(f_new[i] / reg + c[i]), E[i, j] * alpha[i] is the plan
# entry after the row update, exp((f_new[i] + g[j] - M[i, j]) / reg), so the
# column sums t[j] = sum_i E[i, j] alpha[i] give the column log-sum-exps
# log(t[j]) - g[j] / reg without a second pass (and without a second
# exponential per entry). Rows are taken in fixed blocks of _FUSED_ROWS; each
# block's partial column sums are added in block order, whatever the thread
# count. Valid when every row took the shifted path and every alpha is in
# [_A_MIN, _A_MAX] (flushed terms then weigh at most m * 3.3e-308 * _A_MAX
# per row), and, per column, t[j] is in [_T_MIN, _T_MAX] (so the flushed
# terms are at most n * m * 3.3e-128 of t[j]: nothing for any size that fits
# in memory; an overflow to inf fails the check). A column that fails gets its
# exact log-sum-exp from a column pass; a block that fails sends all columns
# there.
_FUSED_ROWS = 64
_A_MIN = 1e-100
_A_MAX = 1e100
_T_MIN = 1e-80
_T_MAX = 1e250


@jit
def _fused_block(M, a, loga, f, g, reg, tau, i0, i1, errs, ds, tp, rowbuf, acc):
    """Row updates of rows ``i0:i1`` and their partial column sums ``tp``.

    Writes ``f[i]``, ``errs[i]``, ``ds[i]``; returns whether ``tp`` is valid.
    """
    inv = 1.0 / reg
    m = M.shape[1]
    w = _lanes(m)
    ok = True
    for j in range(m):
        tp[j] = 0.0
    for i in range(i0, i1):
        c = loga[i] - f[i] * inv / tau
        for k in range(w):
            acc[k] = 0.0
        for j0 in range(0, m, w):
            j1 = min(m, j0 + w)
            # slices: unit-stride loads (an offset index would compile to gathers)
            gc = g[j0:j1]
            Mc = M[i, j0:j1]
            rb = rowbuf[j0:j1]
            for k in range(j1 - j0):
                e = fexp_lse((gc[k] - Mc[k]) * inv - c)
                rb[k] = e
                acc[k] += e
        s = _pairwise_sum(acc, w)
        if s >= _S_MIN and s <= _S_MAX:
            lse = c + math.log(s)
        else:
            lse = _lse_row(M, i, g, inv, acc)
            ok = False
        r = math.exp(f[i] * inv + lse)
        fn = tau * reg * (loga[i] - lse)
        errs[i] = abs(r - a[i])
        ds[i] = abs(fn - f[i])
        f[i] = fn
        if ok:
            alpha = math.exp(fn * inv + c)
            if alpha >= _A_MIN and alpha <= _A_MAX:
                for j in range(m):
                    tp[j] += rowbuf[j] * alpha
            else:
                ok = False
    return ok


@jit
def _t_valid(t, ok, j):
    return ok and t[j] >= _T_MIN and t[j] <= _T_MAX


@jit
def _fused_lse(g, inv, t, ok, lse):
    """Column log-sum-exps from the fused sums ``t``; True if some are invalid."""
    need = False
    for j in range(g.shape[0]):
        if _t_valid(t, ok, j):
            lse[j] = math.log(t[j]) - g[j] * inv
        else:
            need = True
    return need


@jit
def _fill_exact(t, ok, exact, lse):
    for j in range(lse.shape[0]):
        if not _t_valid(t, ok, j):
            lse[j] = exact[j]


@jit
def _sum_max(errs, ds):
    err = 0.0
    dmax = 0.0
    for i in range(errs.shape[0]):
        err += errs[i]
        dmax = max(dmax, ds[i])
    return err, dmax


@jit
def _fused_rows(M, a, loga, f, g, reg, tau, errs, ds, t, tp, rowbuf, acc):
    """All row blocks in order, ``t`` their column sums; returns validity."""
    n, m = M.shape
    ok = True
    for j in range(m):
        t[j] = 0.0
    for i0 in range(0, n, _FUSED_ROWS):
        if not _fused_block(M, a, loga, f, g, reg, tau, i0, min(n, i0 + _FUSED_ROWS), errs,
                            ds, tp, rowbuf, acc):
            ok = False
        if ok:
            for j in range(m):
                t[j] += tp[j]
    return ok


@jit(parallel=True)
def _fused_rows_par(M, a, loga, f, g, reg, tau, errs, ds, t, T):
    n, m = M.shape
    nblocks = T.shape[0]
    oks = np.empty(nblocks, dtype=np.bool_)
    for blk in prange(nblocks):
        i0 = blk * _FUSED_ROWS
        rowbuf = np.empty(m)
        acc = np.empty(_CHUNK)
        oks[blk] = _fused_block(M, a, loga, f, g, reg, tau, i0, min(n, i0 + _FUSED_ROWS),
                                errs, ds, T[blk], rowbuf, acc)
    ok = True
    for j in range(m):
        t[j] = 0.0
    for blk in range(nblocks):
        if not oks[blk]:
            ok = False
        if ok:
            Tb = T[blk]
            for j in range(m):
                t[j] += Tb[j]
    return ok


@jit
def log_loop(M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit):
    """Run log-domain Sinkhorn iterations until the criterion is below ``tol``.

    ``crit`` 0: L1 row-marginal error measured at the start of an iteration
    (the columns are exact after the previous one); 1: largest potential
    change of an iteration divided by ``reg``. Returns ``(n_iter, err, done)``.
    Each iteration is the row update then the column update, in one pass
    over ``M`` and one exponential per entry where the shifted sums are
    valid (see ``_FUSED_ROWS``).
    """
    n, m = M.shape
    inv = 1.0 / reg
    f_old = np.empty_like(f)
    errs = np.empty(n)
    ds = np.empty(n)
    t = np.empty(m)
    tp = np.empty(m)
    rowbuf = np.empty(m)
    acc = np.empty(_CHUNK)
    lse = np.empty(m)
    exact = np.empty(m)
    err = np.inf
    for it in range(max_iter):
        f_old[:] = f
        ok = _fused_rows(M, a, loga, f, g, reg, tau_a, errs, ds, t, tp, rowbuf, acc)
        err, df = _sum_max(errs, ds)
        if crit == 0 and err < tol:
            # the plan before this row update met the tolerance: keep it
            f[:] = f_old
            return it, err, True
        if _fused_lse(g, inv, t, ok, lse):
            _cols_lse(M, logb, f, g, inv, tau_b, exact)
            _fill_exact(t, ok, exact, lse)
        _, dg = _col_finish(b, logb, g, reg, tau_b, lse)
        if crit == 1:
            ch = max(df, dg) / reg
            if ch < tol:
                return it + 1, ch, True
    return max_iter, err, False


@jit
def log_loop_par(M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit):
    n, m = M.shape
    inv = 1.0 / reg
    f_old = np.empty_like(f)
    errs = np.empty(n)
    ds = np.empty(n)
    t = np.empty(m)
    T = np.empty(((n + _FUSED_ROWS - 1) // _FUSED_ROWS, m))
    lse = np.empty(m)
    exact = np.empty(m)
    err = np.inf
    for it in range(max_iter):
        f_old[:] = f
        ok = _fused_rows_par(M, a, loga, f, g, reg, tau_a, errs, ds, t, T)
        err, df = _sum_max(errs, ds)
        if crit == 0 and err < tol:
            f[:] = f_old
            return it, err, True
        if _fused_lse(g, inv, t, ok, lse):
            _cols_lse_par(M, logb, f, g, inv, tau_b, exact)
            _fill_exact(t, ok, exact, lse)
        _, dg = _col_finish(b, logb, g, reg, tau_b, lse)
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
