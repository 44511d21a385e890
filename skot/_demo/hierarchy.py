"""Demo: hierarchical clustering of the digits; a dendrogram of the tree."""

import numpy as np

from . import DemoRow, pyplot, timed

TITLE = "hierarchy"
ORDER = 20


def run(ctx):
    from scipy.cluster.hierarchy import dendrogram
    from sklearn.metrics import adjusted_rand_score
    from sklearn.neighbors import kneighbors_graph

    from skot.cluster import BottomUpClustering

    rows = []
    fitted = {}
    for method in ("ward", "average", "single"):
        est = BottomUpClustering(n_clusters=10, linkage=method)
        _, seconds = timed(est.fit, ctx.X)
        fitted[method] = est
        ari = adjusted_rand_score(ctx.y, est.labels_)
        sizes = np.sort(np.bincount(est.labels_))[::-1]
        rows.append(
            DemoRow(
                estimator=f"BottomUpClustering(linkage={method!r})",
                found=f"tree of {est.n_leaves_} leaves, largest clusters {sizes[:3].tolist()}",
                quality=f"ARI vs digit labels {ari:.3f}",
                seconds=seconds,
            )
        )
    # the digits as a graph: symmetrised 10-nearest-neighbour graph
    G = kneighbors_graph(ctx.X, 10, include_self=False)
    G = G.maximum(G.T)
    est = BottomUpClustering(
        n_clusters=10, metric="adjacency", n_initial_clusters="auto", random_state=ctx.random_state
    )
    _, seconds = timed(est.fit, G)
    ari = adjusted_rand_score(ctx.y, est.labels_)
    rows.append(
        DemoRow(
            estimator="BottomUpClustering(metric='adjacency', n_initial_clusters='auto')",
            found=f"{est.n_initial_clusters_} Bethe-Hessian communities on the 10-NN graph",
            quality=f"ARI vs digit labels {ari:.3f}",
            seconds=seconds,
        )
    )
    plt = pyplot()
    if plt is not None:
        est = fitted["ward"]
        fig, ax = plt.subplots(figsize=(9, 3.5))
        dendrogram(
            est.linkage_matrix_,
            ax=ax,
            truncate_mode="lastp",
            p=30,
            color_threshold=est.linkage_matrix_[-10, 2],
        )
        ax.set_ylabel("Ward height")
        ax.set_title("Ward tree of the digits (top 30 clusters; colours: the 10-cluster cut)")
        ctx.save_figure(fig, "hierarchy_digits_dendrogram")
        plt.close(fig)
    return rows
