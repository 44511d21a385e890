"""make_hierarchical_sbm: structure, probabilities, errors."""

import math

import numpy as np
import pytest

from skot.datasets import make_hierarchical_sbm


@pytest.mark.parametrize("depth, branching", [(1, 2), (2, 3), (3, 2)])
def test_structure(depth, branching):
    A, labels = make_hierarchical_sbm(depth, branching, 12, np.arange(1, depth + 2), random_state=0)
    N = 12 * branching**depth
    assert A.shape == (N, N) and labels.shape == (depth, N)
    assert abs(A - A.T).max() == 0 and A.diagonal().max() == 0
    assert set(np.unique(A.data)) <= {1.0}
    for level in range(depth):
        assert len(np.unique(labels[level])) == branching ** (level + 1)
        if level:
            # nested: each community sits inside one parent community
            parent = labels[level] // branching
            np.testing.assert_array_equal(parent, labels[level - 1])


def test_edge_probabilities_per_level():
    A, labels = make_hierarchical_sbm(2, 2, 150, (5, 15, 40), random_state=1)
    N = A.shape[0]
    p = np.array([5, 15, 40]) * math.log(N) / N
    D = A.toarray()
    # depth of the lowest common ancestor of each pair
    lca = (labels[0][:, None] == labels[0][None, :]).astype(int) + (
        labels[1][:, None] == labels[1][None, :]
    )
    off = ~np.eye(N, dtype=bool)
    for level in range(3):
        mask = (lca == level) & off
        est = D[mask].mean()
        se = math.sqrt(p[level] * (1 - p[level]) / mask.sum() * 2)
        assert abs(est - p[level]) < 5 * se


def test_probabilities_and_seed():
    A1, _ = make_hierarchical_sbm(2, 2, 20, probabilities=(0, 0, 1), random_state=0)
    # only the bottom blocks, fully connected
    assert A1.nnz == 4 * 20 * 19
    A2, _ = make_hierarchical_sbm(2, 2, 20, random_state=3, a=(1, 2, 3))
    A3, _ = make_hierarchical_sbm(2, 2, 20, random_state=3, a=(1, 2, 3))
    assert (A2 != A3).nnz == 0


def test_errors():
    with pytest.raises(ValueError, match="depth \\+ 1 = 3 entries"):
        make_hierarchical_sbm(2, 2, 10, a=(1, 2))
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\]"):
        make_hierarchical_sbm(2, 2, 10, a=(1, 2, 100))
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\]"):
        make_hierarchical_sbm(1, 2, 10, probabilities=(-0.1, 0.5))
    with pytest.raises(ValueError, match="Give the rates"):
        make_hierarchical_sbm(1, 2, 10, a=None)
    with pytest.raises(ValueError, match="branching"):
        make_hierarchical_sbm(1, 1, 10)
