"""Demo: KMedoids on the digits; the medoid digits as images."""

import numpy as np

from . import DemoRow, pyplot, timed

TITLE = "k-medoids"
ORDER = 10


def run(ctx):
    from sklearn.metrics import adjusted_rand_score

    from skot.cluster import KMedoids

    rows, fitted = [], {}
    for method in ("fasterpam", "alternate", "fastclara"):
        km = KMedoids(n_clusters=10, method=method, random_state=ctx.random_state)
        _, seconds = timed(km.fit, ctx.X)
        fitted[method] = km
        ari = adjusted_rand_score(ctx.y, km.labels_)
        rows.append(
            DemoRow(
                estimator=f"KMedoids(method={method!r})",
                found=f"10 medoids, loss {km.inertia_:.1f}",
                quality=f"ARI vs digit labels {ari:.3f}",
                seconds=seconds,
            )
        )
    # choosing k: DynMSC keeps the k with the best average medoid silhouette
    dyn = KMedoids(n_clusters=14, method="dynmsc", min_clusters=6, init="lab",
                   random_state=ctx.random_state)  # fmt: skip
    _, seconds = timed(dyn.fit, ctx.X)
    rows.append(
        DemoRow(
            estimator="KMedoids(method='dynmsc')",
            found=f"chose k={dyn.n_clusters_} of 6..14 (medoid silhouette "
            f"{dyn.medoid_silhouette_:.3f})",
            quality=f"ARI vs digit labels {adjusted_rand_score(ctx.y, dyn.labels_):.3f}",
            seconds=seconds,
        )
    )
    plt = pyplot()
    if plt is not None:
        km = fitted["fasterpam"]
        fig, axes = plt.subplots(1, 10, figsize=(10, 1.6))
        order = np.argsort([np.bincount(ctx.y[km.labels_ == c]).argmax() for c in range(10)])
        for ax, c in zip(axes, order):
            m = km.medoid_indices_[c]
            ax.imshow(ctx.images[m], cmap="gray_r")
            ax.set_title(f"n={np.sum(km.labels_ == c)}", fontsize=8)
            ax.axis("off")
        fig.suptitle("FasterPAM medoids of the digits (cluster sizes above)")
        ctx.save_figure(fig, "kmedoids_digits")
        plt.close(fig)
    return rows
