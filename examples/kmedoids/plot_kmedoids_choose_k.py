"""
=================================================
Choosing k by the medoid silhouette (wine data)
=================================================

``KMedoids(method="dynmsc")`` optimises the average medoid silhouette (AMS)
for every number of clusters from ``n_clusters`` down to ``min_clusters`` and
keeps the best one. On the first two principal components of scikit-learn's
standardised wine data the AMS peaks at k = 3, the number of cultivars (on
all 13 standardised features it prefers k = 2: the score measures separation,
and the cultivars separate well only in a few directions). The classical
silhouette of each clustering, computed by
:func:`skot.metrics.silhouette_score` with O(n) extra memory, is plotted
beside it.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from skot.cluster import KMedoids
from skot.metrics import silhouette_score

X, y = load_wine(return_X_y=True)
X = PCA(2).fit_transform(StandardScaler().fit_transform(X))

dyn = KMedoids(8, method="dynmsc", min_clusters=2).fit(X)
print(f"DynMSC chose k = {dyn.n_clusters_} (AMS {dyn.medoid_silhouette_:.3f})")
print(f"ARI against the cultivars: {adjusted_rand_score(y, dyn.labels_):.3f}")

ks = sorted(dyn.medoid_silhouette_per_k_)
ams = [dyn.medoid_silhouette_per_k_[k] for k in ks]
# the classical silhouette of a medoid-silhouette clustering for every k
sil = [silhouette_score(X, KMedoids(k, method="fastermsc").fit(X).labels_) for k in ks]

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ks, ams, "o-", label="average medoid silhouette (DynMSC)")
ax.plot(ks, sil, "s--", label="silhouette (skot.metrics)")
ax.axvline(dyn.n_clusters_, color="gray", lw=1)
ax.set_xlabel("number of clusters k")
ax.set_ylabel("score")
ax.set_title(f"wine: the chosen k is {dyn.n_clusters_}")
ax.legend()
fig.tight_layout()
plt.show()
