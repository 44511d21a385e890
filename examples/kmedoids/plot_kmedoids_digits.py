"""
==================================
Medoids of handwritten digits
==================================

k-medoids picks real samples as cluster representatives. On scikit-learn's
digits, the FasterPAM medoids are actual handwritten digits, and with a
precomputed Manhattan matrix the same estimator clusters with a metric that
k-means cannot use.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, pairwise_distances

from skot.cluster import KMedoids

digits = load_digits()
X, y = digits.data, digits.target

km = KMedoids(n_clusters=10, random_state=0).fit(X)
print(f"Euclidean FasterPAM: loss {km.inertia_:.0f}, ARI {adjusted_rand_score(y, km.labels_):.3f}")

D = pairwise_distances(X, metric="manhattan")
km_l1 = KMedoids(n_clusters=10, metric="precomputed").fit(D)
print(
    f"Manhattan FasterPAM: loss {km_l1.inertia_:.0f}, "
    f"ARI {adjusted_rand_score(y, km_l1.labels_):.3f}"
)

fig, axes = plt.subplots(2, 10, figsize=(10, 2.6))
for row, model, name in [(0, km, "euclidean"), (1, km_l1, "manhattan")]:
    for ax, m in zip(axes[row], model.medoid_indices_[np.argsort(y[model.medoid_indices_])]):
        ax.imshow(digits.images[m], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(name, fontsize=8)
fig.suptitle("Medoid digits found by FasterPAM")
plt.show()
