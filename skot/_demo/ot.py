"""Demo: optimal transport between two halves of the digits (exact and entropic)."""

import numpy as np

from . import DemoRow, pyplot, timed

TITLE = "optimal transport"
ORDER = 30


def run(ctx):
    from skot.ot import cost_matrix, emd, sinkhorn

    X, y = ctx.X, ctx.y
    half = X.shape[0] // 2
    n = min(half, 200 if ctx.quick else 600)
    src, tgt = X[:n], X[half : half + n]
    M = cost_matrix(src, tgt, norm="max")
    rows = []
    exact, seconds = timed(emd, None, None, M)
    same = float(exact.plan[y[:n][:, None] == y[half : half + n][None, :]].sum())
    rows.append(
        DemoRow(
            estimator="emd",
            found=f"{n}x{n} plan, {np.count_nonzero(exact.plan)} nonzeros, cost {exact.cost:.4f}",
            quality=f"mass moved to the same digit {same:.1%}",
            seconds=seconds,
        )
    )
    results = {}
    for method in ("log", "scaling", "sns"):
        res, seconds = timed(
            sinkhorn, None, None, M, 1e-2, method=method, tol=1e-9, max_iter=100_000
        )
        results[method] = res
        same = float(res.plan[y[:n][:, None] == y[half : half + n][None, :]].sum())
        rows.append(
            DemoRow(
                estimator=f"sinkhorn(method={method!r}, reg=1e-2)",
                found=f"{res.n_iter} iterations, cost {res.cost:.4f}",
                quality=f"marginal error {res.marginal_error:.1e}; same digit {same:.1%}",
                seconds=seconds,
            )
        )
    plt = pyplot()
    if plt is not None:
        order_s = np.argsort(y[:n], kind="stable")
        order_t = np.argsort(y[half : half + n], kind="stable")
        fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
        for ax, (title, P) in zip(
            axes,
            [
                ("exact plan (emd)", exact.plan),
                ("entropic plan (reg=1e-2)", results["scaling"].plan),
            ],
        ):
            ax.imshow(
                P[np.ix_(order_s, order_t)] * n,
                cmap="magma_r",
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
            ax.set_title(title)
            ax.set_xlabel("target digits (sorted by label)")
            ax.set_ylabel("source digits (sorted by label)")
        fig.suptitle("Transport between two halves of the digits: block diagonal = same label")
        ctx.save_figure(fig, "ot_digits_plans")
        plt.close(fig)
    return rows
