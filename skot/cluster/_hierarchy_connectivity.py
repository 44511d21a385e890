"""Agglomerative clustering under connectivity constraints (a graph of allowed merges).

The validated core behind ``BottomUpClustering(connectivity=...)`` and
``BottomUpClustering(n_neighbors=...)``: ward, average, complete and single
linkage where only clusters joined by an edge of the graph may merge, with
the rules of scikit-learn's ``AgglomerativeClustering(connectivity=...)``
(kernel in ``_hierarchy_graph_kernels.py``).
"""

import warnings

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

CONNECTIVITY_METHODS = ("ward", "average", "complete", "single")
_CODES = {"single": 0, "complete": 1, "average": 2, "ward": 4}


def check_connectivity(connectivity, X, n_samples):
    """The symmetric CSR structure of a connectivity argument (callable, array or sparse)."""
    if callable(connectivity):
        connectivity = connectivity(X)
    if sparse.issparse(connectivity):
        C = sparse.csr_matrix(connectivity, copy=True)
    else:
        C = np.asarray(connectivity)
        if C.ndim != 2:
            raise ValueError(
                f"connectivity must be a (n_samples, n_samples) matrix, got {C.ndim} dimensions."
            )
        C = sparse.csr_matrix(C)
    if C.shape != (n_samples, n_samples):
        raise ValueError(
            f"connectivity must have shape (n_samples, n_samples) = ({n_samples}, "
            f"{n_samples}), got {C.shape}."
        )
    C = C.astype(np.float64)
    if not np.isfinite(C.data).all():
        raise ValueError("connectivity contains NaN or infinity.")
    C.data[:] = 1.0  # the structure: any stored entry is an edge
    C = (C + C.T).tocsr()
    C.setdiag(0)
    C.eliminate_zeros()
    C.sort_indices()
    return C


def _complete_components(C, X, metric, precomputed):
    """Join the components of ``C`` by their closest pair (scikit-learn's completion)."""
    n_comp, lab = connected_components(C, directed=False)
    if n_comp == 1:
        return C, 1
    warnings.warn(
        f"The connectivity graph has {n_comp} connected components: each pair of "
        "components is joined by its closest pair of points so that the tree reaches "
        "the root (as scikit-learn's AgglomerativeClustering does).",
        UserWarning,
        stacklevel=5,
    )
    from sklearn.metrics import pairwise_distances_argmin_min

    rows, cols = [], []
    members = [np.flatnonzero(lab == c) for c in range(n_comp)]
    if not precomputed and metric == "euclidean":
        from scipy.spatial import cKDTree

        trees = [cKDTree(X[m]) for m in members]
    for i in range(n_comp):
        idx_i = members[i]
        for j in range(i):
            idx_j = members[j]
            if precomputed:
                D = X[np.ix_(idx_i, idx_j)]
                ii, jj = np.unravel_index(np.argmin(D), D.shape)
            elif metric == "euclidean":
                val, arg = trees[j].query(X[idx_i])
                ii = int(np.argmin(val))
                jj = int(arg[ii])
            else:
                arg, val = pairwise_distances_argmin_min(X[idx_i], X[idx_j], metric=metric)
                ii = int(np.argmin(val))
                jj = int(arg[ii])
            rows += [idx_i[ii], idx_j[jj]]
            cols += [idx_j[jj], idx_i[ii]]
    E = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=C.shape)
    C = (C + E).tocsr()
    C.data[:] = 1.0
    C.sort_indices()
    return C, n_comp


def _edge_distances(X, C, metric, precomputed):
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    cols = C.indices
    if precomputed:
        return np.asarray(X[rows, cols], dtype=np.float64)
    if metric == "euclidean":
        diff = X[rows].astype(np.float64) - X[cols]
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))
    from sklearn.metrics.pairwise import paired_distances

    return np.asarray(paired_distances(X[rows], X[cols], metric=metric), dtype=np.float64)


def constrained_linkage(X, connectivity, method, metric="euclidean"):
    """Linkage matrix of ``X`` where only clusters adjacent in ``connectivity`` merge.

    ``X``: feature rows (float array), or a square distance matrix with
    ``metric="precomputed"``. Rows in merge order (heights need not be
    monotone for average and complete). A disconnected graph is joined
    first (closest pair of each pair of components, with a warning).
    Returns ``(Z, n_components)``.
    """
    precomputed = metric == "precomputed"
    if method not in CONNECTIVITY_METHODS:
        raise ValueError(
            f"With connectivity, linkage must be one of {CONNECTIVITY_METHODS}, got {method!r}."
        )
    if method == "ward" and (precomputed or metric != "euclidean"):
        raise ValueError(
            f"linkage='ward' with connectivity needs Euclidean feature rows, got metric={metric!r}."
        )
    n = X.shape[0]
    C = check_connectivity(connectivity, X, n)
    e = 0
    if not precomputed and metric == "euclidean":
        from ._linkage import _safe_exponent

        e = _safe_exponent(float(np.abs(X).max()))  # exact scaling of extreme magnitudes
        if e:
            X = np.ldexp(np.asarray(X, dtype=np.float64), -e)
    C, n_comp = _complete_components(C, X, metric, precomputed)
    w = _edge_distances(X, C, metric, precomputed) if method != "ward" else np.zeros(C.nnz)
    if not np.isfinite(w).all():
        raise ValueError(f"metric={metric!r} gave NaN or infinite distances along the edges.")
    from ._hierarchy_graph_kernels import constrained_linkage as kernel
    from ._hierarchy_graph_kernels import kruskal_linkage

    Z = np.zeros((n - 1, 4))
    if method == "single":  # the minimum rule: Kruskal's minimum spanning forest
        rows = np.repeat(np.arange(n), np.diff(C.indptr))
        upper = rows < C.indices
        ea, eb, ew = rows[upper], C.indices[upper].astype(np.int64), w[upper]
        order = np.lexsort((ea, eb, ew))
        kruskal_linkage(ea[order], eb[order], ew[order], n, Z)
        return _unscale(Z, e), n_comp
    if method == "ward":
        S = np.zeros((2 * n - 1, X.shape[1]))
        S[:n] = X
    else:
        S = np.zeros((2 * n - 1, 0))
    kernel(
        C.indptr.astype(np.int64),
        C.indices.astype(np.int64),
        w,
        _CODES[method],
        S,
        Z,
    )
    return _unscale(Z, e), n_comp


def _unscale(Z, e):
    if e:
        with np.errstate(over="ignore"):
            Z[:, 2] = np.ldexp(Z[:, 2], e)
    if not np.isfinite(Z[:, 2]).all():
        raise ValueError("The distances between the observations overflow float64: rescale X.")
    return Z


def knn_connectivity(X, n_neighbors, metric, n_jobs):
    """The k-nearest-neighbour graph of feature rows (O(n k) memory, a tree index)."""
    from sklearn.neighbors import NearestNeighbors

    if n_neighbors >= X.shape[0]:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be below the number of samples, "
            f"n_samples={X.shape[0]}."
        )
    try:
        nn = NearestNeighbors(n_neighbors=n_neighbors, metric=metric, n_jobs=n_jobs).fit(X)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"metric={metric!r} cannot build a nearest-neighbour graph: {exc}"
        ) from exc
    return nn.kneighbors_graph(mode="connectivity")
