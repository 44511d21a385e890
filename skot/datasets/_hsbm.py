"""Hierarchical stochastic block model (HSBM) graphs."""

import math
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_hierarchical_sbm"]


@validate_params(
    {
        "depth": [Interval(Integral, 1, None, closed="left")],
        "branching": [Interval(Integral, 2, None, closed="left")],
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "a": ["array-like", None],
        "probabilities": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_hierarchical_sbm(
    depth=3,
    branching=2,
    block_size=200,
    a=(40, 50, 60, 100),
    *,
    probabilities=None,
    random_state=None,
):
    """Random graph from a hierarchical stochastic block model.

    The ``N = block_size * branching ** depth`` nodes are the leaves of a
    complete tree of the given depth and branching (2: binary, 3: ternary):
    ``branching ** depth`` bottom blocks of ``block_size`` nodes. Two nodes
    are linked independently with probability ``p_l`` where ``l`` is the
    depth of their lowest common ancestor (0: only the root is shared,
    ``depth``: same bottom block), and ``p_l = a_l log(N) / N`` as in
    Dreveton et al. The graph is undirected, unweighted, without self-loops.

    Read more in the :ref:`User Guide <hierarchy>`.

    Parameters
    ----------
    depth : int, default=3
        Number of levels below the root.
    branching : int, default=2
        Children of every internal node (2 binary, 3 ternary, ...).
    block_size : int, default=200
        Nodes in each bottom block.
    a : array-like of shape (depth + 1,), default=(40, 50, 60, 100)
        Scaled connection rates ``a_0, ..., a_depth`` (assortative models
        have them increasing). Ignored when ``probabilities`` is given.
    probabilities : array-like of shape (depth + 1,), default=None
        The probabilities ``p_0, ..., p_depth`` themselves, in [0, 1].
    random_state : int, RandomState instance or None, default=None
        Seeds the edges.

    Returns
    -------
    adjacency : scipy.sparse.csr_matrix of shape (N, N)
        Symmetric 0/1 adjacency (float64), zero diagonal.
    labels : ndarray of shape (depth, N)
        ``labels[l]`` is each node's community at level ``l + 1``: level 1
        has ``branching`` communities, level ``depth`` the
        ``branching ** depth`` bottom blocks. Nodes are ordered by block.

    References
    ----------
    .. [1] M. Dreveton, D. Kuroda, M. Grossglauser, P. Thiran. "When does
       bottom-up beat top-down in hierarchical community detection?"
       arXiv:2306.00833.

    Examples
    --------
    >>> from skot.datasets import make_hierarchical_sbm
    >>> A, labels = make_hierarchical_sbm(depth=2, block_size=10, a=(1, 2, 8),
    ...                                   random_state=0)
    >>> A.shape, labels.shape
    ((40, 40), (2, 40))
    >>> labels[0][::10], labels[1][::10]
    (array([0, 0, 1, 1]), array([0, 1, 2, 3]))
    """
    n_blocks = branching**depth
    N = block_size * n_blocks
    if probabilities is not None:
        p = np.asarray(probabilities, dtype=float)
        name = "probabilities"
    else:
        if a is None:
            raise ValueError("Give the rates a or the probabilities.")
        p = np.asarray(a, dtype=float) * (math.log(N) / N if N > 1 else 1.0)
        name = "a"
    if p.shape != (depth + 1,):
        raise ValueError(f"{name} must have depth + 1 = {depth + 1} entries, got shape {p.shape}.")
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError(
            f"The connection probabilities must lie in [0, 1], got {p.tolist()} from "
            f"{name}={np.asarray(a if probabilities is None else probabilities).tolist()} "
            f"(p_l = a_l log(N) / N with N = {N})."
        )
    rng = check_random_state(random_state)
    blocks = np.arange(n_blocks)
    # digits of each block index in base `branching`, most significant first
    digits = np.stack(
        [(blocks // branching ** (depth - 1 - lev)) % branching for lev in range(depth)]
    )
    labels = np.stack([blocks // branching ** (depth - 1 - lev) for lev in range(depth)])
    rows, cols = [], []
    iu = np.triu_indices(block_size, 1)
    for s in range(n_blocks):
        for t in range(s, n_blocks):
            shared = 0
            while shared < depth and digits[shared, s] == digits[shared, t]:
                shared += 1
            ps = p[shared]
            if ps == 0:
                continue
            if s == t:
                keep = rng.random_sample(iu[0].shape[0]) < ps
                r, c = iu[0][keep], iu[1][keep]
            else:
                keep = rng.random_sample((block_size, block_size)) < ps
                r, c = np.nonzero(keep)
            rows.append(r + s * block_size)
            cols.append(c + t * block_size)
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    A = sparse.coo_matrix((np.ones(r.shape[0]), (r, c)), shape=(N, N))
    A = (A + A.T).tocsr()
    A.sort_indices()
    node_labels = np.repeat(labels, block_size, axis=1).astype(np.int64)
    return A, node_labels
