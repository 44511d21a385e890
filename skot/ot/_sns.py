"""Sinkhorn-Newton-Sparse (Tang et al., 2024): the solver loop.

Sinkhorn warm-up, then Newton steps on the concave dual
``F(f, g) = <a, f> + <b, g> - reg * sum_ij exp((f_i + g_j - M_ij) / reg)``.
Each step keeps, in every row of the plan, its largest entries (at most
``n_keep``, and only those above ``_REL_KEEP`` times the row maximum: the
Hessian is then as sparse as the plan really is), and solves the Newton system
``[diag(r), Pk; Pk^T, diag(c)] d = reg * (a - r, b - c)`` (``r``, ``c`` the exact
full-row marginals). The solver is conjugate gradient with a Jacobi
preconditioner and an inexact-Newton stopping rule relative to the gradient;
when the plan is close to a permutation the system is so ill conditioned
(its spectral gap is the one that makes Sinkhorn slow) that CG stalls, and the
step is then solved directly: the Schur complement onto the smaller side is a
dense symmetric positive definite matrix once one coordinate is fixed (the
null direction ``(1, -1)``), factored by Cholesky. When the kept entries miss
much of a row's mass (diffuse plans, e.g. inside matched clusters), or full
steps stall on truncated rows, ``n_keep`` doubles. Far from the solution the
full Newton step overshoots along the slow (ill-conditioned) directions: a
Levenberg-Marquardt damping ``mu`` of the diagonal (starting at 1, raised
after damped steps, lowered to zero after full ones) keeps those steps short
and the first systems well conditioned. The line search
is backtracking (Armijo) on ``F``; close to the optimum the gain in ``F``
(about the squared marginal error) falls below the rounding of ``F``, and a
step is then accepted when it does not lose ``F`` beyond that rounding and
reduces the marginal error. When Sinkhorn's rate measured during the warm-up
reaches ``tol`` within a few Newton steps' cost (large ``reg``), Sinkhorn
continues (for twice its predicted count at most), and when Newton steps
converge slower than Sinkhorn iterations would, the solver finishes with
Sinkhorn. The public entry points live in :mod:`skot.ot._sinkhorn`.
"""

import math

import numpy as np

from ..utils._numba import blas_threads
from ._entropic import one_log_iteration, scaling_solve

# SNS: iterations over which the warm-up measures Sinkhorn's rate, and the cost
# of a Newton step in scaling iterations (a plan evaluation and a sparse solve).
_RATE_ITERS = 5
_NEWTON_COST = 10
# Sinkhorn alone finishes when its measured rate reaches tol in this many
# iterations (a few Newton steps' cost).
_SK_ENOUGH = 150
# ... judged only once the marginal error is below this fraction of the mass.
_SLOW_CHECK = 1e-2
# ... or after this many consecutive slow steps at any error.
_PATIENCE = 10
# Plan entries below this fraction of their row's maximum leave the Hessian.
_REL_KEEP = 1e-12
# CG stops at this relative residual at most (inexact Newton forcing term
# min(_CG_FORCING, relative marginal error), floored at _CG_FLOOR) ...
_CG_FORCING = 1e-3
_CG_FLOOR = 1e-12
# ... and when it ends above this relative residual, the system is solved
# directly from then on.
_CG_STALL = 0.1
# The number of entries kept per row doubles when they miss more than
# _DROPPED_FAR of some row's mass, or more than _DROPPED after a full Newton
# step that did not divide the marginal error by _GROW.
_GROW = 4.0
_DROPPED = 1e-6
_DROPPED_FAR = 1e-2
# Levenberg-Marquardt damping: _MU_START at first, divided by _MU_FACTOR after
# a full step (zero below _MU_MIN), multiplied after a damped one.
_MU_FACTOR = 10.0
_MU_MIN = 1e-6
_MU_START = 1.0
# Armijo constant and the longest backtracking; the first trial step moves no
# exponent (f_i + g_j - M_ij) / reg by more than _MAX_EXP.
_ARMIJO = 1e-4
_MAX_HALVINGS = 30
_MAX_EXP = 30.0


def _sns_kernels():
    from . import _sns_kernels

    return _sns_kernels


def _sinkhorn_kernels():
    from . import _sinkhorn_kernels

    return _sinkhorn_kernels


def _grounded_cholesky_solve(S, t):
    """Solve ``S x = t`` for a PSD ``S`` with the last unknown fixed at 0."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    p = S.shape[0] - 1
    x = np.zeros(p + 1)
    if p == 0:
        return x
    A = S[:p, :p]
    diag = np.diag(A).copy()
    for ridge in (0.0, 1e-14, 1e-12, 1e-10, 1e-8):
        B = A if ridge == 0.0 else A + np.diag(ridge * diag)
        try:
            factor = cho_factor(B, lower=True, check_finite=False)
        except LinAlgError:
            continue
        x[:p] = cho_solve(factor, t[:p], check_finite=False)
        if np.isfinite(x).all():
            return x
    x[:p] = np.linalg.lstsq(A, t[:p], rcond=None)[0]
    return x


def _direct_solve(K, r, c, idx, val, cnt, rhs):
    """Exact solution of the sparsified Newton system by a Schur complement."""
    n, m = r.shape[0], c.shape[0]
    u, v = rhs[:n], rhs[n:]
    kept = np.arange(idx.shape[1])[None, :] < cnt[:, None]
    vk = np.where(kept, val, 0.0)

    def Pk_dot(y):  # Pk @ y
        return (vk * y[idx]).sum(axis=1)

    def PkT_dot(x):  # Pk^T @ x
        return np.bincount(idx.ravel(), weights=(vk * x[:, None]).ravel(), minlength=m)

    if m <= n:
        S = np.empty((m, m))
        K.schur_rows(r, c, idx, val, cnt, S)
        y = _grounded_cholesky_solve(S, v - PkT_dot(u / r))
        x = (u - Pk_dot(y)) / r
    else:
        S = np.empty((n, n))
        K.schur_cols(r, c, idx, val, cnt, S)
        x = _grounded_cholesky_solve(S, u - Pk_dot(v / c))
        y = (v - PkT_dot(x)) / c
    return np.concatenate([x, y])


class _State:
    """The Newton iterate: the plan of (f, g), its marginals and kept entries."""

    def __init__(self, pb, reg, n_keep):
        self.pb, self.reg = pb, reg
        ns, ms = pb.M.shape
        self.k = max(1, min(ms, n_keep))
        self.P = np.empty((ns, ms))
        self.idx = np.zeros((ns, self.k), dtype=np.int32)
        self.val = np.zeros((ns, self.k))
        self.cnt = np.zeros(ns, dtype=np.int64)
        self.r = np.empty(ns)
        self.c = np.empty(ms)
        K = _sns_kernels()
        self._gibbs = pb.kernel(_sinkhorn_kernels().gibbs)
        self._stats = pb.kernel(K.plan_stats)
        self._cols = pb.kernel(K.col_sums)
        self.mass = pb.mass
        self.F = self.err = np.nan

    def evaluate(self, f, g):
        """Plan of (f, g), its exact marginals r, c and kept entries; F and the error."""
        pb = self.pb
        self._gibbs(pb.M, f, g, self.reg, self.P)
        self._stats(self.P, self.k, _REL_KEEP, self.idx, self.val, self.cnt, self.r)
        self._cols(self.P, self.c)
        F = float(pb.a @ f + pb.b @ g - self.reg * self.r.sum())
        err = float(np.abs(pb.a - self.r).sum() + np.abs(pb.b - self.c).sum())
        return F, err

    def refresh(self):
        self.F, self.err = self.evaluate(self.pb.f, self.pb.g)

    def widen(self, full_step, prev2, verbose):
        """Double the kept entries per row when the truncated rows miss mass."""
        ms = self.pb.M.shape[1]
        err = self.err
        stalled = full_step and prev2 is not None and err * _GROW > prev2
        if self.k >= ms or not (stalled or np.any(self.cnt == self.k)):
            return
        tiny = np.finfo(np.float64).tiny
        kept = np.arange(self.k)[None, :] < self.cnt[:, None]
        dropped = 1.0 - (np.where(kept, self.val, 0.0).sum(axis=1) / np.maximum(self.r, tiny)).min()
        if dropped > _DROPPED_FAR or (dropped > _DROPPED and stalled):
            ns = self.pb.M.shape[0]
            self.k = min(ms, 2 * self.k)
            self.idx = np.zeros((ns, self.k), dtype=np.int32)
            self.val = np.zeros((ns, self.k))
            self._stats(self.P, self.k, _REL_KEEP, self.idx, self.val, self.cnt, self.r)
            if verbose > 1:
                print(f"sns: now keeping up to {self.k} entries per row")


def _warm_up(st, pb, reg, max_iter, tol, n_warmup):
    """Sinkhorn iterations; returns (n_iter, done, Sinkhorn's measured rate).

    The last ``_RATE_ITERS`` measure Sinkhorn's linear rate; when that rate
    reaches ``tol`` within a few Newton steps' cost, Sinkhorn continues (for
    twice its predicted count at most).
    """
    warm = min(max(n_warmup, _RATE_ITERS), max_iter)
    first = max(0, warm - _RATE_ITERS)
    total, done = scaling_solve(pb, reg, 1.0, 1.0, first, tol, 0) if first else (0, False)
    if done:
        return total, True, 1.0
    _, err_a = st.evaluate(pb.f, pb.g)
    it, done = scaling_solve(pb, reg, 1.0, 1.0, warm - first, tol, 0)
    total += it
    if done:
        return total, True, 1.0
    st.refresh()
    err = st.err
    sk_rate = min(1.0, (err / err_a) ** (1.0 / it)) if err_a > 0 and it > 0 else 1.0
    if tol > 0 and 0.0 < sk_rate < 1.0 and err > 0:
        predicted = math.log(tol / err) / math.log(sk_rate)
        if predicted <= _SK_ENOUGH:
            # if Sinkhorn's rate slows down, the Newton steps take over
            budget = min(max_iter - total, 2 * int(predicted) + 1)
            it, done = scaling_solve(pb, reg, 1.0, 1.0, budget, tol, 0)
            total += it
            if done:
                return total, True, sk_rate
            st.refresh()
    return total, False, sk_rate


def _newton_direction(st, reg, mu, direct, cg_max_iter, verbose):
    """The (damped) sparsified Newton step; returns (step, direct solves from now on)."""
    K = _sns_kernels()
    pb = st.pb
    tiny = np.finfo(np.float64).tiny
    rhs = reg * np.concatenate([pb.a - st.r, pb.b - st.c])
    # Levenberg-Marquardt damping mu (relative to the diagonal): large far
    # from the solution, where full Newton steps overshoot, zero near it
    rs = np.maximum(st.r, tiny) * (1.0 + mu)
    cs = np.maximum(st.c, tiny) * (1.0 + mu)
    if not direct:
        rtol = max(_CG_FLOOR, min(_CG_FORCING, st.err / st.mass))
        d, n_cg, rel = K.sparse_cg(rs, cs, st.idx, st.val, st.cnt, rhs, cg_max_iter, rtol)
        if verbose > 1:
            print(
                f"sns: CG {n_cg} iterations, relative residual {rel:.1e}, "
                f"{int(st.cnt.sum())} entries kept"
            )
        if rel <= _CG_STALL:
            return d, False
        # CG stalls on an ill-conditioned system: solve directly
        if verbose:
            print(f"sns: CG stalled (relative residual {rel:.1e}); direct solves")
    with blas_threads(1):
        # one BLAS thread: results do not depend on the thread count, and no
        # oversubscription next to numba's threads
        d = _direct_solve(K, rs, cs, st.idx, st.val, st.cnt, rhs)
    return d, True


def _line_search(st, d, reg):
    """Backtracking (Armijo) along ``d``; returns (accepted, step length)."""
    pb = st.pb
    ns = pb.M.shape[0]
    df, dg = d[:ns], d[ns:]
    gf, gg = pb.a - st.r, pb.b - st.c
    slope = gf @ df + gg @ dg
    if not (slope > 0 and np.isfinite(slope) and np.isfinite(d).all()):
        return False, 0.0
    alpha = min(1.0, _MAX_EXP * reg / (np.abs(df).max() + np.abs(dg).max()))
    f0, g0, F, err = pb.f, pb.g, st.F, st.err
    # the rounding of F: below it only the marginal error can judge a step
    F_tol = 64 * np.finfo(np.float64).eps * (abs(F) + reg * float(st.r.sum()))
    for _ in range(_MAX_HALVINGS):
        ft = f0 + alpha * df
        gt = g0 + alpha * dg
        Ft, err_t = st.evaluate(ft, gt)
        if np.isfinite(Ft) and (
            Ft >= F + _ARMIJO * alpha * slope
            or (Ft >= F - F_tol and err_t <= (1.0 - 0.5 * alpha) * err)
        ):
            pb.f, pb.g, st.F, st.err = ft, gt, Ft, err_t
            return True, alpha
        alpha *= 0.5
    return False, 0.0


def _next_damping(mu, accepted, alpha):
    if accepted and alpha == 1.0:
        return mu / _MU_FACTOR if mu > _MU_MIN else 0.0
    if accepted and alpha >= 0.1:
        return max(mu * 2.0, _MU_MIN)
    return max(mu * _MU_FACTOR**2, _MU_MIN * 1e3)


def sns_solve(pb, reg, max_iter, tol, n_warmup, n_keep, cg_max_iter, verbose):
    """Sinkhorn warm-up, then Newton steps with a sparsified Hessian.

    ``tol`` is absolute (the L1 marginal error). Returns ``(n_iter, done)``.
    """
    st = _State(pb, reg, n_keep)
    total, done, sk_rate = _warm_up(st, pb, reg, max_iter, tol, n_warmup)
    if done:
        return total, True
    # a Newton step costs about _NEWTON_COST scaling iterations: worth it only
    # while it reduces the error more than that many Sinkhorn iterations would
    worth = sk_rate**_NEWTON_COST
    mu = _MU_START
    prev_err = prev2 = None
    slow = damped = 0
    full_step = True
    direct = False
    while total < max_iter:
        err = st.err
        if verbose:
            print(f"sns: iteration {total}, marginal error {err:.3e}")
        if err < tol:
            return total, True
        total += 1
        # damped steps (far from the solution) raise F but need not reduce the
        # marginal error: they are judged against a longer patience
        if prev_err is not None and err > worth * prev_err:
            slow += 1 if full_step else 0
            damped = 0 if full_step else damped + 1
        else:
            slow = damped = 0
        if (
            (slow >= 3 and err < _SLOW_CHECK * st.mass)
            or slow >= _PATIENCE
            or damped >= 3 * _PATIENCE
        ):
            # the sparsified Newton steps converge slower than plain Sinkhorn
            # (a dense plan, large reg): finish with Sinkhorn iterations
            it, done = scaling_solve(pb, reg, 1.0, 1.0, max_iter - total, tol, 0)
            return total + it, done
        prev_err = err
        st.widen(full_step, prev2, verbose)
        prev2 = err
        d, direct = _newton_direction(st, reg, mu, direct, cg_max_iter, verbose)
        accepted, alpha = _line_search(st, d, reg)
        if accepted:
            full_step = alpha == 1.0 and mu == 0.0
        mu = _next_damping(mu, accepted, alpha)
        if verbose > 1:
            print(
                f"sns: step {'accepted' if accepted else 'rejected'}, alpha {alpha:.2e}, "
                f"next damping {mu:.1e}"
            )
        if not accepted:
            # no ascent along the Newton direction: one Sinkhorn iteration instead
            one_log_iteration(pb, reg)
            st.refresh()
            full_step = True
    return total, bool(st.err < tol)
