"""Matrix scaling on skot.ot's entropic core: symmetric and alternating solvers.

:class:`MatrixScaling` is the one internal entry point that
:mod:`skot.similarity` uses (nothing else of this module or of its kernels is
meant to be called from outside :mod:`skot.ot`). It scales a validated
non-negative matrix ``K`` (dense or CSR) to given row and column sums:

- symmetric scaling ``P = D K D`` of a symmetric ``K``: the over-relaxed fixed
  point :func:`_fixed_point` (one product per iteration) or the Knight-Ruiz
  inexact Newton method :func:`_newton` (its CG loop is the compiled
  ``_symmetric_kernels.newton_cg``), products through the upper triangle of a
  dense ``K``;
- alternating scaling ``P = diag(u) K diag(v)``: the Sinkhorn-Knopp loop of
  the core (``_sinkhorn_kernels.scaling_loop``, dense or CSR);
- log-domain scaling of a matrix given by its logarithm (:meth:`log_solve`):
  the fused one-pass log iteration of the core (``log_loop``) or the
  symmetric log-domain fixed point (``log_symmetric_loop``).

``tol`` here is the matrix-scaling tolerance: the largest relative deviation
``|sum - target| / target`` of a row sum (the column sums are exact after an
alternating iteration, and equal to the row sums for the symmetric scaling).
"""

import numpy as np
from scipy import sparse

from ..utils._numba import n_chunks, select, use_parallel

__all__ = ["MatrixScaling"]

# Symmetric dense products read the upper triangle in this many row blocks of
# equal area (fixed, so results do not depend on the thread count).
_SYMV_BLOCKS = 16
# Over-relaxation of the symmetric fixed point (see _fixed_point).
_OMEGA = 2.0 / 3.0
# Newton-CG: lowest factor by which one outer step may shrink a scaling entry.
_NEWTON_ZMIN = 0.1
# Newton-CG: fixed-point steps while the error exceeds this.
_NEWTON_START = 1.0
# Newton-CG: largest cancellation in the tracked K x accepted without a fresh product.
_NEWTON_MAX_AMP = 1e3


def _kernels():
    from . import _scaling_kernels, _sinkhorn_kernels, _symmetric_kernels

    return _scaling_kernels, _sinkhorn_kernels, _symmetric_kernels


def _rel_err(r, a, s):
    if not s.any():
        return 0.0
    return float(np.max(np.abs(r[s] - a[s]) / a[s]))


def _log(verbose, method, it, err, n_mv):
    if verbose:
        print(f"[sinkhorn_normalize:{method}] iteration {it}: error={err:.3e}, matvecs={n_mv}")


class MatrixScaling:
    """Products with a validated ``K`` and the solvers that scale it.

    Parameters
    ----------
    K : ndarray of shape (n, m) or scipy.sparse CSR matrix
        Non-negative and finite; dense C-contiguous float32/float64, or CSR
        with sorted indices, no duplicates and float32/float64 data.
    symmetric : bool
        ``K`` is symmetric (square): products read the upper triangle of a
        dense ``K`` (a matrix symmetric only up to rounding is used through
        that triangle), and no transpose is built for a sparse one.
    n_threads : int
        Threads for the kernels (parallel variants only above
        ``PARALLEL_MIN_WORK["matvec"]``); results do not depend on it.
    """

    def __init__(self, K, *, symmetric, n_threads):
        sk, _, _ = _kernels()
        self.K = K
        self.shape = K.shape
        self.sparse = sparse.issparse(K)
        self.symmetric = bool(symmetric)
        self.n_threads = n_threads
        self.n_matvec = 0
        work = K.nnz if self.sparse else K.size
        self.parallel = use_parallel(work, n_threads, "matvec")
        self._matvec = select(sk.matvec, work, n_threads, "matvec")
        self.nb = n_chunks(n_threads) if self.parallel else 1
        if self.sparse:
            self.op = (K.indptr, K.indices, K.data)
            if not symmetric:
                KT = K.T.tocsr()
                self.op_t = (KT.indptr, KT.indices, KT.data)
            else:
                self.op_t = self.op
        elif symmetric:
            n = K.shape[0]
            bounds = sk.symmetric_blocks(n, _SYMV_BLOCKS)
            self.op = self.op_t = (K, bounds, np.empty((bounds.shape[0] - 1, n)))
        else:
            self.op, self.op_t = K, (K,)

    # ---------------------------------------------------------------- products

    def matvec(self, x):
        """``K @ x`` (float64), counted in ``n_matvec``."""
        self.n_matvec += 1
        out = np.empty(self.shape[0])
        self._matvec(self.op, x, out, self.nb)
        return out

    def rmatvec(self, u):
        """``K.T @ u`` (float64), counted in ``n_matvec``."""
        self.n_matvec += 1
        out = np.empty(self.shape[1])
        self._matvec(self.op_t, u, out, self.nb)
        return out

    # ----------------------------------------------------------------- solvers

    def solve(self, a, b, rows, cols, y, *, method, tol, max_iter, verbose):
        """Scale ``K`` to row sums ``a`` and column sums ``b`` on the supports.

        ``y`` is ``K @ cols`` (the product with the support's indicator);
        ``method`` is ``"fixed_point"`` or ``"newton"`` (symmetric scaling,
        ``b`` is ``a``) or ``"alternating"``; ``tol`` is the largest relative
        row-sum error (``None``: exactly ``max_iter`` iterations). Returns
        ``(u, v, n_iter, error)``, ``u is v`` for the symmetric scaling.
        """
        verbose = int(verbose)
        if method == "alternating":
            return self._alternating(a, b, rows, cols, y, tol, max_iter, verbose)
        if method == "newton":
            d, it, err = self._newton(a, rows, y, tol, max_iter, verbose)
        else:
            d, it, err = self._fixed_point(a, rows, y, tol, max_iter, verbose)
        return d, d, it, err

    def scaled(self, u, v, *, inplace=False):
        """``diag(u) K diag(v)`` in the dtype of ``K`` (CSR for a sparse ``K``)."""
        sk, _, _ = _kernels()
        K = self.K
        sym = u is v
        if self.sparse:
            data = np.empty(K.data.shape[0], dtype=np.float64)
            sk.csr_scale(K.indptr, K.indices, K.data, u, v, sym, data)
            return sparse.csr_matrix(
                (data.astype(K.dtype, copy=False), K.indices.copy(), K.indptr.copy()), shape=K.shape
            )
        out = K if inplace else np.empty(K.shape, dtype=K.dtype)
        if sym:
            select(sk.dense_scale_sym, K.size, self.n_threads, "matvec")(K, u, out)
        else:
            select(sk.dense_scale, K.size, self.n_threads, "matvec")(K, u, v, out)
        return out

    def _initial(self, a, s, y):
        """Best constant start ``c 1`` from ``y = K 1_s``: returns ``(x, Kx)``."""
        c = np.sqrt(a[s].sum() / y[s].sum())
        return np.where(s, c, 0.0), c * y

    def _fixed_point(self, a, s, y, tol, max_iter, verbose):
        """Over-relaxed symmetric fixed point: one product per iteration.

        ``d <- d * (a / (d * K d)) ** omega``; ``omega = 1/2`` is the classical
        ``d <- sqrt(d a / (K d))``. In log coordinates the error obeys
        ``e' = (I - omega (I + P)) e`` near the solution, whose rate
        ``max(|1 - 2 omega|, 1 - omega (1 + lambda_min(P)))`` is smallest at
        ``omega = 2 / (3 + lambda_min)``; ``omega = 2/3`` gives
        ``max(1/3, (1 - 2 lambda_min) / 3)``, never worse than the classical
        ``(1 - lambda_min) / 2`` for any ``lambda_min >= -1`` and 1/3 against
        1/2 for a positive semi-definite kernel. Should the error ever grow,
        the iteration falls back to ``omega = 1/2``. ``P = D K D`` stays
        exactly symmetric whatever ``d``.
        """
        d, Kd = self._initial(a, s, y)
        it, err, prev, omega = 0, np.inf, np.inf, _OMEGA
        while True:
            err = _rel_err(d * Kd, a, s)
            _log(verbose, "fixed_point", it, err, self.n_matvec)
            if not np.isfinite(err) or (tol is not None and err <= tol) or it >= max_iter:
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
            Kd = self.matvec(d)
        return d, it, err

    def _newton_step(self, x, Kx, S, v, a, s, err, tol, verbose):
        """One Knight-Ruiz step: CG on ``(D(x) K D(x) + D(v)) z = a + v``, ``x <- x z``.

        Returns ``(x, K x, S)`` with ``K x`` tracked through the CG products
        (no extra product) and ``S`` the magnitudes added up in it.
        """
        _, _, yk = _kernels()
        diagK = np.asarray(self.K.diagonal(), dtype=np.float64)
        minv = np.zeros_like(x)
        minv[s] = 1.0 / (x[s] * x[s] * diagK[s] + v[s])
        target = min(0.1, err) * err
        if tol is not None and target < 10 * tol:
            target = 0.1 * tol  # last step: aim below tol at once
        z, Kxz, Sz = s.astype(np.float64), Kx.copy(), S.copy()
        cg = yk.newton_cg.parallel if self.parallel else yk.newton_cg.serial
        n_prod, lin, nonlin = cg(
            self.op,
            self.nb,
            x,
            v,
            a,
            s,
            minv,
            z,
            Kxz,
            Sz,
            err,
            0.0 if tol is None else float(tol),
            tol is not None,
            target,
            _NEWTON_ZMIN,
            np.empty((6, x.shape[0])),
        )
        self.n_matvec += int(n_prod)
        if verbose > 1:
            print(
                f"    cg: {n_prod} products, linear residual {lin:.3e} (target "
                f"{target:.1e}), Newton residual {nonlin:.3e}"
            )
        return x * z, Kxz, Sz

    def _newton(self, a, s, y, tol, max_iter, verbose):
        """Knight-Ruiz style inexact Newton on ``x * (K x) = a`` (Jacobi-preconditioned CG).

        Far from the solution (error above ``_NEWTON_START``) a fixed-point
        step is taken instead; when ``tol`` is met on the tracked ``K x``, a
        fresh product confirms it unless the tracking's rounding is known small.
        """
        x, Kx = self._initial(a, s, y)
        S = np.abs(Kx)
        it, fresh, err = 0, True, np.inf
        while True:
            v = x * Kx
            err = _rel_err(v, a, s)
            _log(verbose, "newton", it, err, self.n_matvec)
            if not np.isfinite(err):
                break
            if tol is not None and err <= tol:
                # K x tracked through CG differs from a fresh product by rounding
                # only: about eps * (sum of the magnitudes added up) / |K x|.
                amp = float(np.max(S[s] / Kx[s]))
                if fresh or (err <= 0.5 * tol and amp <= _NEWTON_MAX_AMP):
                    break
                Kx = self.matvec(x)
                S = np.abs(Kx)
                fresh = True
                continue
            if it >= max_iter:
                break
            it += 1
            if err > _NEWTON_START:
                # a fixed-point step (one product, halves the error) beats a
                # Newton step, whose linear model overshoots
                x[s] = np.sqrt(x[s] * a[s] / Kx[s])
                Kx = self.matvec(x)
                S = np.abs(Kx)
                fresh = True
                continue
            x, Kx, S = self._newton_step(x, Kx, S, v, a, s, err, tol, verbose)
            fresh = False
        return x, it, err

    def _alternating(self, a, b, rows, cols, y, tol, max_iter, verbose):
        """``u <- a / (K v)``, ``v <- b / (K^T u)`` by the core's ``scaling_loop``."""
        sk, K, _ = _kernels()
        full = rows.all() and cols.all()
        if full:
            Kop, KTop = self.op, self.op_t
        else:
            # the loop needs positive row and column sums: the support's submatrix
            Ks = self.K[rows][:, cols] if self.sparse else self.K[np.ix_(rows, cols)]
            if self.sparse:
                Ks = sparse.csr_matrix(Ks)
                KsT = Ks.T.tocsr()
                Kop = (Ks.indptr, Ks.indices, Ks.data)
                KTop = (KsT.indptr, KsT.indices, KsT.data)
            else:
                Ks = np.ascontiguousarray(Ks)
                Kop, KTop = Ks, (Ks,)
        ar, bc = a[rows], b[cols]
        u = np.ones(ar.shape[0])
        v = np.ones(bc.shape[0])
        loop = K.scaling_loop.parallel if self.parallel else K.scaling_loop.serial
        it, err, status = loop(
            Kop,
            KTop,
            self.nb,
            ar,
            bc,
            ar,
            bc,
            u,
            v,
            1.0,
            1.0,
            int(max_iter),
            -1.0 if tol is None else float(tol),
            2,
            np.inf,
        )
        self.n_matvec += 2 * int(it) + (1 if status != 3 else 0)
        uf = np.zeros(self.shape[0])
        vf = np.zeros(self.shape[1])
        uf[rows] = u
        vf[cols] = v
        if status == 3:
            err = np.inf
        elif tol is None or status == 1:
            # the error of the returned scalings (the loop measured the last one
            # before its final update)
            err = _rel_err(uf * self.matvec(vf), a, rows)
        _log(verbose, "alternating", int(it), err, self.n_matvec)
        return uf, vf, int(it), float(err)

    # -------------------------------------------------------------- log domain

    @staticmethod
    def log_solve(L, loga, logb, rows, cols, *, symmetric, tol, max_iter, n_threads):
        """Scale ``exp(L)`` in the log domain; returns ``(f, g, n_iter, error, P)``.

        ``L`` (n, m) float32/float64 with ``-inf`` for zero entries, ``rows``
        and ``cols`` the supports (every support row and column has a finite
        entry), ``loga``/``logb`` the log targets. ``f`` and ``g`` are the log
        scalings (``-inf`` outside the supports), ``P = exp(L + f_i + g_j)``
        (float64, exactly symmetric for the symmetric scaling of a symmetric
        ``L``). ``error`` is the solver's last largest relative row error (-1
        with ``tol=None``: exactly ``max_iter`` iterations).
        """
        _, K, yk = _kernels()
        n, m = L.shape
        full = rows.all() and cols.all()
        with np.errstate(invalid="ignore"):
            M = -(L if full else L[np.ix_(rows, cols)])
        M = np.ascontiguousarray(M)
        la, lb = loga[rows], logb[cols]
        check = tol is not None
        f = np.zeros(M.shape[0])
        if symmetric:
            it, err = yk.log_symmetric_loop(
                M, la, f, int(max_iter), float(tol) if check else 0.0, check
            )
            g = f
        else:
            g = np.zeros(M.shape[1])
            a, b = np.exp(la), np.exp(lb)
            loop = K.log_loop_par if use_parallel(M.size, n_threads, "sinkhorn") else K.log_loop
            it, err, _ = loop(
                M,
                a,
                b,
                la,
                lb,
                f,
                g,
                1.0,
                1.0,
                1.0,
                int(max_iter),
                float(tol) if check else -1.0,
                2,
            )
            if not check:
                err = -1.0
        P = np.zeros((n, m))
        Ps = P if full else np.empty(M.shape)
        select(K.gibbs, M.size, n_threads, "sinkhorn")(M, f, g, 1.0, Ps)
        if not full:
            P[np.ix_(rows, cols)] = Ps
        F = np.full(n, -np.inf)
        G = np.full(m, -np.inf)
        F[rows] = f
        G[cols] = g
        return F, G, int(it), float(err), P
