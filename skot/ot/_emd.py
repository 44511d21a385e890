"""Exact optimal transport (earth mover's distance) by the network simplex."""

import math
import warnings
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, validate_params

from ._utils import OTResult, check_problem, marginal_error, restrict, support

__all__ = ["emd", "emd2"]


def _greedy_shipments(M, a, b, tol):
    """The row-minimum shipments: ``(rows, cols, vals, count, residual a, residual b)``."""
    from . import _network_simplex as ns

    rows, cols, vals, ra, rb, open_cols = _greedy_scratch(a, b, True)[:6]
    cnt = ns.greedy_shipments(M, ra, rb, tol, rows, cols, vals, open_cols)
    return rows, cols, vals, cnt, ra, rb


def _greedy_scratch(a, b, greedy):
    """Inputs and scratch of the greedy start (size 0 when it is not used)."""
    n, m = (a.shape[0], b.shape[0]) if greedy else (0, 0)
    return (
        np.empty(n + m, dtype=np.int64),
        np.empty(n + m, dtype=np.int64),
        np.empty(n + m, dtype=np.float64),
        a.copy() if greedy else a[:0],
        b.copy() if greedy else b[:0],
        np.empty(m, dtype=np.int64),
        np.zeros(n + m + 1, dtype=np.int64),
        np.empty(2 * (n + m), dtype=np.int64),
        np.zeros(n + m, dtype=np.bool_),
    )


def _artificial_tree(a, b, parent, arc, up, flow, first_child, next_sib, prev_sib):
    """Every node hangs from the root by its artificial arc (all mass on them).

    The child list of the root is ``n + m - 1, ..., 1, 0`` (each node added
    at its head in turn).
    """
    n, m = a.shape[0], b.shape[0]
    root = n + m
    parent[:root] = root
    parent[root] = -1
    arc[:] = -1
    up[:n] = True
    up[n:] = False
    flow[:n] = a
    flow[n:root] = b
    flow[root] = 0.0
    first_child[root] = root - 1
    next_sib[:root] = np.arange(-1, root - 1)
    prev_sib[:root] = np.arange(1, root + 1)
    prev_sib[root - 1] = -1


def _solve(a, b, M, max_iter, greedy=True):
    from . import _network_simplex as ns

    n, m = M.shape
    N = n + m + 1
    parent = np.empty(N, dtype=np.int64)
    arc = np.empty(N, dtype=np.int64)
    up = np.empty(N, dtype=np.bool_)
    flow = np.empty(N, dtype=np.float64)
    pi = np.empty(N, dtype=np.float64)
    depth = np.zeros(N, dtype=np.int64)
    first_child = np.full(N, -1, dtype=np.int64)
    next_sib = np.full(N, -1, dtype=np.int64)
    prev_sib = np.full(N, -1, dtype=np.int64)
    stack = np.empty(N, dtype=np.int64)
    scale = float(max(M.max(), -M.min()))  # max |M| without an n x m temporary
    scale = scale if scale > 0 else 1.0
    art = (scale + 1.0) * (n + m)
    eps = 64 * np.finfo(np.float64).eps * art
    block = max(10, int(math.sqrt(n * m)))
    if max_iter is None:
        max_iter = 1000 * (n + m) + 100_000
    # greedy start: masses left below tol after the row-minimum rule count as exhausted
    tol = 16 * np.finfo(np.float64).eps * max(a.max(), b.max())
    if not greedy:
        _artificial_tree(a, b, parent, arc, up, flow, first_child, next_sib, prev_sib)
    it, optimal = ns.solve(
        M,
        art,
        eps,
        block,
        0,
        max_iter,
        greedy,
        tol,
        parent,
        arc,
        up,
        flow,
        pi,
        depth,
        first_child,
        next_sib,
        prev_sib,
        stack,
        *_greedy_scratch(a, b, greedy),
    )
    nodes = np.flatnonzero((arc[: n + m] >= 0) & (flow[: n + m] > 0))
    k = arc[nodes]
    rows, cols, vals = k // m, k % m, flow[nodes]
    if not optimal:
        # mass still on artificial arcs: route it by the north-west corner rule
        # so that the returned plan is feasible (its cost is an upper bound)
        art_nodes = np.flatnonzero((arc[: n + m] < 0) & (flow[: n + m] > 0))
        res_a = np.zeros(n)
        res_b = np.zeros(m)
        src = art_nodes[art_nodes < n]
        snk = art_nodes[art_nodes >= n]
        res_a[src] = flow[src]
        res_b[snk - n] = flow[snk]
        extra = _north_west(res_a, res_b)
        rows = np.concatenate([rows, extra[0]])
        cols = np.concatenate([cols, extra[1]])
        vals = np.concatenate([vals, extra[2]])
    f = -pi[:n]
    g = pi[n : n + m].copy()
    return rows, cols, vals, f, g, int(it), bool(optimal)


def _north_west(ra, rb):
    """Feasible transport of the residual masses ``ra`` -> ``rb`` (north-west corner)."""
    rows, cols, vals = [], [], []
    ra = ra.copy()
    rb = rb * (ra.sum() / rb.sum()) if rb.sum() > 0 else rb.copy()
    ia = np.flatnonzero(ra > 0)
    ib = np.flatnonzero(rb > 0)
    p = q = 0
    while p < ia.size and q < ib.size:
        i, j = ia[p], ib[q]
        t = min(ra[i], rb[j])
        if t > 0:
            rows.append(i)
            cols.append(j)
            vals.append(t)
        ra[i] -= t
        rb[j] -= t
        if ra[i] <= rb[j]:
            p += 1
        else:
            q += 1
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(vals, dtype=np.float64),
    )


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like"],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
        "sparse_plan": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def emd(a, b, M, *, max_iter=None, sparse_plan=False):
    r"""Exact optimal transport by the network simplex.

    Solves the linear program :math:`\min_{P \ge 0,\ P1 = a,\ P^T 1 = b}
    \langle P, M\rangle` with a network simplex on the bipartite graph (block
    search pricing, strongly feasible spanning trees). The plan is a vertex
    of the transport polytope: at most ``n + m - 1`` nonzeros.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (non-negative); ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses with the same total as ``a`` (up to a relative 1e-6;
        ``b`` is then rescaled to the total of ``a``); ``None`` or ``[]`` means
        uniform. Zero masses are allowed.
    M : array-like of shape (n, m)
        Cost matrix (finite, any sign).
    max_iter : int or None, default=None
        Maximum number of pivots; ``None`` means no practical limit
        (``1000 * (n + m) + 100000``).
    sparse_plan : bool, default=False
        Return the plan as a ``scipy.sparse.csr_matrix``.

    Returns
    -------
    result : OTResult
        ``plan``, ``cost``, dual potentials ``f``, ``g`` with
        ``f[i] + g[j] <= M[i, j]`` (equality on the support; zero-mass rows and
        columns get their c-transform), ``n_iter`` (pivots), ``converged``
        (optimality proven) and ``marginal_error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the simplex before optimality.

    See Also
    --------
    emd2 : The optimal cost only.
    sinkhorn : Entropic (smoothed) transport.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import emd
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = emd([0.5, 0.5], [0.5, 0.5], M)
    >>> res.plan
    array([[0.5, 0. ],
           [0. , 0.5]])
    >>> res.cost
    0.0
    """
    a, b, M = check_problem(a, b, M)
    n, m = M.shape
    ia, ib, reduced = support(a, b)
    Ms = restrict(M, ia, ib) if reduced else M
    rows, cols, vals, f, g, it, optimal = _solve(a[ia], b[ib], Ms, max_iter)
    if reduced:
        rows, cols = ia[rows], ib[cols]
        ff = np.empty(n)
        gg = np.empty(m)
        ff[ia] = f
        gg[ib] = g
        # c-transforms for the zero masses keep f_i + g_j <= M_ij everywhere
        za = np.setdiff1d(np.arange(n), ia)
        zb = np.setdiff1d(np.arange(m), ib)
        if za.size:
            ff[za] = (M[np.ix_(za, ib)] - g[None, :]).min(axis=1)
        if zb.size:
            gg[zb] = (M[:, zb] - ff[:, None]).min(axis=0)
        f, g = ff, gg
    # one common shift: sum(a f) == sum(b g)
    t = (b @ g - a @ f) / (2 * a.sum())
    f = f + t
    g = g - t
    P = sparse.csr_matrix((vals, (rows, cols)), shape=(n, m))
    cost = float(np.dot(vals, M[rows, cols].astype(np.float64)))
    err = marginal_error(P, a, b)
    if not sparse_plan:
        P = P.toarray()
    if not optimal:
        warnings.warn(
            f"emd stopped after max_iter={max_iter} pivots before reaching optimality "
            f"(cost {cost:.6g} is an upper bound); increase max_iter or use None.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return OTResult(P, cost, f, g, it, optimal, err)


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like"],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def emd2(a, b, M, *, max_iter=None):
    """Optimal transport cost (earth mover's distance) by the network simplex.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses with the same total; ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m)
        Cost matrix.
    max_iter : int or None, default=None
        Maximum number of pivots (see :func:`emd`).

    Returns
    -------
    cost : float
        ``<P, M>`` for the optimal plan ``P``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the simplex before optimality.

    Examples
    --------
    >>> from skot.ot import emd2
    >>> emd2([0.5, 0.5], [1.0], [[1.0], [3.0]])
    2.0
    """
    return emd(a, b, M, max_iter=max_iter, sparse_plan=True).cost
