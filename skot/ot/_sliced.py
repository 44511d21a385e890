"""Exact one-dimensional optimal transport (on the line and on the circle) and
sliced Wasserstein distances between point clouds.

The kernels (:mod:`skot.ot._sliced_kernels`) merge sorted cumulative masses;
this module validates, sorts, batches and turns the results into floats,
arrays or :class:`~skot.ot.OTResult` objects.
"""

import math
import numbers
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ..utils._numba import numba_threads, select
from ..utils._validation import check_memory
from ._utils import _MASS_RTOL, OTResult, check_dense_2d, check_masses, marginal_error

__all__ = [
    "max_sliced_wasserstein",
    "sliced_wasserstein",
    "wasserstein_1d",
    "wasserstein_circle",
]


def _kernels():
    from . import _sliced_kernels

    return _sliced_kernels


# ------------------------------------------------------------------ validation


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not math.isfinite(p) or p < 1:
        raise ValueError(f"p must be a finite real number >= 1, got {p!r}.")
    return float(p)


def _check_values(values, name):
    """``values`` as float64 ``(K, n)`` (one problem per row) and whether it was 1-D."""
    if sparse.issparse(values):
        raise TypeError(f"{name} must be a dense array of positions, got a sparse matrix.")
    if isinstance(values, numbers.Number):
        raise TypeError(f"{name} must be a 1-D or 2-D array of positions, got {values!r}.")
    arr = np.asarray(values)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real numbers, got a complex array.")
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (one measure) or 2-D (one measure per column), got shape "
            f"{arr.shape}."
        )
    if arr.shape[0] == 0 or arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    one_d = arr.ndim == 1
    return np.ascontiguousarray(arr.reshape(-1, 1).T if one_d else arr.T), one_d


def _check_weights(w, shape, name, values_name):
    """Masses of a ``(K, n)`` batch: ``None``, shape ``(n,)`` or ``(n, K)``."""
    K, n = shape
    if w is None:
        return None
    if sparse.issparse(w):
        raise TypeError(f"{name} must be a dense array of masses, got a sparse matrix.")
    arr = np.asarray(w)
    if arr.ndim == 1 or (arr.ndim == 2 and arr.shape == (n, K)):
        if arr.ndim == 1:
            arr = check_masses(arr, n, name)
            return np.broadcast_to(arr, (K, n))
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}.")
        arr = arr.astype(np.float64).T
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity.")
        if (arr < 0).any():
            raise ValueError(f"{name} must be non-negative, got min {arr.min()!r}.")
        if (arr.sum(axis=1) <= 0).any():
            raise ValueError(f"{name} has a column of zero total mass.")
        return arr
    raise ValueError(
        f"{name} must have shape ({n},) or ({n}, {K}) to match {values_name}, got shape "
        f"{arr.shape}."
    )


def _sorted_problems(u_values, v_values, u_weights, v_weights, circle=False, need_order=False):
    """Sorted batches ``(X, CU, Y, CV, sort_u, sort_v, totals, one_d)``.

    ``CU``, ``CV`` are cumulative masses (one shared row when the masses are
    uniform); the masses of ``v`` are rescaled to the totals of ``u``. On the
    circle the positions are taken modulo 1 and the masses normalised to 1.
    ``sort_u``, ``sort_v`` (the sorting permutations) are None when the masses
    are uniform, unless ``need_order``.
    """
    X, one_u = _check_values(u_values, "u_values")
    Y, one_v = _check_values(v_values, "v_values")
    if one_u != one_v or X.shape[0] != Y.shape[0]:
        raise ValueError(
            "u_values and v_values must both be 1-D or both be 2-D with the same number of "
            f"columns, got shapes {np.shape(u_values)} and {np.shape(v_values)}."
        )
    K, n = X.shape
    m = Y.shape[1]
    check_memory(4 * K * (n + m) * 8, f"4 x {K} x {n + m} float64 arrays for the sorted problems")
    wu = _check_weights(u_weights, X.shape, "u_weights", "u_values")
    wv = _check_weights(v_weights, Y.shape, "v_weights", "v_values")
    if circle:
        X = np.mod(X, 1.0)
        Y = np.mod(Y, 1.0)
        # np.mod can round a tiny negative number up to 1.0
        X[X >= 1.0] = 0.0
        Y[Y >= 1.0] = 0.0
    su = sv = None
    if wu is None and not need_order:
        X = np.sort(X, axis=1)
    else:
        su = np.argsort(X, axis=1)
        X = np.take_along_axis(X, su, axis=1)
    if wu is None:
        totals = np.ones(K)
        CU = np.cumsum(np.full((1, n), 1.0 / n), axis=1)
    else:
        W = np.take_along_axis(wu, su, axis=1)
        totals = W.sum(axis=1)
        CU = np.cumsum(W, axis=1)
    if wv is None and not need_order:
        Y = np.sort(Y, axis=1)
    else:
        sv = np.argsort(Y, axis=1)
        Y = np.take_along_axis(Y, sv, axis=1)
    if wv is None:
        tv = np.ones(K)
        CV = np.cumsum(np.full((1, m), 1.0 / m), axis=1)
    else:
        W = np.take_along_axis(wv, sv, axis=1)
        tv = W.sum(axis=1)
        CV = np.cumsum(W, axis=1)
    bad = np.abs(totals - tv) > _MASS_RTOL * np.maximum(totals, tv)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            "u_weights and v_weights must have the same total mass, got "
            f"{totals[k]!r} and {tv[k]!r}" + (f" in column {k}" if not one_u else "") + "."
        )
    if circle:
        CU = CU / CU[:, -1:]
        CV = CV / CV[:, -1:]
        CU[:, -1] = 1.0
        CV[:, -1] = 1.0
    elif not np.array_equal(totals, tv):
        CV = CV * (totals / tv)[:, None]
    return (
        X,
        np.ascontiguousarray(CU),
        Y,
        np.ascontiguousarray(CV),
        su,
        sv,
        totals,
        one_u,
    )


def _masses(C, k):
    """Masses of problem ``k`` (sorted order) from its cumulative masses."""
    c = C[k if C.shape[0] > 1 else 0]
    return np.diff(c, prepend=0.0)


def _plan_result(X, CU, Y, CV, su, sv, k, p):
    """The :class:`OTResult` of 1-D problem ``k`` (monotone plan, potentials)."""
    K = _kernels()
    x, y = X[k], Y[k]
    cu, cv = CU[k if CU.shape[0] > 1 else 0], CV[k if CV.shape[0] > 1 else 0]
    n, m = x.shape[0], y.shape[0]
    rows = np.empty(n + m - 1, dtype=np.int64)
    cols = np.empty(n + m - 1, dtype=np.int64)
    vals = np.empty(n + m - 1)
    fs = np.empty(n)
    gs = np.empty(m)
    cost = K.merge_plan(x, cu, y, cv, p, rows, cols, vals, fs, gs)
    a_s, b_s = _masses(CU, k), _masses(CV, k)
    # back to the caller's order
    pu, pv = su[k], sv[k]
    keep = vals > 0
    plan = sparse.csr_matrix((vals[keep], (pu[rows[keep]], pv[cols[keep]])), shape=(n, m))
    f = np.empty(n)
    g = np.empty(m)
    f[pu] = fs
    g[pv] = gs
    a = np.empty(n)
    b = np.empty(m)
    a[pu] = a_s
    b[pv] = b_s
    t = (b @ g - a @ f) / (2 * a.sum())
    return OTResult(plan, float(cost), f + t, g - t, 0, True, marginal_error(plan, a, b))


# ------------------------------------------------------------------ 1-D and circle

_VALUES_PARAMS = {
    "u_values": ["array-like"],
    "v_values": ["array-like"],
    "u_weights": ["array-like", None],
    "v_weights": ["array-like", None],
    "p": [Interval(Real, 1, None, closed="left")],
    "n_jobs": [Integral, None],
}


@validate_params({**_VALUES_PARAMS, "return_plan": ["boolean"]}, prefer_skip_nested_validation=True)
def wasserstein_1d(
    u_values, v_values, u_weights=None, v_weights=None, p=1, *, return_plan=False, n_jobs=None
):
    r"""Exact optimal transport between measures on the real line.

    Computes :math:`W_p^p(u, v) = \int_0^1 |F_u^{-1}(q) - F_v^{-1}(q)|^p
    \,\mathrm{d}q`, the optimal cost for the ground cost :math:`|x - y|^p`
    (:math:`p \ge 1`), by merging the sorted cumulative masses: the
    monotone (quantile) coupling is optimal. ``O((n + m) log(n + m))`` per
    problem. Like POT's ``wasserstein_1d``, it returns the cost, i.e. the
    p-th power of the Wasserstein distance (for ``p = 1``, the distance that
    :func:`scipy.stats.wasserstein_distance` returns).

    Read more in the :ref:`User Guide <ot_sliced_partial>`.

    Parameters
    ----------
    u_values : array-like of shape (n,) or (n, K)
        Positions of the source atoms; a 2-D array holds ``K`` problems, one
        per column (as in POT).
    v_values : array-like of shape (m,) or (m, K)
        Positions of the target atoms (same number of columns).
    u_weights : array-like of shape (n,) or (n, K), default=None
        Source masses (non-negative); ``None`` means uniform. A 1-D array is
        shared by every column.
    v_weights : array-like of shape (m,) or (m, K), default=None
        Target masses, with the same total as ``u_weights`` in each column (up
        to a relative 1e-6, then rescaled); ``None`` means uniform.
    p : float, default=1
        Order of the ground cost :math:`|x - y|^p`, ``p >= 1``.
    return_plan : bool, default=False
        Return :class:`~skot.ot.OTResult` objects (monotone plan, potentials)
        instead of the costs.
    n_jobs : int or None, default=None
        Threads over the problems of a batch (joblib semantics); results do
        not depend on it.

    Returns
    -------
    cost : float, ndarray of shape (K,), OTResult or list of OTResult
        The cost :math:`W_p^p` (a float for 1-D inputs, one per column for
        2-D inputs). With ``return_plan=True``: an :class:`~skot.ot.OTResult`
        (a list of them for 2-D inputs) whose ``plan`` is a
        ``scipy.sparse.csr_matrix`` with at most ``n + m - 1`` nonzeros and
        whose potentials satisfy ``f[i] + g[j] <= |x_i - y_j|^p`` with
        equality on the support of the plan.

    See Also
    --------
    wasserstein_circle : The same on the circle.
    sliced_wasserstein : Averages of 1-D costs over projections of point clouds.

    References
    ----------
    .. [1] Peyré, G., & Cuturi, M. (2019). Computational Optimal Transport,
       Section 2.6. Foundations and Trends in Machine Learning.

    Examples
    --------
    >>> from skot.ot import wasserstein_1d
    >>> wasserstein_1d([0.0, 1.0], [0.5, 2.0])
    0.75
    >>> wasserstein_1d([0.0, 1.0], [0.5, 2.0], p=2)
    0.625
    """
    p = _check_p(p)
    X, CU, Y, CV, su, sv, _, one_d = _sorted_problems(
        u_values, v_values, u_weights, v_weights, need_order=return_plan
    )
    K = X.shape[0]
    if return_plan:
        res = [_plan_result(X, CU, Y, CV, su, sv, k, p) for k in range(K)]
        return res[0] if one_d else res
    out = np.empty(K)
    kern = _kernels()
    with numba_threads(n_jobs) as n_threads:
        work = K * (X.shape[1] + Y.shape[1])
        select(kern.line_costs, work, n_threads if K > 1 else 1)(X, CU, Y, CV, p, out)
    return float(out[0]) if one_d else out


def _level_median_w1(X, CU, Y, CV):
    """W1 on the circle of every row: the level-median closed form (Hundrieser et al.)."""
    K, n = X.shape
    Z = np.concatenate([X, Y], axis=1)
    wu = np.diff(np.broadcast_to(CU, (K, n)), axis=1, prepend=0.0)
    wv = np.diff(np.broadcast_to(CV, (K, Y.shape[1])), axis=1, prepend=0.0)
    S = np.concatenate([wu, -wv], axis=1)
    order = np.argsort(Z, axis=1, kind="stable")
    Z = np.take_along_axis(Z, order, axis=1)
    D = np.cumsum(np.take_along_axis(S, order, axis=1), axis=1)
    # F_u - F_v on [0, z_0) is 0; on [z_k, z_{k+1}) it is D[k] (up to 1)
    D = np.concatenate([np.zeros((K, 1)), D], axis=1)
    L = np.diff(np.concatenate([np.zeros((K, 1)), Z, np.ones((K, 1))], axis=1), axis=1)
    o = np.argsort(D, axis=1, kind="stable")
    Ds = np.take_along_axis(D, o, axis=1)
    cum = np.cumsum(np.take_along_axis(L, o, axis=1), axis=1)
    k = np.argmax(cum >= 0.5 * cum[:, -1:], axis=1)
    med = Ds[np.arange(K), k]
    return (L * np.abs(D - med[:, None])).sum(axis=1)


@validate_params(_VALUES_PARAMS, prefer_skip_nested_validation=True)
def wasserstein_circle(u_values, v_values, u_weights=None, v_weights=None, p=1, *, n_jobs=None):
    r"""Exact optimal transport between measures on the circle :math:`[0, 1)`.

    The ground cost is :math:`d(x, y)^p` with the geodesic distance
    :math:`d(x, y) = \min(|x - y|, 1 - |x - y|)`. Positions are taken
    modulo 1. The cost is

    .. math::
        W_p^p(u, v) = \min_{\theta \in \mathbb{R}} \int_0^1
        |F_u^{-1}(q) - F_v^{-1}(q + \theta)|^p \,\mathrm{d}q

    with :math:`F_v^{-1}` extended by :math:`F_v^{-1}(s + 1) = F_v^{-1}(s) +
    1`. For ``p = 1`` it has the closed form :math:`\int_0^1 |F_u - F_v -
    \mathrm{med}(F_u - F_v)|` (the level median of Hundrieser, Klatt and
    Munk); for ``p > 1`` the convex function of :math:`\theta` is minimised
    by bisection on the sign of its exact derivative (Delon, Salomon and
    Sobolevski), down to adjacent floating-point numbers, so the cost is
    exact to rounding (POT's binary search stops at a tolerance on
    :math:`\theta`).

    Read more in the :ref:`User Guide <ot_sliced_partial>`.

    Parameters
    ----------
    u_values : array-like of shape (n,) or (n, K)
        Source positions on the circle (taken modulo 1); a 2-D array holds
        ``K`` problems, one per column.
    v_values : array-like of shape (m,) or (m, K)
        Target positions (same number of columns).
    u_weights : array-like of shape (n,) or (n, K), default=None
        Source masses; ``None`` means uniform.
    v_weights : array-like of shape (m,) or (m, K), default=None
        Target masses with the same total; ``None`` means uniform.
    p : float, default=1
        Order of the ground cost, ``p >= 1``.
    n_jobs : int or None, default=None
        Threads over the problems of a batch; results do not depend on it.

    Returns
    -------
    cost : float or ndarray of shape (K,)
        :math:`W_p^p` on the circle, in the units of the masses (a total mass
        ``s`` multiplies the cost of the normalised measures by ``s``).

    See Also
    --------
    wasserstein_1d : The same on the line.

    References
    ----------
    .. [1] Delon, J., Salomon, J., & Sobolevski, A. (2010). Fast transport
       optimization for Monge costs on the circle. SIAM Journal on Applied
       Mathematics, 70(7), 2239-2258.
    .. [2] Hundrieser, S., Klatt, M., & Munk, A. (2022). The statistics of
       circular optimal transport. Directional Statistics for Innovative
       Applications, 57-82.

    Examples
    --------
    >>> from skot.ot import wasserstein_circle
    >>> round(wasserstein_circle([0.2, 0.5, 0.8], [0.4, 0.5, 0.7]), 12)
    0.1
    >>> round(wasserstein_circle([0.05], [0.95]), 12)
    0.1
    """
    p = _check_p(p)
    X, CU, Y, CV, _, _, totals, one_d = _sorted_problems(
        u_values, v_values, u_weights, v_weights, circle=True
    )
    K = X.shape[0]
    if p == 1.0:
        out = _level_median_w1(X, CU, Y, CV)
    else:
        out = np.empty(K)
        thetas = np.empty(K)
        kern = _kernels()
        with numba_threads(n_jobs) as n_threads:
            # about 60 merges per problem
            work = 60 * K * (X.shape[1] + Y.shape[1])
            select(kern.circle_costs, work, n_threads if K > 1 else 1)(X, CU, Y, CV, p, out, thetas)
    out = out * totals
    return float(out[0]) if one_d else out


# ------------------------------------------------------------------ sliced

_SLICED_PARAMS = {
    "X_s": ["array-like"],
    "X_t": ["array-like"],
    "a": ["array-like", None],
    "b": ["array-like", None],
    "n_projections": [Interval(Integral, 1, None, closed="left")],
    "p": [Interval(Real, 1, None, closed="left")],
    "projections": ["array-like", None],
    "random_state": ["random_state"],
    "return_projections": ["boolean"],
    "n_jobs": [Integral, None],
}


def random_projections(d, n_projections, random_state=None):
    """``n_projections`` directions uniform on the sphere of R^d, shape ``(d, n_projections)``.

    Drawn as normalised Gaussian vectors with ``RandomState.randn``: an
    integer ``random_state`` gives the same directions as POT's ``seed``.
    """
    rng = check_random_state(random_state)
    P = rng.randn(d, n_projections)
    norms = np.sqrt((P**2).sum(axis=0, keepdims=True))
    norms[norms == 0] = 1.0
    return P / norms


def _sliced_setup(X_s, X_t, a, b, n_projections, projections, random_state):
    X_s = check_dense_2d(X_s, "X_s", "(n, d) point cloud").astype(np.float64, copy=False)
    X_t = check_dense_2d(X_t, "X_t", "(m, d) point cloud").astype(np.float64, copy=False)
    n, d = X_s.shape
    m = X_t.shape[0]
    if X_t.shape[1] != d:
        raise ValueError(
            f"X_s and X_t must have the same number of features, got {d} and {X_t.shape[1]}."
        )
    a = None if a is None or (isinstance(a, (list, tuple)) and len(a) == 0) else a
    b = None if b is None or (isinstance(b, (list, tuple)) and len(b) == 0) else b
    a = None if a is None else check_masses(a, n, "a")
    b = None if b is None else check_masses(b, m, "b")
    if projections is None:
        P = random_projections(d, n_projections, random_state)
    else:
        P = check_dense_2d(projections, "projections", "(d, n_projections) array").astype(
            np.float64, copy=False
        )
        if P.shape[0] != d:
            raise ValueError(
                f"projections must have shape (d, n_projections) with d={d} (the number of "
                f"features of X_s), got shape {P.shape}."
            )
    K = P.shape[1]
    check_memory(3 * K * (n + m) * 8, f"3 x {K} x {n + m} float64 arrays of projected points")
    return X_s, X_t, a, b, P


def _projected_costs(X_s, X_t, a, b, P, p, n_jobs):
    """``W_p^p`` of the projections of the two clouds on every column of ``P``."""
    U = P.T @ X_s.T  # (K, n)
    V = P.T @ X_t.T  # (K, m)
    X, CU, Y, CV, _, _, _, _ = _sorted_problems(
        U.T, V.T, None if a is None else a, None if b is None else b
    )
    out = np.empty(X.shape[0])
    kern = _kernels()
    with numba_threads(n_jobs) as n_threads:
        work = X.shape[0] * (X.shape[1] + Y.shape[1])
        select(kern.line_costs, work, n_threads)(X, CU, Y, CV, p, out)
    return out


@validate_params(_SLICED_PARAMS, prefer_skip_nested_validation=True)
def sliced_wasserstein(
    X_s,
    X_t,
    a=None,
    b=None,
    n_projections=50,
    p=2,
    projections=None,
    random_state=None,
    return_projections=False,
    n_jobs=None,
):
    r"""Sliced Wasserstein distance between two weighted point clouds.

    The Monte-Carlo estimate

    .. math::
        SW_p(\mu, \nu) = \Big(\frac{1}{K} \sum_{k=1}^K
        W_p^p(\theta_k\#\mu, \theta_k\#\nu)\Big)^{1/p}

    over ``K`` directions :math:`\theta_k` of the unit sphere, each 1-D
    problem solved exactly (see :func:`wasserstein_1d`), in parallel over
    the directions. With the same ``projections`` (or the same integer
    ``random_state`` as POT's ``seed``) it equals POT's
    ``sliced_wasserstein_distance``.

    Read more in the :ref:`User Guide <ot_sliced_partial>`.

    Parameters
    ----------
    X_s : array-like of shape (n, d)
        Source points.
    X_t : array-like of shape (m, d)
        Target points.
    a : array-like of shape (n,), default=None
        Source masses; ``None`` means uniform.
    b : array-like of shape (m,), default=None
        Target masses with the same total as ``a``; ``None`` means uniform.
    n_projections : int, default=50
        Number of random directions (ignored when ``projections`` is given).
    p : float, default=2
        Order of the distance, ``p >= 1``.
    projections : array-like of shape (d, K), default=None
        Directions to use, one per column (used as given, not normalised).
    random_state : int, RandomState instance or None, default=None
        Seeds the directions (normalised Gaussian vectors).
    return_projections : bool, default=False
        Also return the directions used.
    n_jobs : int or None, default=None
        Threads over the directions; results do not depend on it.

    Returns
    -------
    distance : float
        :math:`SW_p`.
    projections : ndarray of shape (d, K)
        The directions, only when ``return_projections=True``.

    See Also
    --------
    max_sliced_wasserstein : The largest 1-D distance over the directions.
    wasserstein_1d : Exact 1-D transport.

    References
    ----------
    .. [1] Bonneel, N., Rabin, J., Peyré, G., & Pfister, H. (2015). Sliced
       and Radon Wasserstein barycenters of measures. Journal of
       Mathematical Imaging and Vision, 51(1), 22-45.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sliced_wasserstein
    >>> X = np.random.default_rng(0).normal(size=(20, 3))
    >>> sliced_wasserstein(X, X + [1.0, 0.0, 0.0], random_state=0) > 0
    True
    >>> sliced_wasserstein(X, X, random_state=0)
    0.0
    """
    p = _check_p(p)
    X_s, X_t, a, b, P = _sliced_setup(X_s, X_t, a, b, n_projections, projections, random_state)
    costs = _projected_costs(X_s, X_t, a, b, P, p, n_jobs)
    dist = float(np.mean(costs) ** (1.0 / p))
    return (dist, P) if return_projections else dist


def _direction_cost_grad(X_s, X_t, a, b, theta, p):
    """``W_p^p`` of the projections on ``theta`` and its gradient in ``theta``."""
    res = _plan_result(*_sorted_problems(X_s @ theta, X_t @ theta, a, b, need_order=True)[:6], 0, p)
    P = res.plan.tocoo()
    diff = X_s[P.row] - X_t[P.col]  # (nnz, d)
    t = diff @ theta
    if p == 1.0:
        w = np.sign(t)
    else:
        w = p * np.abs(t) ** (p - 1) * np.sign(t)
    return res.cost, (P.data * w) @ diff


@validate_params(
    {
        **_SLICED_PARAMS,
        "n_steps": [Interval(Integral, 0, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def max_sliced_wasserstein(
    X_s,
    X_t,
    a=None,
    b=None,
    n_projections=50,
    p=2,
    projections=None,
    random_state=None,
    return_projections=False,
    n_jobs=None,
    *,
    n_steps=0,
    step_size=0.1,
):
    r"""Max-sliced Wasserstein distance between two weighted point clouds.

    .. math::
        \max_{\theta} W_p(\theta\#\mu, \theta\#\nu)

    over the given (or ``n_projections`` random) directions, which equals
    POT's ``max_sliced_wasserstein_distance`` with the same directions; then,
    optionally, ``n_steps`` projected-gradient ascent steps on the sphere
    from the best direction (the gradient of :math:`W_p^p` for the optimal 1-D
    plan of the current direction; a step is taken only when it increases the
    distance, otherwise the step size is halved), so the result never
    decreases with ``n_steps``.

    Read more in the :ref:`User Guide <ot_sliced_partial>`.

    Parameters
    ----------
    X_s : array-like of shape (n, d)
        Source points.
    X_t : array-like of shape (m, d)
        Target points.
    a : array-like of shape (n,), default=None
        Source masses; ``None`` means uniform.
    b : array-like of shape (m,), default=None
        Target masses with the same total as ``a``; ``None`` means uniform.
    n_projections : int, default=50
        Number of random directions (ignored when ``projections`` is given).
    p : float, default=2
        Order of the distance, ``p >= 1``.
    projections : array-like of shape (d, K), default=None
        Candidate directions, one per column.
    random_state : int, RandomState instance or None, default=None
        Seeds the random directions.
    return_projections : bool, default=False
        Also return the best direction.
    n_jobs : int or None, default=None
        Threads over the directions; results do not depend on it.
    n_steps : int, default=0
        Projected-gradient ascent steps from the best direction (0: none, the
        result equals POT's).
    step_size : float, default=0.1
        Initial angle (radians) of an ascent step along the tangent gradient.

    Returns
    -------
    distance : float
        The largest :math:`W_p` found.
    direction : ndarray of shape (d,)
        The direction that attains it (unit norm after ascent steps), only
        when ``return_projections=True``.

    See Also
    --------
    sliced_wasserstein : The average over the directions.

    References
    ----------
    .. [1] Deshpande, I., Hu, Y.-T., Sun, R., Pyrros, A., Siddiqui, N.,
       Koyejo, S., Zhao, Z., Forsyth, D., & Schwing, A. G. (2019).
       Max-sliced Wasserstein distance and its use for GANs. CVPR.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import max_sliced_wasserstein
    >>> X = np.random.default_rng(0).normal(size=(30, 2))
    >>> d, theta = max_sliced_wasserstein(
    ...     X, X + [3.0, 0.0], n_steps=20, random_state=0, return_projections=True
    ... )
    >>> round(d, 6), bool(abs(theta[0]) > 0.999)
    (3.0, True)
    """
    p = _check_p(p)
    X_s, X_t, a, b, P = _sliced_setup(X_s, X_t, a, b, n_projections, projections, random_state)
    costs = _projected_costs(X_s, X_t, a, b, P, p, n_jobs)
    k = int(np.argmax(costs))
    best, theta = float(costs[k]), P[:, k].copy()
    if n_steps:
        norm = np.linalg.norm(theta)
        theta = theta / norm if norm > 0 else theta
        cost, grad = _direction_cost_grad(X_s, X_t, a, b, theta, p)
        if norm > 0 and abs(norm - 1.0) > 1e-12:
            # the candidates may not be unit vectors: compare on the sphere
            best = cost
        step = step_size
        for _ in range(n_steps):
            tangent = grad - (grad @ theta) * theta
            tn = np.linalg.norm(tangent)
            if tn == 0 or step < 1e-12:
                break
            while step >= 1e-12:
                cand = np.cos(step) * theta + np.sin(step) * (tangent / tn)
                cand /= np.linalg.norm(cand)
                c_cost, c_grad = _direction_cost_grad(X_s, X_t, a, b, cand, p)
                if c_cost > best:
                    best, theta, grad = c_cost, cand, c_grad
                    step *= 1.5
                    break
                step *= 0.5
    dist = float(best ** (1.0 / p))
    return (dist, theta) if return_projections else dist
