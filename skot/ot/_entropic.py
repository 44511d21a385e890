"""The entropic-OT core: a problem on its support and the two Sinkhorn engines.

:class:`Problem` holds a validated problem restricted to its positive masses
and its potentials; :func:`log_solve` (the fused one-pass log-domain
iteration) and :func:`scaling_solve` (Sinkhorn-Knopp on the stored kernel
with the large scalings absorbed into the potentials) advance the potentials;
:func:`finish` builds the :class:`OTResult`. :mod:`skot.ot._sinkhorn` and
:mod:`skot.ot._sns` both build on this module (it imports neither).
"""

import numpy as np

from ..utils._numba import n_chunks, select, use_parallel
from ..utils._validation import check_memory
from ._utils import OTResult, check_init_support, marginal_error, restrict, support

__all__ = ["ABSORB", "Problem", "finish", "log_solve", "scaling_solve", "ti_solve"]

# Scalings beyond [1 / ABSORB, ABSORB] are folded into the potentials.
ABSORB = 1e40


def kernels():
    from . import _sinkhorn_kernels

    return _sinkhorn_kernels


def _scaling_kernels():
    from . import _scaling_kernels

    return _scaling_kernels


class Problem:
    """The support of a validated problem, its working arrays and thread count."""

    def __init__(self, a, b, M, init, n_jobs, need_kernel, kl_reg=None):
        self.n, self.m = M.shape
        self.a_full, self.b_full, self.M_full = a, b, M
        self.ia, self.ib, self.reduced = support(a, b)
        if self.reduced:
            self.M = restrict(M, self.ia, self.ib)
            self.a, self.b = a[self.ia], b[self.ib]
        else:
            self.M, self.a, self.b = M, a, b
        ns, ms = self.M.shape
        extra = 2 if need_kernel else 1  # the plan (and the stored kernel)
        check_memory(
            extra * ns * ms * 8,
            f"{extra} x {ns} x {ms} float64 arrays for Sinkhorn",
            hint="Use a coarser problem (fewer points).",
        )
        with np.errstate(divide="ignore"):
            self.loga = np.log(self.a)
            self.logb = np.log(self.b)
        self.mass = float(self.a.sum())
        self.kl_reg = kl_reg
        if kl_reg is not None:
            # entropy relative to a b^T: the same problem with the cost
            # M - reg log a_i - reg log b_j and potentials shifted back at the end
            self.M_orig = self.M
            self.M = self.M - kl_reg * self.loga[:, None] - kl_reg * self.logb[None, :]
            if init is not None:
                init = (
                    init[0] - kl_reg * np.log(np.maximum(a, 1e-300)),
                    init[1] - kl_reg * np.log(np.maximum(b, 1e-300)),
                )
        if init is None:
            # c-transform start: every row and column of the kernel has an entry 1
            self.f = self.M.min(axis=1).astype(np.float64)
            self.g = (self.M - self.f[:, None]).min(axis=0).astype(np.float64)
        else:
            self.f, self.g = check_init_support(
                init[0][self.ia].copy() if self.reduced else init[0].copy(),
                init[1][self.ib].copy() if self.reduced else init[1].copy(),
            )
        self.n_jobs = n_jobs
        self.n_threads = 1

    @property
    def parallel(self):
        """Whether one pass over the support's cost runs the parallel kernels."""
        return use_parallel(self.M.size, self.n_threads, "sinkhorn")

    def kernel(self, twin_kernel):
        """The serial or parallel variant of a twin kernel for this problem."""
        return select(twin_kernel, self.M.size, self.n_threads, "sinkhorn")


def log_solve(pb, reg, tau_a, tau_b, max_iter, tol, crit):
    """Log-domain iterations (``log_loop``); ``tol`` is absolute. Returns (n_iter, done)."""
    K = kernels()
    loop = K.log_loop_par if pb.parallel else K.log_loop
    it, _err, done = loop(
        pb.M, pb.a, pb.b, pb.loga, pb.logb, pb.f, pb.g, reg, tau_a, tau_b, max_iter, tol, crit
    )
    return int(it), bool(done)


def _one_log_iteration(pb, reg, tau_a, tau_b):
    K = kernels()
    parallel = pb.parallel
    row_step = K.log_row_step_par if parallel else K.log_row_step
    col_step = K.log_col_step_par if parallel else K.log_col_step
    row_step(pb.M, pb.a, pb.loga, pb.f, pb.g, reg, tau_a)
    col_step(pb.M, pb.b, pb.logb, pb.f, pb.g, reg, tau_b)


def scaling_solve(pb, reg, tau_a, tau_b, max_iter, tol, crit):
    """Stabilised Sinkhorn-Knopp on the stored kernel; returns (n_iter, done).

    The kernel of the current potentials is stored; the loop stops when a
    scaling leaves ``[1 / ABSORB, ABSORB]``, the scalings are folded into the
    potentials and the kernel rebuilt. A kernel sum that under- or overflows
    takes one exact log-domain iteration instead (after five, the log-domain
    loop finishes the job).
    """
    K = kernels()
    ns, ms = pb.M.shape
    Kmat = np.empty((ns, ms))
    gibbs = pb.kernel(K.gibbs)
    loop = pb.kernel(_scaling_kernels().scaling_loop)
    nb = n_chunks(pb.n_threads) if pb.parallel else 1
    gibbs(pb.M, pb.f, pb.g, reg, Kmat)
    u = np.ones(ns)
    v = np.ones(ms)
    total, failures, done = 0, 0, False
    while total < max_iter:
        wa = pb.a if tau_a == 1.0 else pb.a * np.exp((1.0 - 1.0 / tau_a) * pb.f / reg)
        wb = pb.b if tau_b == 1.0 else pb.b * np.exp((1.0 - 1.0 / tau_b) * pb.g / reg)
        it, _err, status = loop(
            Kmat,
            (Kmat,),
            nb,
            pb.a,
            pb.b,
            wa,
            wb,
            u,
            v,
            tau_a,
            tau_b,
            max_iter - total,
            tol,
            crit,
            ABSORB,
        )
        total += int(it)
        if status == 0:
            done = True
            break
        if status == 1:
            break
        pb.f += reg * np.log(u)
        pb.g += reg * np.log(v)
        u[:] = 1.0
        v[:] = 1.0
        if status == 3:
            # a kernel sum under- or overflowed: one exact log-domain iteration
            failures += 1
            _one_log_iteration(pb, reg, tau_a, tau_b)
            total += 1
            if failures > 5:
                it, done = log_solve(pb, reg, tau_a, tau_b, max_iter - total, tol, crit)
                return total + it, done
        gibbs(pb.M, pb.f, pb.g, reg, Kmat)
    pb.f += reg * np.log(u)
    pb.g += reg * np.log(v)
    return total, done


def _lse(x):
    mx = x.max()
    return mx + np.log(np.exp(x - mx).sum())


def ti_solve(pb, reg, rm_a, rm_b, max_iter, tol):
    """Translation-invariant unbalanced Sinkhorn (Séjourné, Vialard & Peyré, 2022).

    The KL-relaxed dual ``D(f, g)`` is not invariant to ``(f + t, g - t)``:
    ordinary unbalanced Sinkhorn then contracts only by ``reg_m / (reg_m +
    reg)`` per iteration, which is slow for ``reg_m >> reg``. Each
    half-iteration here maximises ``D`` exactly over the updated potential
    *and* a common translation ``t`` of both: with ``G`` the balanced update
    of ``f`` (``reg (log a - lse_j((g_j - M_ij) / reg))``), the optimum is
    ``f = tau_a (G + t)``, ``g <- g - t`` where ``t = (log A - log B) /
    (1 / (rm_a + reg) + 1 / rm_b)``, ``A = sum_i a_i exp(-G_i / (rm_a +
    reg))``, ``B = sum_j b_j exp(-g_j / rm_b)`` (an infinite ``rm`` gives the
    limits: ``1 / rm = 0``). Symmetric for ``g``. Every step is an exact block
    maximisation of the concave dual, so ``D`` increases monotonically.
    Stops when the largest change of a potential in an iteration, divided by
    ``reg``, is below ``tol``. Problems on the serial path run the compiled
    ``ti_loop``; the parallel path drives the parallel half-iteration kernels
    from Python (the same iteration, results equal up to rounding). Returns
    ``(n_iter, done)``.
    """
    K = kernels()
    parallel = pb.parallel
    inf_a, inf_b = np.isinf(rm_a), np.isinf(rm_b)
    tau_a = 1.0 if inf_a else rm_a / (rm_a + reg)
    tau_b = 1.0 if inf_b else rm_b / (rm_b + reg)
    ka = 0.0 if inf_a else 1.0 / (rm_a + reg)
    kb = 0.0 if inf_b else 1.0 / (rm_b + reg)
    ia = 0.0 if inf_a else 1.0 / rm_a
    ib = 0.0 if inf_b else 1.0 / rm_b
    if not parallel:
        # small problems: the whole loop compiled (no per-iteration overhead)
        work = np.empty((6, max(pb.M.shape)))
        it, done = K.ti_loop(
            pb.M,
            pb.loga,
            pb.logb,
            pb.f,
            pb.g,
            reg,
            tau_a,
            tau_b,
            ka,
            kb,
            ia,
            ib,
            max_iter,
            tol,
            work,
        )
        return int(it), bool(done)
    # large problems: each half-iteration on the parallel log-domain kernels
    row_step = K.log_row_step_par
    col_step = K.log_col_step_par
    f, g = pb.f, pb.g
    f0 = np.empty_like(f)
    g0 = np.empty_like(g)
    for it in range(1, max_iter + 1):
        f0[:] = f
        g0[:] = g
        row_step(pb.M, pb.a, pb.loga, f, g, reg, 1.0)
        if ka + ib > 0:
            t = (_lse(pb.loga - f * ka) - _lse(pb.logb - g * ib)) / (ka + ib)
            f += t
            g -= t
        f *= tau_a
        col_step(pb.M, pb.b, pb.logb, f, g, reg, 1.0)
        if kb + ia > 0:
            t = (_lse(pb.logb - g * kb) - _lse(pb.loga - f * ia)) / (kb + ia)
            g += t
            f -= t
        g *= tau_b
        ch = max(np.abs(f - f0).max(), np.abs(g - g0).max()) / reg
        if not np.isfinite(ch):
            return it, False
        if ch < tol:
            return it, True
    return max_iter, False


def one_log_iteration(pb, reg):
    """One exact balanced log-domain iteration (rows then columns)."""
    _one_log_iteration(pb, reg, 1.0, 1.0)


def finish(pb, reg, done, n_iter, method=None):
    """Plan, cost and exact marginal error of the potentials; full-size outputs."""
    K = kernels()
    if pb.kl_reg is not None:
        pb.M = pb.M_orig
        pb.f = pb.f + pb.kl_reg * pb.loga
        pb.g = pb.g + pb.kl_reg * pb.logb
        pb.kl_reg = None
    ns, ms = pb.M.shape
    P = np.empty((ns, ms))
    pb.kernel(K.gibbs)(pb.M, pb.f, pb.g, reg, P)
    if pb.reduced:
        plan = np.zeros((pb.n, pb.m))
        plan[np.ix_(pb.ia, pb.ib)] = P
        f = np.full(pb.n, -np.inf)
        g = np.full(pb.m, -np.inf)
        f[pb.ia] = pb.f
        g[pb.ib] = pb.g
    else:
        plan, f, g = P, pb.f, pb.g
    Mf = pb.M if pb.M.dtype == np.float64 else pb.M.astype(np.float64)
    cost = float(np.vdot(P, Mf))
    err = marginal_error(plan, pb.a_full, pb.b_full)
    return OTResult(plan, cost, f, g, int(n_iter), bool(done), err, None, method)
