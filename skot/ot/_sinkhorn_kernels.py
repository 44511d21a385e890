"""Numba kernels of log-domain Sinkhorn (and ``gibbs``, the plan of two potentials).

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
- Log-domain half-iterations (``log_row_step``, ``log_col_step``, on the
  twins ``rows_step``, ``cols_step``) read ``M`` once: each log-sum-exp is
  shifted by its previous value (known from the potential), with an exact
  two-pass fallback (shift by the maximum) where that sum is out of range.
  ``log_loop`` does a whole iteration in one pass over ``M`` with one
  ``exp`` per entry (``fused_loop``): the row update's terms, rescaled per
  row, give the column sums (see ``_FUSED_ROWS``); the exact forms run, from
  Python, only in the iterations that need them, so a first call compiles
  them only then.
- Buffers are allocated by the Python drivers and passed in (no allocation
  in the loop kernels). The ``.parallel`` variant of a twin runs ``prange``
  over blocks of rows (or columns), every block writing its own slice; each
  output entry is summed in the same order as in the serial variant, so
  results do not depend on the thread count.
- The Sinkhorn-Knopp loop on a stored kernel, ``scaling_loop``, lives in
  :mod:`skot.ot._scaling_kernels` (re-exported here).
"""

import math

import numpy as np
from numba import prange

from ..utils._fastexp import fexp, fexp_lse
from ..utils._numba import jit, twin
from ._scaling_kernels import scaling_loop  # noqa: F401 (re-exported)

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
def _sum_max(errs, ds, a, crit):
    """(row error, largest change): the L1 error, or with ``crit`` 2 the largest
    relative error ``max |r_i - a_i| / a_i``."""
    err = 0.0
    dmax = 0.0
    for i in range(errs.shape[0]):
        if crit == 2:
            e = errs[i] / a[i]
            if e > err or math.isnan(e):
                err = e
        else:
            err += errs[i]
        dmax = max(dmax, ds[i])
    return err, dmax


@twin
def rows_step(M, a, loga, f, g, reg, tau, crit, flagged, errs, ds, bufs):
    """Exact row updates, blocks of ``_ROW_BLOCK`` rows; ``bufs`` (B, _CHUNK) scratch.

    Updates ``f[i]`` and writes ``errs[i]``, ``ds[i]`` for every row, or with
    ``flagged`` only for the rows the fused pass marked (``errs[i] < 0``).
    Returns ``_sum_max(errs, ds, a, crit)`` over all rows.
    """
    n = M.shape[0]
    nbuf = bufs.shape[0]
    for blk in prange((n + _ROW_BLOCK - 1) // _ROW_BLOCK):
        buf = bufs[blk % nbuf]
        for i in range(blk * _ROW_BLOCK, min(n, (blk + 1) * _ROW_BLOCK)):
            if flagged and not errs[i] < 0.0:
                continue
            e, d, fn = _row_update(M, a, loga, f, g, reg, tau, i, buf)
            errs[i] = e
            ds[i] = d
            f[i] = fn
    return _sum_max(errs, ds, a, crit)


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
def _col_lse(M, logb, f, g, inv, tau, j0, j1, lse, work):
    """``lse[j] = log sum_i exp((f[i] - M[i, j]) * inv)`` for ``j0 <= j < j1``.

    ``work`` is (5, at least ``j1 - j0``) scratch. The rows are read in order,
    each along the block's columns (SIMD over columns). Every column is summed
    over the rows in the same order and falls back to the exact form on its
    own, so the result of a column does not depend on the block boundaries.
    """
    w = j1 - j0
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


@twin
def cols_step(M, b, logb, f, g, reg, tau, t, ok, lse, exact, work):
    """Column update from the exact column log-sum-exps, by blocks of columns.

    ``work`` (B, 5, width) is scratch: the columns are taken in blocks of
    ``width``. The exact values replace ``lse[j]`` wherever the fused column
    sums ``t`` are invalid (everywhere when ``ok`` is False). Updates ``g``;
    returns (L1 column error before, max |change|).
    """
    m = M.shape[1]
    inv = 1.0 / reg
    nw = work.shape[0]
    width = work.shape[2]
    for blk in prange((m + width - 1) // width):
        j0 = blk * width
        _col_lse(M, logb, f, g, inv, tau, j0, min(m, j0 + width), exact, work[blk % nw])
    for j in range(m):
        if not (ok and t[j] >= _T_MIN and t[j] <= _T_MAX):
            lse[j] = exact[j]
    return _col_finish(b, logb, g, reg, tau, lse)


def _col_width(m):
    # wide blocks read M in long runs; at least 8 blocks (when m allows) to
    # share between the threads
    return min(_MAX_COL_BLOCK, max(_MIN_COL_BLOCK, ((m + 7) // 8 + 7) // 8 * 8))


def _rows_step(kernel, M, a, loga, f, g, reg, tau, crit=0, flagged=False, errs=None, ds=None):
    n = M.shape[0]
    nbuf = (n + _ROW_BLOCK - 1) // _ROW_BLOCK if kernel is rows_step.parallel else 1
    if errs is None:
        errs, ds = np.empty(n), np.empty(n)
    return kernel(
        M, a, loga, f, g, reg, tau, crit, flagged, errs, ds, np.empty((max(nbuf, 1), _CHUNK))
    )


def _cols_step(kernel, M, b, logb, f, g, reg, tau, t=None, ok=False, lse=None):
    m = M.shape[1]
    width = _col_width(m)
    nw = (m + width - 1) // width if kernel is cols_step.parallel else 1
    if lse is None:
        t = lse = np.empty(m)
    return kernel(
        M, b, logb, f, g, reg, tau, t, ok, lse, np.empty(m), np.empty((max(nw, 1), 5, width))
    )


def log_row_step(M, a, loga, f, g, reg, tau):
    """Update ``f`` in place; return (L1 row-marginal error before, max |change|)."""
    return _rows_step(rows_step.serial, M, a, loga, f, g, reg, tau)


def log_row_step_par(M, a, loga, f, g, reg, tau):
    """:func:`log_row_step` by ``rows_step.parallel`` (same bits)."""
    return _rows_step(rows_step.parallel, M, a, loga, f, g, reg, tau)


def log_col_step(M, b, logb, f, g, reg, tau):
    """Update ``g`` in place; return (L1 column-marginal error before, max |change|)."""
    return _cols_step(cols_step.serial, M, b, logb, f, g, reg, tau)


def log_col_step_par(M, b, logb, f, g, reg, tau):
    """:func:`log_col_step` by ``cols_step.parallel`` (same bits)."""
    return _cols_step(cols_step.parallel, M, b, logb, f, g, reg, tau)


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
# in memory; an overflow to inf fails the check).
#
# The exact forms are rare (far from convergence, tiny reg, a nan) and cost
# seconds to compile, so they are not part of the fused kernel: a row whose
# shifted sum is out of range is flagged (``errs[i] = -1``, ``f[i]`` left
# as it was) and the kernel returns; the driver (:func:`_log_loop`) finishes
# that iteration with ``rows_step`` (flagged rows) and ``cols_step`` (exact
# columns where the fused sums are invalid; all of them when a block failed),
# then resumes the fused kernel. Same arithmetic, same order, same bits as one
# kernel doing everything.
_FUSED_ROWS = 64
_A_MIN = 1e-100
_A_MAX = 1e100
_T_MIN = 1e-80
_T_MAX = 1e250


@twin
def fused_loop(
    M,
    a,
    b,
    loga,
    logb,
    f,
    g,
    reg,
    tau_a,
    tau_b,
    max_iter,
    tol,
    crit,
    f_old,
    errs,
    ds,
    T,
    rowbufs,
    accs,
    codes,
    t,
    lse,
):
    """Fused log-domain iterations (see ``_FUSED_ROWS``) until one needs an exact form.

    Scratch: ``f_old``, ``errs``, ``ds`` (n,), ``T`` (B, m) with B the number
    of row blocks, ``rowbufs`` (R, m) and ``accs`` (R, _CHUNK) (R is 1 or B),
    ``codes`` (B,) int64, ``t``, ``lse`` (m,). Returns ``(it, err, df,
    status)``: status 0 converged (as :func:`log_loop`: ``it`` iterations, or
    ``it`` is one past the converged iteration for ``crit`` 1, ``err`` then
    the change), 1 ``max_iter`` reached, 2 iteration ``it`` stopped after its
    row pass (``codes``, ``errs``, ``ds``, ``t``, ``lse`` and ``f_old``
    describe it; ``err``, ``df`` are its row criterion unless a row is
    flagged) for :func:`_log_loop` to finish.
    """
    n, m = M.shape
    inv = 1.0 / reg
    nblocks = T.shape[0]
    nbuf = rowbufs.shape[0]
    w = _lanes(m)
    err = np.inf
    df = 0.0
    for it in range(max_iter):
        for i in range(n):
            f_old[i] = f[i]
        for blk in prange(nblocks):
            # the row updates of block blk and their partial column sums
            # T[blk]; codes[blk]: 0 when T[blk] is valid, 1 when not, 2 when a
            # row's shifted sum is out of range (the row is flagged with
            # errs[i] = -1, f[i] left for the exact form)
            tp = T[blk]
            rowbuf = rowbufs[blk % nbuf]
            acc = accs[blk % nbuf]
            code = 0
            for j in range(m):
                tp[j] = 0.0
            for i in range(blk * _FUSED_ROWS, min(n, (blk + 1) * _FUSED_ROWS)):
                c = loga[i] - f[i] * inv / tau_a
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
                if not (s >= _S_MIN and s <= _S_MAX):
                    errs[i] = -1.0
                    code = 2
                    continue
                lse_i = c + math.log(s)
                r = math.exp(f[i] * inv + lse_i)
                fn = tau_a * reg * (loga[i] - lse_i)
                errs[i] = abs(r - a[i])
                ds[i] = abs(fn - f[i])
                f[i] = fn
                if code == 0:
                    alpha = math.exp(fn * inv + c)
                    if alpha >= _A_MIN and alpha <= _A_MAX:
                        for j in range(m):
                            tp[j] += rowbuf[j] * alpha
                    else:
                        code = 1
            codes[blk] = code
        ok = True
        for blk in range(nblocks):
            if codes[blk] == 2:
                return it, err, df, 2
            if codes[blk] != 0:
                ok = False
        err, df = _sum_max(errs, ds, a, crit)
        if crit != 1 and err < tol:
            # the plan before this row update met the tolerance: keep it
            for i in range(n):
                f[i] = f_old[i]
            return it, err, df, 0
        need = not ok
        if ok:
            for j in range(m):
                t[j] = 0.0
            for blk in range(nblocks):
                Tb = T[blk]
                for j in range(m):
                    t[j] += Tb[j]
            for j in range(m):
                if t[j] >= _T_MIN and t[j] <= _T_MAX:
                    lse[j] = math.log(t[j]) - g[j] * inv
                else:
                    need = True
        if need:
            return it, err, df, 2
        _, dg = _col_finish(b, logb, g, reg, tau_b, lse)
        if crit == 1:
            ch = max(df, dg) / reg
            if ch < tol:
                return it + 1, ch, df, 0
    return max_iter, err, df, 1


def _log_loop(parallel, M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit):
    n, m = M.shape
    nblocks = max(1, (n + _FUSED_ROWS - 1) // _FUSED_ROWS)
    nbuf = nblocks if parallel else 1
    loop = fused_loop.parallel if parallel else fused_loop.serial
    rows = rows_step.parallel if parallel else rows_step.serial
    cols = cols_step.parallel if parallel else cols_step.serial
    f_old, errs, ds = np.empty(n), np.empty(n), np.empty(n)
    T = np.empty((nblocks, m))
    rowbufs, accs = np.empty((nbuf, m)), np.empty((nbuf, _CHUNK))
    codes = np.empty(nblocks, dtype=np.int64)
    t, lse = np.empty(m), np.empty(m)
    total, err = 0, np.inf
    while total < max_iter:
        it, err, df, status = loop(
            M,
            a,
            b,
            loga,
            logb,
            f,
            g,
            reg,
            tau_a,
            tau_b,
            max_iter - total,
            tol,
            crit,
            f_old,
            errs,
            ds,
            T,
            rowbufs,
            accs,
            codes,
            t,
            lse,
        )
        total += it
        if status != 2:
            return total, err, status == 0
        # iteration `total` needs exact sums: finish it here
        if (codes == 2).any():
            err, df = _rows_step(rows, M, a, loga, f, g, reg, tau_a, crit, True, errs, ds)
            if crit != 1 and err < tol:
                f[:] = f_old
                return total, err, True
        ok = not codes.any()
        _, dg = _cols_step(cols, M, b, logb, f, g, reg, tau_b, t, ok, lse)
        total += 1
        if crit == 1:
            ch = max(df, dg) / reg
            if ch < tol:
                return total, ch, True
    return max_iter, err, False


def log_loop(M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit):
    """Run log-domain Sinkhorn iterations until the criterion is below ``tol``.

    ``crit`` 0: L1 row-marginal error measured at the start of an iteration
    (the columns are exact after the previous one); 1: largest potential
    change of an iteration divided by ``reg``; 2: as 0 with the largest
    relative row error ``max_i |r_i - a_i| / a_i`` (matrix scaling). Returns
    ``(n_iter, err, done)``. Each iteration is the row update then the column
    update, in one pass over ``M`` and one exponential per entry where the
    shifted sums are valid (``fused_loop``); the rare iterations that need an
    exact log-sum-exp finish with ``rows_step`` / ``cols_step``. Serial
    kernels; :func:`log_loop_par` gives the same bits on the parallel ones.
    """
    return _log_loop(False, M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit)


def log_loop_par(M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit):
    """:func:`log_loop` on the parallel twins (same results)."""
    return _log_loop(True, M, a, b, loga, logb, f, g, reg, tau_a, tau_b, max_iter, tol, crit)


# ----------------------------------------------------------- plan and kernel


@twin
def gibbs(M, f, g, reg, K):
    """``K[i, j] = exp((f[i] + g[j] - M[i, j]) / reg)`` (the plan of f, g)."""
    inv = 1.0 / reg
    for i in prange(M.shape[0]):
        fi = f[i]
        Mr = M[i]
        Kr = K[i]
        for j in range(M.shape[1]):
            Kr[j] = fexp((fi + g[j] - Mr[j]) * inv)


# ------------------------------------------------------------------ batches
#
# ``batch_loop`` solves B independent balanced problems, one after the other
# (serial) or one per prange iteration (parallel): problem ``k`` reads
# ``M[k]`` (n, m), ``a[k]`` (n,), ``b[k]`` (m,) and writes only its own slices
# of ``P``, ``f``, ``g``, ``u``, ``v``, ``kv``, ``ktu`` and ``out``, so the
# result does not depend on the thread count. The iteration is Sinkhorn-Knopp
# on the stored kernel ``P[k] = exp((f_i + g_j - M_ij) / reg)`` (no exp per
# iteration), with the scalings absorbed into ``f``, ``g`` when they leave
# [1 / _B_ABSORB, _B_ABSORB], and an exact log-domain iteration when a
# kernel row or column sum under- or overflows.

_B_ABSORB = 1e30


@jit
def _batch_gibbs(Mk, f, g, inv, K):
    n, m = Mk.shape
    for i in range(n):
        fi = f[i]
        for j in range(m):
            K[i, j] = fexp((fi + g[j] - Mk[i, j]) * inv)


@jit
def _batch_log_step(Mk, a, b, f, g, reg):
    """One exact log-domain iteration (rows then columns), shifts by the maxima."""
    n, m = Mk.shape
    inv = 1.0 / reg
    for i in range(n):
        if a[i] <= 0.0:
            continue
        mx = -np.inf
        for j in range(m):
            if b[j] > 0.0:
                mx = max(mx, (g[j] - Mk[i, j]) * inv)
        s = 0.0
        for j in range(m):
            if b[j] > 0.0:
                s += math.exp((g[j] - Mk[i, j]) * inv - mx)
        f[i] = reg * (math.log(a[i]) - mx - math.log(s))
    for j in range(m):
        if b[j] <= 0.0:
            continue
        mx = -np.inf
        for i in range(n):
            if a[i] > 0.0:
                mx = max(mx, (f[i] - Mk[i, j]) * inv)
        s = 0.0
        for i in range(n):
            if a[i] > 0.0:
                s += math.exp((f[i] - Mk[i, j]) * inv - mx)
        g[j] = reg * (math.log(b[j]) - mx - math.log(s))


@jit
def _batch_one(Mk, a, b, reg, max_iter, tol, K, f, g, u, v, kv, ktu):
    """Solve one problem; returns (iterations, converged, L1 row error)."""
    n, m = Mk.shape
    inv = 1.0 / reg
    mass = 0.0
    for i in range(n):
        mass += a[i]
    # c-transform start: every row and column of the kernel has an entry 1
    for i in range(n):
        mn = np.inf
        for j in range(m):
            if b[j] > 0.0:
                mn = min(mn, Mk[i, j])
        f[i] = mn if a[i] > 0.0 else -np.inf
    for j in range(m):
        mn = np.inf
        for i in range(n):
            if a[i] > 0.0:
                mn = min(mn, Mk[i, j] - f[i])
        g[j] = mn if b[j] > 0.0 else -np.inf
    _batch_gibbs(Mk, f, g, inv, K)
    for i in range(n):
        u[i] = 1.0 if a[i] > 0.0 else 0.0
    for j in range(m):
        v[j] = 1.0 if b[j] > 0.0 else 0.0
    it = 0
    err = np.inf
    done = False
    while it < max_iter:
        # row sums of the current plan (K v) and the row error
        bad = False
        err = 0.0
        for i in range(n):
            s = 0.0
            for j in range(m):
                s += K[i, j] * v[j]
            kv[i] = s
            err += abs(u[i] * s - a[i])
            if a[i] > 0.0 and not (s > 0.0 and s < np.inf):
                bad = True
        if not bad and err <= tol * mass:
            done = True
            break
        it += 1
        big = False
        if not bad:
            for i in range(n):
                if a[i] > 0.0:
                    u[i] = a[i] / kv[i]
                    if u[i] > _B_ABSORB or u[i] < 1.0 / _B_ABSORB:
                        big = True
            for j in range(m):
                ktu[j] = 0.0
            for i in range(n):
                ui = u[i]
                for j in range(m):
                    ktu[j] += K[i, j] * ui
            for j in range(m):
                if b[j] > 0.0:
                    s = ktu[j]
                    if not (s > 0.0 and s < np.inf):
                        bad = True
                    else:
                        v[j] = b[j] / s
                        if v[j] > _B_ABSORB or v[j] < 1.0 / _B_ABSORB:
                            big = True
        if bad or big:
            # fold the scalings into the potentials and rebuild the kernel
            for i in range(n):
                if a[i] > 0.0 and u[i] > 0.0 and u[i] < np.inf:
                    f[i] += reg * math.log(u[i])
                u[i] = 1.0 if a[i] > 0.0 else 0.0
            for j in range(m):
                if b[j] > 0.0 and v[j] > 0.0 and v[j] < np.inf:
                    g[j] += reg * math.log(v[j])
                v[j] = 1.0 if b[j] > 0.0 else 0.0
            if bad:
                _batch_log_step(Mk, a, b, f, g, reg)
            _batch_gibbs(Mk, f, g, inv, K)
    # the final plan and potentials
    for i in range(n):
        if a[i] > 0.0:
            f[i] += reg * math.log(u[i])
    for j in range(m):
        if b[j] > 0.0:
            g[j] += reg * math.log(v[j])
    for i in range(n):
        ui = u[i]
        for j in range(m):
            K[i, j] *= ui * v[j]
    return it, done, err


@twin
def batch_loop(M, a, b, reg, max_iter, tol, P, f, g, u, v, kv, ktu, out):
    """Solve every problem of the stack; ``out[k]`` = (n_iter, converged, row error).

    ``M`` (B, n, m) float32/float64; ``a`` (B, n), ``b`` (B, m) float64 with
    equal positive totals per problem; ``tol`` is relative to each problem's
    mass; ``P`` (B, n, m), ``f``, ``u``, ``kv`` (B, n), ``g``, ``v``, ``ktu``
    (B, m) float64 are written; ``out`` (B, 3) float64.
    """
    for k in prange(M.shape[0]):
        it, done, err = _batch_one(
            M[k], a[k], b[k], reg, max_iter, tol, P[k], f[k], g[k], u[k], v[k], kv[k], ktu[k]
        )
        out[k, 0] = it
        out[k, 1] = 1.0 if done else 0.0
        out[k, 2] = err


# ------------------------------------------- translation-invariant unbalanced


@jit
def _ti_lse_rows(M, g, inv, out):
    """``out[i] = log sum_j exp((g[j] - M[i, j]) * inv)`` (two passes, max shift)."""
    n, m = M.shape
    for i in range(n):
        mx = -np.inf
        for j in range(m):
            mx = _fmax(mx, (g[j] - M[i, j]) * inv)
        s = 0.0
        for j in range(m):
            s += fexp_lse((g[j] - M[i, j]) * inv - mx)
        out[i] = mx + math.log(s)


@jit
def _ti_lse_cols(M, f, inv, mx, s, out):
    """``out[j] = log sum_i exp((f[i] - M[i, j]) * inv)``, rows read in order."""
    n, m = M.shape
    for j in range(m):
        mx[j] = -np.inf
        s[j] = 0.0
    for i in range(n):
        for j in range(m):
            mx[j] = _fmax(mx[j], (f[i] - M[i, j]) * inv)
    for i in range(n):
        fi = f[i]
        for j in range(m):
            s[j] += fexp_lse((fi - M[i, j]) * inv - mx[j])
    for j in range(m):
        out[j] = mx[j] + math.log(s[j])


@jit
def _ti_shift(logw, x, k):
    """``log sum_i exp(logw_i - x_i k)``, shifted by the maximum."""
    mx = -np.inf
    for i in range(x.shape[0]):
        mx = _fmax(mx, logw[i] - x[i] * k)
    s = 0.0
    for i in range(x.shape[0]):
        s += math.exp(logw[i] - x[i] * k - mx)
    return mx + math.log(s)


@jit
def ti_loop(M, loga, logb, f, g, reg, tau_a, tau_b, ka, kb, ia, ib, max_iter, tol, work):
    """Translation-invariant unbalanced Sinkhorn (see ``_entropic.ti_solve``), serial.

    ``ka = 1 / (rm_a + reg)``, ``ia = 1 / rm_a`` (0 for an infinite ``rm_a``),
    likewise ``kb``, ``ib``; ``f``, ``g`` updated in place; ``work`` (6,
    max(n, m)) scratch. Stops when the largest change of a potential in an
    iteration, divided by ``reg``, is below ``tol``. Returns (iterations,
    converged).
    """
    n, m = M.shape
    inv = 1.0 / reg
    lr = work[0, :n]
    lc = work[1, :m]
    mx = work[2, :m]
    s = work[3, :m]
    f0 = work[4, :n]
    g0 = work[5, :m]
    for it in range(1, max_iter + 1):
        for i in range(n):
            f0[i] = f[i]
        for j in range(m):
            g0[j] = g[j]
        _ti_lse_rows(M, g, inv, lr)
        for i in range(n):
            f[i] = reg * (loga[i] - lr[i])
        if ka + ib > 0.0:
            t = (_ti_shift(loga, f, ka) - _ti_shift(logb, g, ib)) / (ka + ib)
            for i in range(n):
                f[i] += t
            for j in range(m):
                g[j] -= t
        for i in range(n):
            f[i] *= tau_a
        _ti_lse_cols(M, f, inv, mx, s, lc)
        for j in range(m):
            g[j] = reg * (logb[j] - lc[j])
        if kb + ia > 0.0:
            t = (_ti_shift(logb, g, kb) - _ti_shift(loga, f, ia)) / (kb + ia)
            for j in range(m):
                g[j] += t
            for i in range(n):
                f[i] -= t
        for j in range(m):
            g[j] *= tau_b
        ch = 0.0
        for i in range(n):
            ch = max(ch, abs(f[i] - f0[i]))
        for j in range(m):
            ch = max(ch, abs(g[j] - g0[j]))
        ch *= inv
        if not ch < np.inf:
            return it, False
        if ch < tol:
            return it, True
    return max_iter, False
