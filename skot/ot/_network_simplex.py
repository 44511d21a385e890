"""Network simplex for the transportation problem (exact optimal transport).

Contract (no validation here; the public layer checks everything):

- ``M`` is a C-contiguous ``(n, m)`` float32/float64 cost, finite; ``a`` (n,)
  and ``b`` (m,) are positive float64 masses with (numerically) equal totals.
- Nodes ``0..n-1`` are the sources, ``n..n+m-1`` the sinks and ``n+m`` the
  root. Arc ``k = i * m + j`` goes from source ``i`` to sink ``n + j`` with
  cost ``M[i, j]``; each node also has an artificial arc to (source) or from
  (sink) the root, cost 0 and ``art`` respectively (big-M: any flow left on
  them costs more than every real plan).
- The first spanning tree is either all artificial arcs (strongly feasible
  because every mass is positive: the caller removes zero masses) or, by
  default, the row-minimum basic solution: the forest of its shipments (every
  arc with positive flow), each tree hung from the root by the artificial arc
  of one of its sinks (pointing away from the root, so it may carry zero flow
  and the tree is still strongly feasible). On geometric costs it saves a
  third of the pivots or more.
- The spanning tree is stored per node: ``parent``, the tree arc to the
  parent (``arc``, -1 for an artificial arc), its orientation (``up``: the
  arc goes from the node to its parent), its ``flow``, the node ``depth``,
  the potential ``pi`` (``pi[t] = pi[s] + cost`` on every tree arc s->t) and
  doubly linked child lists. Only tree arcs carry flow.
- Pricing is block search: arcs are scanned in blocks of ``block`` arcs from
  where the last scan stopped, and the most negative reduced cost
  ``M[i, j] - pi[n + j] + pi[i] < -eps`` of a block enters. Each row segment
  is first tested by a branch-free (vectorised) count of the arcs below the
  current best, so the scan costs about one load of ``M`` per arc. The leaving arc is
  the last blocking arc of the cycle oriented from its apex (Cunningham's
  rule), which keeps the tree strongly feasible and prevents cycling.
- Each pivot costs the length of the cycle plus the size of the re-hung
  subtree. ``solve`` stops at optimality (no eligible arc after the
  potentials are recomputed exactly from the tree) or after ``max_iter``
  pivots.
"""

import numpy as np

from ..utils._numba import jit


@jit
def _arc_cost(M, m, art, v, arc, n):
    k = arc[v]
    if k >= 0:
        return M[k // m, k % m]
    if v < n:
        return 0.0
    return art


@jit
def _remove_child(v, p, first_child, next_sib, prev_sib):
    pv = prev_sib[v]
    nv = next_sib[v]
    if pv >= 0:
        next_sib[pv] = nv
    else:
        first_child[p] = nv
    if nv >= 0:
        prev_sib[nv] = pv


@jit
def _add_child(v, p, first_child, next_sib, prev_sib):
    h = first_child[p]
    next_sib[v] = h
    prev_sib[v] = -1
    if h >= 0:
        prev_sib[h] = v
    first_child[p] = v


@jit
def _recompute_potentials(M, n, m, art, parent, arc, up, pi, depth, first_child, next_sib,
                          stack):
    root = n + m
    pi[root] = 0.0
    depth[root] = 0
    top = 0
    stack[0] = root
    while top >= 0:
        v = stack[top]
        top -= 1
        c = first_child[v]
        while c >= 0:
            cost = _arc_cost(M, m, art, c, arc, n)
            if up[c]:
                pi[c] = pi[v] - cost
            else:
                pi[c] = pi[v] + cost
            depth[c] = depth[v] + 1
            top += 1
            stack[top] = c
            c = next_sib[c]


@jit
def _is_tree_arc(k, i, jn, parent, arc):
    return (parent[i] == jn and arc[i] == k) or (parent[jn] == i and arc[jn] == k)


@jit
def _count_below(Mi, ps, thr):
    """How many ``Mi[j] - ps[j] < thr`` (a vectorised count: no branch per arc)."""
    c = 0
    for j in range(Mi.shape[0]):
        c += Mi[j] - ps[j] < thr
    return c


@jit
def _price(M, n, m, pi, parent, arc, start, block, eps):
    """Block search from arc ``start``; return (entering arc or -1, next start).

    Arcs are scanned row by row in segments: a vectorised count of the
    segment's arcs whose reduced cost ``M[i, j] - pi[n + j] + pi[i]`` beats
    the best candidate so far, and a scalar pass over the segment only when
    there is one (rare). After every ``block`` arcs the best candidate so far
    enters.
    """
    total = n * m
    pis = pi[n:n + m]
    i = start // m
    j0 = start % m
    best = -eps
    best_k = -1
    cnt = 0
    scanned = 0
    while scanned < total:
        j1 = min(m, j0 + min(block - cnt, total - scanned))
        pii = pi[i]
        Mi = M[i, j0:j1]
        ps = pis[j0:j1]
        thr = best - pii
        if _count_below(Mi, ps, thr) > 0:
            for q in range(j1 - j0):
                x = Mi[q] - ps[q]
                if x < thr:
                    k = i * m + j0 + q
                    if not _is_tree_arc(k, i, n + j0 + q, parent, arc):
                        best = x + pii
                        thr = x
                        best_k = k
        seg = j1 - j0
        scanned += seg
        cnt += seg
        j0 = j1
        if j0 == m:
            j0 = 0
            i += 1
            if i == n:
                i = 0
        if cnt == block:
            if best_k >= 0:
                return best_k, i * m + j0
            cnt = 0
    return best_k, i * m + j0


@jit
def _pivot(M, n, m, k, parent, arc, up, flow, depth, pi, first_child, next_sib, prev_sib,
           stack):
    i = k // m
    jn = n + k % m
    rc = (M[i, k % m] - pi[jn]) + pi[i]
    # apex of the cycle
    u = i
    v = jn
    while depth[u] > depth[v]:
        u = parent[u]
    while depth[v] > depth[u]:
        v = parent[v]
    while u != v:
        u = parent[u]
        v = parent[v]
    join = u
    # leaving arc: the last blocking arc along join -> i -> jn -> join
    delta = np.inf
    u_out = -1
    side = 0
    w = i
    while w != join:
        if up[w] and flow[w] < delta:
            delta = flow[w]
            u_out = w
            side = 1
        w = parent[w]
    w = jn
    while w != join:
        if (not up[w]) and flow[w] <= delta:
            delta = flow[w]
            u_out = w
            side = 2
        w = parent[w]
    if delta > 0.0:
        w = i
        while w != join:
            if up[w]:
                flow[w] -= delta
            else:
                flow[w] += delta
            w = parent[w]
        w = jn
        while w != join:
            if up[w]:
                flow[w] += delta
            else:
                flow[w] -= delta
            w = parent[w]
    if side == 1:
        u_in = i
        new_parent = jn
        new_up = True
        shift = -rc
    else:
        u_in = jn
        new_parent = i
        new_up = False
        shift = rc
    # re-hang the path u_in .. u_out under the entering arc
    new_arc = k
    new_flow = delta
    w = u_in
    while True:
        old_parent = parent[w]
        old_arc = arc[w]
        old_up = up[w]
        old_flow = flow[w]
        _remove_child(w, old_parent, first_child, next_sib, prev_sib)
        parent[w] = new_parent
        arc[w] = new_arc
        up[w] = new_up
        flow[w] = new_flow
        _add_child(w, new_parent, first_child, next_sib, prev_sib)
        if w == u_out:
            break
        new_parent = w
        new_arc = old_arc
        new_up = not old_up
        new_flow = old_flow
        w = old_parent
    # depths and potentials of the moved subtree
    top = 0
    stack[0] = u_in
    while top >= 0:
        x = stack[top]
        top -= 1
        depth[x] = depth[parent[x]] + 1
        pi[x] += shift
        c = first_child[x]
        while c >= 0:
            top += 1
            stack[top] = c
            c = next_sib[c]


@jit
def _init_artificial(a, b, parent, arc, up, flow, first_child, next_sib, prev_sib):
    """Every node hangs from the root by its artificial arc (all mass on them)."""
    n = a.shape[0]
    m = b.shape[0]
    for v in range(n + m):
        parent[v] = n + m
        arc[v] = -1
        if v < n:
            up[v] = True
            flow[v] = a[v]
        else:
            up[v] = False
            flow[v] = b[v - n]
        _add_child(v, n + m, first_child, next_sib, prev_sib)


@jit
def _greedy_shipments(M, a, b, tol):
    """A basic feasible solution by the row-minimum rule.

    Every source in turn ships to its cheapest open sinks as much as they
    still take. Each shipment closes its source or its sink (or both), so the
    shipments form a forest. Masses left below ``tol`` count as exhausted
    (rounding). Returns ``(rows, cols, vals, count, residual a, residual b)``.
    """
    n, m = M.shape
    ra = a.copy()
    rb = b.copy()
    rows = np.empty(n + m, dtype=np.int64)
    cols = np.empty(n + m, dtype=np.int64)
    vals = np.empty(n + m, dtype=np.float64)
    cnt = 0
    open_cols = np.empty(m, dtype=np.int64)
    n_open = 0
    for j in range(m):
        if rb[j] > tol:
            open_cols[n_open] = j
            n_open += 1
    for i in range(n):
        while ra[i] > tol and n_open > 0:
            best = np.inf
            q_best = 0
            for q in range(n_open):
                c = M[i, open_cols[q]]
                if c < best:
                    best = c
                    q_best = q
            j = open_cols[q_best]
            t = min(ra[i], rb[j])
            rows[cnt] = i
            cols[cnt] = j
            vals[cnt] = t
            cnt += 1
            ra[i] -= t
            rb[j] -= t
            if rb[j] <= tol:
                n_open -= 1
                open_cols[q_best] = open_cols[n_open]
    return rows, cols, vals, cnt, ra, rb


@jit
def _init_greedy(M, a, b, tol, parent, arc, up, flow, first_child, next_sib, prev_sib,
                 stack):
    """Start from the row-minimum basic solution instead of the artificial basis.

    Each tree of the shipment forest hangs from the root by the artificial arc
    of one of its sinks (root -> sink, carrying that sink's residual, >= 0),
    or of its source when it has no sink; every real tree arc carries a
    positive flow, so the tree is strongly feasible.
    """
    n, m = M.shape
    rows, cols, vals, cnt, ra, rb = _greedy_shipments(M, a, b, tol)
    # adjacency of the forest (CSR over the n + m nodes)
    deg = np.zeros(n + m + 1, dtype=np.int64)
    for s in range(cnt):
        deg[rows[s] + 1] += 1
        deg[n + cols[s] + 1] += 1
    for v in range(n + m):
        deg[v + 1] += deg[v]
    fill = deg[:-1].copy()
    adj = np.empty(2 * cnt, dtype=np.int64)
    for s in range(cnt):
        adj[fill[rows[s]]] = s
        fill[rows[s]] += 1
        adj[fill[n + cols[s]]] = s
        fill[n + cols[s]] += 1
    seen = np.zeros(n + m, dtype=np.bool_)
    root = n + m
    # sinks first, so that every tree with a sink hangs from one
    for pass_ in range(2):
        for v0 in range(n + m):
            if seen[v0] or (pass_ == 0 and v0 < n):
                continue
            seen[v0] = True
            parent[v0] = root
            arc[v0] = -1
            if v0 >= n:
                up[v0] = False
                flow[v0] = max(rb[v0 - n], 0.0)
            else:
                up[v0] = True
                flow[v0] = max(ra[v0], 0.0)
            _add_child(v0, root, first_child, next_sib, prev_sib)
            top = 0
            stack[0] = v0
            while top >= 0:
                v = stack[top]
                top -= 1
                for e in range(deg[v], deg[v + 1]):
                    s = adj[e]
                    w = rows[s] if v >= n else n + cols[s]
                    if seen[w]:
                        continue
                    seen[w] = True
                    parent[w] = v
                    arc[w] = rows[s] * m + cols[s]
                    up[w] = w < n  # source -> sink arcs point to the sink
                    flow[w] = vals[s]
                    _add_child(w, v, first_child, next_sib, prev_sib)
                    top += 1
                    stack[top] = w


@jit
def solve(M, a, b, art, eps, block, max_iter, greedy, parent, arc, up, flow, pi):
    """Run the network simplex; fills the tree arrays; returns (pivots, optimal).

    ``greedy``: start from the row-minimum basic solution (fewer pivots on
    geometric costs) rather than from the all-artificial basis.
    """
    n, m = M.shape
    N = n + m + 1
    root = n + m
    depth = np.zeros(N, dtype=np.int64)
    first_child = np.full(N, -1, dtype=np.int64)
    next_sib = np.full(N, -1, dtype=np.int64)
    prev_sib = np.full(N, -1, dtype=np.int64)
    stack = np.empty(N, dtype=np.int64)
    parent[root] = -1
    arc[root] = -1
    flow[root] = 0.0
    if greedy:
        tol = 16 * np.finfo(np.float64).eps * max(a.max(), b.max())
        _init_greedy(M, a, b, tol, parent, arc, up, flow, first_child,
                     next_sib, prev_sib, stack)
    else:
        _init_artificial(a, b, parent, arc, up, flow, first_child, next_sib, prev_sib)
    _recompute_potentials(M, n, m, art, parent, arc, up, pi, depth, first_child, next_sib,
                          stack)
    start = 0
    it = 0
    while it < max_iter:
        k, start = _price(M, n, m, pi, parent, arc, start, block, eps)
        if k < 0:
            # confirm with exact potentials (no drift from the incremental updates)
            _recompute_potentials(M, n, m, art, parent, arc, up, pi, depth, first_child,
                                  next_sib, stack)
            k, start = _price(M, n, m, pi, parent, arc, start, block, eps)
            if k < 0:
                return it, True
        _pivot(M, n, m, k, parent, arc, up, flow, depth, pi, first_child, next_sib,
               prev_sib, stack)
        it += 1
    _recompute_potentials(M, n, m, art, parent, arc, up, pi, depth, first_child, next_sib,
                          stack)
    k, start = _price(M, n, m, pi, parent, arc, 0, block, eps)
    return it, k < 0
