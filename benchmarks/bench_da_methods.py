"""Benchmark: skot.da's shallow catalogue against skada's same methods.

For each dataset (skada's ``make_shifted_datasets`` with covariate,
conditional, target and subspace shift, ``noise=0.3``) and method, prints the
target accuracy of skot, of skada's same method and of the no-adaptation
baseline (the same final estimator trained on the source rows), and the
fit + predict times measured side by side (interleaved, best of
``--repeat``, after one untimed warm-up run of each tool); ratio = skot /
skada time (below 1: skot is faster).

Methods: CORAL, SubspaceAlignment, TCA, KMM, KLIEP, discriminator and
nearest-neighbour reweighting (final estimator SVC with the weights),
JDOT (LogisticRegression), JCPOT.

Usage::

    python benchmarks/bench_da_methods.py --quick     # tiny sizes (smoke test)
    python benchmarks/bench_da_methods.py             # k = 50 (400 + 400 rows)
    python benchmarks/bench_da_methods.py --k 125     # 1000 + 1000 rows
"""

import argparse
import time
import warnings

import numpy as np
import sklearn

DATASETS = ["covariate_shift", "conditional_shift", "target_shift", "subspace"]
METHODS = ["coral", "sa", "tca", "kmm", "kliep", "discriminator", "nn", "jdot", "jcpot"]


def make_data(name, k):
    from skada.datasets import make_shifted_datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_shifted_datasets(k, k, shift=name, noise=0.3, random_state=0)


def _skot(method):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    from skot.da._jdot import JDOTClassifier
    from skot.da._label_shift import JCPOTLabelPropagation
    from skot.da._reweight import (
        DiscriminatorReweight,
        KLIEPReweight,
        KMMReweight,
        NearestNeighborReweight,
    )
    from skot.da._subspace import CORAL, SubspaceAlignment, TransferComponentAnalysis

    transformers = {
        "coral": CORAL,
        "sa": lambda: SubspaceAlignment(n_components=2),
        "tca": lambda: TransferComponentAnalysis(n_components=2),
    }
    weighters = {
        "kmm": lambda: KMMReweight(gamma=1.0),
        "kliep": lambda: KLIEPReweight(gamma=1.0, random_state=0),
        "discriminator": DiscriminatorReweight,
        "nn": NearestNeighborReweight,
    }

    def run(X, ym, sd, Xt):
        if method in transformers:
            tr = transformers[method]()
            Z = tr.fit_transform(X, ym, sample_domain=sd)
            clf = SVC().fit(Z[sd >= 0], ym[sd >= 0])
            return clf.predict(tr.transform(Xt))
        if method in weighters:
            w = weighters[method]().fit_weights(X, ym, sample_domain=sd)
            clf = SVC().fit(X[sd >= 0], ym[sd >= 0], sample_weight=w[sd >= 0])
            return clf.predict(Xt)
        if method == "jdot":
            est = JDOTClassifier(LogisticRegression(), max_iter=10)
            return est.fit(X, ym, sample_domain=sd).predict(Xt)
        return (
            JCPOTLabelPropagation(reg=1.0, max_iter=1000).fit(X, ym, sample_domain=sd).predict(Xt)
        )

    return run


def _skada(method):
    import skada
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    make = {
        "coral": lambda: skada.CORAL(SVC()),
        "sa": lambda: skada.SubspaceAlignment(SVC(), n_components=2),
        "tca": lambda: skada.TransferComponentAnalysis(SVC(), n_components=2),
        "kmm": lambda: skada.KMMReweight(SVC().set_fit_request(sample_weight=True), gamma=1.0),
        "kliep": lambda: skada.KLIEPReweight(
            SVC().set_fit_request(sample_weight=True), gamma=1.0, random_state=0
        ),
        "discriminator": lambda: skada.DiscriminatorReweight(
            SVC().set_fit_request(sample_weight=True)
        ),
        "nn": lambda: skada.NearestNeighborReweight(SVC().set_fit_request(sample_weight=True)),
        "jdot": lambda: skada.JDOTClassifier(LogisticRegression(), n_iter_max=10),
        "jcpot": lambda: skada.JCPOTLabelProp(reg=1.0),
    }[method]

    def run(X, ym, sd, Xt):
        est = make()
        est.fit(X, ym, sample_domain=sd)
        return est.predict(Xt, sample_domain=np.full(Xt.shape[0], -2))

    return run


def baseline(X, y, sd, Xt):
    from sklearn.svm import SVC

    return SVC().fit(X[sd >= 0], y[sd >= 0]).predict(Xt)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=50, help="rows per cluster (8 k per domain)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    parser.add_argument("--methods", nargs="*", default=METHODS)
    args = parser.parse_args()
    k, repeat = (8, 1) if args.quick else (args.k, args.repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import skada  # noqa: F401  (switches metadata routing on)
    sklearn.set_config(enable_metadata_routing=True)
    print(
        f"{'dataset':18s} {'method':14s} {'base':>6s} {'skot':>6s} {'skada':>6s} "
        f"{'t_skot':>8s} {'t_skada':>8s} {'ratio':>6s}"
    )
    for name in args.datasets:
        X, y, sd = make_data(name, k)
        ym = np.where(sd < 0, -1, y)
        Xt, yt = X[sd < 0], y[sd < 0]
        acc_base = np.mean(baseline(X, y, sd, Xt) == yt)
        for method in args.methods:
            tools = {"skot": _skot(method), "skada": _skada(method)}
            best = dict.fromkeys(tools, np.inf)
            acc = {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for fn in tools.values():  # warm-up (compilation), untimed
                    fn(X, ym, sd, Xt)
                for _ in range(repeat):
                    for tool, fn in tools.items():  # interleaved
                        t, pred = timed(fn, X, ym, sd, Xt)
                        best[tool] = min(best[tool], t)
                        acc[tool] = np.mean(pred == yt)
            print(
                f"{name:18s} {method:14s} {acc_base:6.3f} {acc['skot']:6.3f} "
                f"{acc['skada']:6.3f} {best['skot']:8.4f} {best['skada']:8.4f} "
                f"{best['skot'] / best['skada']:6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
