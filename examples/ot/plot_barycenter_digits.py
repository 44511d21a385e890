"""
=====================================
Wasserstein barycenters of digits
=====================================

The Euclidean mean of many handwritten digits is a grey blur: strokes drawn
at slightly different places average out. A Wasserstein barycenter averages
*where* the ink is instead of *how much* ink each pixel holds, so the
barycenter of all the 3s still looks like a 3. Each image of scikit-learn's
digits (8 x 8 pixels) is a histogram on the pixel grid, the cost is the
squared distance between pixels, and :func:`~skot.ot.barycenter` computes
the entropic barycenter by iterative Bregman projections (scaling domain,
matrix products; ``method="sinkhorn_log"`` is the stable choice for smaller
``reg``). The debiased barycenter removes the blur the entropy adds.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skot.ot._barycenter import barycenter

digits = load_digits()
grid = np.stack(np.meshgrid(np.arange(8), np.arange(8), indexing="ij"), -1).reshape(-1, 2) / 7
M = ((grid[:, None, :] - grid[None, :, :]) ** 2).sum(-1)  # squared distances on [0, 1]^2

classes = [0, 2, 3, 5, 7]
rows = {"Euclidean mean": [], "entropic barycenter": [], "debiased barycenter": []}
for c in classes:
    A = digits.data[digits.target == c][:40].T + 1e-3  # one histogram per column
    A /= A.sum(0)
    rows["Euclidean mean"].append(A.mean(1))
    res = barycenter(A, M, reg=1e-2, method="sinkhorn", tol=1e-6)
    rows["entropic barycenter"].append(res.barycenter)
    res = barycenter(A, M, reg=1e-2, method="debiased", tol=1e-5, max_iter=2000)
    rows["debiased barycenter"].append(res.barycenter)
    print(f"digit {c}: {A.shape[1]} images, debiased cost {res.cost:.4f} ({res.n_iter} iterations)")

fig, axes = plt.subplots(3, len(classes), figsize=(1.8 * len(classes), 5.8))
for r, (name, images) in enumerate(rows.items()):
    for k, img in enumerate(images):
        ax = axes[r, k]
        ax.imshow(img.reshape(8, 8), cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        if k == 0:
            ax.set_ylabel(name, fontsize=8)
fig.suptitle("Averages of handwritten digits")
plt.tight_layout()
plt.show()
