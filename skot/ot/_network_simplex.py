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

:func:`skot.ot._emd._solve` allocates every array (kernels allocate nothing:
numpy allocation routines cost seconds of compilation on a cold cache):

``solve`` (the one entry kernel) builds the first spanning tree with
``greedy_shipments`` then ``hang_forest`` (or receives the all-artificial one,
built with numpy by the caller), computes the potentials, then prices and
pivots until optimality.

A pivot is five named steps: ``_cycle_apex`` (the join of the entering
arc's two tree paths), ``_leaving_arc`` (Cunningham's rule),
``_augment`` (push the flow around the cycle), ``_rehang`` (reverse the path
from the entering arc's end to the leaving arc) and ``_shift_subtree``
(depths and potentials of the moved subtree).
"""

import numpy as np

from ..utils._numba import jit


@jit(inline="always")
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
def _recompute_potentials(M, n, m, art, parent, arc, up, pi, depth, first_child, next_sib, stack):
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
def _price(M, n, m, pi, parent, arc, start, block, eps):
    """Block search from arc ``start``; return (entering arc or -1, next start).

    Arcs are scanned row by row in segments: a branch-free (vectorised) count
    of the segment's arcs whose reduced cost ``M[i, j] - pi[n + j] + pi[i]``
    beats the best candidate so far, and a scalar pass over the segment only
    when there is one (rare), which skips tree arcs. After every ``block``
    arcs the best candidate so far enters.
    """
    total = n * m
    pis = pi[n : n + m]
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
        below = 0
        for q in range(j1 - j0):
            below += Mi[q] - ps[q] < thr
        if below > 0:
            for q in range(j1 - j0):
                x = Mi[q] - ps[q]
                if x < thr:
                    k = i * m + j0 + q
                    jn = n + j0 + q
                    tree_arc = (parent[i] == jn and arc[i] == k) or (
                        parent[jn] == i and arc[jn] == k
                    )
                    if not tree_arc:
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


@jit(inline="always")
def _cycle_apex(i, jn, parent, depth):
    """The node where the tree paths from ``i`` and ``jn`` to the root meet."""
    u = i
    v = jn
    while depth[u] > depth[v]:
        u = parent[u]
    while depth[v] > depth[u]:
        v = parent[v]
    while u != v:
        u = parent[u]
        v = parent[v]
    return u


@jit(inline="always")
def _leaving_arc(i, jn, join, parent, up, flow):
    """Cunningham's rule: the last blocking arc along join -> i -> jn -> join.

    Returns ``(delta, node, side)``: the flow change, the node whose parent
    arc leaves, and the side of the cycle it lies on (1: the path from ``i``,
    2: the path from ``jn``).
    """
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
    return delta, u_out, side


@jit(inline="always")
def _augment(i, jn, join, delta, parent, up, flow):
    """Push ``delta`` around the cycle (entering arc i -> jn, then back to ``join``)."""
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


@jit(inline="always")
def _rehang(
    u_in,
    new_parent,
    new_arc,
    new_up,
    new_flow,
    u_out,
    parent,
    arc,
    up,
    flow,
    first_child,
    next_sib,
    prev_sib,
):
    """Reverse the tree path ``u_in .. u_out``: ``u_in`` hangs from ``new_parent``
    by the entering arc, each next node of the path from the previous one."""
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


@jit(inline="always")
def _shift_subtree(u_in, shift, parent, depth, pi, first_child, next_sib, stack):
    """Depths and potentials (``+ shift``) of the subtree re-hung at ``u_in``."""
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
def _pivot(M, n, m, k, parent, arc, up, flow, depth, pi, first_child, next_sib, prev_sib, stack):
    """Arc ``k`` enters the tree: the named steps of one pivot."""
    i = k // m
    jn = n + k % m
    rc = (M[i, k % m] - pi[jn]) + pi[i]
    join = _cycle_apex(i, jn, parent, depth)
    delta, u_out, side = _leaving_arc(i, jn, join, parent, up, flow)
    if delta > 0.0:
        _augment(i, jn, join, delta, parent, up, flow)
    # the entering arc's end on the leaving arc's side moves under the other end
    on_i_side = side == 1
    if on_i_side:
        u_in = i
        new_parent = jn
        shift = -rc
    else:
        u_in = jn
        new_parent = i
        shift = rc
    _rehang(
        u_in,
        new_parent,
        k,
        on_i_side,
        delta,
        u_out,
        parent,
        arc,
        up,
        flow,
        first_child,
        next_sib,
        prev_sib,
    )
    _shift_subtree(u_in, shift, parent, depth, pi, first_child, next_sib, stack)


@jit
def greedy_shipments(M, ra, rb, tol, rows, cols, vals, open_cols):
    """A basic feasible solution by the row-minimum rule.

    Every source in turn ships to its cheapest open sinks as much as they
    still take. Each shipment closes its source or its sink (or both), so the
    shipments form a forest. Masses left below ``tol`` count as exhausted
    (rounding). ``ra`` (n,) and ``rb`` (m,) hold the masses on entry and the
    residuals on exit; the shipments go to ``rows``, ``cols``, ``vals``
    (n + m each); ``open_cols`` (m,) is scratch. Returns the shipment count.
    """
    n, m = M.shape
    cnt = 0
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
    return cnt


@jit
def hang_forest(
    n,
    m,
    rows,
    cols,
    vals,
    cnt,
    ra,
    rb,
    deg,
    adj,
    seen,
    parent,
    arc,
    up,
    flow,
    first_child,
    next_sib,
    prev_sib,
    stack,
):
    """The first tree from the shipment forest of :func:`greedy_shipments`.

    Each tree of the forest hangs from the root by the artificial arc of one
    of its sinks (root -> sink, carrying that sink's residual, >= 0), or of
    its source when it has no sink; every real tree arc carries a positive
    flow, so the tree is strongly feasible. ``deg`` (n + m + 1,) zeros,
    ``adj`` (2 cnt,) and ``seen`` (n + m,) False are scratch.
    """
    root = n + m
    parent[root] = -1
    arc[root] = -1
    flow[root] = 0.0
    # adjacency of the forest (CSR over the n + m nodes); ``stack`` first
    # holds the fill pointers
    for s in range(cnt):
        deg[rows[s] + 1] += 1
        deg[n + cols[s] + 1] += 1
    for v in range(n + m):
        deg[v + 1] += deg[v]
        stack[v] = deg[v]
    for s in range(cnt):
        adj[stack[rows[s]]] = s
        stack[rows[s]] += 1
        adj[stack[n + cols[s]]] = s
        stack[n + cols[s]] += 1
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
def solve(
    M,
    art,
    eps,
    block,
    start,
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
    rows,
    cols,
    vals,
    ra,
    rb,
    open_cols,
    deg,
    adj,
    seen,
):
    """Run the network simplex; fills the tree arrays; returns (pivots, optimal).

    ``greedy``: build the first tree from the row-minimum basic solution
    (fewer pivots on geometric costs; ``tol`` is its rounding threshold,
    ``ra``, ``rb`` copies of the masses, and ``rows`` .. ``seen`` the scratch
    of :func:`greedy_shipments` and :func:`hang_forest`, ``adj`` of size
    2 (n + m)); otherwise the tree arrays already hold the first tree (the
    all-artificial basis, built by the caller). ``start`` is the arc
    where pricing begins (0); ``depth`` and ``stack`` (n + m + 1,) are
    scratch; the child lists are -1 on entry.
    """
    n, m = M.shape
    if greedy:
        cnt = greedy_shipments(M, ra, rb, tol, rows, cols, vals, open_cols)
        hang_forest(
            n,
            m,
            rows,
            cols,
            vals,
            cnt,
            ra,
            rb,
            deg,
            adj,
            seen,
            parent,
            arc,
            up,
            flow,
            first_child,
            next_sib,
            prev_sib,
            stack,
        )
    _recompute_potentials(M, n, m, art, parent, arc, up, pi, depth, first_child, next_sib, stack)
    it = 0
    while it < max_iter:
        k, start = _price(M, n, m, pi, parent, arc, start, block, eps)
        if k < 0:
            # confirm with exact potentials (no drift from the incremental updates)
            _recompute_potentials(
                M, n, m, art, parent, arc, up, pi, depth, first_child, next_sib, stack
            )
            k, start = _price(M, n, m, pi, parent, arc, start, block, eps)
            if k < 0:
                return it, True
        _pivot(M, n, m, k, parent, arc, up, flow, depth, pi, first_child, next_sib, prev_sib, stack)
        it += 1
    _recompute_potentials(M, n, m, art, parent, arc, up, pi, depth, first_child, next_sib, stack)
    start = 0 * start  # from arc 0; an int64, not a literal (one compilation of _price)
    k, start = _price(M, n, m, pi, parent, arc, start, block, eps)
    return it, k < 0
