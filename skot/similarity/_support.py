"""Supports and the existence of a doubly stochastic scaling (for sinkhorn_normalize).

Which rows and columns take part in the scaling and their targets
(:func:`marginals`), and, for a square matrix, whether its zero pattern admits
a doubly stochastic scaling at all (:func:`check_total_support`, with an
explanation of why not), following Sinkhorn & Knopp (1967).
"""

import warnings

import numpy as np
from scipy import sparse

__all__ = ["check_total_support", "marginals", "needs_existence_check", "warn_no_support"]


def marginals(row_nonzero, col_nonzero, a, b, symmetric, where=""):
    """Supports and targets; raises when the totals cannot match."""
    n, m = row_nonzero.shape[0], col_nonzero.shape[0]
    uniform = a is None and b is None
    rows = row_nonzero.copy() if a is None else row_nonzero & (a > 0)
    if symmetric:
        cols, b = rows.copy(), a
    else:
        cols = col_nonzero.copy() if b is None else col_nonzero & (b > 0)
    nr, nc = int(rows.sum()), int(cols.sum())
    if nr == 0 or nc == 0:
        raise ValueError(
            f"K{where} has no support: every row or every column is zero "
            "(or has a zero target sum), so there is nothing to scale."
        )
    if uniform:
        if n == m and nr != nc:
            raise ValueError(
                f"K{where} has no doubly stochastic scaling: it has {n - nr} zero rows "
                f"but {m - nc} zero columns, so {nr} rows cannot carry the same "
                f"total as {nc} columns. Remove them or give row_sums/col_sums."
            )
        a = np.where(rows, 1.0, 0.0)
        b = np.where(cols, nr / nc, 0.0)
    else:
        if a is None:
            a = np.where(rows, 1.0, 0.0)
        if b is None:
            b = np.where(cols, a[rows].sum() / nc, 0.0) if not symmetric else a.copy()
        ta, tb = a[rows].sum(), b[cols].sum()
        if not np.isclose(ta, tb, rtol=1e-9, atol=0.0):
            raise ValueError(
                f"row_sums and col_sums{where} must have the same total over the "
                f"support of K, got {ta!r} and {tb!r}."
            )
    return rows, cols, a, b, uniform


def _pattern_csr(K):
    if sparse.issparse(K):
        P = sparse.csr_matrix(K, copy=True)
        P.data = np.ones_like(P.data, dtype=np.int8)
        return P
    return sparse.csr_matrix(K != 0, dtype=np.int8)


def check_total_support(K, rows, cols, where="", name="K"):
    """Raise ValueError explaining why a square pattern has no doubly stochastic scaling.

    A non-negative square matrix has a doubly stochastic scaling iff it has
    total support (every non-zero lies on a perfect matching of its bipartite
    graph; Sinkhorn & Knopp 1967). Checked with a maximum matching and the
    strongly connected components of the row digraph of that matching.
    """
    from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching

    ridx = np.flatnonzero(rows)
    cidx = np.flatnonzero(cols)
    S = _pattern_csr(K)[ridx][:, cidx].tocsr()
    n = S.shape[0]
    match = maximum_bipartite_matching(S, perm_type="column")  # row -> column
    if (match < 0).any():
        r0 = int(np.flatnonzero(match < 0)[0])
        row_of = np.full(n, -1, dtype=np.int64)
        ok = match >= 0
        row_of[match[ok]] = np.flatnonzero(ok)
        # Rows reachable from r0 by alternating paths see too few columns (Hall).
        seen_r, seen_c, stack = {r0}, set(), [r0]
        while stack:
            r = stack.pop()
            for c in S.indices[S.indptr[r] : S.indptr[r + 1]]:
                if c not in seen_c:
                    seen_c.add(c)
                    rr = row_of[c]
                    if rr >= 0 and rr not in seen_r:
                        seen_r.add(rr)
                        stack.append(rr)
        R = sorted(int(ridx[r]) for r in seen_r)
        C = sorted(int(cidx[c]) for c in seen_c)
        raise ValueError(
            f"{name}{where} has no doubly stochastic scaling: its non-zero pattern has no "
            f"perfect matching. The {len(R)} rows {_fmt_idx(R)} have non-zeros only in "
            f"the {len(C)} columns {_fmt_idx(C)}, so their sums cannot all be 1 while "
            "those columns sum to 1 (Hall's condition fails). A scaling exists iff K "
            "has total support (Sinkhorn & Knopp 1967); a symmetric K with a positive "
            "diagonal always has one."
        )
    row_of = np.empty(n, dtype=np.int64)
    row_of[match] = np.arange(n)
    coo = S.tocoo()
    G = sparse.csr_matrix(
        (np.ones(coo.nnz, dtype=np.int8), (coo.row, row_of[coo.col])), shape=(n, n)
    )
    _, comp = connected_components(G, directed=True, connection="strong")
    bad = comp[coo.row] != comp[row_of[coo.col]]
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        i, j = int(ridx[coo.row[k]]), int(cidx[coo.col[k]])
        raise ValueError(
            f"{name}{where} has no doubly stochastic scaling: it has support but not total "
            f"support -- entry ({i}, {j}) (and {int(bad.sum()) - 1} more) lies on no "
            "perfect matching of its non-zero pattern, so every doubly stochastic "
            "limit sets it to 0 and the scaling factors diverge (Sinkhorn & Knopp "
            "1967). Remove those entries, or add a positive diagonal."
        )


def _fmt_idx(idx, k=10):
    idx = list(idx)
    s = ", ".join(str(i) for i in idx[:k])
    return f"[{s}{', ...' if len(idx) > k else ''}]"


def needs_existence_check(symmetric, dmin_support, all_offdiag_positive):
    return not ((symmetric and dmin_support > 0) or all_offdiag_positive)


def warn_no_support(row_nonzero, col_nonzero, symmetric, where=""):
    zr = np.flatnonzero(~row_nonzero)
    zc = np.flatnonzero(~col_nonzero)
    if zr.size == 0 and zc.size == 0:
        return
    if symmetric:
        what = f"{zr.size} rows (and columns) {_fmt_idx(zr)}"
    else:
        what = f"{zr.size} rows {_fmt_idx(zr)} and {zc.size} columns {_fmt_idx(zc)}"
    warnings.warn(
        f"K{where} has {what} with no non-zero entry: they are left out of the "
        "scaling and stay zero in the result (row_support/col_support).",
        UserWarning,
        stacklevel=4,
    )
