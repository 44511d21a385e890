"""Demo: doubly stochastic affinities of the digits, used for spectral clustering."""

import warnings

import numpy as np

from . import DemoRow, pyplot, timed

TITLE = "similarity"
ORDER = 40


def _spectral_ari(A, y, seed):
    from sklearn.cluster import SpectralClustering
    from sklearn.metrics import adjusted_rand_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # disconnected-graph notice
        sc = SpectralClustering(10, affinity="precomputed", random_state=seed)
        return adjusted_rand_score(y, sc.fit_predict(A))


def run(ctx):
    from sklearn.metrics.pairwise import rbf_kernel

    from skot.similarity import SinkhornAffinity

    rows, fitted = [], {}
    for label, params in (("dense", {}), ("kNN", {"n_neighbors": 15})):
        est = SinkhornAffinity(zero_diagonal=label == "dense", **params)
        P, seconds = timed(est.fit_transform, ctx.X)
        fitted[label] = (est, P)
        sums = np.asarray(P.sum(axis=1)).ravel()
        ari = _spectral_ari(P, ctx.y, ctx.random_state)
        shown = ", ".join(
            f"{k}={v!r}"
            for k, v in est.get_params().items()
            if k in ("n_neighbors", "zero_diagonal") and v
        )
        rows.append(
            DemoRow(
                estimator=f"SinkhornAffinity({shown})",
                found=f"{label} P, {est.n_matvec_} matvecs, max|row sum-1| "
                f"{np.abs(sums - 1).max():.0e}",
                quality=f"spectral ARI {ari:.3f}",
                seconds=seconds,
            )
        )
    est = fitted["dense"][0]
    K, seconds = timed(rbf_kernel, ctx.X, gamma=est.gamma_)
    rows.append(
        DemoRow(
            estimator="plain Gaussian kernel (same gamma)",
            found="dense K, rows not normalised",
            quality=f"spectral ARI {_spectral_ari(K, ctx.y, ctx.random_state):.3f}",
            seconds=seconds,
        )
    )
    plt = pyplot()
    if plt is not None:
        order = np.argsort(ctx.y, kind="stable")
        fig, axes = plt.subplots(1, 2, figsize=(8, 4))
        for ax, (name, A) in zip(
            axes, (("Gaussian kernel", K), ("Sinkhorn affinity", fitted["dense"][1]))
        ):
            B = np.array(A)[np.ix_(order, order)]
            np.fill_diagonal(B, np.nan)
            ax.imshow(B, cmap="viridis")
            ax.set_title(name)
            ax.axis("off")
        fig.suptitle("Digits sorted by label: affinity matrices")
        ctx.save_figure(fig, "similarity_digits")
        plt.close(fig)
    return rows
