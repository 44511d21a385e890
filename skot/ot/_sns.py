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

from ._sinkhorn import _scaling_solve

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


_CONTROLLER = []


def _blas_limit():
    """One BLAS thread for the dense factorisation: results then do not depend
    on the thread count, and no oversubscription next to numba's threads
    (which made it many times slower); one controller per process."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


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


def sns_solve(pb, reg, max_iter, tol, parallel, n_warmup, n_keep, cg_max_iter, verbose):
    """Sinkhorn warm-up, then Newton steps with a sparsified Hessian."""
    K = _sns_kernels()
    S = _sinkhorn_kernels()
    ns, ms = pb.M.shape
    k = max(1, min(ms, n_keep))
    P = np.empty((ns, ms))
    idx = np.zeros((ns, k), dtype=np.int32)
    val = np.zeros((ns, k))
    cnt = np.zeros(ns, dtype=np.int64)
    r = np.empty(ns)
    c = np.empty(ms)
    gibbs = S.gibbs_par if parallel else S.gibbs
    stats = K.plan_stats_par if parallel else K.plan_stats
    cols = K.col_sums_par if parallel else K.col_sums
    mass = float(pb.a.sum())

    def evaluate(f, g):
        """Plan of (f, g), its exact marginals r, c and kept entries; F and the error."""
        gibbs(pb.M, f, g, reg, P)
        stats(P, k, _REL_KEEP, idx, val, cnt, r)
        cols(P, c)
        F = float(pb.a @ f + pb.b @ g - reg * r.sum())
        err = float(np.abs(pb.a - r).sum() + np.abs(pb.b - c).sum())
        return F, err

    # warm-up; its last _RATE_ITERS iterations measure Sinkhorn's linear rate
    warm = min(max(n_warmup, _RATE_ITERS), max_iter)
    first = max(0, warm - _RATE_ITERS)
    total, done = _scaling_solve(pb, reg, 1.0, 1.0, first, tol, 0, parallel) if first else (0, False)
    if done:
        return total, True
    _, err_a = evaluate(pb.f, pb.g)
    it, done = _scaling_solve(pb, reg, 1.0, 1.0, warm - first, tol, 0, parallel)
    total += it
    if done:
        return total, True
    F, err = evaluate(pb.f, pb.g)
    # a Newton step costs about _NEWTON_COST scaling iterations: worth it only
    # while it reduces the error more than that many Sinkhorn iterations would
    sk_rate = min(1.0, (err / err_a) ** (1.0 / it)) if err_a > 0 and it > 0 else 1.0
    worth = sk_rate ** _NEWTON_COST
    if tol > 0 and 0.0 < sk_rate < 1.0 and err > 0:
        predicted = math.log(tol / err) / math.log(sk_rate)
        if predicted <= _SK_ENOUGH:
            # Sinkhorn's measured rate reaches tol within a few Newton steps'
            # cost; if its rate slows down, the Newton steps take over
            budget = min(max_iter - total, 2 * int(predicted) + 1)
            it, done = _scaling_solve(pb, reg, 1.0, 1.0, budget, tol, 0, parallel)
            total += it
            if done:
                return total, True
            F, err = evaluate(pb.f, pb.g)
    row_step = S.log_row_step_par if parallel else S.log_row_step
    col_step = S.log_col_step_par if parallel else S.log_col_step
    tiny = np.finfo(np.float64).tiny
    mu = _MU_START
    prev_err = prev2 = None
    slow = damped = 0
    full_step = True
    direct = False
    while total < max_iter:
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
        if ((slow >= 3 and err < _SLOW_CHECK * mass) or slow >= _PATIENCE
                or damped >= 3 * _PATIENCE):
            # the sparsified Newton steps converge slower than plain Sinkhorn
            # (a dense plan, large reg): finish with Sinkhorn iterations
            it, done = _scaling_solve(pb, reg, 1.0, 1.0, max_iter - total, tol, 0, parallel)
            return total + it, done
        prev_err = err
        gf = pb.a - r
        gg = pb.b - c
        if k < ms and (full_step and prev2 is not None and err * _GROW > prev2
                       or np.any(cnt == k)):
            kept = np.arange(k)[None, :] < cnt[:, None]
            dropped = 1.0 - (np.where(kept, val, 0.0).sum(axis=1) / np.maximum(r, tiny)).min()
            if dropped > _DROPPED_FAR or (dropped > _DROPPED and full_step and prev2 is not None
                                          and err * _GROW > prev2):
                # the truncated rows miss mass that the Newton step needs
                k = min(ms, 2 * k)
                idx = np.zeros((ns, k), dtype=np.int32)
                val = np.zeros((ns, k))
                stats(P, k, _REL_KEEP, idx, val, cnt, r)
                if verbose > 1:
                    print(f"sns: now keeping up to {k} entries per row")
        prev2 = err
        rhs = reg * np.concatenate([gf, gg])
        # Levenberg-Marquardt damping mu (relative to the diagonal): large far
        # from the solution, where full Newton steps overshoot, zero near it
        rs = np.maximum(r, tiny) * (1.0 + mu)
        cs = np.maximum(c, tiny) * (1.0 + mu)
        d = None
        if not direct:
            rtol = max(_CG_FLOOR, min(_CG_FORCING, err / mass))
            d, n_cg, rel = K.sparse_cg(rs, cs, idx, val, cnt, rhs, cg_max_iter, rtol)
            if verbose > 1:
                print(f"sns: CG {n_cg} iterations, relative residual {rel:.1e}, "
                      f"{int(cnt.sum())} entries kept")
            if not rel <= _CG_STALL:
                # CG stalls on an ill-conditioned system: solve directly
                direct = True
                if verbose:
                    print(f"sns: CG stalled (relative residual {rel:.1e}); direct solves")
        if direct:
            with _blas_limit():
                d = _direct_solve(K, rs, cs, idx, val, cnt, rhs)
        df, dg = d[:ns], d[ns:]
        slope = gf @ df + gg @ dg
        accepted, alpha = False, 0.0
        if slope > 0 and np.isfinite(slope) and np.isfinite(d).all():
            alpha = min(1.0, _MAX_EXP * reg / (np.abs(df).max() + np.abs(dg).max()))
            f0, g0 = pb.f, pb.g
            # the rounding of F: below it only the marginal error can judge a step
            F_tol = 64 * np.finfo(np.float64).eps * (abs(F) + reg * float(r.sum()))
            for _ in range(_MAX_HALVINGS):
                ft = f0 + alpha * df
                gt = g0 + alpha * dg
                Ft, err_t = evaluate(ft, gt)
                if np.isfinite(Ft):
                    accepted = Ft >= F + _ARMIJO * alpha * slope or (
                        Ft >= F - F_tol and err_t <= (1.0 - 0.5 * alpha) * err)
                if accepted:
                    pb.f, pb.g, F, err = ft, gt, Ft, err_t
                    full_step = alpha == 1.0 and mu == 0.0
                    break
                alpha *= 0.5
        if accepted and alpha == 1.0:
            mu = mu / _MU_FACTOR if mu > _MU_MIN else 0.0
        elif accepted and alpha >= 0.1:
            mu = max(mu * 2.0, _MU_MIN)
        else:
            mu = max(mu * _MU_FACTOR ** 2, _MU_MIN * 1e3)
        if verbose > 1:
            print(f"sns: step {'accepted' if accepted else 'rejected'}, alpha {alpha:.2e}, "
                  f"next damping {mu:.1e}")
        if not accepted:
            # no ascent along the Newton direction: one Sinkhorn iteration instead
            row_step(pb.M, pb.a, pb.loga, pb.f, pb.g, reg, 1.0)
            col_step(pb.M, pb.b, pb.logb, pb.f, pb.g, reg, 1.0)
            F, err = evaluate(pb.f, pb.g)
            full_step = True
    return total, bool(err < tol)
