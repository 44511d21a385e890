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
# Block-wise BLAS engine (numpy): the hot path of ``sinkhorn_online``, of the
# self terms of ``sinkhorn_divergence`` and of skot.da's entropic map.
#
# Contract: a :class:`CostPairs` describes the cost between the rows of two
# sets, block by block: point clouds (``X`` (n, d) and ``Y`` (m, d) float64,
# C-contiguous and centred: both clouds minus one common point, since the
# costs are translation invariant and the Gram products lose less to
# cancellation; ``metric`` 0: squared Euclidean, 1: Euclidean, then ``post``
# times ``log(1 + C)``), a stored (n, m) cost matrix, or a callable
# ``cost(rows_A, rows_B)`` on raw rows. Rows are cut into fixed blocks of
# ``_BLOCK_ROWS`` (or fewer when the caller asks) and columns into chunks so
# that one buffer holds at most ``_BLOCK_ELEMS`` float64 (1 MiB, L2-sized) per
# thread; the block layout depends only on the sizes, never on the thread
# count, and every block is one single-threaded GEMM, so results do not
# depend on ``n_threads`` (the caller pins BLAS to one thread). Memory:
# O(n + m) plus the buffers (and the stored matrix, for that kind).
# For the squared Euclidean cost without ``post`` the exponent of a block is
# one GEMM on augmented matrices, ``Z = A B^T`` with
#   A = [2 s x / reg, 1, -(t + s |x|^2 / reg)],  B = [y, (g - s |y|^2) / reg, 1],
# so ``Z[i, j] = (g[j] - s C[i, j]) / reg - t[i]`` with the stabiliser ``t``
# (the previous log-sum-exp of the row); other kinds compute the cost block
# (Euclidean: squared distances from one GEMM, clip at 0, sqrt), then the
# affine map. Then one vectorised ``exp`` and one row reduction. Rows whose
# sum falls outside [1e-150, 1e150] (first iterations, or a stabiliser far
# from the new value) are recomputed with an exact running maximum, so
# nothing overflows. The soft map (softmax-weighted rows) always uses the
# running maximum.
# ---------------------------------------------------------------------------

_BLOCK_ROWS = 256
_BLOCK_ELEMS = 1 << 17
_SAFE_LO = 1e-150
_SAFE_HI = 1e150


def _col_chunk(m, rows=_BLOCK_ROWS):
    return max(1, min(m, _BLOCK_ELEMS // rows))


def _row_blocks(n, rows=_BLOCK_ROWS):
    return [(i0, min(n, i0 + rows)) for i0 in range(0, n, rows)]


def _run_blocks(func, n, n_threads, rows=_BLOCK_ROWS):
    """Apply ``func(i0, i1)`` to every row block, in a thread pool if asked."""
    blocks = _row_blocks(n, rows)
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


class CostPairs:
    """The cost between the rows of two sets, computed block by block.

    Build with :meth:`points`, :meth:`dense` or :meth:`callback`; ``.T`` is
    the pair with the roles of the two sets swapped (column half-steps).
    """

    def __init__(
        self, kind, n, m, X=None, Y=None, sqX=None, sqY=None, metric=0, post=0, C=None, cost=None
    ):
        self.kind = kind
        self.shape = (n, m)
        self.X, self.Y, self.sqX, self.sqY = X, Y, sqX, sqY
        self.metric, self.post, self.C, self.cost_func = metric, post, C, cost
        # the squared Euclidean cost without a log: the exponent is one GEMM
        self.linear = kind == "points" and metric == 0 and post == 0
        self._gram = None

    @classmethod
    def points(cls, X, Y, sqX, sqY, metric=0, post=0):
        return cls(
            "points", X.shape[0], Y.shape[0], X=X, Y=Y, sqX=sqX, sqY=sqY, metric=metric, post=post
        )

    @classmethod
    def dense(cls, C):
        return cls("dense", C.shape[0], C.shape[1], C=C)

    @classmethod
    def callback(cls, X, Y, cost):
        return cls("callback", X.shape[0], Y.shape[0], X=X, Y=Y, cost=cost)

    @property
    def T(self):
        if self.kind == "points":
            return CostPairs.points(self.Y, self.X, self.sqY, self.sqX, self.metric, self.post)
        if self.kind == "dense":
            return CostPairs.dense(self.C.T)
        func = self.cost_func
        return CostPairs.callback(self.Y, self.X, lambda A, B: func(B, A).T)

    # ------------------------------------------------------------ blocks
    def aug_rows(self, sel, t, s, inv):
        """Rows of ``A`` (linear kind); ``t=None`` drops ``|x|^2`` (softmax only)."""
        Xs = self.X[sel]
        last = np.zeros(Xs.shape[0]) if t is None else -(t + (s * inv) * self.sqX[sel])
        return np.hstack([(2.0 * s * inv) * Xs, np.ones((Xs.shape[0], 1)), last[:, None]])

    def aug_cols(self, g, s, inv):
        """``B`` (linear kind)."""
        return np.hstack(
            [self.Y, ((g - s * self.sqY) * inv)[:, None], np.ones((self.Y.shape[0], 1))]
        )

    def cost(self, sel, j0, j1, out):
        """The cost block ``C[sel, j0:j1]`` (un-normalised) into ``out``."""
        if self.kind == "dense":
            out[...] = self.C[sel, j0:j1]
            return
        if self.kind == "callback":
            out[...] = self.cost_func(self.X[sel], self.Y[j0:j1])
            return
        if self._gram is None:
            # squared distances by one GEMM: [x, 1, |x|^2] . [-2 y, |y|^2, 1]
            self._gram = (_sq_aug_rows(self.X, self.sqX), _sq_aug_cols(self.Y, self.sqY))
        Xr, B = self._gram
        np.dot(Xr[sel], B[j0:j1].T, out=out)
        np.maximum(out, 0.0, out=out)
        if self.metric == 1:
            np.sqrt(out, out=out)
        for _ in range(self.post):
            np.log1p(out, out=out)

    def exponent(self, A, B, sel, j0, j1, s, inv, gr, t, out):
        """``(g[j] - s C[i, j]) / reg - t[i]`` for rows ``sel``, columns j0:j1."""
        if self.linear:
            np.dot(A, B[j0:j1].T, out=out)
            return
        self.cost(sel, j0, j1, out)
        out *= -s * inv
        out += gr[None, j0:j1]
        if t is not None:
            out -= t[:, None]


def _running_lse(pair, A, B, sel, k, m, chunk, s, inv, gr, V=None):
    """Exact running-maximum log-sum-exp of ``k`` rows (and ``sum_j w_ij V_j``)."""
    mx = np.full(k, -np.inf)
    tot = np.zeros(k)
    num = None if V is None else np.zeros((k, V.shape[1]))
    buf = np.empty((k, min(chunk, m)))
    for j0 in range(0, m, chunk):
        j1 = min(m, j0 + chunk)
        Z = _view(buf, k, j1 - j0)
        pair.exponent(A, B, sel, j0, j1, s, inv, gr, None, Z)
        new = np.maximum(mx, Z.max(axis=1))
        scale = np.exp(mx - new)
        tot *= scale
        Z -= new[:, None]
        np.exp(Z, out=Z)
        tot += Z.sum(axis=1)
        if num is not None:
            num *= scale[:, None]
            num += Z @ V[j0:j1]
        mx = new
    return mx, tot, num


def blas_lse_rows(pair, g, t, reg, s, n_threads):
    """``log sum_j exp((g[j] - s C[i, j]) / reg)`` for every row ``i``.

    ``t`` (n,) is the stabiliser (any finite guess of the result, e.g. the
    previous value); the result does not depend on it except through the
    rounding.
    """
    n, m = pair.shape
    inv = 1.0 / reg
    gr = g * inv
    B = pair.aug_cols(g, s, inv) if pair.linear else None
    chunk = _col_chunk(m)
    out = np.empty(n)

    def block(i0, i1):
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            _lse_block(i0, i1)

    def _lse_block(i0, i1):
        tb = t[i0:i1]
        sel = slice(i0, i1)
        A = pair.aug_rows(sel, tb, s, inv) if pair.linear else None
        buf = np.empty((i1 - i0, chunk))
        acc = np.zeros(i1 - i0)
        for j0 in range(0, m, chunk):
            j1 = min(m, j0 + chunk)
            Z = _view(buf, i1 - i0, j1 - j0)
            pair.exponent(A, B, sel, j0, j1, s, inv, gr, tb, Z)
            np.exp(Z, out=Z)
            acc += Z.sum(axis=1)
        res = tb + np.log(acc)
        bad = ~((acc >= _SAFE_LO) & (acc <= _SAFE_HI))
        if bad.any():
            rows = i0 + np.flatnonzero(bad)
            Ab = pair.aug_rows(rows, np.zeros(rows.size), s, inv) if pair.linear else None
            mx, tot, _ = _running_lse(pair, Ab, B, rows, rows.size, m, chunk, s, inv, gr)
            res[rows - i0] = mx + np.log(tot)
        out[i0:i1] = res

    _run_blocks(block, n, n_threads)
    return out


def blas_soft_map(pair, g, reg, s, V, n_threads, block_rows=_BLOCK_ROWS):
    """``sum_j w_ij V[j] / sum_j w_ij`` with ``w_ij = exp((g[j] - s C[i, j]) / reg)``.

    The softmax over ``j`` of every row (an entropic map when ``V`` holds the
    rows of the second set), max-subtracted by a running maximum, so no
    exponential overflows whatever ``reg``. ``block_rows`` caps the rows of a
    block (rows are independent: it changes only the rounding of the GEMMs);
    a block holds whole rows while ``8 m`` entries fit in the buffer.
    """
    n, m = pair.shape
    inv = 1.0 / reg
    gr = g * inv
    B = pair.aug_cols(g, s, inv) if pair.linear else None
    # blocks of whole rows while they fit in the buffer (one chunk: the running
    # maximum is then the plain row maximum), at least 8 rows
    rows = max(1, min(int(block_rows), max(8, _BLOCK_ELEMS // max(m, 1))))
    chunk = _col_chunk(m, rows)
    out = np.empty((n, V.shape[1]))

    def block(i0, i1):
        sel = slice(i0, i1)
        # squared Euclidean: |x|^2 is constant along a row and cancels
        A = pair.aug_rows(sel, None, s, inv) if pair.linear else None
        with np.errstate(under="ignore"):
            _, tot, num = _running_lse(pair, A, B, sel, i1 - i0, m, chunk, s, inv, gr, V)
        out[i0:i1] = num / tot[:, None]

    _run_blocks(block, n, n_threads, rows)
    return out


def blas_row_stats(pair, f, g, reg, s, n_threads, sums, costs):
    """Row sums of the plan and of ``plan * C`` (C in normalised units)."""
    n, m = pair.shape
    inv = 1.0 / reg
    if pair.linear:
        # Z = (f[i] + g[j] - C[i, j]) / reg by one GEMM; C = f + g - reg Z
        B = pair.aug_cols(g, s, inv)
        Xr = pair.aug_rows(slice(None), -f * inv, s, inv)
    chunk = _col_chunk(m)

    def block(i0, i1):
        sel = slice(i0, i1)
        C = np.empty((i1 - i0, chunk))
        P = np.empty((i1 - i0, chunk))
        rs = np.zeros(i1 - i0)
        rc = np.zeros(i1 - i0)
        rg = np.zeros(i1 - i0)
        for j0 in range(0, m, chunk):
            j1 = min(m, j0 + chunk)
            Cb = _view(C, i1 - i0, j1 - j0)
            Pb = _view(P, i1 - i0, j1 - j0)
            if pair.linear:
                np.dot(Xr[sel], B[j0:j1].T, out=Cb)
                np.exp(Cb, out=Pb)
                rs += Pb.sum(axis=1)
                rg += Pb @ g[j0:j1]
                rc += np.einsum("ij,ij->i", Pb, Cb)
                continue
            pair.cost(sel, j0, j1, Cb)
            Cb *= s
            np.subtract(g[None, j0:j1], Cb, out=Pb)
            Pb += f[i0:i1, None]
            Pb *= inv
            np.exp(Pb, out=Pb)
            rs += Pb.sum(axis=1)
            rc += np.einsum("ij,ij->i", Pb, Cb)
        sums[i0:i1] = rs
        if pair.linear:
            costs[i0:i1] = f[i0:i1] * rs + rg - reg * rc
        else:
            costs[i0:i1] = rc

    _run_blocks(block, n, n_threads)


def blas_max_cost(pair, n_threads):
    """Largest cost between the two sets (un-normalised)."""
    n, m = pair.shape
    chunk = _col_chunk(m)
    blocks = _row_blocks(n)
    maxima = np.zeros(len(blocks))

    def block(i0, i1):
        buf = np.empty((i1 - i0, chunk))
        mx = 0.0
        for j0 in range(0, m, chunk):
            j1 = min(m, j0 + chunk)
            Z = _view(buf, i1 - i0, j1 - j0)
            pair.cost(slice(i0, i1), j0, j1, Z)
            mx = max(mx, float(Z.max()))
        maxima[i0 // _BLOCK_ROWS] = mx

    _run_blocks(block, n, n_threads)
    return float(maxima.max()) if maxima.size else 0.0
