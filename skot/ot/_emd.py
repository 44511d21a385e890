"""Exact optimal transport (earth mover's distance) by the network simplex.

One engine (:mod:`skot.ot._network_simplex`) behind four entry points:
:func:`emd` on a dense cost, on a sparse cost (only the listed arcs exist)
and on a stack of dense costs (one compiled loop over the problems), and
:func:`emd_sample` on two point clouds with the cost computed on the fly.
"""

import math
import numbers
from numbers import Integral
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import numba_threads, select
from ..utils._validation import check_memory
from ._utils import (
    OTResult,
    check_dense_2d,
    check_masses,
    check_problem,
    marginal_error,
    restrict,
    support,
    warn_convergence,
)

__all__ = ["emd", "emd2", "emd_sample"]

# Pricing tolerance, relative to the largest |cost|: an arc enters only when
# its reduced cost is below -_EPS_REL * scale, and optimality is declared only
# when a full pass over every arc (exact potentials) finds none.
_EPS_REL = 2.0**-40
# Flow left on the artificial arcs at the optimum, relative to the total mass,
# above which a sparse (listed-arcs) problem is infeasible.
_INFEASIBLE_RTOL = 1e-9
# Metrics that emd_sample computes on the fly, and the power of the distance.
_SAMPLE_METRICS = {"sqeuclidean": 2, "euclidean": 1}


class _Source(NamedTuple):
    """Where the costs come from (the unused fields are None), see the kernels."""

    M: object
    X: object
    YT: object
    power: int
    D: object
    arow: object
    acol: object
    n: int
    m: int
    scale: float

    @property
    def complete(self):
        return self.D is None

    def ends(self, k):
        if self.D is not None:
            return self.arow[k], self.acol[k]
        return k // self.m, k % self.m

    def costs(self, rows, cols):
        """float64 costs of the arcs ``rows[q] -> cols[q]`` (complete graphs)."""
        if self.M is not None:
            return self.M[rows, cols].astype(np.float64)
        diff = self.X[rows].astype(np.float64) - self.YT[:, cols].T.astype(np.float64)
        s = np.einsum("ij,ij->i", diff, diff)
        return np.sqrt(s) if self.power == 1 else s


def _max_abs(A):
    return float(max(A.max(), -A.min())) if A.size else 0.0


def _dense_source(M):
    n, m = M.shape
    return _Source(M, None, None, 2, None, None, None, n, m, _max_abs(M))


def _points_source(X, Y, power):
    # an upper bound of the largest distance, from the bounding box of both clouds
    lo = np.minimum(X.min(axis=0), Y.min(axis=0)).astype(np.float64)
    hi = np.maximum(X.max(axis=0), Y.max(axis=0)).astype(np.float64)
    diam2 = float(((hi - lo) ** 2).sum())
    scale = diam2 if power == 2 else math.sqrt(diam2)
    YT = np.ascontiguousarray(Y.T)
    return _Source(None, X, YT, power, None, None, None, X.shape[0], Y.shape[0], scale)


def _arcs_source(D, arow, acol, n, m):
    return _Source(None, None, None, 2, D, arow, acol, n, m, _max_abs(D))


def _restrict_source(src, ia, ib):
    """The source on the positive masses ``ia``, ``ib`` (renumbered)."""
    if src.M is not None:
        return _dense_source(restrict(src.M, ia, ib))
    if src.X is not None:
        X = np.ascontiguousarray(src.X[ia])
        YT = np.ascontiguousarray(src.YT[:, ib])
        return src._replace(X=X, YT=YT, n=ia.size, m=ib.size)
    new_row = np.full(src.n, -1, dtype=np.int64)
    new_col = np.full(src.m, -1, dtype=np.int64)
    new_row[ia] = np.arange(ia.size)
    new_col[ib] = np.arange(ib.size)
    keep = (new_row[src.arow] >= 0) & (new_col[src.acol] >= 0)
    return _arcs_source(
        src.D[keep],
        new_row[src.arow[keep]],
        new_col[src.acol[keep]],
        ia.size,
        ib.size,
    )


def _tolerances(scale, n, m):
    """``(art, eps)``: the big-M cost and the pricing tolerance, both relative.

    ``art`` exceeds the real part of every reduced cost (potentials are sums
    of at most ``n + m`` costs); ``eps`` is relative to the cost scale only.
    """
    scale = scale if scale > 0 else 1.0
    return 4.0 * (n + m + 1) * scale, _EPS_REL * scale


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


def _greedy_shipments(M, a, b, tol):
    """The row-minimum shipments: ``(rows, cols, vals, count, residual a, residual b)``."""
    from . import _network_simplex as ns

    n, m = M.shape
    rows, cols, vals, ra, rb, open_cols = _greedy_scratch(a, b, True)[:6]
    cnt = ns.greedy_shipments(M, None, None, 2, n, m, ra, rb, tol, rows, cols, vals, open_cols)
    return rows, cols, vals, cnt, ra, rb


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


def _tree_arrays(N):
    return (
        np.empty(N, dtype=np.int64),  # parent
        np.empty(N, dtype=np.int64),  # arc
        np.empty(N, dtype=np.bool_),  # up
        np.empty(N, dtype=np.float64),  # flow
        np.empty(N, dtype=np.float64),  # pi
        np.empty(N, dtype=np.float64),  # ka
        np.zeros(N, dtype=np.int64),  # depth
        np.full(N, -1, dtype=np.int64),  # first_child
        np.full(N, -1, dtype=np.int64),  # next_sib
        np.full(N, -1, dtype=np.int64),  # prev_sib
        np.empty(N, dtype=np.int64),  # stack
    )


def _potentials(pi, ka, n, m):
    """``(f, g)`` from the two-part potentials of the tree.

    When every node is in the same big-M class the common ``art`` offset
    cancels in ``f_i + g_j`` and is left out, so the duals keep every digit.
    """
    ka = ka[: n + m]
    pot = pi[: n + m] if (ka == ka[0]).all() else pi[: n + m] + ka
    return -pot[:n], pot[n:].copy()


def _solve(a, b, src, max_iter, greedy=None):
    """Network simplex on positive masses; returns the plan's arcs, duals and status."""
    from . import _network_simplex as ns

    n, m = src.n, src.m
    if greedy is None:
        greedy = src.complete
    N = n + m + 1
    parent, arc, up, flow, pi, ka, depth, first_child, next_sib, prev_sib, stack = _tree_arrays(N)
    art, eps = _tolerances(src.scale, n, m)
    n_arcs = n * m if src.complete else src.D.shape[0]
    block = max(10, int(math.sqrt(n_arcs)))
    if max_iter is None:
        max_iter = 1000 * (n + m) + 100_000
    # greedy start: masses left below tol after the row-minimum rule count as exhausted
    tol = 16 * np.finfo(np.float64).eps * max(a.max(), b.max())
    if not greedy:
        _artificial_tree(a, b, parent, arc, up, flow, first_child, next_sib, prev_sib)
    buf = np.empty(m if src.X is not None else 0, dtype=np.float64)
    it, optimal = ns.solve(
        src.M,
        src.X,
        src.YT,
        src.power,
        src.D,
        src.arow,
        src.acol,
        n,
        m,
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
        ka,
        depth,
        first_child,
        next_sib,
        prev_sib,
        stack,
        buf,
        *_greedy_scratch(a, b, greedy),
    )
    nodes = np.flatnonzero((arc[: n + m] >= 0) & (flow[: n + m] > 0))
    rows, cols = src.ends(arc[nodes])
    vals = flow[nodes]
    art_nodes = np.flatnonzero((arc[: n + m] < 0) & (flow[: n + m] > 0))
    residual = float(flow[art_nodes].sum())
    if optimal and not src.complete and residual > _INFEASIBLE_RTOL * a.sum():
        raise ValueError(
            f"No transport plan uses only the arcs listed in the sparse cost M: a mass "
            f"of {residual / 2:.6g} (out of {a.sum():.6g}) cannot be moved. List more "
            "arcs (entries of M) or use a dense cost."
        )
    if not optimal and src.complete:
        # mass still on artificial arcs: route it by the north-west corner rule
        # so that the returned plan is feasible (its cost is an upper bound)
        res_a = np.zeros(n)
        res_b = np.zeros(m)
        srcs = art_nodes[art_nodes < n]
        snks = art_nodes[art_nodes >= n]
        res_a[srcs] = flow[srcs]
        res_b[snks - n] = flow[snks]
        extra = _north_west(res_a, res_b)
        rows = np.concatenate([rows, extra[0]])
        cols = np.concatenate([cols, extra[1]])
        vals = np.concatenate([vals, extra[2]])
    f, g = _potentials(pi, ka, n, m)
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


def _c_transforms(src, f, g, ia, ib, za, zb):
    """Duals of the zero masses: ``f_i = min_j c_ij - g_j`` over the support, then
    ``g_j = min_i c_ij - f_i`` over every row (listed arcs only for a sparse cost;
    0 when a row or column has no arc)."""
    n, m = src.n, src.m
    ff = np.zeros(n)
    gg = np.zeros(m)
    ff[ia] = f
    gg[ib] = g
    if src.D is not None:
        if za.size:
            sel = np.isin(src.arow, za) & np.isin(src.acol, ib)
            vals = src.D[sel].astype(np.float64) - gg[src.acol[sel]]
            best = np.full(n, np.inf)
            np.minimum.at(best, src.arow[sel], vals)
            ff[za] = np.where(np.isfinite(best[za]), best[za], 0.0)
        if zb.size:
            sel = np.isin(src.acol, zb)
            vals = src.D[sel].astype(np.float64) - ff[src.arow[sel]]
            best = np.full(m, np.inf)
            np.minimum.at(best, src.acol[sel], vals)
            gg[zb] = np.where(np.isfinite(best[zb]), best[zb], 0.0)
        return ff, gg
    chunk = max(1, 2**18 // max(1, ib.size, n))  # bounded temporaries
    for s in range(0, za.size, chunk):
        r = za[s : s + chunk]
        R, C = np.repeat(r, ib.size), np.tile(ib, r.size)
        ff[r] = (src.costs(R, C).reshape(r.size, ib.size) - g[None, :]).min(axis=1)
    allr = np.arange(n)
    for s in range(0, zb.size, chunk):
        c = zb[s : s + chunk]
        R, C = np.tile(allr, c.size), np.repeat(c, n)
        gg[c] = (src.costs(R, C).reshape(c.size, n) - ff[None, :]).min(axis=1)
    return ff, gg


def _emd_source(a, b, src, max_iter, sparse_plan, name):
    """Solve on the support of the masses and put everything back in place."""
    n, m = src.n, src.m
    ia, ib, reduced = support(a, b)
    sub = _restrict_source(src, ia, ib) if reduced else src
    rows, cols, vals, f, g, it, optimal = _solve(a[ia], b[ib], sub, max_iter)
    if reduced:
        rows, cols = ia[rows], ib[cols]
        za = np.setdiff1d(np.arange(n), ia)
        zb = np.setdiff1d(np.arange(m), ib)
        f, g = _c_transforms(src, f, g, ia, ib, za, zb)
    # one common shift: sum(a f) == sum(b g)
    t = (b @ g - a @ f) / (2 * a.sum())
    f = f + t
    g = g - t
    P = sparse.csr_matrix((vals, (rows, cols)), shape=(n, m))
    if src.D is not None:
        arc_cost = sparse.csr_matrix((src.D.astype(np.float64), (src.arow, src.acol)), (n, m))
        cost = float(np.dot(vals, np.asarray(arc_cost[rows, cols]).ravel()))
    else:
        cost = float(np.dot(vals, src.costs(rows, cols)))
    err = marginal_error(P, a, b)
    if not sparse_plan:
        check_memory(n * m * 8, f"a dense {n} x {m} float64 plan", "Use sparse_plan=True.")
        P = P.toarray()
    if not optimal:
        warn_convergence(
            f"{name} stopped after max_iter={max_iter} pivots before reaching optimality "
            f"(cost {cost:.6g} is an upper bound); increase max_iter or use None."
        )
    return OTResult(P, cost, f, g, it, optimal, err)


# ----------------------------------------------------------------- sparse cost


def _check_sparse_cost(M):
    if np.iscomplexobj(M.data):
        raise TypeError(f"M must hold real costs, got the complex dtype {M.dtype}.")
    if not (np.issubdtype(M.dtype, np.number) or M.dtype == bool):
        raise TypeError(f"M must hold numbers, got dtype {M.dtype}.")
    if M.ndim != 2 or M.shape[0] == 0 or M.shape[1] == 0:
        raise ValueError(f"M must be a non-empty 2-D sparse cost, got shape {M.shape}.")
    C = sparse.csr_matrix(M, copy=True)
    C.sum_duplicates()
    if C.nnz == 0:
        raise ValueError("M (sparse) lists no arc: every plan needs at least one entry.")
    D = C.data if C.data.dtype in (np.float32, np.float64) else C.data.astype(np.float64)
    if not np.isfinite(D).all():
        raise ValueError("M contains NaN or infinity.")
    arow = np.repeat(np.arange(C.shape[0], dtype=np.int64), np.diff(C.indptr))
    return np.ascontiguousarray(D), arow, C.indices.astype(np.int64), C.shape


def _emd_sparse(a, b, M, max_iter, sparse_plan):
    D, arow, acol, (n, m) = _check_sparse_cost(M)
    a = check_masses(a, n, "a")
    b = check_masses(b, m, "b")
    a, b = _balance(a, b)
    src = _arcs_source(D, arow, acol, n, m)
    return _emd_source(a, b, src, max_iter, True if sparse_plan is None else sparse_plan, "emd")


def _balance(a, b):
    sa, sb = a.sum(), b.sum()
    if abs(sa - sb) > 1e-6 * max(sa, sb):
        raise ValueError(
            f"a and b must have the same total mass, got a.sum()={sa!r} and "
            f"b.sum()={sb!r}; normalise them or use sinkhorn_unbalanced."
        )
    return a, (b * (sa / sb) if sa != sb else b)


# ----------------------------------------------------------------------- batch


def _check_batch_masses(w, B, size, name):
    """Masses of a batch: None/[] (uniform), (size,) shared or (B, size)."""
    if w is None or (isinstance(w, (list, tuple)) and len(w) == 0):
        return np.full((B, size), 1.0 / size)
    if sparse.issparse(w) or isinstance(w, numbers.Number):
        raise TypeError(f"{name} must be an array of masses of shape ({size},) or ({B}, {size}).")
    arr = np.asarray(w)
    if np.iscomplexobj(arr) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    if arr.ndim == 1 and arr.shape[0] == size:
        arr = np.broadcast_to(arr, (B, size))
    if arr.shape != (B, size):
        raise ValueError(
            f"{name} must have shape ({size},) or ({B}, {size}) to match M, got {arr.shape}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative, got min {arr.min()!r}.")
    tot = arr.sum(axis=1)
    if (tot <= 0).any():
        raise ValueError(
            f"{name} has zero total mass in problem {int(np.argmax(tot <= 0))}: at least "
            "one mass per problem must be positive."
        )
    return np.array(arr)


def _check_batch(a, b, M):
    if np.iscomplexobj(M):
        raise TypeError(f"M must hold real costs, got the complex dtype {M.dtype}.")
    if not (np.issubdtype(M.dtype, np.number) or M.dtype == bool):
        raise TypeError(f"M must hold numbers, got dtype {M.dtype}.")
    if M.dtype not in (np.float32, np.float64):
        M = M.astype(np.float64)
    B, n, m = M.shape
    if B == 0 or n == 0 or m == 0:
        raise ValueError(f"M is empty (shape {M.shape}).")
    if not np.isfinite(M).all():
        raise ValueError("M contains NaN or infinity.")
    a = _check_batch_masses(a, B, n, "a")
    b = _check_batch_masses(b, B, m, "b")
    sa, sb = a.sum(axis=1), b.sum(axis=1)
    bad = np.abs(sa - sb) > 1e-6 * np.maximum(sa, sb)
    if bad.any():
        p = int(np.argmax(bad))
        raise ValueError(
            f"a and b must have the same total mass in every problem, got {sa[p]!r} and "
            f"{sb[p]!r} in problem {p}; normalise them or use sinkhorn_unbalanced."
        )
    b = b * (sa / sb)[:, None]
    return a, b, np.ascontiguousarray(M)


def _emd_batch(a, b, M, max_iter, n_jobs):
    from . import _network_simplex as ns

    a, b, M = _check_batch(a, b, M)
    B, n, m = M.shape
    check_memory(B * n * m * 8, f"a stack of {B} dense {n} x {m} float64 plans")
    plan = np.zeros((B, n, m), dtype=np.float64)
    f = np.empty((B, n))
    g = np.empty((B, m))
    its = np.zeros(B, dtype=np.int64)
    optimal = np.zeros(B, dtype=np.bool_)
    # problems with a zero mass take the single-problem path (it restricts
    # them to their support); the others run in one compiled loop
    single = ((a <= 0).any(axis=1)) | ((b <= 0).any(axis=1))
    idx = np.flatnonzero(~single)
    if max_iter is None:
        max_iter = 1000 * (n + m) + 100_000
    if idx.size:
        Ms = M[idx] if idx.size < B else M
        Bs = idx.size
        N = n + m + 1
        scale = np.maximum(Ms.max(axis=(1, 2)), -Ms.min(axis=(1, 2))).astype(np.float64)
        scale[scale <= 0] = 1.0
        art = 4.0 * (n + m + 1) * scale
        eps = _EPS_REL * scale
        tol = 16 * np.finfo(np.float64).eps * np.maximum(a[idx].max(1), b[idx].max(1))
        block = max(10, int(math.sqrt(n * m)))
        parent = np.empty((Bs, N), dtype=np.int64)
        arc = np.empty((Bs, N), dtype=np.int64)
        up = np.empty((Bs, N), dtype=np.bool_)
        flow = np.empty((Bs, N))
        pi = np.empty((Bs, N))
        ka = np.empty((Bs, N))
        depth = np.zeros((Bs, N), dtype=np.int64)
        first_child = np.full((Bs, N), -1, dtype=np.int64)
        next_sib = np.full((Bs, N), -1, dtype=np.int64)
        prev_sib = np.full((Bs, N), -1, dtype=np.int64)
        stack = np.empty((Bs, N), dtype=np.int64)
        rows = np.empty((Bs, n + m), dtype=np.int64)
        cols = np.empty((Bs, n + m), dtype=np.int64)
        vals = np.empty((Bs, n + m))
        ra = np.ascontiguousarray(a[idx])
        rb = np.ascontiguousarray(b[idx])
        open_cols = np.empty((Bs, m), dtype=np.int64)
        deg = np.zeros((Bs, N), dtype=np.int64)
        adj = np.empty((Bs, 2 * (n + m)), dtype=np.int64)
        seen = np.zeros((Bs, n + m), dtype=np.bool_)
        it_s = np.zeros(Bs, dtype=np.int64)
        ok_s = np.zeros(Bs, dtype=np.bool_)
        with numba_threads(n_jobs) as n_threads:
            kernel = select(ns.solve_batch, Bs * n * m, n_threads)
            kernel(
                Ms,
                art,
                eps,
                block,
                max_iter,
                tol,
                it_s,
                ok_s,
                parent,
                arc,
                up,
                flow,
                pi,
                ka,
                depth,
                first_child,
                next_sib,
                prev_sib,
                stack,
                rows,
                cols,
                vals,
                ra,
                rb,
                open_cols,
                deg,
                adj,
                seen,
            )
        its[idx] = it_s
        optimal[idx] = ok_s
        # plans: every real tree arc with a positive flow
        on = (arc[:, : n + m] >= 0) & (flow[:, : n + m] > 0)
        pb, node = np.nonzero(on)
        k = arc[pb, node]
        plan[idx[pb], k // m, k % m] = flow[pb, node]
        same = (ka[:, : n + m] == ka[:, :1]).all(axis=1)
        pot = pi[:, : n + m] + np.where(same[:, None], 0.0, ka[:, : n + m])
        f[idx] = -pot[:, :n]
        g[idx] = pot[:, n:]
        for q in np.flatnonzero(~ok_s):
            # max_iter reached: route the mass left on artificial arcs (feasible plan)
            p = idx[q]
            res = flow[q, : n + m] * (arc[q, : n + m] < 0)
            r, c, v = _north_west(res[:n], res[n:])
            np.add.at(plan[p], (r, c), v)
    for p in np.flatnonzero(single):
        res = _emd_source(a[p], b[p], _dense_source(M[p]), max_iter, True, "emd")
        plan[p] = res.plan.toarray()
        f[p], g[p], its[p], optimal[p] = res.f, res.g, res.n_iter, res.converged
    t = ((b * g).sum(1) - (a * f).sum(1)) / (2 * a.sum(1))
    f += t[:, None]
    g -= t[:, None]
    cost = np.einsum("pij,pij->p", plan, M.astype(np.float64, copy=False))
    err = np.abs(plan.sum(2) - a).sum(1) + np.abs(plan.sum(1) - b).sum(1)
    if not optimal.all():
        warn_convergence(
            f"emd stopped after max_iter={max_iter} pivots before reaching optimality in "
            f"{int((~optimal).sum())} of {B} problems (their costs are upper bounds); "
            "increase max_iter or use None."
        )
    return OTResult(plan, cost, f, g, its, optimal, err, None, "emd")


# ---------------------------------------------------------------------- public


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like", "sparse matrix"],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
        "sparse_plan": ["boolean", None],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def emd(a, b, M, *, max_iter=None, sparse_plan=None, n_jobs=None):
    r"""Exact optimal transport by the network simplex.

    Solves the linear program :math:`\min_{P \ge 0,\ P1 = a,\ P^T 1 = b}
    \langle P, M\rangle` with a network simplex on the bipartite graph (block
    search pricing, strongly feasible spanning trees). The plan is a vertex
    of the transport polytope: at most ``n + m - 1`` nonzeros. The optimality
    test is relative to the scale of ``M`` (the result does not change when
    ``M`` is multiplied by any positive factor), and ``converged=True`` is
    only reported after a full pass over every arc, with the potentials
    recomputed from the final tree, finds no reduced cost below
    ``-2**-40 * max|M|``.

    ``M`` may also be a scipy sparse matrix (only its stored entries are
    arcs: transport elsewhere is forbidden) or a stack of ``B`` dense costs
    of shape ``(B, n, m)``, solved in one compiled loop (in parallel over the
    problems with ``n_jobs``).

    Read more in the :ref:`User Guide <ot_exact>`.

    Parameters
    ----------
    a : array-like of shape (n,) or (B, n), or None
        Source masses (non-negative); ``None`` or ``[]`` means uniform. For
        a stack of costs, one vector shared by every problem or one row per
        problem.
    b : array-like of shape (m,) or (B, m), or None
        Target masses with the same total as ``a`` (up to a relative 1e-6;
        ``b`` is then rescaled to the total of ``a``); ``None`` or ``[]`` means
        uniform. Zero masses are allowed.
    M : {array-like, sparse matrix} of shape (n, m), or array-like of shape (B, n, m)
        Cost matrix (finite, any sign); a sparse matrix lists the allowed
        arcs (explicitly stored zeros are arcs of cost 0); a 3-D array is a
        stack of problems.
    max_iter : int or None, default=None
        Maximum number of pivots (per problem); ``None`` means no practical
        limit (``1000 * (n + m) + 100000``).
    sparse_plan : bool or None, default=None
        Return the plan as a ``scipy.sparse.csr_matrix``; ``None`` means
        sparse when ``M`` is sparse, dense otherwise. A stack of problems
        always gets a dense ``(B, n, m)`` plan.
    n_jobs : int or None, default=None
        Threads for a stack of problems (one problem per thread at a time;
        joblib semantics); the result does not depend on it.

    Returns
    -------
    result : OTResult
        ``plan``, ``cost``, dual potentials ``f``, ``g`` with
        ``f[i] + g[j] <= M[i, j]`` (equality on the support; zero-mass rows and
        columns get their c-transform), ``n_iter`` (pivots), ``converged``
        (optimality proven) and ``marginal_error``. For a stack, every entry
        has a leading axis of length ``B`` (see :class:`OTResult`).

    Raises
    ------
    ValueError
        On invalid input, and when a sparse ``M`` lists too few arcs for any
        plan to exist.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the simplex before optimality.

    See Also
    --------
    emd2 : The optimal cost only.
    emd_sample : Exact transport between point clouds without the cost matrix.
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
    if sparse.issparse(M):
        return _emd_sparse(a, b, M, max_iter, sparse_plan)
    if not sparse.issparse(M) and np.ndim(M) == 3:
        return _emd_batch(a, b, np.asarray(M), max_iter, n_jobs)
    a, b, M = check_problem(a, b, M)
    return _emd_source(a, b, _dense_source(M), max_iter, bool(sparse_plan), "emd")


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like", "sparse matrix"],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def emd2(a, b, M, *, max_iter=None, n_jobs=None):
    """Optimal transport cost (earth mover's distance) by the network simplex.

    Read more in the :ref:`User Guide <ot_exact>`.

    Parameters
    ----------
    a : array-like of shape (n,) or (B, n), or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or (B, m), or None
        Target masses with the same total; ``None`` or ``[]`` means uniform.
    M : {array-like, sparse matrix} of shape (n, m), or array-like of shape (B, n, m)
        Cost matrix, sparse cost (listed arcs) or stack of costs (see :func:`emd`).
    max_iter : int or None, default=None
        Maximum number of pivots (see :func:`emd`).
    n_jobs : int or None, default=None
        Threads for a stack of problems (see :func:`emd`).

    Returns
    -------
    cost : float or ndarray of shape (B,)
        ``<P, M>`` for the optimal plan ``P`` (one per problem for a stack).

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
    if not sparse.issparse(M) and np.ndim(M) == 3:
        return emd(a, b, M, max_iter=max_iter, n_jobs=n_jobs).cost
    return emd(a, b, M, max_iter=max_iter, sparse_plan=True).cost


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like"],
        "a": ["array-like", None],
        "b": ["array-like", None],
        "metric": [StrOptions(set(_SAMPLE_METRICS))],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
        "sparse_plan": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def emd_sample(X, Y, a=None, b=None, *, metric="sqeuclidean", max_iter=None, sparse_plan=True):
    r"""Exact optimal transport between two point clouds, without the cost matrix.

    The same network simplex as :func:`emd` on the cost
    :math:`M_{ij} = \|x_i - y_j\|^2` (``"sqeuclidean"``) or
    :math:`\|x_i - y_j\|` (``"euclidean"``), computed when the pricing needs
    it and never stored: the memory is :math:`O((n + m) d)` besides the
    plan's at most ``n + m - 1`` nonzeros, so problems far beyond the reach
    of an ``n x m`` matrix are solved exactly. The optimal cost equals
    ``emd(a, b, cost_matrix(X, Y, metric=metric)).cost`` (up to the rounding
    of the cost entries); each pricing pass costs :math:`O(n m d)` flops.

    Read more in the :ref:`User Guide <ot_exact>`.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Source points.
    Y : array-like of shape (m, d)
        Target points.
    a : array-like of shape (n,) or None, default=None
        Source masses (non-negative); ``None`` means uniform.
    b : array-like of shape (m,) or None, default=None
        Target masses with the same total as ``a`` (up to a relative 1e-6);
        ``None`` means uniform.
    metric : {"sqeuclidean", "euclidean"}, default="sqeuclidean"
        Ground cost between the points.
    max_iter : int or None, default=None
        Maximum number of pivots; ``None`` means no practical limit
        (``1000 * (n + m) + 100000``).
    sparse_plan : bool, default=True
        Return the plan as a ``scipy.sparse.csr_matrix`` (the dense plan
        needs ``8 n m`` bytes).

    Returns
    -------
    result : OTResult
        ``plan``, ``cost``, potentials ``f``, ``g`` (``f[i] + g[j] <=
        M[i, j]``), ``n_iter`` (pivots), ``converged`` (optimality proven),
        ``marginal_error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the simplex before optimality.

    See Also
    --------
    emd : The same solver on a cost matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import emd_sample
    >>> X = np.array([[0.0], [1.0]])
    >>> Y = np.array([[1.0], [0.0]])
    >>> res = emd_sample(X, Y)
    >>> res.cost
    0.0
    >>> res.plan.toarray()
    array([[0. , 0.5],
           [0.5, 0. ]])
    """
    X = check_dense_2d(X, "X", "(n_samples, n_features) array of points")
    Y = check_dense_2d(Y, "Y", "(n_samples, n_features) array of points")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features, got {X.shape[1]} and {Y.shape[1]}."
        )
    if X.dtype != Y.dtype:
        X, Y = X.astype(np.float64), Y.astype(np.float64)
    n, m = X.shape[0], Y.shape[0]
    a = check_masses(a, n, "a")
    b = check_masses(b, m, "b")
    a, b = _balance(a, b)
    src = _points_source(X, Y, _SAMPLE_METRICS[metric])
    return _emd_source(a, b, src, max_iter, sparse_plan, "emd_sample")
