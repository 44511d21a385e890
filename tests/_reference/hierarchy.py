"""Slow, obviously-correct references for the hierarchy family.

Each reference merges, at every step, the pair of current clusters with the
smallest cluster distance, recomputed from its definition on the members
(no Lance-Williams update, no clever algorithm): O(n^3) or worse, tiny
inputs only.
"""

import numpy as np


def _scipy_ids(merges, n):
    """Rows (id_a, id_b, height, size) from merges of member lists."""
    return np.array(merges, dtype=float).reshape(-1, 4)


def naive_linkage(X, method, D=None):
    """Agglomerative clustering by definition.

    Parameters
    ----------
    X : ndarray (n, p) or None
        Feature rows (needed for ward, centroid and median).
    method : str
        One of scipy's seven methods.
    D : ndarray (n, n) or None
        Distance matrix (Euclidean distances of ``X`` when None).

    Returns
    -------
    Z : ndarray (n - 1, 4)
        scipy-format linkage in merge order.
    """
    if D is None:
        D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    n = D.shape[0]
    members = {i: [i] for i in range(n)}
    # what each cluster needs: centre (centroid), WPGMC median point
    centre = {i: (X[i].astype(float) if X is not None else None) for i in range(n)}
    # WPGMA distances are defined recursively on the tree
    wdist = {(i, j): D[i, j] for i in range(n) for j in range(n) if i != j}
    rows = []
    nxt = n
    for _ in range(n - 1):
        best = None
        ids = sorted(members)
        for ai, a in enumerate(ids):
            for b in ids[ai + 1 :]:
                A, B = members[a], members[b]
                block = D[np.ix_(A, B)]
                if method == "single":
                    v = block.min()
                elif method == "complete":
                    v = block.max()
                elif method == "average":
                    v = block.mean()
                elif method == "weighted":
                    v = wdist[(a, b)]
                elif method == "ward":
                    ca, cb = X[A].mean(0), X[B].mean(0)
                    v = np.sqrt(2 * len(A) * len(B) / (len(A) + len(B))) * np.linalg.norm(ca - cb)
                elif method == "centroid":
                    v = np.linalg.norm(X[A].mean(0) - X[B].mean(0))
                elif method == "median":
                    v = np.linalg.norm(centre[a] - centre[b])
                else:
                    raise ValueError(method)
                if best is None or v < best[0]:
                    best = (v, a, b)
        v, a, b = best
        rows.append((a, b, v, len(members[a]) + len(members[b])))
        members[nxt] = members.pop(a) + members.pop(b)
        if X is not None:
            centre[nxt] = (centre.pop(a) + centre.pop(b)) / 2
        for c in members:
            if c != nxt:
                w = (wdist[(a, c)] + wdist[(b, c)]) / 2
                wdist[(nxt, c)] = wdist[(c, nxt)] = w
        nxt += 1
    return _scipy_ids(rows, n)


def naive_graph_linkage(A, labels=None):
    """Average linkage on edge density ``w(P, Q) / (|P| |Q|)`` by definition.

    Starts from the partition ``labels`` (singletons when None); returns the
    list of (similarity, frozenset of merged nodes) in merge order, positive
    similarities only.
    """
    A = np.asarray(A, dtype=float).copy()
    np.fill_diagonal(A, 0)
    n = A.shape[0]
    if labels is None:
        labels = np.arange(n)
    clusters = [list(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    out = []
    while len(clusters) > 1:
        best = None
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                P, Q = clusters[i], clusters[j]
                s = A[np.ix_(P, Q)].sum() / (len(P) * len(Q))
                if best is None or s > best[0]:
                    best = (s, i, j)
        s, i, j = best
        if s <= 0:
            break
        merged = clusters[i] + clusters[j]
        out.append((s, frozenset(merged)))
        clusters = [c for k, c in enumerate(clusters) if k not in (i, j)] + [merged]
    return out


def level_accuracy(true, pred):
    """Accuracy after the best matching of predicted to true labels (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    t = np.unique(true, return_inverse=True)[1]
    p = np.unique(pred, return_inverse=True)[1]
    C = np.zeros((p.max() + 1, t.max() + 1))
    np.add.at(C, (p, t), 1)
    r, c = linear_sum_assignment(-C)
    return C[r, c].sum() / t.shape[0]


def naive_spectral_count(A):
    """Communities seen by the spectrum, by its definition (dense, small graphs).

    Number of eigenvalues of ``L = D_r^{-1/2} A D_r^{-1/2}`` (``D_r = D +
    (r^2 - 1) I``, ``r^2 = <d^2>/<d> - 1``) above the bulk edge
    ``tau = sqrt((1 - q) / r^2)``, ``q = <d^2> / (n <d>)``.
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    d = A.sum(axis=1)
    rho = max((d * d).sum() / d.sum() - 1.0, 1.0)
    q = min((d * d).sum() / (n * d.sum()), 0.99)
    s = 1.0 / np.sqrt(d + rho - 1.0)
    L = s[:, None] * A * s[None, :]
    return int(np.sum(np.linalg.eigvalsh(L) > np.sqrt((1.0 - q) / rho)))
