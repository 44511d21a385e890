"""Optimal-transport mappings between a source and a target domain.

Every transporter is fitted on stacked rows ``X`` with ``sample_domain``
(``>= 0`` source, ``< 0`` target; see :mod:`skot.da`), learns a coupling with
a solver of :mod:`skot.ot` and maps source rows into the target domain.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseCouplingTransport

__all__ = [
    "ClassRegularizedTransport",
    "EMDTransport",
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

    def __init__(
        self,
        *,
        max_iter=None,
        metric="sqeuclidean",
        norm=None,
        batch_size=1024,
        n_jobs=None,
        verbose=0,
    ):
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
        Stop the solver when the L1 marginal error of the coupling, divided
        by its mass, is below ``tol`` (as :func:`skot.ot.sinkhorn`'s ``tol``).
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

    def __init__(
        self,
        reg=1.0,
        *,
        method="scaling",
        max_iter=1000,
        tol=1e-8,
        out_of_sample="continuous",
        metric="sqeuclidean",
        norm=None,
        batch_size=1024,
        n_jobs=None,
        verbose=0,
    ):
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

        return sinkhorn(
            a,
            b,
            M,
            self.reg,
            method=self.method,
            max_iter=self.max_iter,
            tol=self.tol,
            n_jobs=self.n_jobs,
            verbose=self.verbose > 1,
        )


@_doc
class UnbalancedSinkhornTransport(BaseCouplingTransport):
    """Unbalanced entropic optimal-transport mapping.

    Solves ``min_P <P, C> + reg KL(P | a b^T) + reg_m (KL(P 1 | a) +
    KL(P^T 1 | b))`` with uniform ``a``, ``b``: the marginal constraints are
    replaced by Kullback-Leibler penalties of weight ``reg_m``, so mass may be
    created or destroyed (robust to outliers and to class-proportion shift).
    Solved by :func:`skot.ot.sinkhorn_unbalanced`.
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
        Stop the solver when the largest change of a dual potential in one
        iteration, divided by ``reg``, is below ``tol`` (as
        :func:`skot.ot.sinkhorn_unbalanced`'s ``tol``: unbalanced couplings
        have no marginal to match).
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

    def __init__(
        self,
        reg=1.0,
        reg_m=0.1,
        *,
        method="scaling",
        max_iter=1000,
        tol=1e-9,
        metric="sqeuclidean",
        norm=None,
        batch_size=1024,
        n_jobs=None,
        verbose=0,
    ):
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
        return sinkhorn_unbalanced(
            a,
            b,
            M,
            self.reg,
            self.reg_m,
            method=self.method,
            reg_type="kl",
            max_iter=self.max_iter,
            tol=self.tol,
            n_jobs=self.n_jobs,
            verbose=self.verbose > 1,
        )


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

    The solvers are the function layer :func:`skot.ot.sinkhorn_lpl1_mm` and
    :func:`skot.ot.sinkhorn_l1l2_gl` (POT's ``ot.da`` names).

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
        Tolerance of the inner solves (the L1 marginal error of their plans over
        their mass, as :func:`skot.ot.sinkhorn`'s ``tol``); for ``"l1l2"`` also the
        relative change of the objective that stops the outer loop.
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

    def __init__(
        self,
        reg=1.0,
        reg_cl=0.1,
        *,
        penalty="lpl1",
        max_iter=10,
        max_inner_iter=200,
        tol=1e-9,
        method="scaling",
        metric="sqeuclidean",
        norm=None,
        batch_size=1024,
        n_jobs=None,
        verbose=0,
    ):
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

    def _solve(self, a, b, M, ys):
        from sklearn.utils.multiclass import type_of_target

        from ..ot import sinkhorn_l1l2_gl, sinkhorn_lpl1_mm

        kind = type_of_target(ys)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"ClassRegularizedTransport needs class labels on the source rows, got "
                f"y of type {kind!r} ({np.unique(ys).shape[0]} distinct values): the "
                "class regulariser groups source rows by class. For regression targets "
                "use SinkhornTransport or EMDTransport."
            )
        self.classes_ = np.unique(ys)
        kw = {}
        if self.penalty == "lpl1":
            solver = sinkhorn_lpl1_mm
            kw["target_unit_mass"] = getattr(self, "_target_unit_mass", None)
        else:
            solver = sinkhorn_l1l2_gl
        return solver(
            a,
            ys,
            b,
            M,
            self.reg,
            self.reg_cl,
            max_iter=self.max_iter,
            max_inner_iter=self.max_inner_iter,
            tol=self.tol,
            method=self.method,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            **kw,
        )
