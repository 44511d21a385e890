"""One front door to skot.ot's solvers: :func:`solve` (a cost matrix) and
:func:`solve_sample` (two point clouds).

Both pick the solver from the arguments (exact, Sinkhorn, Sinkhorn-Newton-
Sparse, unbalanced, sparsity-constrained, online), run it, and return its
:class:`OTResult` with ``objective`` (the regularised value, POT's ``value``)
and ``method`` (the solver that ran) filled in.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._utils import check_cost, check_masses

__all__ = ["solve", "solve_sample"]

_BALANCED_ENTROPIC = ("log", "scaling", "sns")
_UNBALANCED = ("log", "scaling", "translation_invariant")
_METHODS = {"auto", "emd", "sparsity_constrained", "online", *_BALANCED_ENTROPIC, *_UNBALANCED}

# balanced entropic "auto": SNS below this reg / span(M), log-domain Sinkhorn above
_SNS_MAX_REG = 1e-3


def _kl_div(p, q):
    """``sum p log(p / q) - p + q`` (0 log 0 = 0), POT's ``kl_div``."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    pos = p > 0
    return float(np.sum(p[pos] * np.log(p[pos] / q[pos])) - p.sum() + q.sum())


def _xlogx(P):
    P = np.asarray(P, dtype=np.float64)
    pos = P > 0
    return float(np.sum(P[pos] * np.log(P[pos])))


def _check_reg_or_none(reg):
    if reg is None:
        return 0.0
    if isinstance(reg, bool) or not isinstance(reg, Real):
        raise TypeError(f"reg must be None or a non-negative number, got {reg!r}.")
    reg = float(reg)
    if not math.isfinite(reg) or reg < 0:
        raise ValueError(f"reg must be None or a non-negative finite number, got {reg!r}.")
    return reg


def _check_unbalanced(unbalanced):
    """``None`` (balanced) or a pair of positive weights (inf allowed)."""
    if unbalanced is None:
        return None
    vals = unbalanced if isinstance(unbalanced, (tuple, list)) else (unbalanced, unbalanced)
    if len(vals) != 2:
        raise ValueError(
            f"unbalanced must be None, a number or a pair of numbers, got {unbalanced!r}."
        )
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, Real):
            raise TypeError(f"unbalanced must hold positive numbers, got {unbalanced!r}.")
        v = float(v)
        if math.isnan(v) or v <= 0:
            raise ValueError(f"unbalanced must be positive (inf allowed), got {unbalanced!r}.")
        out.append(v)
    if math.isinf(out[0]) and math.isinf(out[1]):
        return None  # the balanced limit
    return tuple(out)


def _refuse(what):
    raise ValueError(f"solve: {what} is not available in skot.ot.")


def _pick(reg, reg_type, unbalanced, unbalanced_type, method, max_nnz, M):
    """The solver to run: "emd", "sinkhorn_<m>", "unbalanced_<m>" or "sparsity_constrained"."""
    if method == "online":
        raise ValueError(
            "method='online' needs the point clouds: use solve_sample(..., lazy=True)."
        )
    if reg == 0.0:
        if unbalanced is not None:
            _refuse(
                "exact (reg=None or 0) unbalanced transport; give reg > 0 for the entropic "
                "unbalanced solver"
            )
        if max_nnz is not None:
            raise ValueError("max_nnz needs reg > 0 and reg_type='l2'.")
        if method not in ("auto", "emd"):
            raise ValueError(f"method={method!r} needs reg > 0; exact OT runs 'emd'.")
        return "emd"
    if reg_type == "l2" or max_nnz is not None:
        if reg_type != "l2":
            raise ValueError("max_nnz (sparsity-constrained OT) needs reg_type='l2'.")
        if unbalanced is not None:
            _refuse("unbalanced transport with reg_type='l2'")
        if method not in ("auto", "sparsity_constrained"):
            raise ValueError(
                f"method={method!r} does not solve reg_type='l2'; it runs 'sparsity_constrained'."
            )
        return "sparsity_constrained"
    if unbalanced is not None:
        if unbalanced_type != "kl":
            _refuse(f"unbalanced_type={unbalanced_type!r} (only 'kl')")
        if method not in ("auto", *_UNBALANCED):
            raise ValueError(
                f"method={method!r} does not solve unbalanced problems; use one of "
                f"{['auto', *_UNBALANCED]}."
            )
        return "unbalanced_" + method
    if method not in ("auto", *_BALANCED_ENTROPIC):
        raise ValueError(
            f"method={method!r} does not solve balanced entropic problems; use one of "
            f"{['auto', *_BALANCED_ENTROPIC]}."
        )
    if method == "auto":
        span = float(M.max() - M.min())
        method = "sns" if span > 0 and reg <= _SNS_MAX_REG * span else "log"
    return "sinkhorn_" + method


def _opts(max_iter, tol, init, n_jobs, verbose):
    out = {"n_jobs": n_jobs, "verbose": verbose}
    if max_iter is not None:
        out["max_iter"] = max_iter
    if tol is not None:
        out["tol"] = tol
    if init is not None:
        out["init"] = init
    return out


def _solve_matrix(M, a, b, reg, reg_type, unbalanced, unbalanced_type, method, max_nnz, opts):
    from ._emd import emd
    from ._sinkhorn import sinkhorn, sinkhorn_unbalanced
    from ._sparse import sparsity_constrained_ot

    reg = _check_reg_or_none(reg)
    unbalanced = _check_unbalanced(unbalanced)
    if not sparse.issparse(M) and np.ndim(M) == 3:
        return _solve_batch(M, a, b, reg, reg_type, unbalanced, method, max_nnz, opts)
    Mv = check_cost(M)
    n, m = Mv.shape
    aw = check_masses(a, n, "a")
    bw = check_masses(b, m, "b")
    kind = _pick(reg, reg_type, unbalanced, unbalanced_type, method or "auto", max_nnz, Mv)
    if kind == "emd":
        kw = {"max_iter": opts["max_iter"]} if "max_iter" in opts else {}
        res = emd(aw, bw, Mv, **kw)
        return res._replace(objective=res.cost, method="emd")
    if kind == "sparsity_constrained":
        kw = {k: opts[k] for k in ("max_iter", "tol") if k in opts}
        k = n if max_nnz is None else max_nnz
        res = sparsity_constrained_ot(aw, bw, Mv, reg, k, **kw)
        obj = res.cost + 0.5 * reg * float(np.sum(res.plan * res.plan))
        return res._replace(objective=obj, method=kind)
    if kind.startswith("unbalanced_"):
        res = sinkhorn_unbalanced(
            aw,
            bw,
            Mv,
            reg,
            unbalanced,
            method=kind[len("unbalanced_") :],
            reg_type="kl" if reg_type == "kl" else "entropy",
            **opts,
        )
        P = res.plan
        if reg_type == "kl":
            obj = res.cost + reg * _kl_div(P, aw[:, None] * bw[None, :])
        else:
            obj = res.cost + reg * _xlogx(P)
        if not math.isinf(unbalanced[0]):
            obj += unbalanced[0] * _kl_div(P.sum(1), aw)
        if not math.isinf(unbalanced[1]):
            obj += unbalanced[1] * _kl_div(P.sum(0), bw)
        return res._replace(objective=obj, method="sinkhorn_unbalanced_" + res.method)
    res = sinkhorn(aw, bw, Mv, reg, method=kind[len("sinkhorn_") :], **opts)
    P = res.plan
    if reg_type == "kl":
        obj = res.cost + reg * _kl_div(P, aw[:, None] * bw[None, :])
    else:
        obj = res.cost + reg * _xlogx(P)
    return res._replace(objective=obj, method=kind)


def _solve_batch(M, a, b, reg, reg_type, unbalanced, method, max_nnz, opts):
    """A stack of balanced problems: batched emd or batched Sinkhorn."""
    from ._emd import emd
    from ._sinkhorn import check_batch, sinkhorn

    if unbalanced is not None or reg_type == "l2" or max_nnz is not None:
        _refuse("a batch (M of shape (B, n, m)) other than balanced exact or entropic OT")
    if "init" in opts:
        raise ValueError("init (warm start) does not take a batch (M of shape (B, n, m)).")
    A, Bm, Mv = check_batch(a, b, M)
    if reg == 0.0:
        if method not in (None, "auto", "emd"):
            raise ValueError(f"method={method!r} needs reg > 0; exact OT runs 'emd'.")
        kw = {k: opts[k] for k in ("max_iter", "n_jobs") if k in opts}
        res = emd(A, Bm, Mv, **kw)
        return res._replace(objective=res.cost, method="emd_batch")
    if method not in (None, "auto", "log", "scaling"):
        raise ValueError(f"method={method!r} does not take a batch; use 'log' or None.")
    kw = {k: v for k, v in opts.items() if k != "verbose"}
    res = sinkhorn(A, Bm, Mv, reg, **kw)
    P = res.plan
    if reg_type == "kl":
        Q = A[:, :, None] * Bm[:, None, :]
        pos = P > 0
        t = np.where(pos, P * np.log(np.where(pos, P, 1.0) / Q), 0.0)
        reg_term = t.sum(axis=(1, 2)) - P.sum(axis=(1, 2)) + Q.sum(axis=(1, 2))
    else:
        pos = P > 0
        reg_term = np.where(pos, P * np.log(np.where(pos, P, 1.0)), 0.0).sum(axis=(1, 2))
    return res._replace(objective=res.cost + reg * reg_term, method="sinkhorn_batch")


_COMMON = {
    "a": ["array-like", None],
    "b": ["array-like", None],
    "reg": [Interval(Real, 0, None, closed="left"), None],
    "reg_type": [StrOptions({"kl", "entropy", "l2"})],
    "unbalanced": [Real, tuple, list, None],
    "unbalanced_type": [StrOptions({"kl", "tv", "l2"})],
    "method": [StrOptions(_METHODS), None],
    "max_iter": [Interval(Integral, 0, None, closed="left"), None],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


@validate_params(
    {
        "M": ["array-like", "sparse matrix"],
        **_COMMON,
        "max_nnz": [Interval(Integral, 1, None, closed="left"), None],
        "init": [tuple, list, None],
    },
    prefer_skip_nested_validation=True,
)
def solve(
    M,
    a=None,
    b=None,
    *,
    reg=None,
    reg_type="kl",
    unbalanced=None,
    unbalanced_type="kl",
    method=None,
    max_nnz=None,
    max_iter=None,
    tol=None,
    init=None,
    n_jobs=None,
    verbose=0,
):
    r"""Solve an optimal-transport problem on a cost matrix, picking the solver.

    Solves

    .. math::

        \min_{P \ge 0} \langle P, M\rangle + \mathrm{reg}\, R(P)
        + \rho_a D(P 1 \| a) + \rho_b D(P^T 1 \| b)

    where :math:`R` is ``reg_type`` and the marginal terms are hard
    constraints unless ``unbalanced`` gives :math:`(\rho_a, \rho_b)`:

    ============================  ===========================  =========================
    arguments                     problem                      solver (``result.method``)
    ============================  ===========================  =========================
    ``reg=None`` (or 0)           exact OT                     ``"emd"`` (:func:`emd`)
    ``reg > 0``, "kl"/"entropy"   entropic OT                  ``"sinkhorn_log"``,
                                                               ``"sinkhorn_scaling"``,
                                                               ``"sinkhorn_sns"``
    ... and ``unbalanced``        KL-relaxed entropic OT       ``"sinkhorn_unbalanced_*"``
    ``reg > 0``, ``"l2"``         quadratic OT (``max_nnz``:   ``"sparsity_constrained"``
                                  sparsity-constrained)
    ============================  ===========================  =========================

    ``method=None`` picks Sinkhorn-Newton-Sparse for a balanced entropic
    problem with ``reg <= 1e-3 * (max M - min M)`` and log-domain Sinkhorn
    otherwise, and the translation-invariant iteration for unbalanced
    problems with ``unbalanced / reg >= 2``. Combinations that skot has no
    solver for (exact unbalanced, ``unbalanced_type`` other than "kl",
    unbalanced quadratic) raise a ValueError.

    A stack of costs ``M`` of shape ``(B, n, m)`` (masses ``(n,)`` shared or
    ``(B, n)``) runs the batched :func:`emd` or :func:`sinkhorn` (balanced
    problems only; ``result.method`` is ``"emd_batch"`` or
    ``"sinkhorn_batch"``, every entry has a leading batch axis).

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    M : array-like of shape (n, m) or (B, n, m)
        Cost matrix (dense, finite), or a stack of them.
    a : array-like of shape (n,), (B, n) or None, default=None
        Source masses; ``None`` means uniform.
    b : array-like of shape (m,), (B, m) or None, default=None
        Target masses; ``None`` means uniform. Balanced problems need the
        same total as ``a``.
    reg : float or None, default=None
        Regularisation; ``None`` or 0 means exact OT.
    reg_type : {"kl", "entropy", "l2"}, default="kl"
        ``"kl"``: :math:`R(P) = \mathrm{KL}(P \| a b^T)`; ``"entropy"``:
        :math:`R(P) = \sum P \log P` (the same plan for balanced problems);
        ``"l2"``: :math:`R(P) = \frac12 \|P\|^2`.
    unbalanced : float, tuple of two floats or None, default=None
        Marginal relaxation weights :math:`(\rho_a, \rho_b)` (one number for
        both); ``float("inf")`` keeps a marginal as a constraint; ``None``
        means balanced.
    unbalanced_type : {"kl", "tv", "l2"}, default="kl"
        Divergence :math:`D` of the relaxed marginals; only ``"kl"`` has a
        solver (the others raise a ValueError).
    method : str or None, default=None
        Force a solver: ``"emd"``, ``"log"``, ``"scaling"``, ``"sns"``
        (balanced entropic), ``"log"``, ``"scaling"``,
        ``"translation_invariant"`` (unbalanced), ``"sparsity_constrained"``
        (``"l2"``); ``None`` or ``"auto"`` chooses (see above).
    max_nnz : int or None, default=None
        With ``reg_type="l2"``: most nonzeros per column of the plan
        (:func:`sparsity_constrained_ot`); ``None`` means unconstrained.
    max_iter : int or None, default=None
        Iteration budget; ``None`` keeps the chosen solver's default.
    tol : float or None, default=None
        Tolerance; ``None`` keeps the chosen solver's default (for balanced
        solvers the L1 marginal error relative to the mass).
    init : tuple (f, g) or None, default=None
        Warm-start potentials for the Sinkhorn solvers (ignored by the
        others).
    n_jobs : int or None, default=None
        Threads for the kernels of the Sinkhorn solvers.
    verbose : int, default=0
        Progress output of the Sinkhorn solvers.

    Returns
    -------
    result : OTResult
        The solver's result with ``objective`` (POT's ``value``: the
        linear cost plus the regularisation and marginal terms above) and
        ``method`` (the solver that ran); ``value_linear``, ``plan``,
        ``potentials`` and ``status`` as in POT.

    Warns
    -----
    ConvergenceWarning
        When the chosen solver stops before its tolerance.

    See Also
    --------
    solve_sample : The same front door on point clouds.

    Notes
    -----
    ``value`` is the minimised objective with :math:`\mathrm{KL}(p \| q) =
    \sum p \log(p / q) - p + q` (the generalised KL) and "entropy"
    :math:`R(P) = \sum P \log P`. It equals POT's ``value`` for balanced
    problems between probability vectors; POT's unbalanced ``value`` drops
    the mass terms ``- p + q`` (it is then identically 0 at the optimum),
    and for ``reg_type="l2"`` POT reports ``<P, M> + reg * sum(P ** 2)``
    although it minimises ``<P, M> + reg/2 * |P|^2``.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import solve
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = solve(M)
    >>> res.method, res.value
    ('emd', 0.0)
    >>> solve(M, reg=0.1).method
    'sinkhorn_log'
    """
    opts = _opts(max_iter, tol, init, n_jobs, verbose)
    return _solve_matrix(M, a, b, reg, reg_type, unbalanced, unbalanced_type, method, max_nnz, opts)


@validate_params(
    {
        "X_a": ["array-like"],
        "X_b": ["array-like"],
        **_COMMON,
        "metric": [StrOptions({"sqeuclidean", "euclidean", "cityblock", "chebyshev"})],
        "lazy": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def solve_sample(
    X_a,
    X_b,
    a=None,
    b=None,
    *,
    metric="sqeuclidean",
    reg=None,
    reg_type="kl",
    unbalanced=None,
    unbalanced_type="kl",
    method=None,
    lazy=False,
    max_iter=None,
    tol=None,
    n_jobs=None,
    verbose=0,
):
    r"""Solve an optimal-transport problem between two point clouds.

    With ``lazy=False`` the cost ``M = metric(X_a, X_b)`` is built
    (:func:`cost_matrix`) and :func:`solve` picks the solver. With
    ``lazy=True`` (entropic, balanced) :func:`sinkhorn_online` computes the
    cost on the fly: memory :math:`O(n + m)`, no plan stored
    (``plan`` is None; rows on demand with :func:`online_plan_rows`).

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    X_a : array-like of shape (n, d)
        Source points.
    X_b : array-like of shape (m, d)
        Target points.
    a : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    b : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    metric : {"sqeuclidean", "euclidean", "cityblock", "chebyshev"}, default="sqeuclidean"
        Ground cost between points (not normalised).
    reg : float or None, default=None
        Regularisation; ``None`` or 0 means exact OT.
    reg_type : {"kl", "entropy", "l2"}, default="kl"
        Regulariser (see :func:`solve`).
    unbalanced : float, tuple of two floats or None, default=None
        Marginal relaxation (see :func:`solve`).
    unbalanced_type : {"kl", "tv", "l2"}, default="kl"
        Divergence of the relaxed marginals (only ``"kl"`` is solved).
    method : str or None, default=None
        Force a solver (see :func:`solve`); ``"online"`` is ``lazy=True``.
    lazy : bool, default=False
        Never store the cost nor the plan (balanced entropic problems with
        ``metric`` "sqeuclidean" or "euclidean").
    max_iter : int or None, default=None
        Iteration budget; ``None`` keeps the solver's default.
    tol : float or None, default=None
        Tolerance; ``None`` keeps the solver's default.
    n_jobs : int or None, default=None
        Threads for the distance and solver kernels.
    verbose : int, default=0
        Progress output of the Sinkhorn solvers.

    Returns
    -------
    result : OTResult
        As :func:`solve`; for ``lazy=True`` ``plan`` is None, ``method`` is
        ``"sinkhorn_online"`` and ``objective`` comes from the potentials
        (exact at convergence).

    Warns
    -----
    ConvergenceWarning
        When the chosen solver stops before its tolerance.

    See Also
    --------
    solve : The same on a cost matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import solve_sample
    >>> X = np.array([[0.0], [1.0]])
    >>> res = solve_sample(X, X + 0.5)
    >>> res.method, res.value
    ('emd', 0.25)
    """
    from ._cost import _as_points, cost_matrix

    opts = _opts(max_iter, tol, None, n_jobs, verbose)
    if method == "online":
        lazy = True
    if not lazy:
        M = cost_matrix(X_a, X_b, metric=metric, n_jobs=n_jobs)
        return _solve_matrix(
            M, a, b, reg, reg_type, unbalanced, unbalanced_type, method, None, opts
        )
    from ._online import sinkhorn_online

    reg = _check_reg_or_none(reg)
    if reg == 0.0:
        raise ValueError("lazy=True needs reg > 0 (entropic OT); exact OT stores the cost.")
    if _check_unbalanced(unbalanced) is not None:
        _refuse("lazy (online) unbalanced transport")
    if reg_type == "l2":
        _refuse("lazy (online) transport with reg_type='l2'")
    if method not in (None, "auto", "online"):
        raise ValueError(f"lazy=True runs the online solver, got method={method!r}.")
    if metric not in ("sqeuclidean", "euclidean"):
        raise ValueError(f"lazy=True supports metric 'sqeuclidean' or 'euclidean', got {metric!r}.")
    X_a = _as_points(X_a, "X_a")
    X_b = _as_points(X_b, "X_b")
    aw = check_masses(a, X_a.shape[0], "a")
    bw = check_masses(b, X_b.shape[0], "b")
    res = sinkhorn_online(X_a, X_b, reg, a=aw, b=bw, metric=metric, **opts)
    # at the optimum, <P, M> + reg sum P log P = <a, f> + <b, g>
    ia, ib = aw > 0, bw > 0
    dual = float(aw[ia] @ res.f[ia] + bw[ib] @ res.g[ib])
    if reg_type == "kl":
        mass = float(aw.sum())
        sb = float(bw.sum())
        obj = (
            dual
            - reg * (float(aw[ia] @ np.log(aw[ia])) + float(bw[ib] @ np.log(bw[ib])))
            - reg * mass
            + reg * mass * sb
        )
    else:
        obj = dual
    return res._replace(objective=obj, method="sinkhorn_online")
