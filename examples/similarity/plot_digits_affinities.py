"""
Which affinity for spectral clustering of the digits?
=====================================================

Spectral clustering needs an affinity between samples. On scikit-learn's
handwritten digits (8x8 images, 10 classes) we compare, with the same
spectral clustering step (``affinity="precomputed"``):

- the plain Gaussian kernel at the median bandwidth;
- :class:`~skot.similarity.SinkhornAffinity`: the same kernel scaled to be
  doubly stochastic (Zass & Shashua; Landa et al., ``zero_diagonal=True``);
- :class:`~skot.similarity.EntropicAffinity`: t-SNE's affinity, one bandwidth
  per point set by the perplexity, symmetrised by the mean;
- the same with ``symmetrize="sea"``: SNEkhorn's symmetric entropic
  affinity, doubly stochastic with every row keeping its perplexity.

The adaptive bandwidths matter here: the digits have dense and sparse
regions, and a single bandwidth either cuts the sparse classes apart or
merges the dense ones. On this run the two perplexity-calibrated affinities
reach an adjusted Rand index of about 0.6 against 0.36 for the plain kernel;
the doubly stochastic scaling of a single-bandwidth kernel does not help on
these data (0.25): its strength is heteroskedastic noise, shown in the
other example of this section.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import SpectralClustering
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.preprocessing import StandardScaler

from skot.similarity import EntropicAffinity, SinkhornAffinity

X, y = load_digits(return_X_y=True)
rng = np.random.RandomState(0)
keep = rng.choice(X.shape[0], 900, replace=False)
X, y = StandardScaler().fit_transform(X[keep]), y[keep]

d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
sigma = np.median(np.sqrt(d2[np.triu_indices_from(d2, 1)]))
affinities = {
    "Gaussian (median bandwidth)": rbf_kernel(X, gamma=1 / (2 * sigma**2)),
    "SinkhornAffinity(zero_diagonal)": SinkhornAffinity(zero_diagonal=True).fit_transform(X),
    "EntropicAffinity (t-SNE, mean)": EntropicAffinity(30.0).fit_transform(X),
    "EntropicAffinity (SNEkhorn, sea)": EntropicAffinity(30.0, symmetrize="sea").fit_transform(X),
}

scores = {}
for name, A in affinities.items():
    labels = SpectralClustering(10, affinity="precomputed", random_state=0).fit_predict(A)
    scores[name] = adjusted_rand_score(y, labels)
    print(f"{name:36s} ARI = {scores[name]:.3f}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.barh(list(scores), list(scores.values()), color="tab:blue")
ax.set_xlabel("adjusted Rand index (spectral clustering, 10 clusters)")
ax.set_xlim(0, 1)
ax.invert_yaxis()
fig.tight_layout()
plt.show()
