r"""Entropic transport with a class (group-sparsity) regulariser.

The solvers of Courty et al. for domain adaptation with labelled sources:
each target point is encouraged to receive mass from source points of one
class only. Two penalties, with POT's names (``ot.da.sinkhorn_lpl1_mm``,
``ot.da.sinkhorn_l1l2_gl``) and skot's conventions (masses may be ``None``,
one :class:`OTResult` whatever the options, ``ConvergenceWarning`` at the
iteration limits):

- :func:`sinkhorn_lpl1_mm`: :math:`\Omega(P) = \sum_j \sum_c
  (\sum_{i \in I_c} P_{ij})^{1/2}` (non-convex), by
  majorisation-minimisation;
- :func:`sinkhorn_l1l2_gl`: :math:`\Omega(P) = \sum_j \sum_c
  \|P_{I_c, j}\|_2` (convex group lasso), by generalised conditional
  gradient.

Every inner problem is an entropic transport solved by :func:`sinkhorn`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._utils import OTResult, check_problem, check_reg

__all__ = ["sinkhorn_l1l2_gl", "sinkhorn_lpl1_mm"]

_LPL1_P = 0.5
_LPL1_EPS = 1e-3

_PARAMS = {
    "a": ["array-like", None],
    "labels_a": ["array-like"],
    "b": ["array-like", None],
    "M": ["array-like"],
    "reg": [Interval(Real, 0, None, closed="neither")],
    "eta": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "max_inner_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "method": [StrOptions({"scaling", "log"})],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}
_LPL1_PARAMS = {**_PARAMS, "target_unit_mass": [Interval(Real, 0, None, closed="neither"), None]}

_SHARED_DOC = """
    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses; ``None`` means uniform.
    labels_a : array-like of shape (n,)
        Class of every source point (any values; classes are
        ``np.unique(labels_a)``).
    b : array-like of shape (m,) or None
        Target masses with the same total as ``a``; ``None`` means uniform.
    M : array-like of shape (n, m)
        Cost matrix (finite).
    reg : float
        Entropic regularisation of every inner solve, > 0 (cost units).
    eta : float, default=0.1
        Weight of the class regulariser, >= 0 (``0``: plain :func:`sinkhorn`).
    max_iter : int, default=10
        Outer iterations ({outer}).
    max_inner_iter : int, default=200
        Maximum iterations of each inner :func:`sinkhorn` solve.
    tol : float, default=1e-9
        Tolerance of each inner solve: the L1 marginal error of its plan over its
        mass, as :func:`sinkhorn`'s ``tol``.{tol_extra}
    method : {{"scaling", "log"}}, default="scaling"
        Method of the inner :func:`sinkhorn` solves (both reach the same plan).
    n_jobs : int or None, default=None
        Threads of the inner solves (joblib semantics); results do not depend
        on it.
    verbose : int, default=0
        ``> 0``: print one line per outer iteration; ``> 1``: also the inner
        solver's messages (``True``/``False`` are accepted as 1/0).{extra_params}

    Returns
    -------
    result : OTResult
        ``plan`` the regularised coupling; ``cost`` :math:`\\langle P, M\\rangle`
        (without the regularisers); ``f`` and ``g`` are NaN (the outer
        problem has no Sinkhorn potentials); ``n_iter`` outer iterations;
        ``converged`` whether {converged}; ``marginal_error`` the L1 error
        of both marginals of ``plan``.

    Warns
    -----
    ConvergenceWarning
        When an inner solve stops at ``max_inner_iter``{warn_extra}.
"""


_UNIT_DOC = """
    target_unit_mass : float or None, default=None
        Mass :math:`u` of one unit target point (see above); ``None`` means
        :math:`k_j = 1` for every target point, whatever its mass (POT's
        weights).
        :class:`skot.da.ClassRegularizedTransport` passes the mass of a
        target row of ``sample_weight`` 1."""


def _doc(outer, tol_extra, converged, warn_extra, extra_params=""):
    def deco(func):
        func.__doc__ = func.__doc__.replace(
            "    {shared}",
            _SHARED_DOC.strip("\n").format(
                outer=outer,
                tol_extra=tol_extra,
                converged=converged,
                warn_extra=warn_extra,
                extra_params=extra_params,
            ),
        )
        return func

    return deco


def _kernels():
    from . import _class_regularized_kernels as k

    return k


def _check(a, labels_a, b, M, reg):
    reg = check_reg(reg)
    a, b, M = check_problem(a, b, M)
    M = np.asarray(M, dtype=np.float64)
    labels_a = np.asarray(labels_a)
    if labels_a.ndim != 1 or labels_a.shape[0] != M.shape[0]:
        raise ValueError(
            f"labels_a must have shape ({M.shape[0]},) to match the rows of M, got shape "
            f"{labels_a.shape}."
        )
    if labels_a.dtype.kind == "f" and np.isnan(labels_a).any():
        raise ValueError("labels_a contains NaN: every source point needs a class.")
    classes, labels = np.unique(labels_a, return_inverse=True)
    return a, b, M, reg, labels.astype(np.int64).ravel(), classes.shape[0]


def _inner(a, b, M, reg, method, max_inner_iter, tol, n_jobs, verbose):
    from ._sinkhorn import sinkhorn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return sinkhorn(
            a,
            b,
            M,
            reg,
            method=method,
            max_iter=max_inner_iter,
            tol=tol,
            n_jobs=n_jobs,
            verbose=verbose > 1,
        )


def _result(P, M, a, b, n_iter, converged):
    err = float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())
    return OTResult(
        P,
        float(np.sum(P * M)),
        np.full(a.shape[0], np.nan),
        np.full(b.shape[0], np.nan),
        int(n_iter),
        bool(converged),
        err,
    )


def _warn(name, converged, max_inner_iter, tol, extra=""):
    if not converged:
        warnings.warn(
            f"{name}: an inner Sinkhorn solve stopped at max_inner_iter={max_inner_iter}"
            f"{extra} before reaching tol={tol}; increase them.",
            ConvergenceWarning,
            stacklevel=4,
        )


@validate_params(_LPL1_PARAMS, prefer_skip_nested_validation=True)
@_doc(
    "majorisation steps, each one inner solve",
    "",
    "every inner solve reached ``tol``",
    "",
    _UNIT_DOC.rstrip(),
)
def sinkhorn_lpl1_mm(
    a,
    labels_a,
    b,
    M,
    reg,
    eta=0.1,
    *,
    max_iter=10,
    max_inner_iter=200,
    tol=1e-9,
    method="scaling",
    n_jobs=None,
    verbose=0,
    target_unit_mass=None,
):
    r"""Entropic transport with the non-convex lp-l1 class regulariser (MM).

    Solves

    .. math::

        \min_P \langle P, M\rangle + \mathrm{reg} \sum_{ij} P_{ij} \log P_{ij}
        + \eta \sum_j \sum_c \Big(\sum_{i \in I_c} P_{ij}\Big)^{1/2}

    over the couplings of ``a`` and ``b`` (:math:`I_c`: the source points of
    class :math:`c`) by majorisation-minimisation: ``max_iter`` Sinkhorn
    solves on the cost :math:`M + \eta W`, with the weights
    :math:`W_{ij} = \tfrac12 (\sum_{k \in I_{c(i)}} P_{kj} + 10^{-3})^{-1/2}`
    linearising the penalty at the previous plan (:math:`W = 0` first). The
    same algorithm as POT's ``ot.da.sinkhorn_lpl1_mm``, with skot's
    argument conventions.

    Target points of unequal mass: a target point of mass :math:`b_j` counts
    as :math:`k_j = b_j / u` repeated points of mass :math:`u`
    (``target_unit_mass``), so the penalty is :math:`\sum_j \sum_c k_j
    (S_{cj} / k_j)^{1/2}` with :math:`S_{cj} = \sum_{i \in I_c} P_{ij}`, and
    :math:`W_{ij} = \tfrac12 (S_{c(i)j} / k_j + 10^{-3})^{-1/2}`: integer
    masses give exactly the plan of repeated points. Without ``u``,
    :math:`k_j = 1` for every point (POT's algorithm, the same for uniform
    ``b`` and ``u = 1/m``).

    Read more in the :ref:`User Guide <ot>`.

    {shared}

    See Also
    --------
    sinkhorn_l1l2_gl : The convex group-lasso penalty.
    skot.da.ClassRegularizedTransport : The domain-adaptation transporter.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia. "Domain adaptation with regularized
       optimal transport." ECML PKDD 2014.
    .. [2] N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy. "Optimal
       Transport for Domain Adaptation." IEEE TPAMI 39(9), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn_lpl1_mm
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = sinkhorn_lpl1_mm(None, [0, 1], None, M, reg=0.1, eta=1.0)
    >>> res.plan.round(3)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    a, b, M, reg, labels, n_classes = _check(a, labels_a, b, M, reg)
    K = _kernels()
    W = np.zeros_like(M)
    sums = np.empty((n_classes, M.shape[1]))
    if target_unit_mass is None:
        inv_k = None  # every k_j = 1: exactly POT's weights
    else:
        k = b / float(target_unit_mass)
        # a point of zero mass receives nothing: its weight does not matter
        inv_k = np.where(k > 0, 1.0 / np.where(k > 0, k, 1.0), 0.0)
    converged = True
    P = None
    for it in range(max_iter):
        res = _inner(a, b, M + eta * W, reg, method, max_inner_iter, tol, n_jobs, verbose)
        converged &= bool(res.converged)
        if verbose:
            print(
                f"sinkhorn_lpl1_mm: outer iteration {it + 1}, {int(res.n_iter)} Sinkhorn "
                f"iterations, marginal error {float(res.marginal_error):.3e}"
            )
        P = np.ascontiguousarray(res.plan)
        K.group_sums(P, labels, n_classes, sums)
        if inv_k is not None:
            sums *= inv_k
        W = (_LPL1_P * (sums + _LPL1_EPS) ** (_LPL1_P - 1.0))[labels]
    _warn("sinkhorn_lpl1_mm", converged, max_inner_iter, tol)
    return _result(P, M, a, b, max_iter, converged)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
@_doc(
    "conditional-gradient steps, each one inner solve and a line search",
    "\n        The outer loop also stops when the objective changes by less than\n"
    "        ``tol`` relatively (or 1e-9 absolutely).",
    "every inner solve reached ``tol`` and the outer loop its stopping rule or ``max_iter``",
    " (the outer loop stops at ``max_iter`` silently)",
)
def sinkhorn_l1l2_gl(
    a,
    labels_a,
    b,
    M,
    reg,
    eta=0.1,
    *,
    max_iter=10,
    max_inner_iter=200,
    tol=1e-9,
    method="scaling",
    n_jobs=None,
    verbose=0,
):
    r"""Entropic transport with the convex l1-l2 (group-lasso) class regulariser.

    Solves

    .. math::

        \min_P \langle P, M\rangle + \mathrm{reg} \sum_{ij} P_{ij} \log P_{ij}
        + \eta \sum_j \sum_c \|P_{I_c, j}\|_2

    over the couplings of ``a`` and ``b`` by generalised conditional
    gradient: from :math:`P = a b^\top`, each step solves a Sinkhorn problem
    on the cost linearised at the current plan, then an Armijo line search
    on :math:`\langle P, M\rangle + \eta\,\Omega(P)` along the segment to
    its solution. The algorithm of POT's ``ot.da.sinkhorn_l1l2_gl``, with
    skot's argument conventions.

    Read more in the :ref:`User Guide <ot>`.

    {shared}

    See Also
    --------
    sinkhorn_lpl1_mm : The non-convex lp-l1 penalty.
    skot.da.ClassRegularizedTransport : The domain-adaptation transporter.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy. "Optimal
       Transport for Domain Adaptation." IEEE TPAMI 39(9), 2017.
    .. [2] A. Rakotomamonjy, R. Flamary, N. Courty. "Generalized conditional
       gradient: analysis of convergence and applications." arXiv:1510.06567,
       2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn_l1l2_gl
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = sinkhorn_l1l2_gl(None, [0, 1], None, M, reg=0.1, eta=1.0)
    >>> res.plan.round(3)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    a, b, M, reg, labels, n_classes = _check(a, labels_a, b, M, reg)
    K = _kernels()
    norms = np.empty((n_classes, M.shape[1]))

    def objective(P):
        K.group_norms(P, labels, n_classes, norms)
        return float(np.sum(M * P)) + eta * float(norms.sum())

    def gradient(P):
        K.group_norms(P, labels, n_classes, norms)
        return P / np.maximum(norms, 1e-12)[labels]

    G = np.outer(a, b)
    f_G = objective(G)
    converged_inner = True
    it = 0
    stopped = False
    while it < max_iter:
        it += 1
        old = f_G
        Mi = M + eta * gradient(G)
        res = _inner(a, b, Mi, reg, method, max_inner_iter, tol, n_jobs, verbose)
        converged_inner &= bool(res.converged)
        delta = np.asarray(res.plan) - G
        alpha, f_G = _armijo(
            lambda t, G=G, delta=delta: objective(G + t * delta), old, float(np.sum(delta * Mi))
        )
        G = G + alpha * delta
        change = abs(f_G - old)
        if verbose:
            print(
                f"sinkhorn_l1l2_gl: outer iteration {it}, objective {f_G:.10g}, step "
                f"{alpha:.3g}, {int(res.n_iter)} Sinkhorn iterations"
            )
        if (f_G != 0 and change / abs(f_G) < tol) or change < 1e-9:
            stopped = True
            break
    _warn("sinkhorn_l1l2_gl", converged_inner, max_inner_iter, tol)
    return _result(G, M, a, b, it, converged_inner and (stopped or it == max_iter))


def _armijo(phi, phi0, slope, c1=1e-4, alpha0=0.99, alpha_min=0.0):
    """Backtracking Armijo line search with quadratic then cubic interpolation.

    Nocedal & Wright, Numerical Optimization (2006), section 3.5. Returns
    ``(alpha, phi(alpha))``; ``(0, phi0)`` when no step satisfies the
    sufficient-decrease condition.
    """

    def f(t):
        return phi(max(t, alpha_min))

    phi_a0 = f(alpha0)
    if phi_a0 <= phi0 + c1 * alpha0 * slope:
        return alpha0, phi_a0
    denom = 2.0 * (phi_a0 - phi0 - slope * alpha0)
    alpha1 = -slope * alpha0**2 / denom
    phi_a1 = f(alpha1)
    if phi_a1 <= phi0 + c1 * alpha1 * slope:
        return max(alpha1, alpha_min), phi_a1
    while alpha1 > alpha_min:
        d0 = phi_a0 - phi0 - slope * alpha0
        d1 = phi_a1 - phi0 - slope * alpha1
        factor = alpha0**2 * alpha1**2 * (alpha1 - alpha0)
        ca = (alpha0**2 * d1 - alpha1**2 * d0) / factor
        cb = (-(alpha0**3) * d1 + alpha1**3 * d0) / factor
        alpha2 = (-cb + np.sqrt(abs(cb**2 - 3.0 * ca * slope))) / (3.0 * ca)
        phi_a2 = f(alpha2)
        if phi_a2 <= phi0 + c1 * alpha2 * slope:
            return max(alpha2, alpha_min), phi_a2
        if alpha1 - alpha2 > alpha1 / 2.0 or 1.0 - alpha2 / alpha1 < 0.96:
            alpha2 = alpha1 / 2.0
        alpha0, alpha1 = alpha1, alpha2
        phi_a0, phi_a1 = phi_a1, phi_a2
    return 0.0, phi0
