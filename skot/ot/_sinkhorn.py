"""Entropic optimal transport: log-domain and stabilised Sinkhorn, Sinkhorn-Newton-Sparse,
epsilon scaling and unbalanced (KL-relaxed) Sinkhorn."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import numba_threads
from ..utils._validation import check_memory
from ._utils import (
    OTResult,
    check_init,
    check_init_support,
    check_problem,
    check_reg,
    marginal_error,
    restrict,
    support,
)

__all__ = [
    "sinkhorn",
    "sinkhorn2",
    "sinkhorn_newton_sparse",
    "sinkhorn_unbalanced",
    "sinkhorn_unbalanced2",
]

# Below this many cost entries the parallel kernels cost more than they save.
_PARALLEL_MIN_SIZE = 200_000
# Scalings beyond [1 / _ABSORB, _ABSORB] are folded into the potentials.
_ABSORB = 1e40
_METHODS = ("log", "scaling", "sns")



def _k():
    from . import _sinkhorn_kernels

    return _sinkhorn_kernels


class _Problem:
    """The support of a validated problem and its working arrays."""

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
        check_memory(extra * ns * ms * 8, f"{extra} x {ns} x {ms} float64 arrays for Sinkhorn",
                     hint="Use a coarser problem (fewer points).")
        with np.errstate(divide="ignore"):
            self.loga = np.log(self.a)
            self.logb = np.log(self.b)
        self.kl_reg = kl_reg
        if kl_reg is not None:
            # entropy relative to a b^T: the same problem with the cost
            # M - reg log a_i - reg log b_j and potentials shifted back at the end
            self.M_orig = self.M
            self.M = self.M - kl_reg * self.loga[:, None] - kl_reg * self.logb[None, :]
            if init is not None:
                init = (init[0] - kl_reg * np.log(np.maximum(a, 1e-300)),
                        init[1] - kl_reg * np.log(np.maximum(b, 1e-300)))
        if init is None:
            # c-transform start: every row and column of the kernel has an entry 1
            self.f = self.M.min(axis=1).astype(np.float64)
            self.g = (self.M - self.f[:, None]).min(axis=0).astype(np.float64)
        else:
            self.f, self.g = check_init_support(
                init[0][self.ia].copy() if self.reduced else init[0].copy(),
                init[1][self.ib].copy() if self.reduced else init[1].copy())
        self.n_jobs = n_jobs

    def parallel(self, n_threads):
        return n_threads > 1 and self.M.size >= _PARALLEL_MIN_SIZE


def _log_solve(pb, reg, tau_a, tau_b, max_iter, tol, crit, parallel):
    K = _k()
    loop = K.log_loop_par if parallel else K.log_loop
    it, _err, done = loop(pb.M, pb.a, pb.b, pb.loga, pb.logb, pb.f, pb.g, reg,
                         tau_a, tau_b, max_iter, tol, crit)
    return int(it), bool(done)


def _scaling_solve(pb, reg, tau_a, tau_b, max_iter, tol, crit, parallel):
    K = _k()
    ns, ms = pb.M.shape
    Kmat = np.empty((ns, ms))
    gibbs = K.gibbs_par if parallel else K.gibbs
    row_step = K.log_row_step_par if parallel else K.log_row_step
    col_step = K.log_col_step_par if parallel else K.log_col_step
    gibbs(pb.M, pb.f, pb.g, reg, Kmat)
    u = np.ones(ns)
    v = np.ones(ms)
    total, failures, done = 0, 0, False
    while total < max_iter:
        wa = pb.a if tau_a == 1.0 else pb.a * np.exp((1.0 - 1.0 / tau_a) * pb.f / reg)
        wb = pb.b if tau_b == 1.0 else pb.b * np.exp((1.0 - 1.0 / tau_b) * pb.g / reg)
        it, _err, status = K.scaling_loop(Kmat, pb.a, pb.b, wa, wb, u, v, tau_a, tau_b,
                                         max_iter - total, tol, crit, _ABSORB, parallel)
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
            row_step(pb.M, pb.a, pb.loga, pb.f, pb.g, reg, tau_a)
            col_step(pb.M, pb.b, pb.logb, pb.f, pb.g, reg, tau_b)
            total += 1
            if failures > 5:
                it, done = _log_solve(pb, reg, tau_a, tau_b, max_iter - total, tol, crit,
                                      parallel)
                return total + it, done
        gibbs(pb.M, pb.f, pb.g, reg, Kmat)
    pb.f += reg * np.log(u)
    pb.g += reg * np.log(v)
    return total, done


def _finish(pb, reg, parallel, done, n_iter, unbalanced=False):
    """Plan, cost and exact marginal error of the potentials; full-size outputs."""
    K = _k()
    if pb.kl_reg is not None:
        pb.M = pb.M_orig
        pb.f = pb.f + pb.kl_reg * pb.loga
        pb.g = pb.g + pb.kl_reg * pb.logb
        pb.kl_reg = None
    ns, ms = pb.M.shape
    P = np.empty((ns, ms))
    (K.gibbs_par if parallel else K.gibbs)(pb.M, pb.f, pb.g, reg, P)
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
    return OTResult(plan, cost, f, g, int(n_iter), bool(done), err)


def _warn(done, what, max_iter, res, tol):
    if not done:
        warnings.warn(
            f"{what} did not converge in max_iter={max_iter} iterations (marginal error "
            f"{res.marginal_error:.3e}, tol={tol:g}); increase max_iter or reg.",
            ConvergenceWarning,
            stacklevel=4,
        )


def _reg_schedule(M, reg, epsilon_scaling):
    if epsilon_scaling is None:
        return [reg]
    span = float(M.max() - M.min())
    start = max(reg, span)
    regs = []
    r = start
    while r > reg:
        regs.append(r)
        r *= epsilon_scaling
    regs.append(reg)
    return regs


_SINKHORN_PARAMS = {
    "a": ["array-like", None],
    "b": ["array-like", None],
    "M": ["array-like"],
    "reg": [Interval(Real, 0, None, closed="neither")],
    "method": [StrOptions(set(_METHODS))],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "init": [tuple, list, None],
    "epsilon_scaling": [Interval(Real, 0, 1, closed="neither"), None],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


def _sinkhorn(a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs, verbose,
              sns_options=None):
    reg = check_reg(reg)
    a, b, M = check_problem(a, b, M)
    init = check_init(init, *M.shape)
    pb = _Problem(a, b, M, init, n_jobs, need_kernel=method != "log")
    regs = _reg_schedule(pb.M, reg, epsilon_scaling)
    sns_options = sns_options or {"n_warmup": 20, "n_keep": 50, "cg_max_iter": 200}
    total, done = 0, False
    with numba_threads(n_jobs) as n_threads:
        parallel = pb.parallel(n_threads)
        for stage, r in enumerate(regs):
            last = stage == len(regs) - 1
            budget = max_iter - total
            stage_tol = tol if last else max(tol, 1e-3 * float(pb.a.sum()))
            if budget <= 0:
                break
            if method == "log":
                it, done = _log_solve(pb, r, 1.0, 1.0, budget, stage_tol, 0, parallel)
            elif method == "scaling" or not last:
                it, done = _scaling_solve(pb, r, 1.0, 1.0, budget, stage_tol, 0, parallel)
            else:
                from ._sns import sns_solve

                it, done = sns_solve(pb, r, budget, stage_tol, parallel,
                                      verbose=verbose, **sns_options)
            total += it
            if verbose:
                print(f"sinkhorn[{method}]: reg={r:g}, {it} iterations, converged={done}")
            if not last:
                done = False
        res = _finish(pb, reg, parallel, done, total)
    return res


@validate_params(_SINKHORN_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn(a, b, M, reg, *, method="log", max_iter=1000, tol=1e-9, init=None,
             epsilon_scaling=None, n_jobs=None, verbose=False):
    r"""Entropy-regularised optimal transport (Sinkhorn).

    Solves :math:`\min_{P \ge 0,\ P1 = a,\ P^T 1 = b} \langle P, M\rangle
    + \mathrm{reg} \sum_{ij} P_{ij} (\log P_{ij} - 1)`, whose solution is
    :math:`P_{ij} = \exp((f_i + g_j - M_{ij}) / \mathrm{reg})`.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (non-negative); ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses with the same total as ``a``; ``None`` or ``[]`` means
        uniform. Zero masses are allowed (their rows/columns of the plan are
        zero and their potentials ``-inf``).
    M : array-like of shape (n, m)
        Cost matrix (finite). Normalise it (e.g. ``cost_matrix(..., norm="max")``)
        so that ``reg`` has a meaning independent of the scale.
    reg : float
        Entropic regularisation, > 0.
    method : {"log", "scaling", "sns"}, default="log"
        ``"log"``: log-domain iterations, one fused pass over ``M`` per half
        iteration, stable for any ``reg``. ``"scaling"``: Sinkhorn-Knopp on the
        stored kernel with absorption of large scalings into the potentials
        (stable, several times faster per iteration). ``"sns"``:
        Sinkhorn-Newton-Sparse (see :func:`sinkhorn_newton_sparse`), far fewer
        iterations at small ``reg``.
    max_iter : int, default=1000
        Maximum number of iterations (Sinkhorn iterations plus Newton steps).
    tol : float, default=1e-9
        Stop when the L1 marginal error of the plan is below ``tol``.
    init : tuple (f, g) or None, default=None
        Warm start from potentials in cost units (e.g. a previous result's
        ``f`` and ``g``).
    epsilon_scaling : float in (0, 1) or None, default=None
        When set, solve first with a large ``reg`` (the span of ``M``) and
        multiply it by this factor at each stage, warm-starting each stage,
        down to ``reg``. Useful for very small ``reg``.
    n_jobs : int or None, default=None
        Threads for the kernels (joblib semantics); results do not depend on it.
    verbose : bool or int, default=False
        Print progress.

    Returns
    -------
    result : OTResult
        Dense ``plan``, ``cost`` ``<plan, M>``, potentials ``f`` and ``g``,
        ``n_iter``, ``converged`` and ``marginal_error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    sinkhorn2 : The cost only.
    emd : Exact (unregularised) transport.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = sinkhorn([0.5, 0.5], [0.5, 0.5], M, reg=0.1)
    >>> np.round(res.plan, 4)
    array([[0.5, 0. ],
           [0. , 0.5]])
    >>> res.converged
    True
    """
    res = _sinkhorn(a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs,
                    verbose)
    _warn(res.converged, f"sinkhorn(method={method!r})", max_iter, res, tol)
    return res


@validate_params(_SINKHORN_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn2(a, b, M, reg, *, method="log", max_iter=1000, tol=1e-9, init=None,
              epsilon_scaling=None, n_jobs=None, verbose=False):
    """Transport cost ``<P, M>`` of the entropic plan of :func:`sinkhorn`.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses with the same total; ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m)
        Cost matrix.
    reg : float
        Entropic regularisation, > 0.
    method : {"log", "scaling", "sns"}, default="log"
        Solver (see :func:`sinkhorn`).
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Tolerance on the L1 marginal error.
    init : tuple (f, g) or None, default=None
        Warm-start potentials.
    epsilon_scaling : float in (0, 1) or None, default=None
        Decrease factor of ``reg`` across warm-started stages.
    n_jobs : int or None, default=None
        Threads for the kernels.
    verbose : bool or int, default=False
        Print progress.

    Returns
    -------
    cost : float
        ``<plan, M>`` (no entropy term).

    Examples
    --------
    >>> from skot.ot import sinkhorn2
    >>> round(sinkhorn2([1.0], [0.5, 0.5], [[0.0, 2.0]], reg=0.1), 6)
    1.0
    """
    res = _sinkhorn(a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs,
                    verbose)
    _warn(res.converged, f"sinkhorn(method={method!r})", max_iter, res, tol)
    return res.cost


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like"],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [tuple, list, None],
        "n_warmup": [Interval(Integral, 0, None, closed="left")],
        "n_keep": [Interval(Integral, 1, None, closed="left")],
        "cg_max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def sinkhorn_newton_sparse(a, b, M, reg, *, max_iter=200, tol=1e-9, init=None, n_warmup=20,
                           n_keep=50, cg_max_iter=200, n_jobs=None, verbose=False):
    r"""Sinkhorn-Newton-Sparse: Sinkhorn warm-up, then sparse Newton steps on the dual.

    Maximises the concave dual :math:`F(f, g) = \langle a, f\rangle + \langle b,
    g\rangle - \mathrm{reg}\sum_{ij} e^{(f_i + g_j - M_{ij})/\mathrm{reg}}` (Tang et
    al., 2024). After ``n_warmup`` Sinkhorn iterations, each step solves the
    Newton system with the Hessian sparsified to the largest plan entries of
    every row (at most ``n_keep``, and only those above ``1e-12`` times the
    row maximum; ``n_keep`` doubles when the kept entries miss a sizeable
    part of a row's mass, or when full steps stall on truncated rows)
    and the exact marginals on its diagonal, by conjugate gradient (Jacobi
    preconditioner, the null direction ``(1, -1)`` projected out, stopped
    relative to the gradient), or, when CG stalls on the ill-conditioned
    systems of nearly-permutation plans, by a dense Cholesky factorisation of
    the Schur complement onto the smaller side. A Levenberg-Marquardt damping
    keeps the first steps short, and a backtracking (Armijo) line search on
    ``F`` sets the step (near the solution, where the gain in ``F`` is below
    its rounding, on the marginal error).

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses with the same total; ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m)
        Cost matrix.
    reg : float
        Entropic regularisation, > 0.
    max_iter : int, default=200
        Maximum number of iterations (warm-up Sinkhorn iterations plus Newton
        steps).
    tol : float, default=1e-9
        Tolerance on the L1 marginal error.
    init : tuple (f, g) or None, default=None
        Warm-start potentials in cost units.
    n_warmup : int, default=20
        Sinkhorn iterations before the first Newton step (at least 5: the
        last ones measure Sinkhorn's convergence rate; when the sparsified
        Newton steps are repeatedly slower than that, the solver finishes
        with Sinkhorn iterations).
    n_keep : int, default=50
        Most plan entries kept per row in the sparsified Hessian at first
        (doubled, up to ``m``, while the kept entries miss over 1% of a
        row's mass, or when the Newton steps stall on truncated rows).
    cg_max_iter : int, default=200
        Maximum conjugate-gradient iterations per Newton step; when CG ends
        far from its tolerance, the following steps use the direct solver.
    n_jobs : int or None, default=None
        Threads for the kernels.
    verbose : bool or int, default=False
        Print progress.

    Returns
    -------
    result : OTResult
        As :func:`sinkhorn`.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn_newton_sparse
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = sinkhorn_newton_sparse([0.5, 0.5], [0.5, 0.5], M, reg=0.05)
    >>> bool(res.marginal_error < 1e-9)
    True
    """
    opts = {"n_warmup": n_warmup, "n_keep": n_keep, "cg_max_iter": cg_max_iter}
    res = _sinkhorn(a, b, M, reg, "sns", max_iter, tol, init, None, n_jobs, verbose,
                    sns_options=opts)
    _warn(res.converged, "sinkhorn_newton_sparse", max_iter, res, tol)
    return res


# ------------------------------------------------------------------ unbalanced


def _sinkhorn_unbalanced(a, b, M, reg, reg_m, method, max_iter, tol, init, n_jobs, verbose,
                         reg_type):
    reg = check_reg(reg)
    if isinstance(reg_m, (tuple, list)):
        if len(reg_m) != 2:
            raise ValueError(f"reg_m must be a number or a pair of numbers, got {reg_m!r}.")
        rm_a = check_reg(reg_m[0], "reg_m")
        rm_b = check_reg(reg_m[1], "reg_m")
    else:
        rm_a = rm_b = check_reg(reg_m, "reg_m") if not (isinstance(reg_m, float)
                                                       and math.isinf(reg_m)) else np.inf
    a, b, M = check_problem(a, b, M, balanced=False)
    init = check_init(init, *M.shape)
    pb = _Problem(a, b, M, init, n_jobs, need_kernel=method == "scaling",
                  kl_reg=reg if reg_type == "kl" else None)
    tau_a = 1.0 if np.isinf(rm_a) else rm_a / (rm_a + reg)
    tau_b = 1.0 if np.isinf(rm_b) else rm_b / (rm_b + reg)
    with numba_threads(n_jobs) as n_threads:
        parallel = pb.parallel(n_threads)
        solve = _log_solve if method == "log" else _scaling_solve
        it, done = solve(pb, reg, tau_a, tau_b, max_iter, tol, 1, parallel)
        res = _finish(pb, reg, parallel, done, it)
    if verbose:
        print(f"sinkhorn_unbalanced[{method}]: {it} iterations, converged={done}")
    if not done:
        warnings.warn(
            f"sinkhorn_unbalanced did not converge in max_iter={max_iter} iterations "
            f"(tol={tol:g} on the relative change of the scalings); increase max_iter.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return res


_UNBALANCED_PARAMS = {
    "a": ["array-like", None],
    "b": ["array-like", None],
    "M": ["array-like"],
    "reg": [Interval(Real, 0, None, closed="neither")],
    "reg_m": [Interval(Real, 0, None, closed="neither"), tuple, list],
    "method": [StrOptions({"log", "scaling"})],
    "reg_type": [StrOptions({"kl", "entropy"})],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "init": [tuple, list, None],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


@validate_params(_UNBALANCED_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn_unbalanced(a, b, M, reg, reg_m, *, method="log", reg_type="kl", max_iter=1000,
                        tol=1e-9, init=None, n_jobs=None, verbose=False):
    r"""Unbalanced entropic transport with KL-penalised marginals.

    Solves :math:`\min_{P \ge 0} \langle P, M\rangle + \mathrm{reg}\,
    \mathrm{KL}(P \| ab^T) + \mathrm{reg\_m}\,(\mathrm{KL}(P1 \| a) +
    \mathrm{KL}(P^T1 \| b))` by the generalised Sinkhorn iterations of Chizat
    et al. (2018): each half-iteration is the balanced one raised to the power
    ``reg_m / (reg_m + reg)``. The plan is
    :math:`P_{ij} = \exp((f_i + g_j - M_{ij}) / \mathrm{reg})` with the
    entropic reference ``exp(-M / reg)`` (as POT's ``sinkhorn_unbalanced``).

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (any total); ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses (any total); ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m)
        Cost matrix.
    reg : float
        Entropic regularisation, > 0.
    reg_m : float or tuple of two floats
        Marginal relaxation (KL weight), > 0, or one weight per marginal; the
        balanced problem is the limit ``reg_m -> inf``.
    method : {"log", "scaling"}, default="log"
        Log-domain or absorption-stabilised scaling iterations.
    reg_type : {"kl", "entropy"}, default="kl"
        Entropic term: KL divergence to ``a b^T`` or the plain entropy.
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Stop when the largest change of a potential in an iteration, divided
        by ``reg``, is below ``tol``.
    init : tuple (f, g) or None, default=None
        Warm-start potentials in cost units.
    n_jobs : int or None, default=None
        Threads for the kernels.
    verbose : bool or int, default=False
        Print progress.

    Returns
    -------
    result : OTResult
        ``marginal_error`` is the (non-zero) L1 deviation of the plan's
        marginals from ``a`` and ``b``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn_unbalanced
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = sinkhorn_unbalanced([0.5, 0.5], [0.2, 0.8], M, reg=0.1, reg_m=1.0)
    >>> bool(res.plan.sum() < 1.0)
    True
    """
    return _sinkhorn_unbalanced(a, b, M, reg, reg_m, method, max_iter, tol, init, n_jobs,
                                verbose, reg_type)


@validate_params(_UNBALANCED_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn_unbalanced2(a, b, M, reg, reg_m, *, method="log", reg_type="kl", max_iter=1000,
                         tol=1e-9, init=None, n_jobs=None, verbose=False):
    """Transport cost ``<P, M>`` of the plan of :func:`sinkhorn_unbalanced`.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses; ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m)
        Cost matrix.
    reg : float
        Entropic regularisation, > 0.
    reg_m : float or tuple of two floats
        Marginal relaxation, > 0.
    method : {"log", "scaling"}, default="log"
        Iterations.
    reg_type : {"kl", "entropy"}, default="kl"
        Entropic term (see :func:`sinkhorn_unbalanced`).
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Tolerance on the relative change of the scalings.
    init : tuple (f, g) or None, default=None
        Warm-start potentials.
    n_jobs : int or None, default=None
        Threads for the kernels.
    verbose : bool or int, default=False
        Print progress.

    Returns
    -------
    cost : float
        ``<plan, M>`` (no regularisation terms).

    Examples
    --------
    >>> from skot.ot import sinkhorn_unbalanced2
    >>> cost = sinkhorn_unbalanced2([1.0], [1.0], [[0.5]], reg=0.1, reg_m=1.0)
    >>> bool(0 < cost < 0.5)
    True
    """
    return _sinkhorn_unbalanced(a, b, M, reg, reg_m, method, max_iter, tol, init, n_jobs,
                                verbose, reg_type).cost
