r"""Wasserstein barycenters: fixed-support entropic and free-support exact.

:func:`barycenter` computes the entropic barycenter of histograms on a fixed
support by iterative Bregman projections (Benamou et al. 2015), in the
scaling domain (matrix products on the stored kernel, BLAS) or the log
domain (fused log-sum-exp kernels, stable for any ``reg``), with the
debiased variant of Janati et al. (2020). :func:`free_support_barycenter`
moves the support points of a discrete barycenter (Cuturi and Doucet 2014),
each step solving exact transport problems with :func:`skot.ot.emd`.
"""

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import blas_threads, effective_n_threads, numba_threads, select
from ..utils._validation import check_memory
from ._utils import check_cost, check_masses, warn_convergence

__all__ = ["BarycenterResult", "barycenter", "free_support_barycenter"]

_METHODS = ("sinkhorn", "sinkhorn_log", "debiased", "debiased_log")
_MASS_RTOL = 1e-6


class BarycenterResult(NamedTuple):
    """Result of :func:`barycenter` and :func:`free_support_barycenter`.

    Attributes
    ----------
    barycenter : ndarray of shape (d,) or (k, n_features)
        The barycenter's masses on the fixed support (:func:`barycenter`), or
        its support points (:func:`free_support_barycenter`).
    weights : ndarray of shape (d,) or (k,)
        The barycenter's masses (equal to ``barycenter`` for the fixed-support
        barycenter).
    cost : float
        Weighted transport cost ``sum_s weights_s <P_s, M_s>`` of the plans
        between the barycenter and the input measures (without the entropy).
    n_iter : int
        Iterations run.
    converged : bool
        False when ``max_iter`` stopped the solver before ``tol``.
    error : float
        The last value of the stopping criterion (see each function).
    """

    barycenter: np.ndarray
    weights: np.ndarray
    cost: float
    n_iter: int
    converged: bool
    error: float


def _refuse_sparse_complex(X, name):
    if sparse.issparse(X):
        raise TypeError(f"{name} must be a dense array, got a sparse matrix.")
    if np.iscomplexobj(np.asarray(X)):
        raise TypeError(f"{name} must hold real numbers, got a complex array.")


def _check_weights(weights, n_measures):
    if weights is None:
        return np.full(n_measures, 1.0 / n_measures)
    _refuse_sparse_complex(weights, "weights")
    w = np.asarray(weights)
    if w.ndim != 1 or w.shape[0] != n_measures:
        raise ValueError(
            f"weights must have shape ({n_measures},), one per measure, got shape {w.shape}."
        )
    w = check_masses(w, n_measures, "weights")
    return w / w.sum()


def _check_histograms(A, n):
    _refuse_sparse_complex(A, "A")
    A = np.asarray(A)
    if not (np.issubdtype(A.dtype, np.number) or A.dtype == bool):
        raise TypeError(f"A must hold numbers, got dtype {A.dtype}.")
    A = np.array(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != n or A.shape[1] == 0:
        raise ValueError(
            f"A must have shape ({n}, n_histograms) (one histogram per column, on the rows "
            f"of M), got shape {A.shape}."
        )
    if not np.isfinite(A).all():
        raise ValueError("A contains NaN or infinity.")
    if (A < 0).any():
        raise ValueError(f"A must be non-negative, got min {A.min()!r}.")
    totals = A.sum(axis=0)
    if (totals <= 0).any():
        k = int(np.flatnonzero(totals <= 0)[0])
        raise ValueError(f"A[:, {k}] has zero total mass.")
    if np.abs(totals - totals[0]).max() > _MASS_RTOL * totals.max():
        raise ValueError(
            f"The histograms (columns of A) must have the same total mass, got totals from "
            f"{totals.min()!r} to {totals.max()!r}; normalise them."
        )
    return A * (totals[0] / totals)[None, :]


def _warn(what, max_iter, err, tol):
    warn_convergence(
        f"{what} did not converge in max_iter={max_iter} iterations (error {err:.3e}, "
        f"tol={tol:g}); increase max_iter or reg.",
    )


# ------------------------------------------------------------ fixed support


def _ibp_scaling(A, M, reg, w, debiased, max_iter, tol, mass):
    """Iterative Bregman projections on the stored kernel (BLAS products).

    Plans ``P_k = diag(A_k / (K v_k)) K diag(v_k)``; the barycenter is the
    weighted geometric mean of the column marginals ``K^T (A_k / (K v_k))``
    (times the debiasing scaling ``c``).
    """
    with np.errstate(over="ignore", under="ignore"):
        K = np.exp(-M / reg)
    V = np.ones((M.shape[1], A.shape[1]))
    c = np.ones(M.shape[1]) if debiased else None
    err, it, done = np.inf, 0, False
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while it < max_iter:
            it += 1
            KV = K @ V
            alpha = np.where(A > 0, A / KV, 0.0)
            KtA = K.T @ alpha
            bar = np.exp(np.log(KtA) @ w)
            if debiased:
                bar = c * bar
            err = np.abs(V * KtA - bar[:, None]).sum(axis=0).max() / mass
            if debiased:
                Kc = K @ c
                err = max(err, np.abs(c * Kc - bar).sum() / mass)
                c = np.sqrt(c * bar / Kc)
            if not math.isfinite(err):
                raise ValueError(
                    f"barycenter(method='sinkhorn') under- or overflowed at reg={reg!r} "
                    "(the kernel exp(-M / reg) has zero rows or columns); use "
                    "method='sinkhorn_log' or a larger reg."
                )
            V = bar[:, None] / KtA
            if err < tol:
                done = True
                break
        V_final = V
        KV = K @ V_final
        alpha = np.where(A > 0, A / KV, 0.0)
        costs = np.einsum("ik,ij,jk->k", alpha, K * M, V_final)
    return bar, float(costs @ w), it, done, err


def _ibp_log(A, M, reg, w, debiased, max_iter, tol, mass, n_jobs):
    """Iterative Bregman projections in the log domain (numba log-sum-exp kernels)."""
    from . import _barycenter_kernels as kern

    n, d = M.shape
    nM = np.ascontiguousarray(-M / reg)
    nMT = np.ascontiguousarray(nM.T)
    with np.errstate(divide="ignore"):
        logA = np.ascontiguousarray(np.log(A.T))  # (K, n)
    nh = A.shape[1]
    Lv = np.zeros((nh, d))
    LKv = np.empty((nh, n))
    LKa = np.empty((nh, d))
    logc = np.zeros((1, d)) if debiased else None
    Lc = np.empty((1, d))
    err, it, done = np.inf, 0, False
    with numba_threads(n_jobs) as n_threads:
        rows = cols = select(kern.lse_rows, n * d * nh, n_threads, "sinkhorn")
        sym = select(kern.lse_rows, d * d, n_threads, "sinkhorn")
        while it < max_iter:
            it += 1
            rows(nM, Lv, LKv)
            La = logA - LKv
            La[np.isnan(La)] = -np.inf
            cols(nMT, La, LKa)
            logbar = w @ LKa
            if debiased:
                logbar = logbar + logc[0]
            err = np.abs(np.exp(Lv + LKa) - np.exp(logbar)[None, :]).sum(axis=1).max() / mass
            if debiased:
                sym(nM, logc, Lc)
                err = max(err, np.abs(np.exp(logc[0] + Lc[0]) - np.exp(logbar)).sum() / mass)
                logc = 0.5 * (logc + logbar[None, :] - Lc)
            Lv = np.ascontiguousarray(logbar[None, :] - LKa)
            if err < tol:
                done = True
                break
        rows(nM, Lv, LKv)
        La = np.ascontiguousarray(logA - LKv)
        La[np.isnan(La)] = -np.inf
        costs = np.empty(nh)
        kern.plan_costs(nM, La, Lv, costs)
    return np.exp(logbar), float(-reg * (costs @ w)), it, done, err


@validate_params(
    {
        "A": ["array-like"],
        "M": ["array-like"],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "weights": ["array-like", None],
        "method": [StrOptions(set(_METHODS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def barycenter(
    A,
    M,
    reg,
    weights=None,
    *,
    method="sinkhorn",
    max_iter=1000,
    tol=1e-9,
    n_jobs=None,
    verbose=0,
):
    r"""Entropic Wasserstein barycenter of histograms on a fixed support.

    Solves :math:`\min_b \sum_s w_s\, \mathrm{OT}_{\mathrm{reg}}(a_s, b)`,
    where :math:`\mathrm{OT}_{\mathrm{reg}}` is the entropic transport cost
    (:func:`sinkhorn`), by iterative Bregman projections (Benamou et al.
    2015): each iteration scales the plans to their input marginals, then
    sets the barycenter to the weighted geometric mean of their other
    marginals. The debiased variant (Janati et al. 2020) divides out the
    entropic bias :math:`\mathrm{OT}_{\mathrm{reg}}(b, b)`, which keeps the
    barycenter as sharp as the inputs.

    Read more in the :ref:`User Guide <ot_barycenter>`.

    Parameters
    ----------
    A : array-like of shape (n, n_histograms)
        The histograms, one per column (POT's layout), non-negative, with
        equal totals (up to a relative 1e-6).
    M : array-like of shape (n, d)
        Cost between the support of the histograms (rows) and the support of
        the barycenter (columns); usually one grid, ``d == n`` (required by
        the debiased methods).
    reg : float
        Entropic regularisation, in the units of ``M``.
    weights : array-like of shape (n_histograms,) or None, default=None
        Weight of each histogram (normalised to sum to one); ``None`` means
        uniform.
    method : {"sinkhorn", "sinkhorn_log", "debiased", "debiased_log"}, default="sinkhorn"
        ``"sinkhorn"``: scaling iterations on the stored kernel
        ``exp(-M / reg)`` (matrix products, fastest; fails with a clear
        error when the kernel underflows at small ``reg``).
        ``"sinkhorn_log"``: the same iterations in the log domain (stable for
        any ``reg``). ``"debiased"`` / ``"debiased_log"``: the debiased
        barycenter, scaling or log domain.
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Stop when every plan's marginal on the barycenter side is within
        ``tol`` times the mass of the barycenter (L1), and, for the debiased
        methods, the self-transport scaling too.
    n_jobs : int or None, default=None
        Threads for the kernels and the matrix products (joblib semantics);
        results do not depend on it.
    verbose : int, default=0
        Print the number of iterations and the final error when positive.

    Returns
    -------
    result : BarycenterResult
        ``barycenter`` (shape ``(d,)``, also in ``weights``), ``cost`` (the
        weighted transport cost of the plans, without the entropy),
        ``n_iter``, ``converged`` and ``error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    free_support_barycenter : Exact barycenter with moving support points.
    sinkhorn : Entropic transport between two histograms.

    References
    ----------
    .. [1] Benamou, J.-D., Carlier, G., Cuturi, M., Nenna, L., Peyré, G.
       "Iterative Bregman projections for regularized transportation
       problems." SIAM J. Sci. Comput. 37(2), 2015.
    .. [2] Janati, H., Cuturi, M., Gramfort, A. "Debiased Sinkhorn
       barycenters." ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import barycenter
    >>> x = np.arange(5.0)
    >>> M = (x[:, None] - x[None, :]) ** 2
    >>> A = np.array([[1.0, 0, 0, 0, 0], [0, 0, 0, 0, 1.0]]).T
    >>> res = barycenter(A, M, reg=0.5)
    >>> int(np.argmax(res.barycenter))
    2
    """
    _refuse_sparse_complex(M, "M")
    M = np.asarray(check_cost(M, "M"), dtype=np.float64)
    n, d = M.shape
    A = _check_histograms(A, n)
    w = _check_weights(weights, A.shape[1])
    debiased = method.startswith("debiased")
    if debiased and n != d:
        raise ValueError(
            f"method={method!r} needs one support for the histograms and the barycenter "
            f"(a square M), got M of shape {M.shape}."
        )
    check_memory(3 * n * d * 8, f"3 x {n} x {d} float64 arrays for the barycenter kernel")
    mass = float(A[:, 0].sum())
    reg = float(reg)
    if method in ("sinkhorn", "debiased"):
        with blas_threads(effective_n_threads(n_jobs)):
            bar, cost, it, done, err = _ibp_scaling(A, M, reg, w, debiased, max_iter, tol, mass)
    else:
        bar, cost, it, done, err = _ibp_log(A, M, reg, w, debiased, max_iter, tol, mass, n_jobs)
    if verbose:
        print(f"barycenter[{method}]: {it} iterations, error {err:.3e}")
    if not done:
        _warn(f"barycenter(method={method!r})", max_iter, err, tol)
    return BarycenterResult(bar, bar, cost, it, done, float(err))


# ------------------------------------------------------------- free support


def _check_points(X, name, n_features=None):
    _refuse_sparse_complex(X, name)
    X = np.asarray(X)
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {X.dtype}.")
    X = np.array(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array of points, got shape {X.shape}.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} must have {n_features} features like X_init, got shape {X.shape}."
        )
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return X


def _sqdist(X, Y):
    d = (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2.0 * (X @ Y.T)
    np.maximum(d, 0.0, out=d)
    return d


@validate_params(
    {
        "measures_locations": [list, tuple],
        "measures_weights": [list, tuple, None],
        "X_init": ["array-like"],
        "b": ["array-like", None],
        "weights": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def free_support_barycenter(
    measures_locations,
    measures_weights,
    X_init,
    b=None,
    weights=None,
    *,
    max_iter=100,
    tol=1e-7,
    n_jobs=None,
    verbose=0,
):
    r"""Free-support Wasserstein-2 barycenter of discrete measures (exact OT).

    Minimises :math:`\sum_s w_s W_2^2(\sum_k b_k \delta_{x_k}, \nu_s)` over
    the support points :math:`x_k` (the masses ``b`` are fixed) by the
    fixed-point iteration of Cuturi and Doucet (2014): solve the exact
    transport from the current support to every measure (:func:`emd`, squared
    Euclidean cost), then move each point to the weighted mean of where its
    mass goes, :math:`x_k \leftarrow \sum_s w_s (P_s Y_s)_k / b_k`. Every
    step decreases the objective; the result is a local minimum that depends
    on ``X_init``.

    Read more in the :ref:`User Guide <ot_barycenter>`.

    Parameters
    ----------
    measures_locations : list of array-like of shape (n_s, n_features)
        The support points of each measure.
    measures_weights : list of array-like of shape (n_s,) or None
        The masses of each measure (equal totals); ``None`` (or a ``None``
        entry) means uniform.
    X_init : array-like of shape (k, n_features)
        Initial support points of the barycenter.
    b : array-like of shape (k,) or None, default=None
        Masses of the barycenter's points (same total as the measures, which
        are rescaled to it); ``None`` means uniform with total one.
    weights : array-like of shape (n_measures,) or None, default=None
        Weight of each measure (normalised to sum to one); ``None`` means
        uniform.
    max_iter : int, default=100
        Maximum number of fixed-point iterations.
    tol : float, default=1e-7
        Stop when the mean squared displacement of the support points,
        :math:`\sum_k b_k \|\Delta x_k\|^2 / \sum_k b_k`, is at most ``tol``
        times the spread of the measures (their weighted mean squared
        distance to their mean): scale-invariant.
    n_jobs : int or None, default=None
        Transport problems solved concurrently (threads, joblib semantics);
        results do not depend on it.
    verbose : int, default=0
        Print the displacement at every iteration when positive.

    Returns
    -------
    result : BarycenterResult
        ``barycenter`` (the support points, shape ``(k, n_features)``),
        ``weights`` (``b``), ``cost`` (``sum_s w_s <P_s, M_s>`` for the last
        plans and the returned points: an upper bound of the objective, equal
        to it at convergence), ``n_iter``, ``converged``, ``error`` (the last
        relative displacement).

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    barycenter : Entropic barycenter on a fixed support.
    emd : The exact transport solved at every step.

    References
    ----------
    .. [1] Cuturi, M., Doucet, A. "Fast computation of Wasserstein
       barycenters." ICML 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import free_support_barycenter
    >>> Y1 = np.array([[0.0, 0.0], [0.0, 2.0]])
    >>> Y2 = np.array([[2.0, 0.0], [2.0, 2.0]])
    >>> res = free_support_barycenter([Y1, Y2], None, X_init=np.zeros((2, 2)))
    >>> res.barycenter[np.argsort(res.barycenter[:, 1])]
    array([[1., 0.],
           [1., 2.]])
    """
    from joblib import Parallel, delayed

    from ._emd import emd

    X = _check_points(X_init, "X_init")
    k, nf = X.shape
    n_measures = len(measures_locations)
    if n_measures == 0:
        raise ValueError("measures_locations is empty: give at least one measure.")
    if measures_weights is not None and len(measures_weights) != n_measures:
        raise ValueError(
            f"measures_weights must have one entry per measure ({n_measures}), got "
            f"{len(measures_weights)}."
        )
    b = check_masses(b, k, "b") if b is not None else np.full(k, 1.0 / k)
    mass = float(b.sum())
    Ys, nus = [], []
    for s, Y in enumerate(measures_locations):
        Y = _check_points(Y, f"measures_locations[{s}]", nf)
        nu = None if measures_weights is None else measures_weights[s]
        nu = check_masses(nu, Y.shape[0], f"measures_weights[{s}]")
        if measures_weights is not None and measures_weights[s] is not None:
            tot = nu.sum()
            if abs(tot - mass) > _MASS_RTOL * max(tot, mass):
                raise ValueError(
                    f"measures_weights[{s}] must have the total mass of b ({mass!r}), got {tot!r}."
                )
        Ys.append(Y)
        nus.append(nu * (mass / nu.sum()))
    w = _check_weights(weights, n_measures)
    check_memory(
        max(Y.shape[0] for Y in Ys) * k * 8 * 2, "the cost matrices of the barycenter steps"
    )
    # spread of the measures: the scale of the stopping test
    mean = sum(w[s] * (nus[s] @ Ys[s]) for s in range(n_measures)) / mass
    spread = sum(w[s] * (nus[s] @ ((Ys[s] - mean) ** 2).sum(1)) for s in range(n_measures))
    spread = spread / mass if spread > 0 else 1.0
    n_threads = min(effective_n_threads(n_jobs), n_measures)

    def step(s, X):
        res = emd(b, nus[s], _sqdist(X, Ys[s]), sparse_plan=True)
        return res.plan

    it, done, err, plans = 0, False, np.inf, None
    with blas_threads(1 if n_threads > 1 else effective_n_threads(n_jobs)):
        while it < max_iter:
            it += 1
            if n_threads > 1:
                plans = Parallel(n_jobs=n_threads, prefer="threads")(
                    delayed(step)(s, X) for s in range(n_measures)
                )
            else:
                plans = [step(s, X) for s in range(n_measures)]
            X_new = sum(w[s] * np.asarray(plans[s] @ Ys[s]) for s in range(n_measures))
            X_new /= b[:, None]
            err = float(b @ ((X_new - X) ** 2).sum(1)) / mass / spread
            X = X_new
            if verbose:
                print(f"free_support_barycenter: iteration {it}, displacement {err:.3e}")
            if err <= tol:
                done = True
                break
        cost = 0.0
        for s in range(n_measures):
            P = plans[s].tocoo()
            diff = X[P.row] - Ys[s][P.col]
            cost += w[s] * float(P.data @ (diff * diff).sum(1))
    if not done:
        _warn("free_support_barycenter", max_iter, err, tol)
    return BarycenterResult(X, b, cost, it, done, err)
