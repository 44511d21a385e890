"""Graph input of :class:`~skot.cluster.BottomUpClustering`: the bottom-up algorithm.

Dreveton, Kuroda, Grossglauser & Thiran: (1) the finest communities from
spectral clustering of the Bethe-Hessian (:func:`bethe_hessian_clustering`),
(2) average linkage on the inter-community edge density (:func:`graph_linkage`,
kernel in ``_graph_linkage_kernels.py``).
"""

import warnings

import numpy as np
from scipy import sparse

from ..utils._validation import is_symmetric

# Below this many nodes the Bethe-Hessian is diagonalised densely.
_DENSE_EIGH_MAX_N = 600
# Heavier edge weights are rescaled (by a power of two) before any sum.
_MAX_WEIGHT = 2.0**64
# Upper bound on the number of communities estimated with "auto".
_AUTO_MAX_CLUSTERS = 1000


def _first_appearance(labels):
    """Relabel to 0..k-1 in order of first appearance."""
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.shape[0])
    return rank[inv.ravel()]


def _check_adjacency(X):
    """Symmetric CSR float64 adjacency without self-loops."""
    if sparse.issparse(X):
        A = sparse.csr_matrix(X, dtype=np.float64, copy=True)
    else:
        A = sparse.csr_matrix(np.asarray(X, dtype=np.float64))
    if A.shape[0] != A.shape[1]:
        raise ValueError(
            f"With metric='adjacency', X must be a square (n_nodes, n_nodes) adjacency "
            f"matrix, got shape {A.shape}."
        )
    if not np.isfinite(A.data).all():
        raise ValueError("The adjacency matrix X contains NaN or infinity.")
    if (A.data < 0).any():
        raise ValueError(
            f"The adjacency matrix X must have non-negative weights, got min {A.data.min()!r}."
        )
    A.setdiag(0)
    A.eliminate_zeros()
    if A.nnz and A.data.max() > _MAX_WEIGHT:
        # degrees, squared degrees and community weights would overflow:
        # rescale by a power of two (exact; the density heights do not change)
        A.data = np.ldexp(A.data, -int(np.frexp(A.data.max())[1]))
    # the one symmetry rule: symmetric up to rounding is used as it is
    if not is_symmetric(A):
        warnings.warn(
            "The adjacency matrix X is not symmetric: it is replaced by (X + X.T) / 2, "
            "the undirected graph with the mean weight of both directions.",
            UserWarning,
            stacklevel=3,
        )
        A = ((A + A.T) * 0.5).tocsr()
    A.sort_indices()
    return A


def _bethe_hessian(A, dense_correction=False):
    """``H = (r^2 - 1) I + D - c r A`` and ``r``.

    ``r = sqrt(<d^2>/<d> - 1)`` estimates ``sqrt(rho)``, with ``rho`` the
    spectral radius of the non-backtracking matrix; ``c = 1`` is the
    Bethe-Hessian. With ``dense_correction``, ``c = 1 / sqrt(1 - q)`` with
    ``q = <d^2> / (n <d>)``, the mean edge probability seen from an edge end
    (see :func:`bethe_hessian_clustering`).
    """
    d = np.asarray(A.sum(axis=1)).ravel()
    s1 = d.sum()
    n = A.shape[0]
    r = np.sqrt(max((d * d).sum() / s1 - 1.0, 1.0)) if s1 > 0 else 1.0
    c = 1.0
    if dense_correction and s1 > 0:
        q = min((d * d).sum() / (n * s1), 0.99)
        c = 1.0 / np.sqrt(1.0 - q)
    H = sparse.diags((r * r - 1.0) + d) - (c * r) * A
    return H.tocsr(), r


def _smallest_eigh(H, k, rng, tol=0.0):
    """The ``k`` smallest eigenpairs of the symmetric sparse ``H``, ascending.

    ``tol`` is ARPACK's relative tolerance (0: machine precision); the dense
    path ignores it.
    """
    from scipy.linalg import eigh
    from scipy.sparse.linalg import ArpackNoConvergence, eigsh

    n = H.shape[0]
    if n <= _DENSE_EIGH_MAX_N or k >= n // 2:
        return eigh(H.toarray(), subset_by_index=(0, k - 1))
    v0 = rng.uniform(-1.0, 1.0, n)
    try:
        vals, vecs = eigsh(
            H, k=k, which="SA", v0=v0, ncv=min(n, max(2 * k + 1, 20)), maxiter=50 * n, tol=tol
        )
    except ArpackNoConvergence:  # pragma: no cover - fall back on dense
        return eigh(H.toarray(), subset_by_index=(0, k - 1))
    order = np.argsort(vals, kind="stable")
    return vals[order], vecs[:, order]


def bethe_hessian_clustering(A, n_clusters, rng, n_init=10):
    """Spectral communities of a graph from its Bethe-Hessian.

    ``H_r = (r^2 - 1) I + D - r A`` with ``r = sqrt(<d^2>/<d> - 1)`` (Saade,
    Krzakala & Zdeborova 2014). The rows of the eigenvectors of the ``K``
    smallest eigenvalues, normalised, go to k-means.

    With ``n_clusters="auto"``, ``K`` is the number of eigenvalues of the
    regularised normalised adjacency ``L = D_r^{-1/2} A D_r^{-1/2}``
    (``D_r = D + (r^2 - 1) I``) above the edge of its random bulk (Dall'Amico,
    Couillet & Tremblay 2021), counted as the negative eigenvalues of
    ``D_r - A / tau`` (Sylvester's law of inertia), whose eigenvectors then
    give the embedding. The sparse-graph edge is ``tau = 1 / r``; the fluctuations
    of an edge of probability ``p`` have variance ``p (1 - p)``, not ``p``,
    so on dense graphs the edge is ``tau = sqrt(1 - q) / r`` with ``q`` the
    mean edge probability ``<d^2> / (n <d>)``; ``q -> 0`` gives back the
    sparse count. The eigenvalues are computed ten at a time (doubling) to a
    relative tolerance of 1e-3, enough for their signs: the bulk eigenvalues
    that only confirm the count converge slowly to full precision.

    Returns ``(labels, K, eigenvalues)``.
    """
    from sklearn.cluster import KMeans

    n = A.shape[0]
    if n_clusters == "auto":
        H, _ = _bethe_hessian(A, dense_correction=True)
        cap = min(n - 1, _AUTO_MAX_CLUSTERS) if n > 1 else 1
        k = min(cap, 10)
        while True:
            vals, vecs = _smallest_eigh(H, k, rng, tol=1e-3)
            if vals[-1] >= 0 or k >= cap:
                break
            k = min(cap, 2 * k)
        K = max(1, int(np.sum(vals < 0)))
    else:
        H, _ = _bethe_hessian(A)
        K = int(n_clusters)
        vals, vecs = _smallest_eigh(H, K, rng)
    if K == 1:
        return np.zeros(n, dtype=np.int64), 1, vals
    emb = vecs[:, :K]
    norms = np.linalg.norm(emb, axis=1)
    norms[norms == 0] = 1.0
    emb = emb / norms[:, None]
    km = KMeans(K, n_init=n_init, random_state=rng.randint(np.iinfo(np.int32).max))
    labels = _first_appearance(km.fit_predict(emb))
    return labels, int(labels.max()) + 1, vals


def graph_linkage(A, labels):
    """Average linkage on inter-community edge density, from a partition.

    Returns the scipy-format tree over the ``K`` communities of ``labels``
    (0..K-1): the height of a merge of A and B is
    ``1 - w(A, B) / (|A| |B| w_max)`` with ``w_max`` the largest edge
    weight (so 0 for a pair of nodes linked by the heaviest edge); the
    connected components are joined last at height 1. Column 3 counts
    communities (leaves), as scipy expects; the second output counts nodes.
    """
    n = A.shape[0]
    K = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=K).astype(np.float64)
    M = sparse.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, K))
    W = (M.T @ A @ M).tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    W.sort_indices()
    wmax = A.data.max() if A.nnz else 1.0
    from ._graph_linkage_kernels import graph_average_linkage
    from ._linkage import label_tree

    Zr, n_merges, roots = graph_average_linkage(
        W.indptr.astype(np.int64),
        W.indices.astype(np.int64),
        W.data.astype(np.float64),
        sizes,
    )
    rows = Zr[:n_merges]
    rows = rows[np.argsort(-rows[:, 2], kind="stable")]
    rows[:, 2] = np.clip(1.0 - rows[:, 2] / wmax, 0.0, 1.0)
    roots = np.sort(roots)
    extra = np.zeros((roots.shape[0] - 1, 4))
    extra[:, 0] = roots[0]
    extra[:, 1] = roots[1:]
    extra[:, 2] = 1.0
    Z = np.ascontiguousarray(np.vstack([rows, extra]))
    Zn = Z.copy()
    label_tree(Zn, sizes)
    label_tree(Z, np.ones(K))
    return Z, Zn[:, 3].astype(np.int64)
