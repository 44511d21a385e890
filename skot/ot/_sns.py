"""Sinkhorn-Newton-Sparse (Tang et al., 2024): the solver loop.

Sinkhorn warm-up, then Newton steps on the dual with the Hessian sparsified to
the largest plan entries of each row, conjugate gradient on the sparse system
and a backtracking line search; the public entry points live in
:mod:`skot.ot._sinkhorn`.
"""

import numpy as np

from ._sinkhorn import _scaling_solve

# SNS: iterations over which the warm-up measures Sinkhorn's rate, and the cost
# of a Newton step in scaling iterations (a plan evaluation and a sparse CG).
_RATE_ITERS = 5
_NEWTON_COST = 10
# ... judged only once the marginal error is below this fraction of the mass.
_SLOW_CHECK = 1e-2
# ... or after this many consecutive slow steps at any error.
_PATIENCE = 10


def _sns_kernels():
    from . import _sns_kernels

    return _sns_kernels


def _sinkhorn_kernels():
    from . import _sinkhorn_kernels

    return _sinkhorn_kernels


def sns_solve(pb, reg, max_iter, tol, parallel, n_warmup, n_keep, cg_max_iter, verbose):
    """Sinkhorn warm-up, then Newton steps with a top-k sparsified Hessian."""
    K = _sns_kernels()
    S = _sinkhorn_kernels()
    ns, ms = pb.M.shape
    k = max(1, min(ms, n_keep))
    P = np.empty((ns, ms))
    idx = np.zeros((ns, k), dtype=np.int64)
    val = np.zeros((ns, k))
    r = np.empty(ns)
    c = np.empty(ms)
    plan = K.plan_topk_par if parallel else K.plan_topk

    def current_error():
        plan(pb.M, pb.f, pb.g, reg, P, k, idx, val, r)
        K.col_sums(P, c)
        return float(np.abs(pb.a - r).sum() + np.abs(pb.b - c).sum())

    # warm-up; its last _RATE_ITERS iterations measure Sinkhorn's linear rate
    warm = min(max(n_warmup, _RATE_ITERS), max_iter)
    first = max(0, warm - _RATE_ITERS)
    total, done = _scaling_solve(pb, reg, 1.0, 1.0, first, tol, 0, parallel) if first else (0, False)
    if done:
        return total, True
    err_a = current_error()
    it, done = _scaling_solve(pb, reg, 1.0, 1.0, warm - first, tol, 0, parallel)
    total += it
    if done:
        return total, True
    err_b = current_error()
    # a Newton step costs about _NEWTON_COST scaling iterations: worth it only
    # while it reduces the error more than that many Sinkhorn iterations would
    sk_rate = min(1.0, (err_b / err_a) ** (1.0 / it)) if err_a > 0 and it > 0 else 1.0
    worth = sk_rate ** _NEWTON_COST
    F = pb.a @ pb.f + pb.b @ pb.g - reg * r.sum()
    row_step = S.log_row_step_par if parallel else S.log_row_step
    col_step = S.log_col_step_par if parallel else S.log_col_step
    prev_err = None
    slow = 0
    mass = float(pb.a.sum())
    while total < max_iter:
        gf = pb.a - r
        gg = pb.b - c
        err = np.abs(gf).sum() + np.abs(gg).sum()
        if verbose:
            print(f"sns: iteration {total}, marginal error {err:.3e}")
        if err < tol:
            return total, True
        total += 1
        if prev_err is not None and err > worth * prev_err:
            slow += 1
        else:
            slow = 0
        if (slow >= 3 and err < _SLOW_CHECK * mass) or slow >= _PATIENCE:
            # the sparsified Newton steps converge slower than plain Sinkhorn
            # (a dense plan, large reg): finish with Sinkhorn iterations
            it, done = _scaling_solve(pb, reg, 1.0, 1.0, max_iter - total, tol, 0, parallel)
            return total + it, done
        prev_err = err
        rhs = reg * np.concatenate([gf, gg])
        tiny = np.finfo(np.float64).tiny
        d, _ = K.sparse_cg(np.maximum(r, tiny), np.maximum(c, tiny), idx, val, rhs,
                           cg_max_iter, 1e-10)
        df, dg = d[:ns], d[ns:]
        slope = gf @ df + gg @ dg
        alpha, accepted = 1.0, False
        if slope > 0 and np.isfinite(slope):
            f0, g0 = pb.f.copy(), pb.g.copy()
            # near the solution the dual gain (about err**2) is below the rounding
            # of F: there a halved marginal error at no loss of F is accepted too
            F_tol = 64 * np.finfo(np.float64).eps * (abs(F) + reg * float(r.sum()))
            for _ in range(30):
                ft = f0 + alpha * df
                gt = g0 + alpha * dg
                plan(pb.M, ft, gt, reg, P, k, idx, val, r)
                Ft = pb.a @ ft + pb.b @ gt - reg * r.sum()
                if np.isfinite(Ft):
                    if Ft >= F + 1e-4 * alpha * slope:
                        accepted = True
                    elif Ft >= F - F_tol:
                        K.col_sums(P, c)
                        err_t = np.abs(pb.a - r).sum() + np.abs(pb.b - c).sum()
                        accepted = err_t <= 0.5 * err
                if accepted:
                    pb.f, pb.g, F = ft, gt, Ft
                    break
                alpha *= 0.5
            if not accepted:
                pb.f, pb.g = f0, g0
        if not accepted:
            # no ascent along the Newton direction: one Sinkhorn iteration instead
            row_step(pb.M, pb.a, pb.loga, pb.f, pb.g, reg, 1.0)
            col_step(pb.M, pb.b, pb.logb, pb.f, pb.g, reg, 1.0)
            plan(pb.M, pb.f, pb.g, reg, P, k, idx, val, r)
            F = pb.a @ pb.f + pb.b @ pb.g - reg * r.sum()
        K.col_sums(P, c)
    gf = pb.a - r
    gg = pb.b - c
    return total, bool(np.abs(gf).sum() + np.abs(gg).sum() < tol)
