"""
Dendrogram of the iris flowers
==============================

:func:`skot.cluster.linkage` returns scipy's linkage matrix, so scipy's
:func:`~scipy.cluster.hierarchy.dendrogram` draws it directly. Ward linkage
on the four iris measurements (standardised) splits off *setosa* at the top
and separates the two other species only partly (they overlap in these
measurements). :class:`~skot.cluster.BottomUpClustering` gives the same tree
and its labels at any level, without refitting.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.cluster.hierarchy import dendrogram
from sklearn.datasets import load_iris
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from skot.cluster import BottomUpClustering, linkage

iris = load_iris()
X = StandardScaler().fit_transform(iris.data)

Z = linkage(X, method="ward")
est = BottomUpClustering(n_clusters=3, linkage="ward").fit(X)
assert np.array_equal(est.linkage_matrix_, Z)

for k in (2, 3, 4):
    ari = adjusted_rand_score(iris.target, est.labels_at(n_clusters=k))
    print(f"{k} clusters: ARI with the species {ari:.3f}")

fig, ax = plt.subplots(figsize=(9, 4))
cut = (Z[-3, 2] + Z[-2, 2]) / 2  # between the last two merges: 3 clusters
dendrogram(Z, ax=ax, color_threshold=cut, no_labels=True, above_threshold_color="grey")
ax.axhline(cut, color="k", ls="--", lw=0.8)
ax.set_ylabel("Ward height")
ax.set_title("Ward linkage of the iris flowers (cut at 3 clusters dashed)")
fig.tight_layout()
plt.show()
