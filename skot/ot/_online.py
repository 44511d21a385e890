"""Online Sinkhorn on point clouds: the cost is computed on the fly, O(n + m) memory."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import numba_threads
from ._cost import _as_points
from ._utils import OTResult, check_init, check_init_support, check_masses, check_reg

__all__ = ["online_plan_rows", "sinkhorn_online"]

_METRICS = {"sqeuclidean": 0, "euclidean": 1}
_PARALLEL_MIN_SIZE = 100_000
_MASS_RTOL = 1e-6


def _k():
    from . import _online_kernels

    return _online_kernels


def _points(X, Y):
    X = _as_points(X, "X")
    Y = _as_points(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features, got {X.shape[1]} and {Y.shape[1]}."
        )
    if X.dtype != Y.dtype:
        X, Y = X.astype(np.float64), Y.astype(np.float64)
    return np.ascontiguousarray(X), np.ascontiguousarray(Y)


def _divisor(X, Y, code, norm, parallel):
    if norm is None:
        return 1.0
    if isinstance(norm, str):
        K = _k()
        mx = (K.online_max_cost_par if parallel else K.online_max_cost)(X, Y, code)
        return float(mx) if mx > 0 else 1.0
    return float(norm)


_NORM = [StrOptions({"max"}), Interval(Real, 0, None, closed="neither"), None]


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like"],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "a": ["array-like", None],
        "b": ["array-like", None],
        "metric": [StrOptions(set(_METRICS))],
        "norm": _NORM,
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [tuple, list, None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def sinkhorn_online(X, Y, reg, *, a=None, b=None, metric="sqeuclidean", norm=None,
                    max_iter=1000, tol=1e-9, init=None, n_jobs=None, verbose=False):
    r"""Log-domain Sinkhorn between point clouds without storing the cost or the plan.

    Every half-iteration recomputes the costs :math:`C_{ij} = c(x_i, y_j) /
    s` on the fly in the fused log-sum-exp pass of :func:`sinkhorn` (method
    ``"log"``), so memory is :math:`O(n + m)`: large clouds (e.g. 100,000
    points a side) fit where an :math:`n \times m` matrix would not. The plan
    is available block-wise through :func:`online_plan_rows`.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Source points.
    Y : array-like of shape (m, d)
        Target points.
    reg : float
        Entropic regularisation, > 0 (in units of the normalised cost).
    a : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    b : array-like of shape (m,) or None, default=None
        Target masses with the same total; ``None`` means uniform.
    metric : {"sqeuclidean", "euclidean"}, default="sqeuclidean"
        Ground cost between points.
    norm : "max", float or None, default=None
        Divide the cost by its maximum (one extra pass over all pairs) or by
        the given number.
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-9
        Stop when the L1 marginal error is below ``tol``.
    init : tuple (f, g) or None, default=None
        Warm-start potentials in (normalised) cost units.
    n_jobs : int or None, default=None
        Threads (joblib semantics); results do not depend on it.
    verbose : bool or int, default=False
        Print progress.

    Returns
    -------
    result : OTResult
        ``plan`` is None (use :func:`online_plan_rows`); ``cost`` is
        :math:`\langle P, C\rangle` for the normalised cost; potentials,
        ``n_iter``, ``converged`` and ``marginal_error`` as :func:`sinkhorn`.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn_online
    >>> X = np.array([[0.0], [1.0]])
    >>> res = sinkhorn_online(X, X + 0.1, reg=1.0)
    >>> bool(res.converged), round(res.cost, 3)
    (True, 0.279)
    """
    reg = check_reg(reg)
    X, Y = _points(X, Y)
    n, m = X.shape[0], Y.shape[0]
    a = check_masses(a, n, "a")
    b = check_masses(b, m, "b")
    sa, sb = a.sum(), b.sum()
    if abs(sa - sb) > _MASS_RTOL * max(sa, sb):
        raise ValueError(
            f"a and b must have the same total mass, got a.sum()={sa!r} and b.sum()={sb!r}."
        )
    b = b * (sa / sb)
    init = check_init(init, n, m)
    code = _METRICS[metric]
    ia = np.flatnonzero(a > 0)
    ib = np.flatnonzero(b > 0)
    Xs, Ys, as_, bs = X[ia], Y[ib], a[ia], b[ib]
    loga, logb = np.log(as_), np.log(bs)
    if init is None:
        f = np.zeros(ia.size)
        g = np.zeros(ib.size)
    else:
        f, g = check_init_support(init[0][ia].copy(), init[1][ib].copy())
    K = _k()
    with numba_threads(n_jobs) as n_threads:
        parallel = n_threads > 1 and ia.size * ib.size >= _PARALLEL_MIN_SIZE
        sinv = 1.0 / _divisor(Xs, Ys, code, norm, parallel)
        step = K.online_row_step_par if parallel else K.online_row_step
        done = False
        it = 0
        f_old = np.empty_like(f)
        while it < max_iter:
            f_old[:] = f
            err, _ = step(Xs, Ys, as_, loga, f, g, reg, 1.0, sinv, code)
            if verbose:
                print(f"sinkhorn_online: iteration {it}, marginal error {err:.3e}")
            if err < tol:
                f[:] = f_old
                done = True
                break
            step(Ys, Xs, bs, logb, g, f, reg, 1.0, sinv, code)
            it += 1
        stats = K.online_row_stats_par if parallel else K.online_row_stats
        rs, rc = np.empty(ia.size), np.empty(ia.size)
        cs, cc = np.empty(ib.size), np.empty(ib.size)
        stats(Xs, Ys, f, g, reg, sinv, code, rs, rc)
        stats(Ys, Xs, g, f, reg, sinv, code, cs, cc)
    err = float(np.abs(rs - as_).sum() + np.abs(cs - bs).sum()
                + a.sum() - as_.sum() + b.sum() - bs.sum())
    ff = np.full(n, -np.inf)
    gg = np.full(m, -np.inf)
    ff[ia] = f
    gg[ib] = g
    if not done:
        warnings.warn(
            f"sinkhorn_online did not converge in max_iter={max_iter} iterations "
            f"(marginal error {err:.3e}, tol={tol:g}); increase max_iter or reg.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return OTResult(None, float(rc.sum()), ff, gg, int(it), bool(done), err)


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like"],
        "f": ["array-like"],
        "g": ["array-like"],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "rows": ["array-like", slice, None],
        "metric": [StrOptions(set(_METRICS))],
        "norm": _NORM,
    },
    prefer_skip_nested_validation=True,
)
def online_plan_rows(X, Y, f, g, reg, rows=None, *, metric="sqeuclidean", norm=None):
    """Rows of the entropic plan of :func:`sinkhorn_online`, computed from the potentials.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Source points.
    Y : array-like of shape (m, d)
        Target points.
    f : array-like of shape (n,)
        Source potential (``result.f``).
    g : array-like of shape (m,)
        Target potential (``result.g``).
    reg : float
        The ``reg`` of the solve.
    rows : array-like of int, slice or None, default=None
        Rows to compute; ``None`` means all (an ``n x m`` array).
    metric : {"sqeuclidean", "euclidean"}, default="sqeuclidean"
        Ground cost (as in the solve).
    norm : "max", float or None, default=None
        Cost normalisation (as in the solve).

    Returns
    -------
    block : ndarray of shape (len(rows), m)
        ``exp((f[i] + g[j] - C[i, j]) / reg)`` for the requested rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn_online, online_plan_rows
    >>> X = np.array([[0.0], [1.0]])
    >>> res = sinkhorn_online(X, X, reg=0.05)
    >>> online_plan_rows(X, X, res.f, res.g, 0.05, rows=[0]).round(3)
    array([[0.5, 0. ]])
    """
    reg = check_reg(reg)
    X, Y = _points(X, Y)
    n, m = X.shape[0], Y.shape[0]
    f = np.asarray(f, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    if f.shape != (n,) or g.shape != (m,):
        raise ValueError(f"f and g must have shapes ({n},) and ({m},), got {f.shape} and {g.shape}.")
    if rows is None:
        idx = np.arange(n)
    elif isinstance(rows, slice):
        idx = np.arange(n)[rows]
    else:
        idx = np.asarray(rows)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError("rows must be a 1-D array of row indices or a slice.")
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise ValueError(f"rows must be in [0, {n - 1}].")
    idx = np.ascontiguousarray(idx % n if idx.size else idx, dtype=np.int64)
    K = _k()
    sinv = 1.0 / _divisor(X, Y, _METRICS[metric], norm, False)
    out = np.empty((idx.size, m))
    with np.errstate(invalid="ignore"):
        K.online_plan_block(X, Y, idx, f, g, reg, sinv, _METRICS[metric], out)
    return np.nan_to_num(out, nan=0.0)
