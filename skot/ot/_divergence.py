"""Debiased Sinkhorn divergence between weighted point clouds."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._cost import _as_points, cost_matrix, cost_scale
from ._online import BlockEngine, sinkhorn_online
from ._utils import check_masses, check_reg, warn_convergence

__all__ = ["sinkhorn_divergence"]

_MASS_RTOL = 1e-6


def _entropic_value(res, a, b, reg):
    """``<P, C> + reg KL(P | a b^T)`` at the optimum.

    That is ``<a, f - reg log a> + <b, g - reg log b>``.
    """
    ia = a > 0
    ib = b > 0
    return float(
        a[ia] @ (res.f[ia] - reg * np.log(a[ia])) + b[ib] @ (res.g[ib] - reg * np.log(b[ib]))
    )


def _symmetric_value(step, p, reg, max_iter, tol):
    """``OT_reg(p, p)`` by the averaged symmetric iteration ``f <- (f + T(f)) / 2``.

    ``step(t, f)`` writes the Sinkhorn half-iteration of ``f`` into ``t`` and
    returns the row-marginal L1 error of the symmetric plan of ``f``; the
    averaged fixed point converges in a few iterations where alternating
    Sinkhorn oscillates (Feydy et al. 2019).
    """
    ip = p > 0
    p = p[ip]
    f = np.zeros(p.shape[0])
    t = np.empty_like(f)
    done = False
    for _ in range(max_iter):
        t[:] = f
        err = step(p, t, f)
        if 2 * err < tol:
            done = True
            break
        f = 0.5 * (f + t)
    if not done:
        warn_convergence(
            f"the symmetric Sinkhorn term did not converge in max_iter={max_iter} "
            f"iterations (tol={tol:g})."
        )
    return float(2 * p @ (f - reg * np.log(p)))


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like"],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "a": ["array-like", None],
        "b": ["array-like", None],
        "metric": [StrOptions({"sqeuclidean", "euclidean"})],
        "norm": [StrOptions({"max"}), Interval(Real, 0, None, closed="neither"), None],
        "method": [StrOptions({"log", "scaling", "sns", "online"})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def sinkhorn_divergence(
    X,
    Y,
    reg,
    *,
    a=None,
    b=None,
    metric="sqeuclidean",
    norm=None,
    method="log",
    max_iter=1000,
    tol=1e-9,
    n_jobs=None,
):
    r"""Debiased Sinkhorn divergence between two weighted point clouds.

    .. math::

        S_\varepsilon(\alpha, \beta) = \mathrm{OT}_\varepsilon(\alpha, \beta)
        - \tfrac12 \mathrm{OT}_\varepsilon(\alpha, \alpha)
        - \tfrac12 \mathrm{OT}_\varepsilon(\beta, \beta),

    where :math:`\mathrm{OT}_\varepsilon = \min_P \langle P, C\rangle +
    \varepsilon \mathrm{KL}(P \| a b^\top)` (Genevay et al. 2018, Feydy et
    al. 2019): non-negative, zero when the clouds are equal, and
    interpolating between OT (``reg -> 0``) and MMD (``reg -> inf``). Masses
    are normalised to probabilities.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Source points.
    Y : array-like of shape (m, d)
        Target points.
    reg : float
        Entropic regularisation :math:`\varepsilon`, > 0.
    a : array-like of shape (n,) or None, default=None
        Source weights; ``None`` means uniform.
    b : array-like of shape (m,) or None, default=None
        Target weights; ``None`` means uniform.
    metric : {"sqeuclidean", "euclidean"}, default="sqeuclidean"
        Ground cost.
    norm : "max", float or None, default=None
        Divide all three costs by the same number: the maximum of the cross
        cost ``C(X, Y)`` for ``"max"``, or the given number.
    method : {"log", "scaling", "sns", "online"}, default="log"
        Dense :func:`sinkhorn` with this method, or ``"online"``
        (:func:`sinkhorn_online`, memory :math:`O(n + m)`).
    max_iter : int, default=1000
        Maximum number of iterations of each of the three solves.
    tol : float, default=1e-9
        Tolerance on the L1 marginal error of each solve.
    n_jobs : int or None, default=None
        Threads for the kernels.

    Returns
    -------
    divergence : float
        :math:`S_\varepsilon(\alpha, \beta)`, in units of the normalised cost.

    Warns
    -----
    ConvergenceWarning
        When a solve stops at ``max_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sinkhorn_divergence
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> round(sinkhorn_divergence(X, X, reg=0.1), 12)
    0.0
    >>> bool(sinkhorn_divergence(X, X + 1.0, reg=1.0) > 0)
    True
    """
    from ._sinkhorn import sinkhorn

    reg = check_reg(reg)
    X = _as_points(X, "X")
    Y = _as_points(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features, got {X.shape[1]} and {Y.shape[1]}."
        )
    a = check_masses(a, X.shape[0], "a")
    b = check_masses(b, Y.shape[0], "b")
    a = a / a.sum()
    b = b / b.sum()
    opts = {"max_iter": max_iter, "tol": tol, "n_jobs": n_jobs}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if method == "online":
            if norm == "max":
                n_threads = BlockEngine.threads(X.shape[0] * Y.shape[0], n_jobs)
                norm = BlockEngine.points(X, Y, metric=metric, n_threads=n_threads).max_cost()
            sinv = 1.0 / (norm if norm is not None else 1.0)

            def value(P, Q, p, q):
                res = sinkhorn_online(P, Q, reg, a=p, b=q, metric=metric, norm=norm, **opts)
                return _entropic_value(res, p, q, reg)

            def self_engine(Pp):
                # the cost of a cloud with itself, on the fly (memory O(n))
                n_threads = BlockEngine.threads(Pp.shape[0] ** 2, n_jobs)
                return BlockEngine.points(Pp, Pp, metric=metric, n_threads=n_threads)
        else:
            Cxy = cost_matrix(X, Y, metric=metric)
            scale = cost_scale(Cxy, norm) if norm is not None else 1.0
            sinv = 1.0

            def value(P, Q, p, q):
                res = sinkhorn(p, q, Cxy / scale, reg, method=method, **opts)
                return _entropic_value(res, p, q, reg)

            def self_engine(Pp):
                # the stored cost of the cloud with itself (the cost of the cross term)
                C = np.ascontiguousarray(cost_matrix(Pp, Pp, metric=metric) / scale)
                n_threads = BlockEngine.threads(C.size, n_jobs)
                return BlockEngine.dense(C, n_threads=n_threads)

        def self_value(P, p):
            # the symmetric half-step on the block-wise engine of sinkhorn_online
            eng = self_engine(P[p > 0])
            logp = np.log(p[p > 0])
            stab = []

            def step(pp, t, f):
                guess = stab[-1] if stab else logp - f / reg
                lse = eng.lse_rows(f, guess, reg, sinv)
                stab[:] = [lse]
                err = float(np.abs(np.exp(t / reg + lse) - pp).sum())
                t[:] = reg * (logp - lse)
                return err

            return _symmetric_value(step, p, reg, max_iter, tol)

        s = value(X, Y, a, b) - 0.5 * self_value(X, a) - 0.5 * self_value(Y, b)
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            warn_convergence(str(w.message))
            break
    return float(s)
