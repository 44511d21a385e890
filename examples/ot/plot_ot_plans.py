"""
=====================================================
Exact and entropic transport plans between two clouds
=====================================================

The exact plan of :func:`skot.ot.emd` is sparse (at most ``n + m - 1``
nonzeros); the entropic plans of :func:`skot.ot.sinkhorn` blur it, less and
less as ``reg`` decreases. At small ``reg``, Sinkhorn-Newton-Sparse reaches a
tight marginal error in far fewer iterations than Sinkhorn.
"""

import matplotlib.pyplot as plt
import numpy as np

from skot.ot import cost_matrix, emd, sinkhorn

rng = np.random.default_rng(0)
n, m = 60, 50
X = rng.normal(size=(n, 2)) * [1.0, 0.4]
Y = rng.normal(size=(m, 2)) * [0.4, 1.0] + [2.5, 0.0]
M = cost_matrix(X, Y, norm="max")

exact = emd(None, None, M)
print(f"emd: cost {exact.cost:.5f}, {np.count_nonzero(exact.plan)} nonzeros, {exact.n_iter} pivots")

fig, axes = plt.subplots(1, 3, figsize=(12, 4))
for ax, (title, P) in zip(
    axes,
    [
        ("exact (emd)", exact.plan),
        ("sinkhorn reg=0.05", sinkhorn(None, None, M, 0.05).plan),
        ("sinkhorn reg=0.005", sinkhorn(None, None, M, 0.005, method="scaling").plan),
    ],
):
    ax.scatter(*X.T, s=12, c="tab:blue")
    ax.scatter(*Y.T, s=12, c="tab:orange")
    i, j = np.nonzero(P > P.max() * 1e-2)
    for a_, b_ in zip(i, j):
        ax.plot(
            [X[a_, 0], Y[b_, 0]],
            [X[a_, 1], Y[b_, 1]],
            c="k",
            alpha=min(1.0, P[a_, b_] / P.max()),
            lw=0.8,
        )
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

for method in ("log", "scaling", "sns"):
    res = sinkhorn(None, None, M, 1e-3, method=method, tol=1e-9, max_iter=100_000)
    print(
        f"reg=1e-3, method={method!r}: {res.n_iter} iterations, marginal error "
        f"{res.marginal_error:.1e}, cost {res.cost:.5f}"
    )
plt.show()
