"""Doubly stochastic (Sinkhorn) normalisation of a kernel matrix.

:func:`sinkhorn_normalize` is the function layer: it validates a dense or
sparse non-negative matrix ``K`` (or its logarithm ``log_K``, also a batch),
picks the iteration and returns a :class:`SinkhornNormalizeResult`. The
numba kernels live in :mod:`skot.similarity._scaling`.
"""

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import numba_threads
from ..utils._validation import check_memory

__all__ = ["SinkhornNormalizeResult", "sinkhorn_normalize"]

METHODS = ("auto", "fixed_point", "newton", "alternating")
# Below these sizes a parallel kernel costs more than it saves.
_PARALLEL_MIN_DENSE = 250_000
_PARALLEL_MIN_NNZ = 200_000
# Symmetric dense products read the upper triangle only, in this many row
# blocks of equal area (fixed, so results do not depend on the thread count).
_SYMV_MIN_N = 64
_SYMV_BLOCKS = 16
# Over-relaxation of the symmetric fixed point (see _fixed_point).
_OMEGA = 2.0 / 3.0
# Newton-CG: lowest factor by which one outer step may shrink a scaling entry.
_NEWTON_ZMIN = 0.1
# Newton-CG: fixed-point steps while the error exceeds this.
_NEWTON_START = 1.0
# Newton-CG: largest cancellation in the tracked K x accepted without a fresh product.
_NEWTON_MAX_AMP = 1e3


class SinkhornNormalizeResult(NamedTuple):
    """Result of :func:`sinkhorn_normalize`, whatever the input and method.

    Attributes
    ----------
    matrix : ndarray or sparse matrix
        The scaled matrix ``P = diag(row_scaling) K diag(col_scaling)``, of
        the input's shape and dtype (CSR for sparse input). Rows and columns
        outside the support are zero.
    row_scaling : ndarray of shape (n_rows,) or (n_batch, n_rows)
        Row factors ``u`` (float64; 0 outside the support). For ``log_K``
        input they are ``exp`` of the log potentials and may under- or
        overflow for extreme logits; ``matrix`` never does.
    col_scaling : ndarray of shape (n_cols,) or (n_batch, n_cols)
        Column factors ``v``; equal to ``row_scaling`` for the symmetric
        scaling ``P = D K D``.
    n_iter : int
        Iterations run (the largest over a batch).
    n_matvec : int
        Matrix-vector products with ``K`` or ``K.T`` (for ``log_K``: passes
        of log-sum-exp over the matrix), over the whole batch.
    error : float
        Largest relative deviation ``|sum - target| / target`` of a row or
        column sum of ``P`` from its target, computed in float64 at the last
        check (largest over a batch).
    converged : bool
        Whether ``error <= tol`` (always True when ``tol=None``).
    symmetric : bool
        Whether the symmetric scaling ``P = D K D`` was used.
    row_support : ndarray of bool of shape (n_rows,) or (n_batch, n_rows)
        Rows that take part in the scaling; the others (zero rows of ``K``,
        or rows whose target sum is 0) are left out and stay zero.
    col_support : ndarray of bool of shape (n_cols,) or (n_batch, n_cols)
        Columns that take part in the scaling.
    """

    matrix: object
    row_scaling: np.ndarray
    col_scaling: np.ndarray
    n_iter: int
    n_matvec: int
    error: float
    converged: bool
    symmetric: bool
    row_support: np.ndarray
    col_support: np.ndarray


def _kernels():
    # Imported on first use: importing skot.similarity compiles nothing.
    from . import _scaling

    return _scaling


# ------------------------------------------------------------- operators


class _Operator:
    """Products with ``K`` (and ``K.T``) through the numba kernels, counted."""

    def __init__(self, K, n_threads, KT=None, symmetric=False):
        self.K = K
        self.KT = KT
        self.sparse = sparse.issparse(K)
        self.n_threads = n_threads
        self.n_matvec = 0
        self.symv = False
        k = _kernels()
        if self.sparse:
            par = n_threads > 1 and K.nnz >= _PARALLEL_MIN_NNZ
            self._mv = k.csr_matvec_par if par else k.csr_matvec
        else:
            par = n_threads > 1 and K.size >= _PARALLEL_MIN_DENSE
            self._mv = k.dense_matvec_par if par else k.dense_matvec
            self._rmv_par = par
            if symmetric and K.shape[0] >= _SYMV_MIN_N:
                # Upper triangle only; the blocks do not depend on n_threads.
                n = K.shape[0]
                area = np.cumsum(np.arange(n, 0, -1, dtype=np.float64))
                cuts = np.searchsorted(area, area[-1] * np.arange(1, _SYMV_BLOCKS)
                                       / _SYMV_BLOCKS)
                self._bounds = np.unique(np.concatenate([[0], cuts, [n]])).astype(np.int64)
                self._bufs = np.empty((self._bounds.shape[0] - 1, n))
                self._symv = k.dense_symv_par if par else k.dense_symv
                self.symv = True
        self.shape = K.shape

    def matvec(self, x):
        self.n_matvec += 1
        out = np.empty(self.shape[0])
        if self.sparse:
            K = self.K
            self._mv(K.indptr, K.indices, K.data, x, out)
        elif self.symv:
            self._symv(self.K, x, self._bounds, self._bufs, out)
        else:
            self._mv(self.K, x, out)
        return out

    def rmatvec(self, u):
        self.n_matvec += 1
        out = np.empty(self.shape[1])
        k = _kernels()
        if self.sparse:
            KT = self.KT
            self._mv(KT.indptr, KT.indices, KT.data, u, out)
        elif self._rmv_par:
            k.dense_rmatvec_par(self.K, u, out, 4 * self.n_threads)
        else:
            k.dense_rmatvec(self.K, u, out)
        return out


# ------------------------------------------------------------ validation


def _as_float(A):
    if A.dtype in (np.float32, np.float64):
        return A
    if not (np.issubdtype(A.dtype, np.number) or A.dtype == bool):
        raise ValueError(f"K must hold numbers, got dtype {A.dtype}.")
    if np.issubdtype(A.dtype, np.complexfloating):
        raise ValueError("K must be real, got a complex matrix.")
    return A.astype(np.float64)


def _check_dense(K, name):
    """Validate a dense kernel; return ``(K, symmetric, min_diag, n_zero_offdiag)``."""
    K = np.asarray(K)
    K = _as_float(K)
    if K.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got an array of shape {K.shape}.")
    if K.shape[0] == 0 or K.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {K.shape}).")
    if not K.flags.c_contiguous:
        check_memory(K.nbytes, f"a C-ordered copy of the {K.shape} matrix {name}")
        K = np.ascontiguousarray(K)
    from ..utils._matrix_kernels import scan_matrix

    finite, vmin, symmetric, dmin, _, nzero = scan_matrix(K)
    if not finite:
        raise ValueError(f"{name} contains NaN or infinity.")
    if vmin < 0:
        raise ValueError(f"{name} must be non-negative, got a minimum entry of {vmin!r}.")
    return K, bool(symmetric), float(dmin), int(nzero)


def _check_sparse(K, name):
    K = sparse.csr_array(K) if isinstance(K, sparse.sparray) else sparse.csr_matrix(K)
    if K.ndim != 2 or K.shape[0] == 0 or K.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {K.shape}).")
    K = K.copy() if K.dtype in (np.float32, np.float64) else K.astype(np.float64)
    if np.issubdtype(K.dtype, np.complexfloating):  # pragma: no cover - astype above
        raise ValueError(f"{name} must be real.")
    K.sum_duplicates()
    K.sort_indices()
    if K.data.size:
        if not np.isfinite(K.data).all():
            raise ValueError(f"{name} contains NaN or infinity.")
        vmin = K.data.min()
        if vmin < 0:
            raise ValueError(f"{name} must be non-negative, got a minimum entry of {vmin!r}.")
    K.eliminate_zeros()
    symmetric = K.shape[0] == K.shape[1] and (K != K.T).nnz == 0
    return K, bool(symmetric)


def _check_marginal(x, n, name):
    if x is None:
        return None
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got {np.shape(x)}.")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (x < 0).any():
        raise ValueError(f"{name} must be non-negative, got a minimum of {x.min()!r}.")
    return x


def _marginals(row_nonzero, col_nonzero, a, b, symmetric, where=""):
    """Supports and targets; raises when the totals cannot match."""
    n, m = row_nonzero.shape[0], col_nonzero.shape[0]
    uniform = a is None and b is None
    rows = row_nonzero.copy() if a is None else row_nonzero & (a > 0)
    if symmetric:
        cols, b = rows.copy(), a
    else:
        cols = col_nonzero.copy() if b is None else col_nonzero & (b > 0)
    nr, nc = int(rows.sum()), int(cols.sum())
    if nr == 0 or nc == 0:
        raise ValueError(
            f"K{where} has no support: every row or every column is zero "
            "(or has a zero target sum), so there is nothing to scale."
        )
    if uniform:
        if n == m and nr != nc:
            raise ValueError(
                f"K{where} has no doubly stochastic scaling: it has {n - nr} zero rows "
                f"but {m - nc} zero columns, so {nr} rows cannot carry the same "
                f"total as {nc} columns. Remove them or give row_sums/col_sums."
            )
        a = np.where(rows, 1.0, 0.0)
        b = np.where(cols, nr / nc, 0.0)
    else:
        if a is None:
            a = np.where(rows, 1.0, 0.0)
        if b is None:
            b = np.where(cols, a[rows].sum() / nc, 0.0) if not symmetric else a.copy()
        ta, tb = a[rows].sum(), b[cols].sum()
        if not np.isclose(ta, tb, rtol=1e-9, atol=0.0):
            raise ValueError(
                f"row_sums and col_sums{where} must have the same total over the "
                f"support of K, got {ta!r} and {tb!r}."
            )
    return rows, cols, a, b, uniform


def _pattern_csr(K):
    if sparse.issparse(K):
        P = sparse.csr_matrix(K, copy=True)
        P.data = np.ones_like(P.data, dtype=np.int8)
        return P
    return sparse.csr_matrix(K != 0, dtype=np.int8)


def _check_total_support(K, rows, cols, where="", name="K"):
    """Raise ValueError explaining why a square pattern has no doubly stochastic scaling.

    A non-negative square matrix has a doubly stochastic scaling iff it has
    total support (every non-zero lies on a perfect matching of its bipartite
    graph; Sinkhorn & Knopp 1967). Checked with a maximum matching and the
    strongly connected components of the row digraph of that matching.
    """
    from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching

    ridx = np.flatnonzero(rows)
    cidx = np.flatnonzero(cols)
    S = _pattern_csr(K)[ridx][:, cidx].tocsr()
    n = S.shape[0]
    match = maximum_bipartite_matching(S, perm_type="column")  # row -> column
    if (match < 0).any():
        r0 = int(np.flatnonzero(match < 0)[0])
        row_of = np.full(n, -1, dtype=np.int64)
        ok = match >= 0
        row_of[match[ok]] = np.flatnonzero(ok)
        # Rows reachable from r0 by alternating paths see too few columns (Hall).
        seen_r, seen_c, stack = {r0}, set(), [r0]
        while stack:
            r = stack.pop()
            for c in S.indices[S.indptr[r]:S.indptr[r + 1]]:
                if c not in seen_c:
                    seen_c.add(c)
                    rr = row_of[c]
                    if rr >= 0 and rr not in seen_r:
                        seen_r.add(rr)
                        stack.append(rr)
        R = sorted(int(ridx[r]) for r in seen_r)
        C = sorted(int(cidx[c]) for c in seen_c)
        raise ValueError(
            f"{name}{where} has no doubly stochastic scaling: its non-zero pattern has no "
            f"perfect matching. The {len(R)} rows {_fmt_idx(R)} have non-zeros only in "
            f"the {len(C)} columns {_fmt_idx(C)}, so their sums cannot all be 1 while "
            "those columns sum to 1 (Hall's condition fails). A scaling exists iff K "
            "has total support (Sinkhorn & Knopp 1967); a symmetric K with a positive "
            "diagonal always has one."
        )
    row_of = np.empty(n, dtype=np.int64)
    row_of[match] = np.arange(n)
    coo = S.tocoo()
    G = sparse.csr_matrix((np.ones(coo.nnz, dtype=np.int8), (coo.row, row_of[coo.col])),
                          shape=(n, n))
    _, comp = connected_components(G, directed=True, connection="strong")
    bad = comp[coo.row] != comp[row_of[coo.col]]
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        i, j = int(ridx[coo.row[k]]), int(cidx[coo.col[k]])
        raise ValueError(
            f"{name}{where} has no doubly stochastic scaling: it has support but not total "
            f"support -- entry ({i}, {j}) (and {int(bad.sum()) - 1} more) lies on no "
            "perfect matching of its non-zero pattern, so every doubly stochastic "
            "limit sets it to 0 and the scaling factors diverge (Sinkhorn & Knopp "
            "1967). Remove those entries, or add a positive diagonal."
        )


def _fmt_idx(idx, k=10):
    idx = list(idx)
    s = ", ".join(str(i) for i in idx[:k])
    return f"[{s}{', ...' if len(idx) > k else ''}]"


def _needs_existence_check(symmetric, dmin_support, all_offdiag_positive):
    return not ((symmetric and dmin_support > 0) or all_offdiag_positive)


def _warn_no_support(row_nonzero, col_nonzero, symmetric, where=""):
    zr = np.flatnonzero(~row_nonzero)
    zc = np.flatnonzero(~col_nonzero)
    if zr.size == 0 and zc.size == 0:
        return
    if symmetric:
        what = f"{zr.size} rows (and columns) {_fmt_idx(zr)}"
    else:
        what = f"{zr.size} rows {_fmt_idx(zr)} and {zc.size} columns {_fmt_idx(zc)}"
    warnings.warn(
        f"K{where} has {what} with no non-zero entry: they are left out of the "
        "scaling and stay zero in the result (row_support/col_support).",
        UserWarning,
        stacklevel=4,
    )


# -------------------------------------------------------------- solvers


def _rel_err(r, a, s):
    if not s.any():
        return 0.0
    return float(np.max(np.abs(r[s] - a[s]) / a[s]))


def _log(verbose, method, it, err, n_mv):
    if verbose:
        print(f"[sinkhorn_normalize:{method}] iteration {it}: error={err:.3e}, "
              f"matvecs={n_mv}")


def _initial(op, a, s, y):
    """Best constant start ``c 1`` from ``y = K 1_s``: returns ``(x, Kx)``."""
    tot = y[s].sum()
    c = np.sqrt(a[s].sum() / tot)
    return np.where(s, c, 0.0), c * y


def _diverged(err):
    return not np.isfinite(err)


def _fixed_point(op, a, s, y, tol, max_iter, verbose):
    """Over-relaxed symmetric fixed point: one product per iteration.

    ``d <- d * (a / (d * K d)) ** omega``; ``omega = 1/2`` is the classical
    ``d <- sqrt(d a / (K d))``. In log coordinates the error obeys
    ``e' = (I - omega (I + P)) e`` near the solution, whose rate
    ``max(|1 - 2 omega|, 1 - omega (1 + lambda_min(P)))`` is smallest at
    ``omega = 2 / (3 + lambda_min)``; ``omega = 2/3`` gives
    ``max(1/3, (1 - 2 lambda_min) / 3)``, never worse than the classical
    ``(1 - lambda_min) / 2`` for any ``lambda_min >= -1`` and 1/3 against 1/2
    for a positive semi-definite kernel. Should the error ever grow, the
    iteration falls back to ``omega = 1/2`` (a safeguard far from the
    solution). ``P = D K D`` stays exactly symmetric whatever ``d``.
    """
    d, Kd = _initial(op, a, s, y)
    it, err, prev, omega = 0, np.inf, np.inf, _OMEGA
    while True:
        err = _rel_err(d * Kd, a, s)
        _log(verbose, "fixed_point", it, err, op.n_matvec)
        if _diverged(err):
            break
        if (tol is not None and err <= tol) or it >= max_iter:
            break
        if err > prev:
            omega = 0.5
        prev = err
        it += 1
        q = a[s] / (d[s] * Kd[s])
        if omega == 0.5:
            q = np.sqrt(q)
        elif omega == 2.0 / 3.0:
            q = np.cbrt(q) ** 2  # several times faster than q ** omega
        else:
            q = q**omega
        d[s] = d[s] * q
        Kd = op.matvec(d)
    return d, it, err


def _newton(op, a, s, y, tol, max_iter, verbose, diagK):
    """Knight-Ruiz style inexact Newton with Jacobi-preconditioned CG.

    Newton on ``x * (K x) = a``: with ``P = D(x) K D(x)`` and ``v = x * (K x)``
    the step solves the symmetric positive (semi-)definite system
    ``(P + D(v)) z = a + v`` and sets ``x <- x * z``. The products ``K (x * p)``
    of CG also give ``K x_new`` by linearity (no extra product); CG stops as
    soon as that Newton residual meets ``tol``.
    """
    x, Kx = _initial(op, a, s, y)
    S = np.abs(Kx)
    sf = s.astype(np.float64)
    it, fresh, err = 0, True, np.inf
    while True:
        v = x * Kx
        err = _rel_err(v, a, s)
        _log(verbose, "newton", it, err, op.n_matvec)
        if _diverged(err):
            break
        if tol is not None and err <= tol:
            # K x tracked through CG differs from a fresh product by rounding
            # only: about eps * (sum of the magnitudes added up) / |K x|. When
            # that amplification is small, below tol / 2 is safe; otherwise
            # a fresh product confirms.
            amp = float(np.max(S[s] / Kx[s]))
            if fresh or (err <= 0.5 * tol and amp <= _NEWTON_MAX_AMP):
                break
            Kx = op.matvec(x)
            S = np.abs(Kx)
            fresh = True
            continue
        if it >= max_iter:
            break
        it += 1
        if err > _NEWTON_START:
            # Far from the solution a fixed-point step (one product, halves
            # the error) beats a Newton step, whose linear model overshoots.
            x[s] = np.sqrt(x[s] * a[s] / Kx[s])
            Kx = op.matvec(x)
            S = np.abs(Kx)
            fresh = True
            continue
        minv = np.zeros_like(x)
        dg = x[s] * x[s] * diagK[s] + v[s]
        minv[s] = 1.0 / dg
        target = min(0.1, err) * err
        if tol is not None and target < 10 * tol:
            target = 0.1 * tol  # last step: aim below tol at once
        if op.sparse:
            # The whole CG loop in one compiled kernel: on a sparse K the
            # O(n) vector work per product costs as much as the product.
            K = op.K
            z, Kxz, Sz = sf.copy(), Kx.copy(), S.copy()
            n_prod, lin, nonlin = _kernels().csr_newton_cg(
                K.indptr, K.indices, K.data, x, v, a, s, minv, z, Kxz, Sz, err,
                0.0 if tol is None else float(tol), tol is not None, target,
                _NEWTON_ZMIN)
            op.n_matvec += n_prod
            if verbose > 1:
                print(f"    cg: {n_prod} products, linear residual {lin:.3e} (target "
                      f"{target:.1e}), Newton residual {nonlin:.3e}")
            x = x * z
            Kx, S = Kxz, Sz
            fresh = False
            continue
        r = np.where(s, a - v, 0.0)
        z = sf.copy()
        Kxz = Kx.copy()
        Sz = S.copy()
        y = minv * r
        rho = r @ y
        p = y.copy()
        best = np.inf
        for _ in range(max(1, op.shape[0])):
            Kxp = op.matvec(x * p)
            q = x * Kxp + v * p
            pq = p @ q
            if not pq > 0:
                break
            alpha = rho / pq
            step = alpha * p
            znew = z + step
            if znew[s].min() < _NEWTON_ZMIN:
                neg = s & (step < 0)
                t = float(np.min((z[neg] - _NEWTON_ZMIN) / (-step[neg])))
                t = min(max(t, 0.0), 1.0)
                z += t * step
                Kxz += (t * alpha) * Kxp
                Sz += np.abs((t * alpha) * Kxp)
                break
            Kxz_new = Kxz + alpha * Kxp
            # The Newton residual itself, from the tracked K (x z), costs no
            # product: stop as soon as the new point meets tol, and keep the
            # previous iterate when a CG step makes it worse (far from the
            # solution the linear model overshoots).
            nonlin = _rel_err(x * znew * Kxz_new, a, s)
            if nonlin > best and best < err:
                break
            z, Kxz, best = znew, Kxz_new, nonlin
            Sz += np.abs(alpha * Kxp)
            r -= alpha * q
            lin = np.max(np.abs(r[s]) / a[s])
            if verbose > 1:
                print(f"    cg: linear residual {lin:.3e} (target {target:.1e}), "
                      f"Newton residual {nonlin:.3e}")
            if lin <= target or (tol is not None and nonlin <= tol):
                break
            y = minv * r
            rho_new = r @ y
            p = y + (rho_new / rho) * p
            rho = rho_new
        x = x * z
        Kx, S = Kxz, Sz
        fresh = False
    return x, it, err


def _alternating(op, a, b, rows, cols, y, tol, max_iter, verbose):
    """u <- a / (K v), v <- b / (K.T u); columns exact after each iteration."""
    u = np.where(rows, 1.0, 0.0)
    v = np.where(cols, 1.0, 0.0)
    Kv = y
    it, err = 0, np.inf
    while True:
        err = _rel_err(u * Kv, a, rows) if it > 0 else np.inf
        if it > 0:
            _log(verbose, "alternating", it, err, op.n_matvec)
            if _diverged(err):
                break
        if (tol is not None and err <= tol) or it >= max_iter:
            break
        it += 1
        u[rows] = a[rows] / Kv[rows]
        KTu = op.rmatvec(u)
        v[cols] = b[cols] / KTu[cols]
        Kv = op.matvec(v)
    if tol is None:
        err = _rel_err(u * Kv, a, rows)
    return u, v, it, err


# ------------------------------------------------------------- drivers


def _resolve_method(method, symmetric, log_input=False, dense=False, tol=None):
    if method == "auto":
        if not symmetric:
            return "alternating"
        # Newton needs about half the products (10-12 against 20-22 to
        # 1e-10 on a dense Gaussian kernel) and was faster end to end at
        # n = 2000 and 5000 at both bandwidths (benchmarks/bench_similarity.py);
        # with tol=None the fixed point gives a fixed cost per iteration.
        return "newton" if dense and not log_input and tol is not None else "fixed_point"
    if method in ("fixed_point", "newton") and not symmetric:
        raise ValueError(
            f"method={method!r} needs the symmetric scaling (a square symmetric K with "
            "symmetric=True or 'auto', and equal row_sums and col_sums); use "
            "method='alternating'."
        )
    if method == "newton" and log_input:
        raise ValueError("method='newton' works on K, not log_K; use method='fixed_point'.")
    return method


def _decide_symmetric(symmetric, is_symmetric, shape, a, b, name):
    if symmetric is True or symmetric == "auto":
        square = shape[-1] == shape[-2]
        same = a is None and b is None or (
            a is not None and (b is None or np.array_equal(a, b))
        )
        if symmetric is True:
            if not square:
                raise ValueError(
                    f"symmetric=True needs a square {name}, got shape {shape}; use "
                    "symmetric=False for a rectangular matrix."
                )
            if not is_symmetric:
                raise ValueError(
                    f"symmetric=True but {name} is not exactly symmetric; pass "
                    f"({name} + {name}.T) / 2, or use symmetric=False."
                )
            if not same:
                raise ValueError(
                    "symmetric=True needs col_sums equal to row_sums (or None)."
                )
            return True
        return bool(square and is_symmetric and same)
    return False


def _normalize_kernel(K, *, symmetric="auto", row_sums=None, col_sums=None, tol=1e-10,
                      max_iter=1000, method="auto", n_jobs=None, verbose=0,
                      name="K", return_matrix=True, trusted_nzero=None, inplace=False):
    """Validated core shared by :func:`sinkhorn_normalize` and the estimator.

    The estimator passes its own dense kernels with ``trusted_nzero`` (the
    number of zero off-diagonal entries; the matrix is known to be C-ordered,
    finite, non-negative and exactly symmetric, so the scan is skipped) and
    ``inplace=True`` (the result overwrites ``K``).
    """
    is_sparse = sparse.issparse(K)
    if is_sparse:
        K, is_sym = _check_sparse(K, name)
    elif trusted_nzero is not None:
        is_sym, nzero = True, int(trusted_nzero)
    else:
        K, is_sym, _, nzero = _check_dense(K, name)
    n, m = K.shape
    a = _check_marginal(row_sums, n, "row_sums")
    b = _check_marginal(col_sums, m, "col_sums")
    sym = _decide_symmetric(symmetric, is_sym, K.shape, a, b, name)
    method = _resolve_method(method, sym, dense=not is_sparse, tol=tol)
    if return_matrix:
        itemsize = K.dtype.itemsize
        if not is_sparse:
            check_memory(n * m * itemsize, f"the {n} x {m} {K.dtype.name} scaled matrix")
    with numba_threads(n_jobs) as n_threads:
        KT = K.T.tocsr() if (is_sparse and not sym) else None
        op = _Operator(K, n_threads, KT, symmetric=sym)
        # Row and column support from K 1 and K.T 1 (exact zeros only).
        y1 = op.matvec(np.ones(m))
        rnz = y1 > 0
        cnz = rnz.copy() if sym else op.rmatvec(np.ones(n)) > 0
        rows, cols, a_, b_, uniform = _marginals(rnz, cnz, a, b, sym)
        # K 1 is K 1_support when only all-zero rows/columns are left out.
        ys = rows if sym else cols
        y = y1 if np.array_equal(ys, rnz if sym else cnz) else op.matvec(ys.astype(float))
        _warn_no_support(rnz, cnz, sym)
        if uniform and n == m:
            if is_sparse:
                diag = K.diagonal()
                dmin = diag[rows].min()
                offdiag_pos = False
            else:
                diag = np.diagonal(K)
                dmin = diag[rows].min()
                offdiag_pos = nzero == 0 and rows.all() and n >= 2
            if _needs_existence_check(sym, dmin, offdiag_pos):
                _check_total_support(K, rows, cols, name=name)
        # Divergence (no scaling for the targets) is detected and reported
        # below; numpy's overflow warnings on the way are noise.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            u, v, it, err = _solve(op, K, method, sym, a_, b_, rows, cols, y, tol,
                                   max_iter, verbose, is_sparse)
        if not np.isfinite(err):
            raise ValueError(_diverged_msg(name))
        P = _scaled(K, u, v, sym, n_threads, inplace) if return_matrix else None
        if P is not None and not np.isfinite(P.data if is_sparse else P).all():
            raise ValueError(_diverged_msg(name))
        converged = tol is None or err <= tol
        if not converged:
            warnings.warn(
                f"sinkhorn_normalize ({method}) stopped at max_iter={max_iter} with a "
                f"row/column sum error of {err:.3e} > tol={tol:g}; increase max_iter "
                "(or use method='newton' for a symmetric K).",
                ConvergenceWarning,
                stacklevel=3,
            )
    if is_sparse and P is not None and isinstance(K, sparse.sparray):
        P = sparse.csr_array(P)
    return SinkhornNormalizeResult(
        matrix=P, row_scaling=u, col_scaling=v if not sym else u.copy(),
        n_iter=int(it), n_matvec=int(op.n_matvec), error=float(err),
        converged=bool(converged), symmetric=bool(sym), row_support=rows,
        col_support=cols,
    )


def _solve(op, K, method, sym, a, b, rows, cols, y, tol, max_iter, verbose, is_sparse):
    if sym:
        if method == "newton":
            diagK = np.asarray(K.diagonal(), dtype=np.float64)
            d, it, err = _newton(op, a, rows, y, tol, max_iter, verbose, diagK)
        else:
            d, it, err = _fixed_point(op, a, rows, y, tol, max_iter, verbose)
        return d, d, it, err
    return _alternating(op, a, b, rows, cols, y, tol, max_iter, verbose)


def _diverged_msg(name):
    return (
        f"{name} has no scaling to the given row and column sums: the scaling "
        "factors diverged (some entries of K must vanish in the limit). Check "
        "row_sums/col_sums against the zero pattern of K."
    )


def _scaled(K, u, v, sym, n_threads, inplace=False):
    k = _kernels()
    if sparse.issparse(K):
        data = np.empty(K.data.shape[0], dtype=np.float64)
        if sym:
            k.csr_scale_sym(K.indptr, K.indices, K.data, u, data)
        else:
            k.csr_scale(K.indptr, K.indices, K.data, u, v, data)
        P = sparse.csr_matrix((data.astype(K.dtype, copy=False), K.indices.copy(),
                               K.indptr.copy()), shape=K.shape)
        return P
    par = n_threads > 1 and K.size >= _PARALLEL_MIN_DENSE
    if inplace:
        out = K  # each entry is read once, then overwritten
    else:
        out = np.empty(K.shape, dtype=K.dtype)
    if sym:
        (k.dense_scale_sym_par if par else k.dense_scale_sym)(K, u, out)
    else:
        (k.dense_scale_par if par else k.dense_scale)(K, u, v, out)
    return out


# ------------------------------------------------------------ log domain


def _normalize_log(L, *, symmetric, row_sums, col_sums, tol, max_iter, method, n_jobs,
                   verbose):
    L = np.asarray(L)
    if L.dtype not in (np.float32, np.float64):
        if not np.issubdtype(L.dtype, np.number) or np.issubdtype(L.dtype,
                                                                   np.complexfloating):
            raise ValueError(f"log_K must hold real numbers, got dtype {L.dtype}.")
        L = L.astype(np.float64)
    if L.ndim not in (2, 3):
        raise ValueError(
            f"log_K must be a 2-D matrix or a 3-D batch (n_batch, n, m), got shape {L.shape}."
        )
    batched = L.ndim == 3
    L3 = np.ascontiguousarray(L if batched else L[None])
    B, n, m = L3.shape
    if B == 0 or n == 0 or m == 0:
        raise ValueError(f"log_K is empty (shape {L.shape}).")
    if np.isnan(L3).any() or np.isposinf(L3).any():
        raise ValueError("log_K contains NaN or +infinity (-inf marks a zero entry).")
    a = _check_marginal(row_sums, n, "row_sums")
    b = _check_marginal(col_sums, m, "col_sums")
    is_sym = n == m and bool(np.array_equal(L3, np.swapaxes(L3, 1, 2)))
    sym = _decide_symmetric(symmetric, is_sym, L.shape, a, b, "log_K")
    method = _resolve_method(method, sym, log_input=True)
    check_memory(L3.size * 8, f"the {L.shape} float64 scaled matrix")
    finite = np.isfinite(L3)
    rnz, cnz = finite.any(axis=2), finite.any(axis=1)
    rows = np.empty((B, n), dtype=bool)
    cols = np.empty((B, m), dtype=bool)
    loga = np.empty((B, n))
    logb = np.empty((B, m))
    has_zero = not finite.all()
    for bi in range(B):
        where = f"[{bi}]" if batched else ""
        r, c, a_, b_, uniform = _marginals(rnz[bi], cnz[bi], a, b, sym, where)
        _warn_no_support(rnz[bi], cnz[bi], sym, where)
        if uniform and n == m and has_zero and tol is not None:
            dmin = np.diagonal(L3[bi])[r].min()
            if _needs_existence_check(sym, 1.0 if dmin > -np.inf else 0.0, False):
                _check_total_support(finite[bi], r, c, where)
        rows[bi], cols[bi] = r, c
        with np.errstate(divide="ignore"):
            loga[bi] = np.where(r, np.log(a_), -np.inf)
            logb[bi] = np.where(c, np.log(b_), -np.inf)
    F = np.where(rows, 0.0, -np.inf)
    G = np.where(cols, 0.0, -np.inf)
    n_iter = np.zeros(B, dtype=np.int64)
    errors = np.zeros(B)
    k = _kernels()
    check = tol is not None
    with numba_threads(n_jobs) as n_threads:
        par = n_threads > 1 and B > 1 and L3.size >= _PARALLEL_MIN_DENSE
        (k.log_sinkhorn_batch_par if par else k.log_sinkhorn_batch)(
            L3, loga, logb, rows, cols, F, G, sym, float(tol) if check else 0.0,
            int(max_iter), check, n_iter, errors)
        out = np.empty(L3.shape, dtype=np.float64)
        (k.log_exp_batch_par if par else k.log_exp_batch)(L3, F, G, out)
    # Report the error of the returned matrix (rows and columns, float64).
    with np.errstate(divide="ignore", invalid="ignore"):
        re = np.where(rows, np.abs(out.sum(axis=2) - np.exp(loga)) / np.exp(loga), 0.0)
        ce = np.where(cols, np.abs(out.sum(axis=1) - np.exp(logb)) / np.exp(logb), 0.0)
    err = float(max(re.max(), ce.max()))
    if not np.isfinite(err):
        raise ValueError(
            "log_K has no scaling to the given row and column sums: the potentials "
            "diverged."
        )
    converged = tol is None or err <= tol
    if not converged:
        warnings.warn(
            f"sinkhorn_normalize (log_K, {method}) stopped at max_iter={max_iter} with "
            f"a row/column sum error of {err:.3e} > tol={tol:g}; increase max_iter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if verbose:
        print(f"[sinkhorn_normalize:log] {B} matrices, iterations {n_iter.tolist()}, "
              f"error {err:.3e}")
    with np.errstate(over="ignore"):
        u, v = np.exp(F), np.exp(G)
    passes = (1 if sym else 2) * int(n_iter.sum()) + (B if check else 0)
    P = out.astype(L3.dtype, copy=False)
    if not batched:
        P, u, v, rows, cols = P[0], u[0], v[0], rows[0], cols[0]
    return SinkhornNormalizeResult(
        matrix=P, row_scaling=u, col_scaling=v, n_iter=int(n_iter.max()),
        n_matvec=passes, error=err, converged=bool(converged), symmetric=bool(sym),
        row_support=rows, col_support=cols,
    )


# ---------------------------------------------------------- function API


@validate_params(
    {
        "K": ["array-like", "sparse matrix", None],
        "log_K": ["array-like", None],
        "symmetric": ["boolean", StrOptions({"auto"})],
        "row_sums": ["array-like", None],
        "col_sums": ["array-like", None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(METHODS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def sinkhorn_normalize(K=None, *, log_K=None, symmetric="auto", row_sums=None,
                       col_sums=None, tol=1e-10, max_iter=1000, method="auto",
                       n_jobs=None, verbose=0):
    r"""Scale a non-negative matrix to a doubly stochastic one (Sinkhorn-Knopp).

    Finds positive factors ``u`` and ``v`` such that
    ``P = diag(u) K diag(v)`` has the requested row and column sums (all 1 by
    default). A square symmetric ``K`` gets the symmetric scaling
    ``P = D K D`` (``u = v = d``), computed by the over-relaxed fixed point
    :math:`d \leftarrow d \, (d \, K d)^{-2/3}` -- one matrix-vector
    product per iteration, contracting by about 1/3 per product for a
    positive semi-definite kernel whatever its bandwidth (20 to 22 products
    to ``1e-10``; about 30 on a kNN kernel) -- or by a Knight-Ruiz inexact
    Newton method (10 to 12 products on a dense kernel; the default for a
    dense ``K``). Other matrices, and
    ``method="alternating"``, use alternating Sinkhorn-Knopp scaling
    :math:`u \leftarrow a / (K v),\ v \leftarrow b / (K^\top u)`.

    Rows and columns with no non-zero entry are left out of the scaling,
    reported in ``row_support``/``col_support`` and stay zero (a
    ``UserWarning`` names them). A square ``K`` whose pattern admits no
    doubly stochastic scaling (no total support) is refused with an
    explanation.

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    K : {array-like, sparse matrix} of shape (n, m), default=None
        Non-negative, finite matrix (float32 or float64 kept; other numbers
        become float64). Sparse input gives a CSR result with the same
        pattern. Give exactly one of ``K`` and ``log_K``.
    log_K : array-like of shape (n, m) or (n_batch, n, m), default=None
        Logarithm of the matrix (e.g. attention logits; ``-inf`` marks a zero
        entry), scaled in the log domain, each matrix of a batch separately
        (the Sinkformer use).
    symmetric : bool or "auto", default="auto"
        ``"auto"``: the symmetric scaling when the matrix is square and
        exactly symmetric (and the targets agree). ``True`` requires it
        (raises otherwise); ``False`` always alternates.
    row_sums : array-like of shape (n,), default=None
        Target row sums (non-negative). ``None``: 1 for every row with support.
    col_sums : array-like of shape (m,), default=None
        Target column sums. ``None``: ``row_sums`` for the symmetric scaling,
        otherwise equal sums with the total of the rows (1 for a square
        matrix). The totals of ``row_sums`` and ``col_sums`` must agree.
    tol : float or None, default=1e-10
        Stop when every row and column sum is within a relative ``tol`` of its
        target. ``None`` runs exactly ``max_iter`` iterations (no convergence
        test and no warning; the usual choice for attention).
    max_iter : int, default=1000
        Maximum number of iterations (outer steps for ``"newton"``).
    method : {"auto", "fixed_point", "newton", "alternating"}, default="auto"
        ``"auto"``: for the symmetric scaling ``"newton"`` on a dense ``K``
        and ``"fixed_point"`` on a sparse ``K``, on ``log_K`` or with
        ``tol=None``; otherwise ``"alternating"``. ``"newton"`` needs the
        symmetric scaling and ``K``.
    n_jobs : int, default=None
        Threads for the kernels (``-1``: all cores). Results do not depend on it.
    verbose : int, default=0
        Print the error after each iteration.

    Returns
    -------
    result : SinkhornNormalizeResult
        ``matrix``, ``row_scaling``, ``col_scaling``, ``n_iter``,
        ``n_matvec``, ``error``, ``converged``, ``symmetric``,
        ``row_support`` and ``col_support``.

    See Also
    --------
    SinkhornAffinity : Builds a Gaussian kernel from data and scales it.

    References
    ----------
    .. [1] R. Sinkhorn, P. Knopp. "Concerning nonnegative matrices and doubly
       stochastic matrices." Pacific J. Math. 21 (1967).
    .. [2] P. A. Knight, D. Ruiz. "A fast algorithm for matrix balancing."
       IMA J. Numer. Anal. 33 (2013).
    .. [3] B. Landa, R. R. Coifman, Y. Kluger. "Doubly stochastic normalization
       of the Gaussian kernel is robust to heteroskedastic noise." SIAM J.
       Math. Data Sci. 3 (2021).
    .. [4] M. E. Sander, P. Ablin, M. Blondel, G. Peyré. "Sinkformers:
       Transformers with doubly stochastic attention." AISTATS (2022).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import sinkhorn_normalize
    >>> K = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> res = sinkhorn_normalize(K)
    >>> np.round(res.matrix.sum(axis=1), 8)
    array([1., 1.])
    >>> bool(np.array_equal(res.matrix, res.matrix.T))
    True
    """
    if (K is None) == (log_K is None):
        raise ValueError("Give exactly one of K and log_K.")
    if log_K is not None:
        return _normalize_log(log_K, symmetric=symmetric, row_sums=row_sums,
                              col_sums=col_sums, tol=tol, max_iter=max_iter,
                              method=method, n_jobs=n_jobs, verbose=verbose)
    return _normalize_kernel(K, symmetric=symmetric, row_sums=row_sums,
                             col_sums=col_sums, tol=tol, max_iter=max_iter,
                             method=method, n_jobs=n_jobs, verbose=verbose)
