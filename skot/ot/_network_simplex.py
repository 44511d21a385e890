"""Network simplex for the transportation problem (exact optimal transport).

Contract (no validation here; the public layer checks everything):

- The costs come from exactly one *cost source*; every kernel takes the seven
  arguments ``M, X, YT, power, D, arow, acol`` and the unused ones are
  ``None`` (numba compiles only the branch of the source in use):

  * dense: ``M`` a C-contiguous ``(n, m)`` float32/float64 cost; arc
    ``k = i * m + j``;
  * point clouds: ``X`` ``(n, d)`` and ``YT`` ``(d, m)`` (the target points,
    transposed), ``power`` 2 (squared Euclidean) or 1 (Euclidean); arc
    ``k = i * m + j``, its cost computed when needed (never stored);
  * listed arcs: ``D`` (nnz,) costs of the arcs ``arow[k] -> acol[k]`` (int64);
    only these arcs exist.

  ``a`` (n,) and ``b`` (m,) are positive float64 masses with (numerically)
  equal totals.
- Nodes ``0..n-1`` are the sources, ``n..n+m-1`` the sinks and ``n+m`` the
  root. Each node also has an artificial arc to (source) or from (sink) the
  root, of cost 0 and ``art`` respectively (big-M: any flow left on them
  costs more than every real plan).
- The potential of a node is kept in two parts, ``pi`` (the real costs
  along its tree path) and ``ka`` (0 or ``art``: whether the path uses a
  sink's artificial arc). A reduced cost ``c_k + pi[i] - pi[n + j] + (ka[i]
  - ka[n + j])`` is then exact whenever both ends are in the same class (the
  big-M term is exactly zero), so the optimality test is relative to the
  scale of the real costs and does not lose the digits of ``art``.
- The first spanning tree is either all artificial arcs (strongly feasible
  because every mass is positive: the caller removes zero masses) or, by
  default for the complete graph, the row-minimum basic solution: the forest
  of its shipments (every arc with positive flow), each tree hung from the
  root by the artificial arc of one of its sinks (pointing away from the
  root, so it may carry zero flow and the tree is still strongly feasible).
- The spanning tree is stored per node: ``parent``, the tree arc to the
  parent (``arc``, -1 for an artificial arc), its orientation (``up``: the
  arc goes from the node to its parent), its ``flow``, the node ``depth``,
  the potential (``pi``, ``ka``) and doubly linked child lists. Only tree arcs
  carry flow.
- Pricing is block search: arcs are scanned in blocks of ``block`` arcs from
  where the last scan stopped, and the most negative reduced cost ``< -eps``
  of a block enters. On the dense cost each row segment is first tested by a
  branch-free (vectorised) count of the arcs below the current best; on point
  clouds the segment's costs are first computed into ``buf`` (m,) one
  coordinate at a time (vectorised). The leaving arc is the last blocking arc
  of the cycle oriented from its apex (Cunningham's rule), which keeps the
  tree strongly feasible and prevents cycling.
- ``solve`` stops at optimality, which it only reports after the potentials
  are recomputed exactly from the tree and a full pass over every arc finds
  no reduced cost below ``-eps``, or after ``max_iter`` pivots.

:func:`skot.ot._emd._solve` allocates every array (kernels allocate nothing:
numpy allocation routines cost seconds of compilation on a cold cache).
``solve_batch`` (a twin) runs ``solve`` on a stack of dense problems, one
problem per iteration of a ``prange`` loop, each on its own rows of the
scratch arrays.

A pivot is five named steps: ``_cycle_apex`` (the join of the entering
arc's two tree paths), ``_leaving_arc`` (Cunningham's rule),
``_augment`` (push the flow around the cycle), ``_rehang`` (reverse the path
from the entering arc's end to the leaving arc) and ``_shift_subtree``
(depths and potentials of the moved subtree).
"""

import numpy as np
from numba import prange

from ..utils._numba import jit, twin


@jit
def _ends(m, arow, acol, k):
    """Source and sink (column) of arc ``k``."""
    if arow is not None:
        return arow[k], acol[k]
    return k // m, k % m


@jit
def _cost(M, X, YT, power, D, m, k):
    """Real cost of arc ``k`` (float64)."""
    if M is not None:
        return np.float64(M[k // m, k % m])
    if X is not None:
        i = k // m
        j = k % m
        s = 0.0
        for t in range(X.shape[1]):
            dt = np.float64(X[i, t]) - np.float64(YT[t, j])
            s += dt * dt
        if power == 1:
            return np.sqrt(s)
        return s
    if D is not None:
        return np.float64(D[k])
    return 0.0


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
def _recompute_potentials(
    M, X, YT, power, D, n, m, art, arc, up, pi, ka, depth, first_child, next_sib, stack
):
    root = n + m
    pi[root] = 0.0
    ka[root] = 0.0
    depth[root] = 0
    top = 0
    stack[0] = root
    while top >= 0:
        v = stack[top]
        top -= 1
        c = first_child[v]
        while c >= 0:
            k = arc[c]
            cost = 0.0
            kc = 0.0
            if k >= 0:
                cost = _cost(M, X, YT, power, D, m, k)
            elif c >= n:
                kc = art
            if up[c]:
                pi[c] = pi[v] - cost
                ka[c] = ka[v] - kc
            else:
                pi[c] = pi[v] + cost
                ka[c] = ka[v] + kc
            depth[c] = depth[v] + 1
            top += 1
            stack[top] = c
            c = next_sib[c]


@jit(inline="always")
def _is_tree_arc(i, jn, k, parent, arc):
    return (parent[i] == jn and arc[i] == k) or (parent[jn] == i and arc[jn] == k)


@jit
def _price_dense(M, n, m, pi, ka, parent, arc, start, block, eps):
    """Block search on a dense cost; return (entering arc or -1, next start).

    Arcs are scanned row by row in segments: a branch-free (vectorised) count
    of the segment's arcs whose reduced cost beats the best candidate so far,
    and a scalar pass over the segment only when there is one (rare), which
    skips tree arcs. After every ``block`` arcs the best candidate so far
    enters.
    """
    total = n * m
    pis = pi[n : n + m]
    kas = ka[n : n + m]
    i = start // m
    j0 = start % m
    best = -eps
    best_k = -1
    cnt = 0
    scanned = 0
    while scanned < total:
        j1 = min(m, j0 + min(block - cnt, total - scanned))
        pii = pi[i]
        kai = ka[i]
        Mi = M[i, j0:j1]
        ps = pis[j0:j1]
        ks = kas[j0:j1]
        thr = best - pii
        below = 0
        for q in range(j1 - j0):
            below += (Mi[q] - ps[q]) + (kai - ks[q]) < thr
        if below > 0:
            for q in range(j1 - j0):
                x = (Mi[q] - ps[q]) + (kai - ks[q])
                if x < thr:
                    k = i * m + j0 + q
                    if not _is_tree_arc(i, n + j0 + q, k, parent, arc):
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
def _price_points(X, YT, power, n, m, pi, ka, parent, arc, start, block, eps, buf):
    """Block search on point clouds: the costs of a row segment are computed
    into ``buf`` (one coordinate at a time), then tested as in the dense case."""
    total = n * m
    d = X.shape[1]
    pis = pi[n : n + m]
    kas = ka[n : n + m]
    i = start // m
    j0 = start % m
    best = -eps
    best_k = -1
    cnt = 0
    scanned = 0
    while scanned < total:
        j1 = min(m, j0 + min(block - cnt, total - scanned))
        seg = j1 - j0
        for q in range(seg):
            buf[q] = 0.0
        for t in range(d):
            xt = np.float64(X[i, t])
            Yt = YT[t, j0:j1]
            for q in range(seg):
                dt = xt - np.float64(Yt[q])
                buf[q] += dt * dt
        if power == 1:
            for q in range(seg):
                buf[q] = np.sqrt(buf[q])
        pii = pi[i]
        kai = ka[i]
        ps = pis[j0:j1]
        ks = kas[j0:j1]
        thr = best - pii
        below = 0
        for q in range(seg):
            below += (buf[q] - ps[q]) + (kai - ks[q]) < thr
        if below > 0:
            for q in range(seg):
                x = (buf[q] - ps[q]) + (kai - ks[q])
                if x < thr:
                    k = i * m + j0 + q
                    if not _is_tree_arc(i, n + j0 + q, k, parent, arc):
                        best = x + pii
                        thr = x
                        best_k = k
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
def _price_arcs(D, arow, acol, n, pi, ka, parent, arc, start, block, eps):
    """Block search over the listed arcs ``0..nnz-1`` (cyclic from ``start``)."""
    total = D.shape[0]
    best = -eps
    best_k = -1
    cnt = 0
    k = start
    for _ in range(total):
        i = arow[k]
        jn = n + acol[k]
        x = ((np.float64(D[k]) - pi[jn]) + pi[i]) + (ka[i] - ka[jn])
        if x < best and not _is_tree_arc(i, jn, k, parent, arc):
            best = x
            best_k = k
        k += 1
        if k == total:
            k = 0
        cnt += 1
        if cnt == block:
            if best_k >= 0:
                return best_k, k
            cnt = 0
    return best_k, k


@jit
def _price(M, X, YT, power, D, arow, acol, n, m, pi, ka, parent, arc, start, block, eps, buf):
    if M is not None:
        return _price_dense(M, n, m, pi, ka, parent, arc, start, block, eps)
    if X is not None:
        return _price_points(X, YT, power, n, m, pi, ka, parent, arc, start, block, eps, buf)
    if D is not None:
        return _price_arcs(D, arow, acol, n, pi, ka, parent, arc, start, block, eps)
    return -1, start


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
def _shift_subtree(u_in, shift, kshift, parent, depth, pi, ka, first_child, next_sib, stack):
    """Depths and potentials (``+ shift``, ``+ kshift``) of the subtree re-hung at ``u_in``."""
    top = 0
    stack[0] = u_in
    while top >= 0:
        x = stack[top]
        top -= 1
        depth[x] = depth[parent[x]] + 1
        pi[x] += shift
        ka[x] += kshift
        c = first_child[x]
        while c >= 0:
            top += 1
            stack[top] = c
            c = next_sib[c]


@jit
def _pivot(
    M,
    X,
    YT,
    power,
    D,
    arow,
    acol,
    n,
    m,
    k,
    parent,
    arc,
    up,
    flow,
    depth,
    pi,
    ka,
    first_child,
    next_sib,
    prev_sib,
    stack,
):
    """Arc ``k`` enters the tree: the named steps of one pivot."""
    i, j = _ends(m, arow, acol, k)
    jn = n + j
    rc = (_cost(M, X, YT, power, D, m, k) - pi[jn]) + pi[i]
    rk = ka[i] - ka[jn]
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
        kshift = -rk
    else:
        u_in = jn
        new_parent = i
        shift = rc
        kshift = rk
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
    _shift_subtree(u_in, shift, kshift, parent, depth, pi, ka, first_child, next_sib, stack)


@jit
def greedy_shipments(M, X, YT, power, n, m, ra, rb, tol, rows, cols, vals, open_cols):
    """A basic feasible solution by the row-minimum rule (complete graph).

    Every source in turn ships to its cheapest open sinks as much as they
    still take. Each shipment closes its source or its sink (or both), so the
    shipments form a forest. Masses left below ``tol`` count as exhausted
    (rounding). ``ra`` (n,) and ``rb`` (m,) hold the masses on entry and the
    residuals on exit; the shipments go to ``rows``, ``cols``, ``vals``
    (n + m each); ``open_cols`` (m,) is scratch. Returns the shipment count.
    """
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
                c = _cost(M, X, YT, power, None, m, i * m + open_cols[q])
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
    X,
    YT,
    power,
    D,
    arow,
    acol,
    n,
    m,
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
    ka,
    depth,
    first_child,
    next_sib,
    prev_sib,
    stack,
    buf,
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

    ``greedy`` (complete graphs only): build the first tree from the
    row-minimum basic solution (fewer pivots on geometric costs; ``tol`` is
    its rounding threshold, ``ra``, ``rb`` copies of the masses, and ``rows``
    .. ``seen`` the scratch of :func:`greedy_shipments` and
    :func:`hang_forest`, ``adj`` of size 2 (n + m)); otherwise the tree
    arrays already hold the first tree (the all-artificial basis, built by
    the caller). ``start`` is the arc where pricing begins (0); ``depth`` and
    ``stack`` (n + m + 1,) and ``buf`` (m,) are scratch; the child lists are
    -1 on entry.
    """
    if greedy:
        cnt = greedy_shipments(M, X, YT, power, n, m, ra, rb, tol, rows, cols, vals, open_cols)
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
    _recompute_potentials(
        M, X, YT, power, D, n, m, art, arc, up, pi, ka, depth, first_child, next_sib, stack
    )
    it = 0
    while it < max_iter:
        k, start = _price(
            M, X, YT, power, D, arow, acol, n, m, pi, ka, parent, arc, start, block, eps, buf
        )
        if k < 0:
            # confirm with exact potentials (no drift from the incremental
            # updates): a full pass that finds nothing proves optimality
            _recompute_potentials(
                M, X, YT, power, D, n, m, art, arc, up, pi, ka, depth, first_child, next_sib, stack
            )
            k, start = _price(
                M, X, YT, power, D, arow, acol, n, m, pi, ka, parent, arc, start, block, eps, buf
            )
            if k < 0:
                return it, True
        _pivot(
            M,
            X,
            YT,
            power,
            D,
            arow,
            acol,
            n,
            m,
            k,
            parent,
            arc,
            up,
            flow,
            depth,
            pi,
            ka,
            first_child,
            next_sib,
            prev_sib,
            stack,
        )
        it += 1
    _recompute_potentials(
        M, X, YT, power, D, n, m, art, arc, up, pi, ka, depth, first_child, next_sib, stack
    )
    start = 0 * start  # from arc 0; an int64, not a literal (one compilation of _price)
    k, start = _price(
        M, X, YT, power, D, arow, acol, n, m, pi, ka, parent, arc, start, block, eps, buf
    )
    return it, k < 0


@twin
def solve_batch(
    M,
    art,
    eps,
    block,
    max_iter,
    tol,
    its,
    optimal,
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
):
    """:func:`solve` (greedy start) on each dense problem ``M[p]`` of a stack.

    Every array is stacked along its first axis (one row per problem, the
    sizes of :func:`solve`); ``art``, ``eps`` (B,) are per problem; ``its``
    (B,) int64 and ``optimal`` (B,) bool receive the results; ``ra``, ``rb``
    hold copies of the masses.
    """
    B, n, m = M.shape
    for p in prange(B):
        it, ok = solve(
            M[p],
            None,
            None,
            2,
            None,
            None,
            None,
            n,
            m,
            art[p],
            eps[p],
            block,
            0,
            max_iter,
            True,
            tol[p],
            parent[p],
            arc[p],
            up[p],
            flow[p],
            pi[p],
            ka[p],
            depth[p],
            first_child[p],
            next_sib[p],
            prev_sib[p],
            stack[p],
            pi[p, :0],
            rows[p],
            cols[p],
            vals[p],
            ra[p],
            rb[p],
            open_cols[p],
            deg[p],
            adj[p],
            seen[p],
        )
        its[p] = it
        optimal[p] = ok
