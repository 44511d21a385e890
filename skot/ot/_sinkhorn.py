"""Entropic optimal transport: log-domain and stabilised Sinkhorn, Sinkhorn-Newton-Sparse,
epsilon scaling and unbalanced (KL-relaxed) Sinkhorn."""

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import numba_threads, select
from ..utils._validation import check_memory
from ._entropic import Problem, finish, log_solve, scaling_solve, ti_solve
from ._utils import (
    _MASS_RTOL,
    OTResult,
    check_init,
    check_masses,
    check_problem,
    check_reg,
    warn_convergence,
)

__all__ = [
    "sinkhorn",
    "sinkhorn2",
    "sinkhorn_newton_sparse",
    "sinkhorn_unbalanced",
    "sinkhorn_unbalanced2",
]

_METHODS = ("log", "scaling", "sns")


def _warn(done, what, max_iter, res, tol, stopped_reg=None):
    if not done:
        extra = ""
        if stopped_reg is not None:
            extra = (
                f"; epsilon scaling stopped mid-schedule: the plan returned is the one "
                f"of reg={stopped_reg:.10g}"
            )
        warn_convergence(
            f"{what} did not converge in max_iter={max_iter} iterations (marginal error "
            f"{res.marginal_error:.3e}, tol={tol:g} relative to the mass{extra}); "
            f"increase max_iter or reg."
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
    "M": ["array-like", "sparse matrix"],
    "reg": [Interval(Real, 0, None, closed="neither")],
    "method": [StrOptions(set(_METHODS))],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "init": [tuple, list, None],
    "epsilon_scaling": [Interval(Real, 0, 1, closed="neither"), None],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


def _batch_masses(w, B, size, name):
    """Masses of a batch: None/[] (uniform), (size,) shared, or (B, size)."""
    if w is None or (isinstance(w, (list, tuple)) and len(w) == 0):
        return np.full((B, size), 1.0 / size)
    arr = np.asarray(w)
    if arr.ndim == 1:
        return np.broadcast_to(check_masses(arr, size, name), (B, size)).copy()
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real masses, got the complex dtype {arr.dtype}.")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if arr.shape != (B, size):
        raise ValueError(
            f"{name} must have shape ({size},) or ({B}, {size}) to match M of a batch, got "
            f"shape {arr.shape}."
        )
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative, got min {arr.min()!r}.")
    tot = arr.sum(axis=1)
    if (tot <= 0).any():
        k = int(np.flatnonzero(tot <= 0)[0])
        raise ValueError(f"{name}[{k}] has zero total mass.")
    return arr


def check_batch(a, b, M):
    """Validate a stack of balanced problems; returns float64 (B, n), (B, m) and M."""
    if sparse.issparse(M):
        raise TypeError("M must be a dense array, got a sparse matrix; use M.toarray().")
    M = np.asarray(M)
    if np.iscomplexobj(M):
        raise TypeError(f"M must hold real numbers, got the complex dtype {M.dtype}.")
    if not (np.issubdtype(M.dtype, np.number) or M.dtype == bool):
        raise TypeError(f"M must hold numbers, got dtype {M.dtype}.")
    if M.dtype not in (np.float32, np.float64):
        M = M.astype(np.float64)
    B, n, m = M.shape
    if B == 0 or n == 0 or m == 0:
        raise ValueError(f"M is empty (shape {M.shape}).")
    if not np.isfinite(M).all():
        raise ValueError("M contains NaN or infinity.")
    check_memory(2 * M.size * 8, f"the {B} x {n} x {m} float64 plans of a Sinkhorn batch")
    A = _batch_masses(a, B, n, "a")
    Bm = _batch_masses(b, B, m, "b")
    sa, sb = A.sum(axis=1), Bm.sum(axis=1)
    off = np.abs(sa - sb) > _MASS_RTOL * np.maximum(sa, sb)
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"a and b must have the same total mass in every problem, got "
            f"a[{k}].sum()={sa[k]!r} and b[{k}].sum()={sb[k]!r}."
        )
    Bm = Bm * (sa / sb)[:, None]
    return A, Bm, np.ascontiguousarray(M)


def _sinkhorn_batch(a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs):
    from . import _sinkhorn_kernels as K

    if method == "sns":
        raise ValueError("method='sns' does not take a batch (M of shape (B, n, m)).")
    if init is not None:
        raise ValueError("init (warm start) does not take a batch (M of shape (B, n, m)).")
    if epsilon_scaling is not None:
        raise ValueError("epsilon_scaling does not take a batch (M of shape (B, n, m)).")
    A, Bm, M = check_batch(a, b, M)
    nb, n, m = M.shape
    P = np.empty((nb, n, m))
    f, u, kv = np.empty((nb, n)), np.empty((nb, n)), np.empty((nb, n))
    g, v, ktu = np.empty((nb, m)), np.empty((nb, m)), np.empty((nb, m))
    out = np.empty((nb, 3))
    with numba_threads(n_jobs) as n_threads:
        loop = select(K.batch_loop, M.size, n_threads, "sinkhorn")
        loop(M, A, Bm, reg, max_iter, tol, P, f, g, u, v, kv, ktu, out)
    Mf = M if M.dtype == np.float64 else M.astype(np.float64)
    cost = np.einsum("kij,kij->k", P, Mf)
    err = np.abs(P.sum(axis=2) - A).sum(axis=1) + np.abs(P.sum(axis=1) - Bm).sum(axis=1)
    return OTResult(
        P, cost, f, g, out[:, 0].astype(np.int64), out[:, 1] > 0, err, None, "sinkhorn_batch"
    )


def _warn_batch(res, max_iter, tol):
    bad = ~res.converged
    if bad.any():
        warn_convergence(
            f"sinkhorn: {int(bad.sum())} of {bad.size} problems of the batch did not converge "
            f"in max_iter={max_iter} iterations (first: problem {int(np.flatnonzero(bad)[0])}, "
            f"tol={tol:g} relative to the mass); increase max_iter or reg."
        )


def _sinkhorn(
    a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs, verbose, sns_options=None
):
    reg = check_reg(reg)
    if not sparse.issparse(M) and np.ndim(M) == 3:
        res = _sinkhorn_batch(a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs)
        return res, "batch"
    a, b, M = check_problem(a, b, M)
    init = check_init(init, *M.shape)
    verbose = int(verbose)
    pb = Problem(a, b, M, init, n_jobs, need_kernel=method != "log")
    regs = _reg_schedule(pb.M, reg, epsilon_scaling)
    sns_options = sns_options or {"n_warmup": 20, "n_keep": 50, "cg_max_iter": 200}
    total, done = 0, False
    ran_reg, snapshot = reg, None  # the reg of the potentials; the last completed stage
    with numba_threads(n_jobs) as n_threads:
        pb.n_threads = n_threads
        for stage, r in enumerate(regs):
            last = stage == len(regs) - 1
            budget = max_iter - total
            # tol is relative to the mass: the kernels compare absolute L1 errors
            stage_tol = (tol if last else max(tol, 1e-3)) * pb.mass
            if budget <= 0:
                break
            ran_reg = r
            if method == "log":
                it, done = log_solve(pb, r, 1.0, 1.0, budget, stage_tol, 0)
            elif method == "scaling" or not last:
                it, done = scaling_solve(pb, r, 1.0, 1.0, budget, stage_tol, 0)
            else:
                from ._sns import sns_solve

                it, done = sns_solve(pb, r, budget, stage_tol, verbose=verbose, **sns_options)
            total += it
            if verbose:
                print(f"sinkhorn[{method}]: reg={r:g}, {it} iterations, converged={done}")
            if not last:
                if done:
                    snapshot = (pb.f.copy(), pb.g.copy(), r)
                done = False
        res = finish(pb, ran_reg, done, total, method)
        if not done and snapshot is not None and ran_reg != reg:
            # the budget ended mid-schedule: the plan of the last completed
            # stage, unless the interrupted stage already has a better one
            pb.f, pb.g = snapshot[0], snapshot[1]
            prev = finish(pb, snapshot[2], False, total, method)
            if not prev.marginal_error >= res.marginal_error:
                res, ran_reg = prev, snapshot[2]
    return res, (ran_reg if ran_reg != reg else None)


@validate_params(_SINKHORN_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn(
    a,
    b,
    M,
    reg,
    *,
    method="log",
    max_iter=1000,
    tol=1e-9,
    init=None,
    epsilon_scaling=None,
    n_jobs=None,
    verbose=0,
):
    r"""Entropy-regularised optimal transport (Sinkhorn).

    Solves :math:`\min_{P \ge 0,\ P1 = a,\ P^T 1 = b} \langle P, M\rangle
    + \mathrm{reg} \sum_{ij} P_{ij} (\log P_{ij} - 1)`, whose solution is
    :math:`P_{ij} = \exp((f_i + g_j - M_{ij}) / \mathrm{reg})`.

    Read more in the :ref:`User Guide <ot>`.

    A stack of problems (``M`` of shape ``(B, n, m)``) is solved in one
    compiled loop, in parallel over the problems when the batch is large
    (stabilised Sinkhorn-Knopp with log-domain fallbacks, whatever
    ``method`` among "log" and "scaling"; "sns", ``init`` and
    ``epsilon_scaling`` take single problems only); the result then has a
    leading batch axis (see :class:`OTResult`).

    Parameters
    ----------
    a : array-like of shape (n,), (B, n) or None
        Source masses (non-negative); ``None`` or ``[]`` means uniform; for a
        batch, one row per problem or one vector shared by all.
    b : array-like of shape (m,), (B, m) or None
        Target masses with the same total as ``a``; ``None`` or ``[]`` means
        uniform. Zero masses are allowed (their rows/columns of the plan are
        zero and their potentials ``-inf``).
    M : array-like of shape (n, m) or (B, n, m)
        Cost matrix (finite), or a stack of ``B`` of them. Normalise it (e.g.
        ``cost_matrix(..., norm="max")``) so that ``reg`` has a meaning
        independent of the scale.
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
        Stop when the L1 marginal error of the plan, ``|P 1 - a|_1 + |P^T 1 -
        b|_1``, divided by the total mass, is below ``tol`` (the meaning of
        ``tol`` in every balanced solver of :mod:`skot.ot`).
    init : tuple (f, g) or None, default=None
        Warm start from potentials in cost units (e.g. a previous result's
        ``f`` and ``g``).
    epsilon_scaling : float in (0, 1) or None, default=None
        When set, solve first with a large ``reg`` (the span of ``M``) and
        multiply it by this factor at each stage, warm-starting each stage,
        down to ``reg``. Useful for very small ``reg``.
    n_jobs : int or None, default=None
        Threads for the kernels (joblib semantics); results do not depend on it.
    verbose : int, default=0
        Print progress (0: nothing; 1: each stage; 2: each solver step).
        Booleans are accepted.

    Returns
    -------
    result : OTResult
        Dense ``plan``, ``cost`` ``<plan, M>``, potentials ``f`` and ``g``,
        ``n_iter``, ``converged`` and ``marginal_error`` (each with a leading
        axis of length ``B`` for a batch, ``method="sinkhorn_batch"``).
        When ``epsilon_scaling`` runs out of ``max_iter`` mid-schedule, the
        plan of the last completed stage (potentials at that stage's
        ``reg``, named in the warning), ``converged=False``.

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
    res, stopped = _sinkhorn(
        a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs, verbose
    )
    if stopped == "batch":
        _warn_batch(res, max_iter, tol)
        return res
    _warn(res.converged, f"sinkhorn(method={method!r})", max_iter, res, tol, stopped)
    return res


@validate_params(_SINKHORN_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn2(
    a,
    b,
    M,
    reg,
    *,
    method="log",
    max_iter=1000,
    tol=1e-9,
    init=None,
    epsilon_scaling=None,
    n_jobs=None,
    verbose=0,
):
    """Transport cost ``<P, M>`` of the entropic plan of :func:`sinkhorn`.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,), (B, n) or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,), (B, m) or None
        Target masses with the same total; ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m) or (B, n, m)
        Cost matrix, or a stack of them (see :func:`sinkhorn`).
    reg : float
        Entropic regularisation, > 0.
    method : {"log", "scaling", "sns"}, default="log"
        Solver (see :func:`sinkhorn`).
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Tolerance on the L1 marginal error divided by the total mass.
    init : tuple (f, g) or None, default=None
        Warm-start potentials.
    epsilon_scaling : float in (0, 1) or None, default=None
        Decrease factor of ``reg`` across warm-started stages.
    n_jobs : int or None, default=None
        Threads for the kernels.
    verbose : int, default=0
        Print progress (0: nothing; 1: each stage; 2: each solver step).
        Booleans are accepted.

    Returns
    -------
    cost : float or ndarray of shape (B,)
        ``<plan, M>`` (no entropy term); one per problem for a batch.

    Examples
    --------
    >>> from skot.ot import sinkhorn2
    >>> round(sinkhorn2([1.0], [0.5, 0.5], [[0.0, 2.0]], reg=0.1), 6)
    1.0
    """
    res, stopped = _sinkhorn(
        a, b, M, reg, method, max_iter, tol, init, epsilon_scaling, n_jobs, verbose
    )
    if stopped == "batch":
        _warn_batch(res, max_iter, tol)
        return res.cost
    _warn(res.converged, f"sinkhorn(method={method!r})", max_iter, res, tol, stopped)
    return res.cost


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like", "sparse matrix"],
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
def sinkhorn_newton_sparse(
    a,
    b,
    M,
    reg,
    *,
    max_iter=200,
    tol=1e-9,
    init=None,
    n_warmup=20,
    n_keep=50,
    cg_max_iter=200,
    n_jobs=None,
    verbose=0,
):
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
        Tolerance on the L1 marginal error divided by the total mass.
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
    verbose : int, default=0
        Print progress (0: nothing; 1: each stage; 2: each solver step).
        Booleans are accepted.

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
    if not sparse.issparse(M) and np.ndim(M) == 3:
        raise ValueError("sinkhorn_newton_sparse does not take a batch (M of shape (B, n, m)).")
    res, _ = _sinkhorn(
        a, b, M, reg, "sns", max_iter, tol, init, None, n_jobs, verbose, sns_options=opts
    )
    _warn(res.converged, "sinkhorn_newton_sparse", max_iter, res, tol)
    return res


# ------------------------------------------------------------------ unbalanced


def _check_reg_m(r):
    if isinstance(r, bool) or not isinstance(r, Real):
        raise TypeError(f"reg_m must be a positive number or float('inf'), got {r!r}.")
    r = float(r)
    if math.isnan(r) or r <= 0:
        raise ValueError(f"reg_m must be positive (float('inf') allowed), got {r!r}.")
    return r


# below this ratio reg_m / reg, plain unbalanced Sinkhorn contracts fast enough
_TI_MIN_RATIO = 2.0


def _unbalanced_method(method, reg, rm_a, rm_b):
    if method != "auto":
        return method
    if np.isinf(rm_a) and np.isinf(rm_b):
        return "log"
    return "translation_invariant" if max(rm_a, rm_b) / reg >= _TI_MIN_RATIO else "log"


def _sinkhorn_unbalanced(
    a, b, M, reg, reg_m, method, max_iter, tol, init, n_jobs, verbose, reg_type
):
    reg = check_reg(reg)
    if isinstance(reg_m, (tuple, list)):
        if len(reg_m) != 2:
            raise ValueError(f"reg_m must be a number or a pair of numbers, got {reg_m!r}.")
        rm_a = _check_reg_m(reg_m[0])
        rm_b = _check_reg_m(reg_m[1])
    else:
        rm_a = rm_b = _check_reg_m(reg_m)
    a, b, M = check_problem(a, b, M, balanced=False)
    if np.isinf(rm_a) and np.isinf(rm_b):
        sa, sb = a.sum(), b.sum()
        if abs(sa - sb) > 1e-6 * max(sa, sb):
            raise ValueError(
                f"reg_m=inf on both marginals is the balanced problem: a and b must have the "
                f"same total mass, got a.sum()={sa!r} and b.sum()={sb!r}."
            )
        b = b * (sa / sb)
    method = _unbalanced_method(method, reg, rm_a, rm_b)
    init = check_init(init, *M.shape)
    pb = Problem(
        a,
        b,
        M,
        init,
        n_jobs,
        need_kernel=method == "scaling",
        kl_reg=reg if reg_type == "kl" else None,
    )
    tau_a = 1.0 if np.isinf(rm_a) else rm_a / (rm_a + reg)
    tau_b = 1.0 if np.isinf(rm_b) else rm_b / (rm_b + reg)
    with numba_threads(n_jobs) as n_threads:
        pb.n_threads = n_threads
        if method == "translation_invariant":
            it, done = ti_solve(pb, reg, rm_a, rm_b, max_iter, tol)
        else:
            solve = log_solve if method == "log" else scaling_solve
            it, done = solve(pb, reg, tau_a, tau_b, max_iter, tol, 1)
        res = finish(pb, reg, done, it, method)
    if verbose:
        print(f"sinkhorn_unbalanced[{method}]: {it} iterations, converged={done}")
    if not done:
        warn_convergence(
            f"sinkhorn_unbalanced(method={method!r}) did not converge in max_iter={max_iter} "
            f"iterations (tol={tol:g} on the largest change of a potential divided by reg); "
            f"increase max_iter."
        )
    return res


_UNBALANCED_PARAMS = {
    "a": ["array-like", None],
    "b": ["array-like", None],
    "M": ["array-like", "sparse matrix"],
    "reg": [Interval(Real, 0, None, closed="neither")],
    "reg_m": [Real, tuple, list],
    "method": [StrOptions({"auto", "log", "scaling", "translation_invariant"})],
    "reg_type": [StrOptions({"kl", "entropy"})],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "init": [tuple, list, None],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


@validate_params(_UNBALANCED_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn_unbalanced(
    a,
    b,
    M,
    reg,
    reg_m,
    *,
    method="auto",
    reg_type="kl",
    max_iter=1000,
    tol=1e-9,
    init=None,
    n_jobs=None,
    verbose=0,
):
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
        Marginal relaxation (KL weight), > 0, or one weight per marginal;
        ``float("inf")`` is the hard constraint on that marginal (both
        infinite: the balanced problem, ``a`` and ``b`` must then have the
        same total).
    method : {"auto", "log", "scaling", "translation_invariant"}, default="auto"
        ``"log"``: log-domain generalised Sinkhorn; ``"scaling"``:
        absorption-stabilised scaling iterations; ``"translation_invariant"``:
        the translation-invariant iteration of Séjourné, Vialard & Peyré
        (2022), which also optimises a common shift of both potentials at
        each half-iteration (many fewer iterations when ``reg_m >> reg``,
        where plain Sinkhorn contracts only by ``reg_m / (reg_m + reg)``).
        ``"auto"``: ``"translation_invariant"`` when ``reg_m / reg >= 2``,
        else ``"log"``. The result's ``method`` says which ran.
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
    verbose : int, default=0
        Print progress (0: nothing; 1: each stage; 2: each solver step).
        Booleans are accepted.

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
    return _sinkhorn_unbalanced(
        a, b, M, reg, reg_m, method, max_iter, tol, init, n_jobs, verbose, reg_type
    )


@validate_params(_UNBALANCED_PARAMS, prefer_skip_nested_validation=True)
def sinkhorn_unbalanced2(
    a,
    b,
    M,
    reg,
    reg_m,
    *,
    method="auto",
    reg_type="kl",
    max_iter=1000,
    tol=1e-9,
    init=None,
    n_jobs=None,
    verbose=0,
):
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
        Marginal relaxation, > 0 (``float("inf")``: hard constraint).
    method : {"auto", "log", "scaling", "translation_invariant"}, default="auto"
        Iterations (see :func:`sinkhorn_unbalanced`).
    reg_type : {"kl", "entropy"}, default="kl"
        Entropic term (see :func:`sinkhorn_unbalanced`).
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Stop when the largest change of a potential in an iteration, divided
        by ``reg``, is below ``tol`` (the meaning of ``tol`` in the unbalanced
        solvers).
    init : tuple (f, g) or None, default=None
        Warm-start potentials.
    n_jobs : int or None, default=None
        Threads for the kernels.
    verbose : int, default=0
        Print progress (0: nothing; 1: each stage; 2: each solver step).
        Booleans are accepted.

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
    return _sinkhorn_unbalanced(
        a, b, M, reg, reg_m, method, max_iter, tol, init, n_jobs, verbose, reg_type
    ).cost
