"""
Recovering the levels of a hierarchical block model
===================================================

A graph from a hierarchical stochastic block model (binary tree of depth 3,
8 blocks of 200 nodes, :math:`p_\\ell = a_\\ell \\log N / N` with
:math:`a = (40, 50, 60, 100)`, the setting of Dreveton et al.) is clustered
bottom-up: the Bethe-Hessian finds the 8 bottom communities, then average
linkage on edge density merges them up to the root. Every level of the true
tree is recovered. Merging from single nodes (Paris with uniform weights)
makes early mistakes that propagate up.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.cluster.hierarchy import dendrogram
from scipy.optimize import linear_sum_assignment

from skot.cluster import BottomUpClustering
from skot.datasets import make_hierarchical_sbm

A, levels = make_hierarchical_sbm(
    depth=3, branching=2, block_size=200, a=(40, 50, 60, 100), random_state=0
)


def accuracy(true, pred):
    """Fraction of nodes correctly labelled after the best label matching."""
    C = np.zeros((pred.max() + 1, true.max() + 1))
    np.add.at(C, (pred, true), 1)
    r, c = linear_sum_assignment(-C)
    return C[r, c].sum() / true.shape[0]


bottom_up = BottomUpClustering(metric="adjacency", n_initial_clusters="auto", random_state=0).fit(A)
from_nodes = BottomUpClustering(metric="adjacency").fit(A)
print(f"Bethe-Hessian found {bottom_up.n_initial_clusters_} bottom communities")
for level, true in enumerate(levels, start=1):
    k = len(np.unique(true))
    print(
        f"level {level} ({k} communities): accuracy bottom-up "
        f"{accuracy(true, bottom_up.labels_at(n_clusters=k)):.3f}, from nodes "
        f"{accuracy(true, from_nodes.labels_at(n_clusters=k)):.3f}"
    )

fig, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1, 1.3]})
order = np.argsort(bottom_up.labels_at(n_clusters=8), kind="stable")
axes[0].spy(A[order][:, order], markersize=0.02, color="k")
axes[0].set_title("adjacency (nodes ordered by community)", fontsize=10)
axes[0].set_xticks([])
axes[0].set_yticks([])
sizes = np.bincount(bottom_up.initial_labels_)
dendrogram(
    bottom_up.linkage_matrix_,
    ax=axes[1],
    leaf_rotation=90,
    leaf_font_size=8,
    labels=[f"C{i}: {c} nodes" for i, c in enumerate(sizes)],
)
axes[1].set_ylim(0.6, None)
axes[1].set_ylabel("1 - edge density")
axes[1].set_title("tree over the bottom communities", fontsize=10)
fig.tight_layout()
plt.show()
