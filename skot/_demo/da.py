"""Demo: domain adaptation from the digits to digits seen by another "scanner"."""

import numpy as np

from . import DemoRow, pyplot, timed

TITLE = "domain adaptation"
ORDER = 40


def _shifted_domains(ctx):
    """Source: even rows; target: odd rows with 30% of the contrast, brighter."""
    src = np.arange(0, ctx.X.shape[0], 2)
    tgt = np.arange(1, ctx.X.shape[0], 2)
    Xs = ctx.X[src].astype(np.float64)
    Xt = 0.3 * ctx.X[tgt] + 10.0
    return Xs, ctx.y[src], Xt, ctx.y[tgt]


def run(ctx):
    from sklearn.neighbors import KNeighborsClassifier

    from skot.da import (
        DomainAdaptationClassifier,
        EMDTransport,
        LinearTransport,
        OTLabelPropagation,
        SinkhornTransport,
    )

    Xs, ys, Xt, yt = _shifted_domains(ctx)
    X = np.vstack([Xs, Xt])
    y = np.concatenate([ys, -np.ones(len(yt), dtype=int)])
    base = KNeighborsClassifier(1)
    rows = []
    source_only, seconds = timed(lambda: KNeighborsClassifier(1).fit(Xs, ys))
    acc0 = source_only.score(Xt, yt)
    rows.append(
        DemoRow(
            "KNeighborsClassifier(1), source only",
            "no adaptation",
            f"target accuracy {acc0:.3f}",
            seconds,
        )
    )
    models = {
        "EMDTransport": DomainAdaptationClassifier(base, EMDTransport()),
        "SinkhornTransport(reg=0.05, norm='max')": DomainAdaptationClassifier(
            base, SinkhornTransport(reg=0.05, norm="max")
        ),
        "LinearTransport(reg=1)": DomainAdaptationClassifier(base, LinearTransport(reg=1.0)),
    }
    fitted = {}
    for name, clf in models.items():
        _, seconds = timed(clf.fit, X, y)
        fitted[name] = clf
        rows.append(
            DemoRow(
                f"DomainAdaptationClassifier(1-NN, {name})",
                f"{len(ys)} source rows mapped onto {len(yt)} target rows",
                f"target accuracy {clf.score(Xt, yt):.3f} (source only {acc0:.3f})",
                seconds,
            )
        )
    lp = OTLabelPropagation(transport=EMDTransport())
    _, seconds = timed(lp.fit, X, y)
    rows.append(
        DemoRow(
            "OTLabelPropagation(transport=EMDTransport())",
            "labels propagated through the coupling",
            f"target accuracy {np.mean(lp.transduction_ == yt):.3f}",
            seconds,
        )
    )
    plt = pyplot()
    if plt is not None:
        transport = fitted["EMDTransport"].transport_
        mapped = transport.transform(Xs, sample_domain=1)
        fig, axes = plt.subplots(3, 8, figsize=(8, 3.4))
        for k in range(8):
            for r, (img, label) in enumerate(
                [(Xs[k], "source"), (mapped[k], "transported"), (Xt[k], "target")]
            ):
                ax = axes[r, k]
                ax.imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
                ax.axis("off")
                if k == 0:
                    ax.set_title(label, fontsize=8, loc="left")
        fig.suptitle("EMD transport of source digits into the low-contrast target domain")
        ctx.save_figure(fig, "da_digits_transport")
        plt.close(fig)
    return rows
