"""Numba kernels of online (point-cloud) log-domain Sinkhorn: O(n + m) memory.

Contract (no validation here): ``X`` (n, d) and ``Y`` (m, d) are C-contiguous
float32/float64 points; the cost ``C[i, j] = cost(X[i], Y[j]) * sinv`` is
computed on the fly (``metric`` 0: squared Euclidean, 1: Euclidean), never
stored. Potentials ``f`` (n,), ``g`` (m,) are float64 in cost units:
``P[i, j] = exp((f[i] + g[j] - C[i, j]) / reg)``. The column half-iteration
is the row half-iteration with the roles of (X, f, a) and (Y, g, b)
swapped, so every kernel is written for rows. The iterations run on the
block-wise BLAS engine below; the numba kernel computes requested plan rows.
"""

import math

import numpy as np

from ..utils._numba import jit


@jit
def _cost(X, i, Y, j, metric):
    s = 0.0
    for k in range(X.shape[1]):
        t = X[i, k] - Y[j, k]
        s += t * t
    if metric == 1:
        return math.sqrt(s)
    return s


@jit
def online_plan_block(X, Y, rows, f, g, reg, sinv, metric, out):
    """Rows ``rows`` of the plan into ``out`` (len(rows), m)."""
    inv = 1.0 / reg
    for r in range(rows.shape[0]):
        i = rows[r]
        for j in range(Y.shape[0]):
            out[r, j] = math.exp((f[i] + g[j] - _cost(X, i, Y, j, metric) * sinv) * inv)


# ---------------------------------------------------------------------------
# Block-wise BLAS engine (numpy; the hot path of ``sinkhorn_online``).
#
# Contract: ``X`` (n, d) and ``Y`` (m, d) are float64, C-contiguous and
# centred (both clouds minus one common point: the costs are translation
# invariant and the Gram products lose less to cancellation). Rows are cut
# into fixed blocks of ``_BLOCK_ROWS`` and columns into chunks so that one
# buffer holds at most ``_BLOCK_ELEMS`` float64 (1 MiB, L2-sized) per thread; the block
# layout depends only on (n, m), never on the thread count, and every block
# is one single-threaded GEMM, so results do not depend on ``n_threads``
# (the caller pins BLAS to one thread). Memory: O(n + m) plus the buffers.
# The exponent of a block is one GEMM on augmented matrices,
# ``Z = A B^T`` with
#   squared Euclidean: A = [2 s x / reg, 1, -(t + s |x|^2 / reg)],
#                      B = [y, (g - s |y|^2) / reg, 1],
# so ``Z[i, j] = (g[j] - s C[i, j]) / reg - t[i]`` with the stabiliser ``t``
# (the previous log-sum-exp of the row); Euclidean takes the squared
# distances from one GEMM, then clip at 0, sqrt and the affine map. Then one
# vectorised ``exp`` and one row sum. Rows whose sum falls outside
# [1e-150, 1e150] (first iterations, or a stabiliser far from the new value)
# are recomputed with an exact running maximum, so nothing overflows.
# ---------------------------------------------------------------------------

_BLOCK_ROWS = 256
_BLOCK_ELEMS = 1 << 17
_SAFE_LO = 1e-150
_SAFE_HI = 1e150


def _col_chunk(m):
    return max(1, min(m, _BLOCK_ELEMS // _BLOCK_ROWS))


def _row_blocks(n):
    return [(i0, min(n, i0 + _BLOCK_ROWS)) for i0 in range(0, n, _BLOCK_ROWS)]


def _run_blocks(func, n, n_threads):
    """Apply ``func(i0, i1)`` to every row block, in a thread pool if asked."""
    blocks = _row_blocks(n)
    if n_threads <= 1 or len(blocks) < 2:
        for i0, i1 in blocks:
            func(i0, i1)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        for _ in pool.map(lambda blk: func(*blk), blocks):
            pass


def _view(buf, r, c):
    """A C-contiguous ``(r, c)`` view on the front of ``buf``."""
    return buf.reshape(-1)[: r * c].reshape(r, c)


def _sq_aug_rows(X, sq):
    """``[x, 1, |x|^2]`` (squared distances by one GEMM with ``_sq_aug_cols``)."""
    return np.hstack([X, np.ones((X.shape[0], 1)), sq[:, None]])


def _sq_aug_cols(Y, sq):
    return np.hstack([-2.0 * Y, sq[:, None], np.ones((Y.shape[0], 1))])


def _exponent_block(A, B, j0, j1, code, s, reg, gr, t, out):
    """``(g[j] - s C[i, j]) / reg - t[i]`` for columns j0:j1 into ``out``."""
    np.dot(A, B[j0:j1].T, out=out)
    if code == 1:
        np.maximum(out, 0.0, out=out)
        np.sqrt(out, out=out)
        out *= -s / reg
        out += gr[None, j0:j1]
        out -= t[:, None]


def blas_lse_rows(X, Y, sqX, sqY, g, t, reg, s, code, n_threads):
    """``log sum_j exp((g[j] - s C[i, j]) / reg)`` for every row ``i``.

    ``t`` (n,) is the stabiliser (any finite guess of the result, e.g. the
    previous value); the result does not depend on it except through the
    rounding.
    """
    n, m = X.shape[0], Y.shape[0]
    inv = 1.0 / reg
    if code == 0:
        B = np.hstack([Y, ((g - s * sqY) * inv)[:, None], np.ones((m, 1))])
        gr = None
    else:
        B = _sq_aug_cols(Y, sqY)
        gr = g * inv
    Xr = _sq_aug_rows(X, sqX)
    B0 = B if code == 0 else None
    chunk = _col_chunk(m)
    out = np.empty(n)

    def block(i0, i1):
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            _lse_block(i0, i1)

    def _lse_block(i0, i1):
        tb = t[i0:i1]
        if code == 0:
            A = np.hstack([(2.0 * s * inv) * X[i0:i1], np.ones((i1 - i0, 1)),
                           -(tb + (s * inv) * sqX[i0:i1])[:, None]])
        else:
            A = Xr[i0:i1]
        buf = np.empty((i1 - i0, chunk))
        acc = np.zeros(i1 - i0)
        for j0 in range(0, m, chunk):
            j1 = min(m, j0 + chunk)
            Z = _view(buf, i1 - i0, j1 - j0)
            _exponent_block(A, B, j0, j1, code, s, reg, gr, tb, Z)
            np.exp(Z, out=Z)
            acc += Z.sum(axis=1)
        res = tb + np.log(acc)
        bad = ~((acc >= _SAFE_LO) & (acc <= _SAFE_HI))
        if bad.any():
            rows = np.flatnonzero(bad)
            zt = np.zeros(rows.size)
            if code == 0:
                Ab = np.hstack([(2.0 * s * inv) * X[i0:i1][rows], np.ones((rows.size, 1)),
                                -((s * inv) * sqX[i0:i1][rows])[:, None]])
            else:
                Ab = A[rows]
            mx = np.full(rows.size, -np.inf)
            tot = np.zeros(rows.size)
            for j0 in range(0, m, chunk):
                j1 = min(m, j0 + chunk)
                Z = np.empty((rows.size, j1 - j0))
                _exponent_block(Ab, B0 if code == 0 else B, j0, j1, code, s, reg, gr, zt, Z)
                new = np.maximum(mx, Z.max(axis=1))
                tot *= np.exp(mx - new)
                Z -= new[:, None]
                np.exp(Z, out=Z)
                tot += Z.sum(axis=1)
                mx = new
            res[rows] = mx + np.log(tot)
        out[i0:i1] = res

    _run_blocks(block, n, n_threads)
    return out


def blas_row_stats(X, Y, sqX, sqY, f, g, reg, s, code, n_threads, sums, costs):
    """Row sums of the plan and of ``plan * C`` (C in normalised units)."""
    n, m = X.shape[0], Y.shape[0]
    inv = 1.0 / reg
    if code == 0:
        # Z = (f[i] + g[j] - C[i, j]) / reg by one GEMM; C = f + g - reg Z
        B = np.hstack([Y, ((g - s * sqY) * inv)[:, None], np.ones((m, 1))])
        Xr = np.hstack([(2.0 * s * inv) * X, np.ones((n, 1)),
                        ((f - s * sqX) * inv)[:, None]])
    else:
        B = _sq_aug_cols(Y, sqY)
        Xr = _sq_aug_rows(X, sqX)
    chunk = _col_chunk(m)

    def block(i0, i1):
        A = Xr[i0:i1]
        C = np.empty((i1 - i0, chunk))
        P = np.empty((i1 - i0, chunk))
        rs = np.zeros(i1 - i0)
        rc = np.zeros(i1 - i0)
        rg = np.zeros(i1 - i0)
        for j0 in range(0, m, chunk):
            j1 = min(m, j0 + chunk)
            Cb = _view(C, i1 - i0, j1 - j0)
            Pb = _view(P, i1 - i0, j1 - j0)
            np.dot(A, B[j0:j1].T, out=Cb)
            if code == 0:
                np.exp(Cb, out=Pb)
                rs += Pb.sum(axis=1)
                rg += Pb @ g[j0:j1]
                rc += np.einsum("ij,ij->i", Pb, Cb)
                continue
            np.maximum(Cb, 0.0, out=Cb)
            np.sqrt(Cb, out=Cb)
            Cb *= s
            np.subtract(g[None, j0:j1], Cb, out=Pb)
            Pb += f[i0:i1, None]
            Pb *= inv
            np.exp(Pb, out=Pb)
            rs += Pb.sum(axis=1)
            rc += np.einsum("ij,ij->i", Pb, Cb)
        sums[i0:i1] = rs
        if code == 0:
            costs[i0:i1] = f[i0:i1] * rs + rg - reg * rc
        else:
            costs[i0:i1] = rc

    _run_blocks(block, n, n_threads)


def blas_max_cost(X, Y, sqX, sqY, code, n_threads):
    """Largest cost between the clouds (un-normalised)."""
    n, m = X.shape[0], Y.shape[0]
    B = _sq_aug_cols(Y, sqY)
    Xr = _sq_aug_rows(X, sqX)
    chunk = _col_chunk(m)
    blocks = _row_blocks(n)
    maxima = np.zeros(len(blocks))

    def block(i0, i1):
        buf = np.empty((i1 - i0, chunk))
        mx = 0.0
        for j0 in range(0, m, chunk):
            j1 = min(m, j0 + chunk)
            Z = _view(buf, i1 - i0, j1 - j0)
            np.dot(Xr[i0:i1], B[j0:j1].T, out=Z)
            mx = max(mx, float(Z.max()))
        maxima[i0 // _BLOCK_ROWS] = mx

    _run_blocks(block, n, n_threads)
    mx = float(maxima.max()) if maxima.size else 0.0
    return math.sqrt(mx) if code == 1 else mx
