"""Online Sinkhorn on point clouds: the cost is computed on the fly, O(n + m) memory."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import blas_threads, effective_n_threads, use_parallel
from ._cost import _as_points
from ._utils import (
    OTResult,
    check_init,
    check_init_support,
    check_masses,
    check_reg,
    warn_convergence,
)

__all__ = ["online_plan_rows", "sinkhorn_online"]

_METRICS = {"sqeuclidean": 0, "euclidean": 1}
_LOG_NORMS = {None: 0, "log": 1, "loglog": 2}
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


def _prepared(X, Y):
    """Centred float64 copies and squared norms (inputs of the BLAS engine)."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n, m = X.shape[0], Y.shape[0]
    if n + m:
        mu = (X.sum(axis=0) + Y.sum(axis=0)) / (n + m)
        X = X - mu
        Y = Y - mu
    X = np.ascontiguousarray(X)
    Y = np.ascontiguousarray(Y)
    return X, Y, np.einsum("ij,ij->i", X, X), np.einsum("ij,ij->i", Y, Y)


class BlockEngine:
    """The block-wise BLAS engine of :func:`sinkhorn_online` (internal entry point).

    Not public API: the one way other skot modules (``sinkhorn_divergence``,
    the entropic map of :mod:`skot.da`) reach the engine of
    :mod:`skot.ot._online_kernels`. Inputs are trusted (validated by the
    caller). Each method runs with BLAS pinned to one thread and spreads row
    blocks over ``n_threads`` Python threads; the block layout depends only
    on the sizes, so results do not depend on ``n_threads``.

    Build with :meth:`points` (cost between two point clouds, computed on
    the fly: ``metric`` ``"sqeuclidean"`` or ``"euclidean"``, then
    ``log_norm`` ``"log"``/``"loglog"`` applies ``log(1 + C)`` once or
    twice), :meth:`dense` (a stored cost matrix) or :meth:`callback` (a
    function ``cost(A, B)`` of raw rows returning their cost block).
    Every method takes ``sinv``, the factor the cost is multiplied by
    (``1 / divisor``).
    """

    def __init__(self, pair, n_threads=1):
        self._pair = pair
        self.n_threads = int(n_threads)

    @classmethod
    def points(cls, X, Y, *, metric="sqeuclidean", log_norm=None, n_threads=1):
        Xc, Yc, sqX, sqY = _prepared(X, Y)
        pair = _k().CostPairs.points(Xc, Yc, sqX, sqY, _METRICS[metric], _LOG_NORMS[log_norm])
        return cls(pair, n_threads)

    @classmethod
    def dense(cls, C, *, n_threads=1):
        return cls(_k().CostPairs.dense(np.asarray(C, dtype=np.float64)), n_threads)

    @classmethod
    def callback(cls, X, Y, cost, *, n_threads=1):
        return cls(_k().CostPairs.callback(X, Y, cost), n_threads)

    @staticmethod
    def threads(work, n_jobs, kind="sinkhorn"):
        """Threads for ``work`` entries (``PARALLEL_MIN_WORK[kind]`` decides)."""
        n = effective_n_threads(n_jobs)
        return n if use_parallel(work, n, kind) else 1

    @property
    def T(self):
        """The engine with the two sets swapped (column half-steps)."""
        return BlockEngine(self._pair.T, self.n_threads)

    def max_cost(self):
        """Largest cost (un-normalised); 1 when every cost is zero."""
        with blas_threads(1):
            mx = _k().blas_max_cost(self._pair, self.n_threads)
        return float(mx) if mx > 0 else 1.0

    def lse_rows(self, g, t, reg, sinv=1.0):
        """``log sum_j exp((g[j] - sinv C[i, j]) / reg)``; ``t``: stabiliser guess."""
        with blas_threads(1):
            return _k().blas_lse_rows(self._pair, g, t, reg, sinv, self.n_threads)

    def row_stats(self, f, g, reg, sinv=1.0):
        """Row sums of the plan ``exp((f + g - sinv C) / reg)`` and of plan x cost."""
        n = self._pair.shape[0]
        sums, costs = np.empty(n), np.empty(n)
        with blas_threads(1):
            _k().blas_row_stats(self._pair, f, g, reg, sinv, self.n_threads, sums, costs)
        return sums, costs

    def soft_map(self, g, reg, V, sinv=1.0, block_rows=256):
        """Rows ``sum_j softmax_j((g - sinv C[i]) / reg) V[j]`` (an entropic map)."""
        with blas_threads(1):
            return _k().blas_soft_map(
                self._pair,
                g,
                reg,
                sinv,
                np.asarray(V, dtype=np.float64),
                self.n_threads,
                block_rows,
            )


def _divisor(X, Y, metric, norm, n_threads=1):
    """The number the cost is divided by (``norm`` "max": its largest value)."""
    if norm is None:
        return 1.0
    if isinstance(norm, str):
        return BlockEngine.points(X, Y, metric=metric, n_threads=n_threads).max_cost()
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
def sinkhorn_online(
    X,
    Y,
    reg,
    *,
    a=None,
    b=None,
    metric="sqeuclidean",
    norm=None,
    max_iter=1000,
    tol=1e-9,
    init=None,
    n_jobs=None,
    verbose=0,
):
    r"""Log-domain Sinkhorn between point clouds without storing the cost or the plan.

    Every half-iteration recomputes the costs :math:`C_{ij} = c(x_i, y_j) /
    s` on the fly, block by block (one matrix product per block of rows and
    chunk of columns, then a stabilised log-sum-exp), so memory is
    :math:`O(n + m)` plus a bounded buffer: large clouds (e.g. 100,000
    points a side) fit where an :math:`n \times m` matrix would not. The
    iterations are those of :func:`sinkhorn` (method ``"log"``). The plan is
    available block-wise through :func:`online_plan_rows`.

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
        Stop when the L1 marginal error of the plan, divided by the total
        mass, is below ``tol`` (the meaning of ``tol`` in every balanced
        solver of :mod:`skot.ot`; the column marginal is exact after each
        column update, so the error is ``|P 1 - a|_1``).
    init : tuple (f, g) or None, default=None
        Warm-start potentials in (normalised) cost units.
    n_jobs : int or None, default=None
        Threads (joblib semantics); results do not depend on it.
    verbose : int, default=0
        ``> 0``: print the marginal error at every iteration (``True`` and
        ``False`` are accepted as 1 and 0).

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
    ia = np.flatnonzero(a > 0)
    ib = np.flatnonzero(b > 0)
    Xs, Ys, as_, bs = X[ia], Y[ib], a[ia], b[ib]
    loga, logb = np.log(as_), np.log(bs)
    if init is None:
        f = np.zeros(ia.size)
        g = np.zeros(ib.size)
    else:
        f, g = check_init_support(init[0][ia].copy(), init[1][ib].copy())
    n_threads = BlockEngine.threads(ia.size * ib.size, n_jobs)
    eng = BlockEngine.points(Xs, Ys, metric=metric, n_threads=n_threads)
    engT = eng.T
    sinv = 1.0 / (eng.max_cost() if norm == "max" else 1.0 if norm is None else float(norm))
    # stabilisers: the row (column) log-sum-exp of the previous half-step
    tf = loga - f / reg
    tg = logb - g / reg
    done = False
    it = 0
    while it < max_iter:
        lse = eng.lse_rows(g, tf, reg, sinv)
        err = float(np.abs(np.exp(f / reg + lse) - as_).sum())
        if verbose:
            print(f"sinkhorn_online: iteration {it}, marginal error {err:.3e}")
        if err < tol * sa:
            done = True
            break
        f = reg * (loga - lse)
        tf = lse
        lse = engT.lse_rows(f, tg, reg, sinv)
        g = reg * (logb - lse)
        tg = lse
        it += 1
    # final marginals and cost: one cost pass over the rows, the column
    # sums from one more (fast) column log-sum-exp
    rs, rc = eng.row_stats(f, g, reg, sinv)
    lse = engT.lse_rows(f, tg, reg, sinv)
    cs = np.exp(g / reg + lse)
    err = float(
        np.abs(rs - as_).sum() + np.abs(cs - bs).sum() + a.sum() - as_.sum() + b.sum() - bs.sum()
    )
    ff = np.full(n, -np.inf)
    gg = np.full(m, -np.inf)
    ff[ia] = f
    gg[ib] = g
    if not done:
        warn_convergence(
            f"sinkhorn_online did not converge in max_iter={max_iter} iterations "
            f"(marginal error {err:.3e}, tol={tol:g}); increase max_iter or reg."
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
        raise ValueError(
            f"f and g must have shapes ({n},) and ({m},), got {f.shape} and {g.shape}."
        )
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
    sinv = 1.0 / _divisor(X, Y, metric, norm)
    out = np.empty((idx.size, m))
    with np.errstate(invalid="ignore"):
        K.online_plan_block(X, Y, idx, f, g, reg, sinv, _METRICS[metric], out)
    return np.nan_to_num(out, nan=0.0)
