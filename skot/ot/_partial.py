"""Partial optimal transport: exact (dummy points on skot's network simplex) and
entropic (Bregman projections in the log domain, on the entropic-OT core's
row and column log-sum-exp kernels)."""

import numbers
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from ..utils._numba import numba_threads, select, use_parallel
from ..utils._validation import check_memory
from ._emd import emd
from ._utils import (
    OTResult,
    check_cost,
    check_masses,
    check_reg,
    plan_cost,
    restrict,
    support,
    warn_convergence,
)

__all__ = ["entropic_partial_wasserstein", "partial_wasserstein", "partial_wasserstein2"]


def _check_partial(a, b, M, m):
    """Validated ``(a, b, M, m)``: masses of any totals, ``0 <= m <= min`` of the totals."""
    M = check_cost(M)
    n, k = M.shape
    a = check_masses(a, n, "a")
    b = check_masses(b, k, "b")
    top = min(a.sum(), b.sum())
    if m is None:
        return a, b, M, float(top)
    if isinstance(m, bool) or not isinstance(m, numbers.Real):
        raise TypeError(f"m must be None or a real number (the mass to transport), got {m!r}.")
    m = float(m)
    if not np.isfinite(m) or m < 0:
        raise ValueError(f"m must be a finite non-negative mass, got {m!r}.")
    if m > top * (1 + 1e-12):
        raise ValueError(
            f"m={m!r} exceeds min(a.sum(), b.sum())={top!r}: the problem is infeasible."
        )
    return a, b, M, min(m, float(top))


def _violation(P, a, b, m):
    """``sum (P 1 - a)_+ + sum (P^T 1 - b)_+ + |sum P - m|``."""
    r = np.asarray(P.sum(axis=1)).ravel()
    c = np.asarray(P.sum(axis=0)).ravel()
    return float(np.maximum(r - a, 0).sum() + np.maximum(c - b, 0).sum() + abs(r.sum() - m))


_PARTIAL_PARAMS = {
    "a": ["array-like", None],
    "b": ["array-like", None],
    "M": ["array-like", "sparse matrix"],
    "m": [Interval(Real, 0, None, closed="left"), None],
    "max_iter": [Interval(Integral, 0, None, closed="left"), None],
}


def _partial(a, b, M, m, max_iter, sparse_plan):
    a, b, M, m = _check_partial(a, b, M, m)
    n, k = M.shape
    check_memory((n + 1) * (k + 1) * 8, f"a {n + 1} x {k + 1} float64 extended cost matrix")
    top = float(np.abs(M).max())
    # cost of the dummy-to-dummy arc: any value above -min(M) keeps it empty
    # (POT uses 2 max(M), the same for non-negative costs)
    big = 2.0 * top if top > 0 else 1.0
    Mx = np.zeros((n + 1, k + 1), dtype=np.float64)
    Mx[:n, :k] = M
    Mx[n, k] = big
    ax = np.append(a, b.sum() - m)
    bx = np.append(b, a.sum() - m)
    res = emd(ax, bx, Mx, max_iter=max_iter, sparse_plan=True)
    P = res.plan.tocsr()[:n, :k]
    P.eliminate_zeros()
    cost = plan_cost(P, M)
    err = _violation(P, a, b, m)
    if not sparse_plan:
        P = P.toarray()
    return OTResult(P, cost, res.f[:n], res.g[:k], res.n_iter, res.converged, err)


@validate_params(
    {**_PARTIAL_PARAMS, "sparse_plan": ["boolean"]}, prefer_skip_nested_validation=True
)
def partial_wasserstein(a, b, M, m=None, *, max_iter=None, sparse_plan=False):
    r"""Exact partial optimal transport: move a mass ``m`` at the least cost.

    Solves

    .. math::
        \min_{P \ge 0} \langle P, M\rangle \quad \text{s.t.} \quad
        P 1 \le a,\ P^T 1 \le b,\ 1^T P 1 = m \le \min(|a|_1, |b|_1)

    by adding one dummy point to each side, with masses :math:`|b|_1 - m` and
    :math:`|a|_1 - m`, zero cost to and from the real points and a large cost
    between the two dummies (Chapel, Alaya and Gasso, 2020), and solving that
    balanced problem exactly with :func:`emd`. The masses need not have the
    same total.

    Read more in the :ref:`User Guide <ot_sliced_partial>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (non-negative); ``None`` or ``[]`` means uniform.
    b : array-like of shape (m_t,) or None
        Target masses (non-negative, any total); ``None`` or ``[]`` means
        uniform.
    M : array-like of shape (n, m_t)
        Cost matrix (finite, any sign).
    m : float or None, default=None
        Mass to transport, between 0 and ``min(a.sum(), b.sum())``; ``None``
        means that minimum (the most mass; POT's ``partial_wasserstein``
        with ``m=None`` solves the Lagrangian problem, which for simplex
        masses gives the same plan).
    max_iter : int or None, default=None
        Maximum number of network-simplex pivots (see :func:`emd`).
    sparse_plan : bool, default=False
        Return the plan as a ``scipy.sparse.csr_matrix``.

    Returns
    -------
    result : OTResult
        ``plan``, ``cost`` ``<plan, M>``, potentials ``f``, ``g`` with ``f[i]
        + g[j] <= M[i, j]`` (equality on the support of the plan),
        ``n_iter`` (pivots), ``converged`` (optimality proven) and
        ``marginal_error``, here the violation of the constraints:
        ``sum (P 1 - a)_+ + sum (P^T 1 - b)_+ + |sum P - m|``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the simplex before optimality.

    See Also
    --------
    partial_wasserstein2 : The cost only.
    entropic_partial_wasserstein : The entropic version.

    References
    ----------
    .. [1] Chapel, L., Alaya, M., & Gasso, G. (2020). Partial optimal
       transport with applications on positive-unlabeled learning. NeurIPS.
    .. [2] Caffarelli, L. A., & McCann, R. J. (2010). Free boundaries in
       optimal transport and Monge-Ampère obstacle problems. Annals of
       Mathematics, 673-730.

    Examples
    --------
    >>> from skot.ot import partial_wasserstein
    >>> res = partial_wasserstein([0.1, 0.2], [0.1, 0.1], [[0.0, 1.0], [2.0, 3.0]], m=0.1)
    >>> res.plan
    array([[0.1, 0. ],
           [0. , 0. ]])
    >>> res.cost
    0.0
    """
    return _partial(a, b, M, m, max_iter, sparse_plan)


@validate_params(_PARTIAL_PARAMS, prefer_skip_nested_validation=True)
def partial_wasserstein2(a, b, M, m=None, *, max_iter=None):
    """Cost of the exact partial optimal transport of a mass ``m``.

    Read more in the :ref:`User Guide <ot_sliced_partial>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m_t,) or None
        Target masses (any total); ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m_t)
        Cost matrix.
    m : float or None, default=None
        Mass to transport; ``None`` means ``min(a.sum(), b.sum())``.
    max_iter : int or None, default=None
        Maximum number of network-simplex pivots.

    Returns
    -------
    cost : float
        ``<P, M>`` for the optimal partial plan ``P`` (see
        :func:`partial_wasserstein`).

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the simplex before optimality.

    Examples
    --------
    >>> from skot.ot import partial_wasserstein2
    >>> round(partial_wasserstein2([0.1, 0.2], [0.1, 0.1], [[0.0, 1.0], [2.0, 3.0]]), 10)
    0.3
    """
    return _partial(a, b, M, m, max_iter, True).cost


# ------------------------------------------------------------------ entropic


def _lse(x):
    mx = x.max()
    if not np.isfinite(mx):
        return mx
    return mx + np.log(np.exp(x - mx).sum())


def _entropic_partial(a, b, M, reg, m, max_iter, tol, n_jobs, verbose):
    from . import _partial_kernels as PK
    from . import _sinkhorn_kernels as SK

    reg = check_reg(reg)
    a, b, M, m = _check_partial(a, b, M, m)
    n, k = M.shape
    ia, ib, reduced = support(a, b)
    Ms = restrict(M, ia, ib) if reduced else M
    As, Bs = a[ia], b[ib]
    ns, ks = Ms.shape
    check_memory(ns * ks * 8, f"a {ns} x {ks} float64 plan", hint="Use fewer points.")
    if m == 0:
        return OTResult(
            np.zeros((n, k)), 0.0, np.full(n, -np.inf), np.full(k, -np.inf), 0, True, 0.0
        )
    f = np.zeros(ns)
    g = np.zeros(ks)
    with numba_threads(n_jobs) as n_threads:
        parallel = use_parallel(Ms.size, n_threads, "sinkhorn")
        nbuf = (ns + PK._ROW_BLOCK - 1) // PK._ROW_BLOCK if parallel else 1
        bufs = np.empty((nbuf, PK._CHUNK))
        # start of Benamou et al. (as POT): the Gibbs kernel scaled to mass m,
        # i.e. f = h, g = 0 with h = reg (log m - lse_ij(-M_ij / reg))
        lse = np.empty(ns)
        (PK.row_lse.parallel if parallel else PK.row_lse.serial)(Ms, g, reg, lse, bufs)
        h = reg * (np.log(m) - _lse(lse))
        f[:] = h
        loop = PK.partial_loop.parallel if parallel else PK.partial_loop.serial
        it, done, err, h = loop(
            Ms,
            As,
            np.log(As),
            Bs,
            np.log(Bs),
            f,
            g,
            h,
            reg,
            m,
            max_iter,
            tol * m,
            np.empty((6, max(ns, ks))),
            bufs,
        )
        it, done = int(it), bool(done)
        P = np.empty((ns, ks))
        select(SK.gibbs, Ms.size, n_threads, "sinkhorn")(Ms, f, g, reg, P)
    if reduced:
        plan = np.zeros((n, k))
        plan[np.ix_(ia, ib)] = P
        ff = np.full(n, -np.inf)
        gg = np.full(k, -np.inf)
        ff[ia] = f
        gg[ib] = g
    else:
        plan, ff, gg = P, f, g
    cost = plan_cost(P, Ms)
    if verbose:
        print(f"entropic_partial_wasserstein: {it} iterations, error {err:.3e}, converged={done}")
    return OTResult(plan, cost, ff, gg, it, done, _violation(plan, a, b, m))


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like", "sparse matrix"],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "m": [Interval(Real, 0, None, closed="left"), None],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def entropic_partial_wasserstein(
    a, b, M, reg, m=None, *, max_iter=1000, tol=1e-9, n_jobs=None, verbose=0
):
    r"""Entropic partial optimal transport of a mass ``m``.

    Solves

    .. math::
        \min_{P \ge 0} \langle P, M\rangle + \mathrm{reg} \sum_{ij} P_{ij}
        (\log P_{ij} - 1) \quad \text{s.t.} \quad P 1 \le a,\
        P^T 1 \le b,\ 1^T P 1 = m

    by iterated Bregman (KL) projections on the three constraint sets
    (Benamou et al., 2015, Dykstra's algorithm: the corrections of the
    inequality constraints are row and column scalings, so they are carried
    by the potentials). Every step runs in the log domain on the entropic
    core's one-pass log-sum-exp kernels, so small ``reg`` gives no overflow,
    no underflow and no NaN (POT's default multiplicative solver returns NaN
    there). The plan is :math:`P_{ij} = \exp((f_i + g_j - M_{ij}) /
    \mathrm{reg})` with :math:`g \le 0`. The iterates are those of POT's
    ``entropic_partial_wasserstein`` (same start, same projections, same
    order).

    Read more in the :ref:`User Guide <ot_sliced_partial>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (non-negative); ``None`` or ``[]`` means uniform.
    b : array-like of shape (m_t,) or None
        Target masses (non-negative, any total); ``None`` or ``[]`` means
        uniform.
    M : array-like of shape (n, m_t)
        Cost matrix (finite).
    reg : float
        Entropic regularisation, > 0 (in the units of ``M``).
    m : float or None, default=None
        Mass to transport, between 0 and ``min(a.sum(), b.sum())``; ``None``
        means that minimum.
    max_iter : int, default=1000
        Maximum number of iterations (one iteration is the three projections).
    tol : float, default=1e-9
        Stop when the L1 change of the plan's marginals and total made by the
        three projections of an iteration, divided by ``m``, is below ``tol``
        (zero exactly at the solution).
    n_jobs : int or None, default=None
        Threads for the kernels (joblib semantics); results do not depend on it.
    verbose : int, default=0
        Print a summary at the end (0: nothing).

    Returns
    -------
    result : OTResult
        Dense ``plan``, ``cost`` ``<plan, M>`` (no entropy term), potentials
        ``f``, ``g`` (``-inf`` for zero masses), ``n_iter``, ``converged`` and
        ``marginal_error``, here the violation of the constraints ``sum (P 1 -
        a)_+ + sum (P^T 1 - b)_+ + |sum P - m|``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    partial_wasserstein : Exact partial transport.

    References
    ----------
    .. [1] Benamou, J.-D., Carlier, G., Cuturi, M., Nenna, L., & Peyré, G.
       (2015). Iterative Bregman projections for regularized transportation
       problems. SIAM Journal on Scientific Computing, 37(2), A1111-A1138.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import entropic_partial_wasserstein
    >>> M = [[0.0, 1.0], [2.0, 3.0]]
    >>> res = entropic_partial_wasserstein([0.1, 0.2], [0.1, 0.1], M, reg=1.0, m=0.1)
    >>> np.round(res.plan, 2)
    array([[0.06, 0.02],
           [0.01, 0.  ]])
    >>> res.converged
    True
    """
    res = _entropic_partial(a, b, M, reg, m, max_iter, tol, n_jobs, int(verbose))
    if not res.converged:
        warn_convergence(
            f"entropic_partial_wasserstein did not converge in max_iter={max_iter} "
            f"iterations (tol={tol:g}); increase max_iter or reg."
        )
    return res
