"""Optimal-transport mappings between a source and a target domain.

Every transporter is fitted on stacked rows ``X`` with ``sample_domain``
(``>= 0`` source, ``< 0`` target; see :mod:`skot.da`), learns a coupling with
a solver of :mod:`skot.ot` and maps source rows into the target domain.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseCouplingTransport, BaseTransport

__all__ = [
    "ClassRegularizedTransport",
    "EMDTransport",
    "LinearTransport",
    "SinkhornTransport",
    "UnbalancedSinkhornTransport",
]

_COMMON_DOC = """
    metric : str or callable, default="sqeuclidean"
        Ground cost between rows: any metric of :func:`skot.ot.cost_matrix`.
    norm : {"max", "median", "log", "loglog"}, float or None, default=None
        Cost normalisation: divide by the largest / median cost (the divisor
        is learnt in fit and reused for new rows), ``log(1 + C)``,
        ``log(1 + log(1 + C))``, or divide by a given number.
    batch_size : int, default=1024
        Rows per batch of the out-of-sample map (memory ``batch_size x
        n_fitted`` per batch; the fitted maps are never recomputed).
    n_jobs : int, default=None
        Threads of the cost, solver and out-of-sample kernels (joblib
        semantics). Results do not depend on it.
    verbose : int, default=0
        ``> 0``: print the solver's progress after fit (iterations, marginal
        error, transport cost, time); ``> 1``: also the solver's own
        per-stage or per-iteration messages."""


def _doc(cls):
    cls.__doc__ = cls.__doc__.replace("    {common}", _COMMON_DOC.strip("\n"))
    return cls


@_doc
class EMDTransport(BaseCouplingTransport):
    """Exact (earth mover's) optimal-transport mapping.

    Solves the unregularised optimal-transport problem between the uniform
    distributions of the source and target rows with
    :func:`skot.ot.emd`; source rows move to the barycentre of the target
    rows they are coupled with. New source rows move with the displacement of
    their nearest fitted source row (Ferradans et al.).

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    max_iter : int or None, default=None
        Maximum number of network-simplex pivots; ``None`` means no practical
        limit (see :func:`skot.ot.emd`).
    {common}

    Attributes
    ----------
    coupling_ : ndarray of shape (n_source, n_target)
        The optimal coupling between the fitted source and target rows.
    cost_ : ndarray of shape (n_source, n_target)
        The (normalised) ground cost.
    transport_cost_ : float
        ``<coupling_, cost_>``.
    cost_norm_ : float or None
        Divisor of ``norm="max"``/``"median"``, reused for new rows.
    n_iter_ : int
        Pivots run by the solver.
    converged_ : bool
        Whether the solver reached optimality before ``max_iter``.
    xs_ : ndarray of shape (n_source, n_features)
        Fitted source rows.
    xt_ : ndarray of shape (n_target, n_features)
        Fitted target rows.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    SinkhornTransport : Entropic regularisation, smoother and faster.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy. "Optimal
       Transport for Domain Adaptation." IEEE TPAMI 39(9), 2017.
    .. [2] S. Ferradans, N. Papadakis, G. Peyré, J.-F. Aujol. "Regularized
       discrete optimal transport." SIAM J. Imaging Sciences 7(3), 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import EMDTransport
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> EMDTransport().fit_transform(X, y).ravel()
    array([10., 11., 10., 11.])
    """

    _parameter_constraints: dict = {
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        **BaseCouplingTransport._common_constraints,
    }

    def __init__(self, *, max_iter=None, metric="sqeuclidean", norm=None,
                 batch_size=1024, n_jobs=None, verbose=0):
        self.max_iter = max_iter
        self.metric = metric
        self.norm = norm
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _solve(self, a, b, M, ys):
        from ..ot import emd

        return emd(a, b, M, max_iter=self.max_iter)


@_doc
class SinkhornTransport(BaseCouplingTransport):
    """Entropic optimal-transport mapping (Sinkhorn).

    Solves ``min_P <P, C> + reg * sum P log P`` over couplings of the uniform
    source and target distributions with :func:`skot.ot.sinkhorn`. Fitted
    source rows move to the barycentre of their coupled target rows; new rows
    use the entropic map of the dual potential ``g`` (Pooladian & Niles-Weed):
    ``T(x) = sum_j softmax_j((g_j - c(x, x_j)) / reg) x_j``, which equals the
    barycentric map on the fitted rows.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    reg : float, default=1.0
        Entropic regularisation (in cost units): larger is smoother and
        faster, smaller is closer to :class:`EMDTransport`.
    method : {"scaling", "log", "sns"}, default="scaling"
        Solver of :func:`skot.ot.sinkhorn`: matrix scaling with absorption
        of large scalings into the potentials (stable, the fastest per
        iteration: no exponential in the loop), log-domain iterations (one
        exponential per entry and iteration), or Sinkhorn-Newton-Sparse
        (Newton steps after a few Sinkhorn iterations; far fewer iterations
        for small ``reg``). All three reach the same coupling.
    max_iter : int, default=1000
        Maximum number of iterations of the solver.
    tol : float, default=1e-8
        Tolerance on the marginal error.
    out_of_sample : {"continuous", "ferradans"}, default="continuous"
        Map of new source rows: the entropic map of the dual potential, or the
        displacement of the nearest fitted source row.
    {common}

    Attributes
    ----------
    coupling_ : ndarray of shape (n_source, n_target)
        The entropic coupling between the fitted source and target rows.
    cost_ : ndarray of shape (n_source, n_target)
        The (normalised) ground cost.
    transport_cost_ : float
        ``<coupling_, cost_>``.
    cost_norm_ : float or None
        Divisor of ``norm="max"``/``"median"``, reused for new rows.
    n_iter_ : int
        Iterations run by the solver.
    converged_ : bool
        Whether the solver reached ``tol`` before ``max_iter``.
    xs_ : ndarray of shape (n_source, n_features)
        Fitted source rows.
    xt_ : ndarray of shape (n_target, n_features)
        Fitted target rows.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    EMDTransport : The unregularised transport.
    UnbalancedSinkhornTransport : Relaxed marginals.

    References
    ----------
    .. [1] M. Cuturi. "Sinkhorn distances: lightspeed computation of optimal
       transport." NeurIPS 2013.
    .. [2] A.-A. Pooladian, J. Niles-Weed. "Entropic estimation of optimal
       transport maps." arXiv:2109.12004, 2021.
    .. [3] X. Tang et al. "Accelerating Sinkhorn algorithm with sparse Newton
       iterations." ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import SinkhornTransport
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> st = SinkhornTransport(reg=1.0).fit(X, y)
    >>> st.transform([[0.5]], sample_domain=1).round(2)
    array([[10.5]])
    """

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "method": [StrOptions({"log", "scaling", "sns"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "out_of_sample": [StrOptions({"continuous", "ferradans"})],
        **BaseCouplingTransport._common_constraints,
    }

    def __init__(self, reg=1.0, *, method="scaling", max_iter=1000, tol=1e-8,
                 out_of_sample="continuous", metric="sqeuclidean", norm=None,
                 batch_size=1024, n_jobs=None, verbose=0):
        self.reg = reg
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
        self.out_of_sample = out_of_sample
        self.metric = metric
        self.norm = norm
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _out_of_sample(self):
        return self.out_of_sample

    def _solve(self, a, b, M, ys):
        from ..ot import sinkhorn

        return sinkhorn(a, b, M, self.reg, method=self.method, max_iter=self.max_iter,
                        tol=self.tol, n_jobs=self.n_jobs, verbose=self.verbose > 1)


@_doc
class UnbalancedSinkhornTransport(BaseCouplingTransport):
    """Unbalanced entropic optimal-transport mapping.

    Solves ``min_P <P, C> + reg KL(P | a b^T) + reg_m (KL(P 1 | a) +
    KL(P^T 1 | b))`` with uniform ``a``, ``b``: the marginal constraints are
    replaced by Kullback-Leibler penalties of weight ``reg_m``, so mass may be
    created or destroyed (robust to outliers and to class-proportion shift). Solved by :func:`skot.ot.sinkhorn_unbalanced`.
    Fitted source rows move to the barycentre of their coupled target rows
    (a row that keeps no mass stays where it is); new rows move with their
    nearest fitted source row.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    reg : float, default=1.0
        Entropic regularisation (in cost units).
    reg_m : float, default=0.1
        Weight of the marginal relaxation: large values approach
        :class:`SinkhornTransport`.
    method : {"scaling", "log"}, default="scaling"
        Stabilised scaling or log-domain iterations.
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Tolerance of the solver (largest change of a potential, over ``reg``).
    {common}

    Attributes
    ----------
    coupling_ : ndarray of shape (n_source, n_target)
        The unbalanced coupling.
    cost_ : ndarray of shape (n_source, n_target)
        The (normalised) ground cost.
    transport_cost_ : float
        ``<coupling_, cost_>``.
    cost_norm_ : float or None
        Divisor of ``norm="max"``/``"median"``, reused for new rows.
    n_iter_ : int
        Iterations run by the solver.
    converged_ : bool
        Whether the solver reached ``tol`` before ``max_iter``.
    xs_ : ndarray of shape (n_source, n_features)
        Fitted source rows.
    xt_ : ndarray of shape (n_target, n_features)
        Fitted target rows.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    SinkhornTransport : Balanced entropic transport.

    References
    ----------
    .. [1] L. Chizat, G. Peyré, B. Schmitzer, F.-X. Vialard. "Scaling
       algorithms for unbalanced optimal transport problems." Mathematics of
       Computation 87, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import UnbalancedSinkhornTransport
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> ut = UnbalancedSinkhornTransport(reg=1.0, reg_m=10.0, norm="max").fit(X, y)
    >>> ut.coupling_.shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "reg_m": [Interval(Real, 0, None, closed="neither")],
        "method": [StrOptions({"log", "scaling"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        **BaseCouplingTransport._common_constraints,
    }

    def __init__(self, reg=1.0, reg_m=0.1, *, method="scaling", max_iter=1000, tol=1e-9,
                 metric="sqeuclidean", norm=None, batch_size=1024, n_jobs=None, verbose=0):
        self.reg = reg
        self.reg_m = reg_m
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
        self.metric = metric
        self.norm = norm
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _solve(self, a, b, M, ys):
        from ..ot import sinkhorn_unbalanced

        # entropy relative to the product a b^T (POT's ot.da convention)
        return sinkhorn_unbalanced(a, b, M, self.reg, self.reg_m, method=self.method,
                                   reg_type="kl", max_iter=self.max_iter, tol=self.tol,
                                   n_jobs=self.n_jobs, verbose=self.verbose > 1)


@_doc
class ClassRegularizedTransport(BaseCouplingTransport):
    """Entropic transport with a group-lasso class regulariser (Courty et al.).

    Solves ``min_P <P, C> + reg * sum P log P + reg_cl * Omega(P)`` where
    ``Omega`` sums, over target rows ``j`` and source classes ``c``, a norm of
    the mass ``P[I_c, j]`` that ``j`` receives from class ``c``: each target
    row is encouraged to receive mass from one class only. The source rows
    must be labelled.

    - ``penalty="lpl1"``: ``Omega = sum_j sum_c (sum_{i in I_c} P_ij)^p`` with
      ``p = 1/2`` (non-convex), by majorisation-minimisation: ``max_iter``
      Sinkhorn solves on the cost ``C + reg_cl * W`` with the weights ``W``
      linearising the penalty at the previous coupling.
    - ``penalty="l1l2"``: ``Omega = sum_j sum_c ||P[I_c, j]||_2`` (convex), by
      generalised conditional gradient: each step solves a Sinkhorn problem
      on the cost linearised at the current coupling, then an Armijo line
      search on ``<P, C> + reg_cl * Omega(P)``.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    reg : float, default=1.0
        Entropic regularisation (in cost units).
    reg_cl : float, default=0.1
        Weight of the class regulariser.
    penalty : {"lpl1", "l1l2"}, default="lpl1"
        The group norm (see above).
    max_iter : int, default=10
        Outer iterations (majorisation steps, or conditional-gradient steps).
    max_inner_iter : int, default=200
        Maximum iterations of each inner Sinkhorn solve.
    tol : float, default=1e-9
        Tolerance of the inner solves; for ``"l1l2"`` also the relative change
        of the objective that stops the outer loop.
    method : {"scaling", "log"}, default="scaling"
        Inner Sinkhorn solver (see :class:`SinkhornTransport`).
    {common}

    Attributes
    ----------
    coupling_ : ndarray of shape (n_source, n_target)
        The class-regularised coupling.
    cost_ : ndarray of shape (n_source, n_target)
        The (normalised) ground cost, without the regulariser.
    transport_cost_ : float
        ``<coupling_, cost_>``.
    cost_norm_ : float or None
        Divisor of ``norm="max"``/``"median"``, reused for new rows.
    n_iter_ : int
        Outer iterations run.
    converged_ : bool
        Whether every inner solve reached ``tol`` (and, for ``"l1l2"``, the
        outer loop its stopping rule) before its iteration limit.
    classes_ : ndarray of shape (n_classes,)
        Source classes.
    xs_ : ndarray of shape (n_source, n_features)
        Fitted source rows.
    xt_ : ndarray of shape (n_target, n_features)
        Fitted target rows.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    SinkhornTransport : Without the class regulariser.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia. "Domain adaptation with regularized
       optimal transport." ECML PKDD 2014.
    .. [2] N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy. "Optimal
       Transport for Domain Adaptation." IEEE TPAMI 39(9), 2017.
    .. [3] A. Rakotomamonjy, R. Flamary, N. Courty. "Generalized conditional
       gradient: analysis of convergence and applications." arXiv:1510.06567,
       2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import ClassRegularizedTransport
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> ct = ClassRegularizedTransport(reg=0.5, reg_cl=1.0, norm="max").fit(X, y)
    >>> ct.transform_labels([0, 1]).argmax(axis=1)
    array([0, 1])
    """

    _requires_source_labels = True

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "reg_cl": [Interval(Real, 0, None, closed="left")],
        "penalty": [StrOptions({"lpl1", "l1l2"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_inner_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "method": [StrOptions({"log", "scaling"})],
        **BaseCouplingTransport._common_constraints,
    }

    def __init__(self, reg=1.0, reg_cl=0.1, *, penalty="lpl1", max_iter=10,
                 max_inner_iter=200, tol=1e-9, method="scaling", metric="sqeuclidean",
                 norm=None, batch_size=1024, n_jobs=None, verbose=0):
        self.reg = reg
        self.reg_cl = reg_cl
        self.penalty = penalty
        self.max_iter = max_iter
        self.max_inner_iter = max_inner_iter
        self.tol = tol
        self.method = method
        self.metric = metric
        self.norm = norm
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _inner(self, a, b, M):
        from ..ot import sinkhorn

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = sinkhorn(a, b, M, self.reg, method=self.method,
                           max_iter=self.max_inner_iter, tol=self.tol, n_jobs=self.n_jobs)
        return res

    def _solve(self, a, b, M, ys):
        from ..ot import OTResult
        from . import _kernels as K

        self.classes_, labels = np.unique(ys, return_inverse=True)
        labels = labels.astype(np.int64)
        n_classes = self.classes_.shape[0]
        if self.penalty == "lpl1":
            P, n_iter, converged = _lpl1_mm(self, a, b, M, labels, n_classes, K)
        else:
            P, n_iter, converged = _l1l2_gcg(self, a, b, M, labels, n_classes, K)
        if not converged:
            warnings.warn(
                f"ClassRegularizedTransport(penalty={self.penalty!r}): an inner Sinkhorn "
                f"solve stopped at max_inner_iter={self.max_inner_iter} (or the outer loop "
                f"at max_iter={self.max_iter}) before reaching tol={self.tol}; increase "
                "them.",
                ConvergenceWarning,
                stacklevel=4,
            )
        err = float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())
        nan = np.full(a.shape[0], np.nan), np.full(b.shape[0], np.nan)
        return OTResult(P, float(np.sum(P * M)), nan[0], nan[1], n_iter, converged, err)


_LPL1_P = 0.5
_LPL1_EPS = 1e-3


def _lpl1_mm(est, a, b, M, labels, n_classes, K):
    """Majorisation-minimisation of the lp-l1 (p = 1/2) class regulariser."""
    W = np.zeros_like(M)
    sums = np.empty((n_classes, M.shape[1]))
    converged = True
    P = None
    for it in range(est.max_iter):
        res = est._inner(a, b, M + est.reg_cl * W)
        converged &= bool(res.converged)
        if est.verbose:
            print(f"ClassRegularizedTransport[lpl1]: outer iteration {it + 1}, "
                  f"{int(res.n_iter)} Sinkhorn iterations, marginal error "
                  f"{float(res.marginal_error):.3e}")
        P = np.ascontiguousarray(res.plan)
        K.group_sums(P, labels, n_classes, sums)
        W = (_LPL1_P * (sums + _LPL1_EPS) ** (_LPL1_P - 1.0))[labels]
    return P, est.max_iter, converged


def _group_lasso(P, labels, n_classes, K, norms):
    K.group_norms(P, labels, n_classes, norms)
    return float(norms.sum())


def _l1l2_gcg(est, a, b, M, labels, n_classes, K):
    """Generalised conditional gradient for the l1-l2 (group-lasso) regulariser."""
    eta = est.reg_cl
    norms = np.empty((n_classes, M.shape[1]))

    def objective(P):
        return float(np.sum(M * P)) + eta * _group_lasso(P, labels, n_classes, K, norms)

    def gradient(P):
        K.group_norms(P, labels, n_classes, norms)
        return P / np.maximum(norms, 1e-12)[labels]

    G = np.outer(a, b)
    f_G = objective(G)
    converged_inner = True
    it = 0
    stopped = False
    while it < est.max_iter:
        it += 1
        old = f_G
        Mi = M + eta * gradient(G)
        res = est._inner(a, b, Mi)
        converged_inner &= bool(res.converged)
        delta = np.asarray(res.plan) - G
        alpha, f_G = _armijo(lambda t, G=G, delta=delta: objective(G + t * delta), old,
                             float(np.sum(delta * Mi)))
        G = G + alpha * delta
        change = abs(f_G - old)
        if est.verbose:
            print(f"ClassRegularizedTransport[l1l2]: outer iteration {it}, objective "
                  f"{f_G:.10g}, step {alpha:.3g}, {int(res.n_iter)} Sinkhorn iterations")
        if (f_G != 0 and change / abs(f_G) < est.tol) or change < 1e-9:
            stopped = True
            break
    return G, it, converged_inner and (stopped or it == est.max_iter)


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
    alpha1 = -slope * alpha0 ** 2 / denom
    phi_a1 = f(alpha1)
    if phi_a1 <= phi0 + c1 * alpha1 * slope:
        return max(alpha1, alpha_min), phi_a1
    while alpha1 > alpha_min:
        d0 = phi_a0 - phi0 - slope * alpha0
        d1 = phi_a1 - phi0 - slope * alpha1
        factor = alpha0 ** 2 * alpha1 ** 2 * (alpha1 - alpha0)
        ca = (alpha0 ** 2 * d1 - alpha1 ** 2 * d0) / factor
        cb = (-alpha0 ** 3 * d1 + alpha1 ** 3 * d0) / factor
        alpha2 = (-cb + np.sqrt(abs(cb ** 2 - 3.0 * ca * slope))) / (3.0 * ca)
        phi_a2 = f(alpha2)
        if phi_a2 <= phi0 + c1 * alpha2 * slope:
            return max(alpha2, alpha_min), phi_a2
        if alpha1 - alpha2 > alpha1 / 2.0 or 1.0 - alpha2 / alpha1 < 0.96:
            alpha2 = alpha1 / 2.0
        alpha0, alpha1 = alpha1, alpha2
        phi_a0, phi_a1 = phi_a1, phi_a2
    return 0.0, phi0


class LinearTransport(BaseTransport):
    """Closed-form linear (Gaussian / Bures-Wasserstein) mapping.

    Fits a Gaussian to each domain and maps the source Gaussian onto the
    target one with the optimal-transport map between Gaussians:
    ``T(x) = (x - m_s) A + m_t`` with
    ``A = S_s^{-1/2} (S_s^{1/2} S_t S_s^{1/2})^{1/2} S_s^{-1/2}``, where
    ``m``, ``S`` are the means and (``reg``-regularised) covariances. No
    coupling and no iteration: O(n d^2 + d^3). ``inverse_transform`` uses the
    map from target to source.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    reg : float, default=1e-8
        Added to the diagonal of both covariances.
    bias : bool, default=True
        Estimate and transport the means; ``False`` assumes centred data.
    verbose : int, default=0
        ``> 0``: print the fitted domains' sizes and the time after fit.

    Attributes
    ----------
    A_ : ndarray of shape (n_features, n_features)
        Linear part of the source-to-target map (``x @ A_ + B_``).
    B_ : ndarray of shape (n_features,)
        Offset of the source-to-target map.
    A1_ : ndarray of shape (n_features, n_features)
        Linear part of the target-to-source map.
    B1_ : ndarray of shape (n_features,)
        Offset of the target-to-source map.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    SinkhornTransport : A non-linear map from an entropic coupling.

    References
    ----------
    .. [1] M. Knott, C. S. Smith. "On the optimal mapping of distributions."
       J. Optimization Theory and Applications 43(1), 1984.
    .. [2] R. Flamary, K. Lounici, A. Ferrari. "Concentration bounds for linear
       Monge mapping estimation and optimal transport domain adaptation."
       arXiv:1905.10155, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import LinearTransport
    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> LinearTransport().fit_transform(X, y).ravel().round(6)
    array([10., 14., 10., 14.])
    """

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="left")],
        "bias": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, reg=1e-8, *, bias=True, verbose=0):
        self.reg = reg
        self.bias = bias
        self.verbose = verbose

    def _fit_transport(self, Xs, Xt, ys, ws=None, wt=None):
        import time

        start = time.perf_counter()
        Xs = np.asarray(Xs, dtype=np.float64)
        Xt = np.asarray(Xt, dtype=np.float64)
        self.A_, self.B_ = _bures_map(Xs, Xt, self.reg, self.bias, ws, wt)
        self.A1_, self.B1_ = _bures_map(Xt, Xs, self.reg, self.bias, wt, ws)
        if self.verbose:
            print(f"LinearTransport: Gaussian maps between {Xs.shape[0]} source and "
                  f"{Xt.shape[0]} target rows in {Xs.shape[1]} dimensions "
                  f"({time.perf_counter() - start:.3f} s)")

    def _map_source(self, Xs, fitted=None):
        return np.asarray(Xs, dtype=np.float64) @ self.A_ + self.B_

    def _map_target(self, Xt, fitted=None):
        return np.asarray(Xt, dtype=np.float64) @ self.A1_ + self.B1_


def _sym_sqrt(S, inverse=False):
    w, V = np.linalg.eigh(S)
    w = np.clip(w, 0.0, None)
    r = np.sqrt(w)
    if inverse:
        if np.any(r <= 0):
            raise ValueError(
                "LinearTransport: a domain's covariance is singular; increase reg "
                f"(reg > 0 makes it definite), smallest eigenvalue {w.min()!r}."
            )
        r = 1.0 / r
    return (V * r) @ V.T


def _bures_map(Xs, Xt, reg, bias, ws=None, wt=None):
    """Gaussian map source -> target; ``ws``/``wt``: row masses (sum 1) or None."""
    d = Xs.shape[1]
    ws = np.full(Xs.shape[0], 1.0 / Xs.shape[0]) if ws is None else ws
    wt = np.full(Xt.shape[0], 1.0 / Xt.shape[0]) if wt is None else wt
    if bias:
        ms, mt = ws @ Xs, wt @ Xt
        Xs, Xt = Xs - ms, Xt - mt
    else:
        ms = mt = np.zeros(d)
    Cs = (Xs * ws[:, None]).T @ Xs + reg * np.eye(d)
    Ct = (Xt * wt[:, None]).T @ Xt + reg * np.eye(d)
    Cs12 = _sym_sqrt(Cs)
    Cs_12 = _sym_sqrt(Cs, inverse=True)
    M0 = _sym_sqrt(Cs12 @ Ct @ Cs12)
    A = Cs_12 @ M0 @ Cs_12
    return A, mt - ms @ A

