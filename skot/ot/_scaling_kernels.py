"""Numba kernels of matrix scaling: products with ``K`` and ``K^T``, diagonal scalings.

These are the operator kernels of skot.ot's entropic core, shared by the
stabilised Sinkhorn-Knopp loop (``_sinkhorn_kernels.scaling_loop``) and the
symmetric solvers (``_symmetric_kernels``). A solver loop is written once and
works on every kind of operator, which it receives as one argument ``op``:

- a 2-D C-contiguous float32/float64 array ``K``: ``K @ x`` by rows;
- a 1-tuple ``(K,)``: the transpose, ``K.T @ x`` by column blocks, each column
  summed over the rows of ``K`` in order (``K`` read along its rows);
- a 3-tuple ``(indptr, indices, data)``: a CSR matrix (int32/int64 indices in
  range, float32/float64 data), ``K @ x`` by rows;
- a 3-tuple ``(K, bounds, bufs)`` with a 2-D ``K``: a symmetric dense ``K``
  read through its upper triangle only (half the traffic); ``bounds`` (C + 1,)
  int64 splits the rows into C blocks of about equal area, ``bufs`` (C, n)
  float64 is scratch, and the C partial results are added in block order.

A product is ``op_blocks`` independent blocks (``op_block``) followed by
``op_done``; a loop over the blocks may be a ``prange``. Every output entry is
summed in an order fixed by the data and ``bounds`` alone, never by the block
count or the thread count, so serial and parallel twins give the same bits.
Sums accumulate in float64. Nothing is validated here.
"""

import math

import numpy as np
from numba import prange, types
from numba.extending import overload

from ..utils._numba import JIT_OPTIONS, jit, twin

_OVERLOAD_OPTIONS = {k: v for k, v in JIT_OPTIONS.items() if k != "cache"}


# ----------------------------------------------------------- operator protocol


def _compiled_only(name):
    raise TypeError(f"{name} is an operator-protocol function for compiled kernels only.")


def op_blocks(op, nb):  # pragma: no cover - replaced by the overload in jitted code
    """Number of blocks of a product with ``op`` when ``nb`` are wanted."""
    _compiled_only("op_blocks")


def op_block(op, x, out, c, nb):  # pragma: no cover - overload only
    """Block ``c`` of ``nb`` of ``op @ x`` into ``out``."""
    _compiled_only("op_block")


def op_done(op, out):  # pragma: no cover - overload only
    """Finish ``op @ x`` after every block (adds the partial sums when needed)."""
    _compiled_only("op_done")


def _kind(op):
    if isinstance(op, types.Array):
        return "dense"
    if isinstance(op, types.BaseTuple) and len(op) == 1:
        return "dense_t"
    if isinstance(op, types.BaseTuple) and len(op) == 3:
        return "symmetric" if op[0].ndim == 2 else "csr"
    return None


@jit
def _symv_rows(K, x, buf, r0, r1):
    # rows r0..r1 of the upper triangle (diagonal included): the row part
    # K[i, i:] @ x[i:] goes to buf[i], the mirrored part K[i, i+1:] * x[i] to
    # buf[i+1:]; each stored entry is read once
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


@overload(op_blocks, jit_options=_OVERLOAD_OPTIONS)
def _op_blocks(op, nb):
    kind = _kind(op)
    if kind == "dense":
        return lambda op, nb: max(1, min(nb, op.shape[0]))
    if kind == "dense_t":
        return lambda op, nb: max(1, min(nb, op[0].shape[1]))
    if kind == "csr":
        return lambda op, nb: max(1, min(nb, op[0].shape[0] - 1))
    if kind == "symmetric":
        return lambda op, nb: op[1].shape[0] - 1
    return None


@overload(op_block, jit_options=_OVERLOAD_OPTIONS)
def _op_block(op, x, out, c, nb):
    kind = _kind(op)
    # Each implementation is written out whole (no helper calls): a first
    # call compiles one function per operator kind. Block c of nb covers the
    # rows (columns for dense_t) [c * size, (c + 1) * size), size = ceil(n / nb).
    if kind == "dense":

        def dense(op, x, out, c, nb):
            n, m = op.shape
            size = (n + nb - 1) // nb
            for i in range(c * size, min(n, (c + 1) * size)):
                # four interleaved accumulators in a fixed order
                # (instruction-level parallelism; the same order in every twin)
                a0 = 0.0
                a1 = 0.0
                a2 = 0.0
                a3 = 0.0
                j = 0
                while j + 4 <= m:
                    a0 += np.float64(op[i, j]) * x[j]
                    a1 += np.float64(op[i, j + 1]) * x[j + 1]
                    a2 += np.float64(op[i, j + 2]) * x[j + 2]
                    a3 += np.float64(op[i, j + 3]) * x[j + 3]
                    j += 4
                while j < m:
                    a0 += np.float64(op[i, j]) * x[j]
                    j += 1
                out[i] = (a0 + a1) + (a2 + a3)

        return dense
    if kind == "dense_t":

        def dense_t(op, x, out, c, nb):
            # columns j0:j1 of K.T @ x = x @ K, K read along its rows
            K = op[0]
            m = K.shape[1]
            size = (m + nb - 1) // nb
            j0 = c * size
            j1 = min(m, j0 + size)
            for j in range(j0, j1):
                out[j] = 0.0
            for i in range(K.shape[0]):
                xi = x[i]
                if xi != 0.0:
                    for j in range(j0, j1):
                        out[j] += xi * np.float64(K[i, j])

        return dense_t
    if kind == "csr":

        def csr(op, x, out, c, nb):
            indptr, indices, data = op
            n = indptr.shape[0] - 1
            size = (n + nb - 1) // nb
            for i in range(c * size, min(n, (c + 1) * size)):
                acc = 0.0
                for p in range(indptr[i], indptr[i + 1]):
                    acc += np.float64(data[p]) * x[indices[p]]
                out[i] = acc

        return csr
    if kind == "symmetric":

        def symmetric(op, x, out, c, nb):
            K, bounds, bufs = op
            buf = bufs[c]
            for j in range(buf.shape[0]):
                buf[j] = 0.0
            _symv_rows(K, x, buf, bounds[c], bounds[c + 1])

        return symmetric
    return None


@overload(op_done, jit_options=_OVERLOAD_OPTIONS)
def _op_done(op, out):
    if _kind(op) == "symmetric":

        def reduce(op, out):
            bufs = op[2]
            n = out.shape[0]
            for j in range(n):
                out[j] = 0.0
            for c in range(bufs.shape[0]):
                for j in range(n):
                    out[j] += bufs[c, j]

        return reduce
    if _kind(op) is not None:
        return lambda op, out: None
    return None


@twin
def matvec(op, x, out, nb):
    """``out = op @ x`` in ``nb`` blocks (see the module docstring for ``op``)."""
    nblk = op_blocks(op, nb)
    for c in prange(nblk):
        op_block(op, x, out, c, nblk)
    op_done(op, out)


def symmetric_blocks(n, n_blocks=16):
    """Row bounds of ``n_blocks`` upper-triangle blocks of about equal area.

    Fixed by ``n`` alone, so results do not depend on the thread count.
    """
    area = np.cumsum(np.arange(n, 0, -1, dtype=np.float64))
    cuts = np.searchsorted(area, area[-1] * np.arange(1, n_blocks) / n_blocks)
    return np.unique(np.concatenate([[0], cuts, [n]])).astype(np.int64)


# ------------------------------------------------------------ scaled outputs


@twin
def dense_scale_sym(K, d, out):
    """``out[i, j] = K[i, j] * (d[i] * d[j])`` (exactly symmetric for a symmetric
    ``K``: the product ``d[i] * d[j]`` commutes). ``out`` may be ``K`` itself."""
    for i in prange(K.shape[0]):
        di = d[i]
        for j in range(K.shape[1]):
            out[i, j] = np.float64(K[i, j]) * (di * d[j])


@twin
def dense_scale(K, u, v, out):
    """``out[i, j] = u[i] * K[i, j] * v[j]``. ``out`` may be ``K`` itself."""
    for i in prange(K.shape[0]):
        ui = u[i]
        for j in range(K.shape[1]):
            out[i, j] = (ui * np.float64(K[i, j])) * v[j]


@jit
def csr_scale(indptr, indices, data, u, v, same, out):
    """CSR data of ``diag(u) K diag(v)``: ``out[p] = (u[i] * data[p]) * v[j]``;
    with ``same`` (``u == v``) the symmetric form ``data[p] * (d[i] * d[j])``."""
    for i in range(indptr.shape[0] - 1):
        ui = u[i]
        for p in range(indptr[i], indptr[i + 1]):
            if same:
                out[p] = np.float64(data[p]) * (ui * v[indices[p]])
            else:
                out[p] = (ui * np.float64(data[p])) * v[indices[p]]


# ------------------------------------------------- stabilised scaling domain


@jit
def _scale(w, s, tau, new):
    """new = (w / s) ** tau; False when some ``s`` or ``new`` is 0, inf or nan."""
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
def _accept(old, new, bound):
    """``old <- new``; returns (largest |log change|, whether a value left [1/bound, bound])."""
    ch = 0.0
    big = False
    lo = 1.0 / bound
    for i in range(old.shape[0]):
        ch = max(ch, abs(math.log(new[i] / old[i])))
        old[i] = new[i]
        if new[i] > bound or new[i] < lo:
            big = True
    return ch, big


@twin
def scaling_loop(Kop, KTop, nb, a, b, wa, wb, u, v, tau_a, tau_b, max_iter, tol, crit, bound):
    """Sinkhorn-Knopp iterations with scalings ``u``, ``v`` of a kernel ``K``.

    ``Kop`` and ``KTop`` are the operators of ``K`` and ``K^T`` (see
    :mod:`skot.ot._scaling_kernels`: a dense ``K`` and ``(K,)``, or two CSR
    triplets), products in ``nb`` blocks. The plan is ``u[i] K[i, j] v[j]``.
    Stops when the criterion (as in :func:`log_loop`; with ``crit`` 2 only
    from the second iteration on, when the columns are exact) is below
    ``tol``, after ``max_iter`` iterations, when a scaling leaves
    ``[1 / bound, bound]`` (the caller absorbs it into the potentials and
    rebuilds ``K``), or when a kernel sum is zero or infinite (``u``, ``v``
    are then left at their last valid values). The updates are
    ``u = (wa / K v) ** tau_a``, ``v = (wb / K^T u) ** tau_b``: with potentials
    ``f`` folded into ``K``, the unbalanced update needs
    ``wa = a * exp((1 - 1 / tau_a) * f / reg)`` (``wa = a`` when balanced).
    Returns ``(n_iter, err, status)`` with status 0 converged, 1 ``max_iter``,
    2 absorb, 3 numerical failure.
    """
    n = a.shape[0]
    m = b.shape[0]
    s_r = np.empty(n)
    s_c = np.empty(m)
    un = np.empty(n)
    vn = np.empty(m)
    err = np.inf
    nr = op_blocks(Kop, nb)
    nc = op_blocks(KTop, nb)
    for it in range(max_iter):
        if nr == 1:
            op_block(Kop, v, s_r, 0, 1)
        else:
            for c in prange(nr):
                op_block(Kop, v, s_r, c, nr)
        op_done(Kop, s_r)
        # the L1 row error of u * s_r against a, or (crit 2) the largest relative one
        err = 0.0
        for i in range(n):
            e = abs(u[i] * s_r[i] - a[i])
            if crit == 2:
                e = e / a[i]
                if e > err or math.isnan(e):
                    err = e
            else:
                err += e
        if (crit == 0 or (crit == 2 and it > 0)) and err < tol:
            return it, err, 0
        if not _scale(wa, s_r, tau_a, un):
            return it, err, 3
        if nc == 1:
            op_block(KTop, un, s_c, 0, 1)
        else:
            for c in prange(nc):
                op_block(KTop, un, s_c, c, nc)
        op_done(KTop, s_c)
        if not _scale(wb, s_c, tau_b, vn):
            return it, err, 3
        chu, bigu = _accept(u, un, bound)
        chv, bigv = _accept(v, vn, bound)
        if crit == 1 and max(chu, chv) < tol:
            return it + 1, max(chu, chv), 0
        if bigu or bigv:
            return it + 1, err, 2
    return max_iter, err, 1
