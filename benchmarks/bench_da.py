"""Benchmark: skot.da against skada and POT's ot.da, side by side.

Data (as in the issue): skada's ``make_shifted_datasets`` (covariate,
conditional and target shift, ``noise=0.3``, ``random_state=0``; ``k`` rows per
cluster, 8 clusters per domain, so ``k = 125`` gives 1000 + 1000 rows) and two
moons whose target is rotated by 30 and 50 degrees (``make_moons``,
``noise=0.1``, source seed 0, target seed 1, rotation about the centre).

For each dataset and method: fit + predict time on the target rows and the
target accuracy, for skot's ``DomainAdaptationClassifier(SVC(), transport)``,
skada's pipeline with the same settings (``OTMapping``,
``EntropicOTMapping``, ...) and POT's ``ot.da`` transport + ``SVC`` by hand;
the ratio is skot / peer time (below 1: skot is faster). Settings are
skada's defaults (``LinearOTMapping`` regularises the covariances with
``reg=1``, so every tool gets ``reg=1`` there). The transport-only
time (fit + transform of the source rows) is printed too, since the SVC's
own time is the same for everybody.

Every tool runs once on a small input first (numba compilation is not timed).
Usage::

    python benchmarks/bench_da.py                # 1000 + 1000 rows
    python benchmarks/bench_da.py --full         # also 4000 + 4000 rows
    python benchmarks/bench_da.py --k 250 --datasets moons30
    python benchmarks/bench_da.py --repeat 5     # best of 5 runs per tool
    python benchmarks/bench_da.py --quick        # tiny sizes, checks that it runs

Also: the subspace shift of skada's generator, scikit-learn's digits with the
target images rotated by 20 degrees (``digits20``; 8 k + 8 k images, at most
898 + 898), the no-adaptation baseline (``none``: SVC on the source rows) and
the default transport of skot's classifier (``median``:
``SinkhornTransport(reg=0.1, norm="median")``, skada's ``EntropicOTMapping``
with the same settings).
"""

import argparse
import time
import warnings

import numpy as np
import sklearn

DATASETS = [
    "covariate_shift",
    "conditional_shift",
    "target_shift",
    "subspace",
    "moons30",
    "moons50",
    "digits20",
]
# "none": SVC on the source rows only (the no-adaptation baseline, the same for
# every tool); "median": the default transport of DomainAdaptationClassifier,
# SinkhornTransport(reg=0.1, norm="median") (skada: EntropicOTMapping with the
# same reg_e and norm)
METHODS = ["none", "emd", "sinkhorn", "median", "linear", "lpl1", "labelprop"]


def make_data(name, k):
    """``(X, y, sample_domain)`` with true target labels, ``8 k + 8 k`` rows."""
    if name.startswith("digits"):
        from scipy.ndimage import rotate
        from sklearn.datasets import load_digits

        d = load_digits()
        n = min(8 * k, d.target.shape[0] // 2)
        idx = np.random.RandomState(0).permutation(d.target.shape[0])
        src, tgt = idx[:n], idx[n : 2 * n]
        angle = float(name[6:])
        Xs = d.images[src].reshape(n, -1)
        Xt = np.array([rotate(im, angle, reshape=False, order=1) for im in d.images[tgt]])
        X = np.vstack([Xs, Xt.reshape(n, -1)])
        y = np.concatenate([d.target[src], d.target[tgt]])
        sd = np.concatenate([np.ones(n, int), -2 * np.ones(n, int)])
        return X, y, sd
    if name.startswith("moons"):
        from sklearn.datasets import make_moons

        n = 8 * k
        Xs, ys = make_moons(n, noise=0.1, random_state=0)
        Xt, yt = make_moons(n, noise=0.1, random_state=1)
        theta = np.deg2rad(float(name[5:]))
        R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        centre = np.array([0.5, 0.25])
        Xt = (Xt - centre) @ R.T + centre
        X = np.vstack([Xs, Xt])
        y = np.concatenate([ys, yt])
        sd = np.concatenate([np.ones(n, int), -2 * np.ones(n, int)])
        return X, y, sd
    from skada.datasets import make_shifted_datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_shifted_datasets(
            n_samples_source=k, n_samples_target=k, shift=name, noise=0.3, random_state=0
        )


def skot_model(method):
    from sklearn.svm import SVC

    from skot.da import (
        ClassRegularizedTransport,
        DomainAdaptationClassifier,
        EMDTransport,
        LinearTransport,
        OTLabelPropagation,
        SinkhornTransport,
    )

    if method == "none":
        return None
    if method == "emd":
        return DomainAdaptationClassifier(SVC(), EMDTransport())
    if method == "sinkhorn":
        return DomainAdaptationClassifier(SVC(), SinkhornTransport(1.0))
    if method == "median":
        return DomainAdaptationClassifier(SVC())
    if method == "linear":
        return DomainAdaptationClassifier(SVC(), LinearTransport(reg=1.0))
    if method == "lpl1":
        return DomainAdaptationClassifier(SVC(), ClassRegularizedTransport(1.0, 0.1))
    return OTLabelPropagation(SVC(), transport=EMDTransport())


def skada_model(method):
    from skada import (
        ClassRegularizerOTMapping,
        EntropicOTMapping,
        LinearOTMapping,
        OTLabelProp,
        OTMapping,
    )
    from sklearn.svm import SVC

    if method == "none":
        return None
    if method == "emd":
        return OTMapping(SVC())
    if method == "sinkhorn":
        return EntropicOTMapping(SVC(), reg_e=1.0)
    if method == "median":
        return EntropicOTMapping(SVC(), reg_e=0.1, norm="median")
    if method == "linear":
        return LinearOTMapping(SVC(), reg=1.0)
    if method == "lpl1":
        return ClassRegularizerOTMapping(SVC(), reg_e=1.0, reg_cl=0.1)
    return OTLabelProp(SVC(), reg=None, n_iter_max=100000)


def pot_transport(method):
    import ot

    if method == "emd":
        return ot.da.EMDTransport()
    if method == "sinkhorn":
        return ot.da.SinkhornTransport(reg_e=1.0)
    if method == "median":
        return ot.da.SinkhornTransport(reg_e=0.1, norm="median")
    if method == "linear":
        return ot.da.LinearTransport(reg=1.0)
    if method == "lpl1":
        return ot.da.SinkhornLpl1Transport(reg_e=1.0, reg_cl=0.1)
    return None


def run_baseline(X, y, sd):
    from sklearn.svm import SVC

    t0 = time.perf_counter()
    clf = SVC().fit(X[sd >= 0], y[sd >= 0])
    acc = float(np.mean(clf.predict(X[sd < 0]) == y[sd < 0]))
    return time.perf_counter() - t0, None, acc


def run_skot(method, X, y, sd):
    if method == "none":
        return run_baseline(X, y, sd)
    y_masked = np.where(sd < 0, -1, y)
    Xt, yt = X[sd < 0], y[sd < 0]
    model = skot_model(method)
    t0 = time.perf_counter()
    model.fit(X, y_masked, sample_domain=sd)
    acc = float(np.mean(model.predict(Xt) == yt))
    total = time.perf_counter() - t0
    transport = model.transport_
    t0 = time.perf_counter()
    transport.__class__(**transport.get_params()).fit_transform(X, y_masked, sample_domain=sd)
    return total, time.perf_counter() - t0, acc


def run_skada(method, X, y, sd):
    if method == "none":
        return run_baseline(X, y, sd)
    Xt, yt = X[sd < 0], y[sd < 0]
    model = skada_model(method)
    with sklearn.config_context(enable_metadata_routing=True):
        t0 = time.perf_counter()
        model.fit(X, y.copy(), sample_domain=sd)
        acc = float(np.mean(model.predict(Xt) == yt))
        total = time.perf_counter() - t0
    return total, None, acc


def run_pot(method, X, y, sd):
    from sklearn.svm import SVC

    transport = None if method == "none" else pot_transport(method)
    if transport is None:
        return None, None, None
    Xs, ys, Xt, yt = X[sd >= 0], y[sd >= 0], X[sd < 0], y[sd < 0]
    t0 = time.perf_counter()
    transport.fit(Xs=Xs, ys=ys, Xt=Xt)
    mapped = transport.transform(Xs=Xs)
    t_transport = time.perf_counter() - t0
    clf = SVC().fit(mapped, ys)
    acc = float(np.mean(clf.predict(Xt) == yt))
    return time.perf_counter() - t0, t_transport, acc


def bench_out_of_sample(X, y, sd, n_new=4000):
    """Time ``transform`` of new source rows after fit: skot vs POT (same coupling)."""
    import ot

    from skot.da import EMDTransport, SinkhornTransport

    rng = np.random.RandomState(0)
    Xs, ys, Xt = X[sd >= 0], y[sd >= 0], X[sd < 0]
    Xnew = Xs[rng.randint(0, Xs.shape[0], n_new)] + 0.05 * rng.randn(n_new, X.shape[1])
    y_masked = np.where(sd < 0, -1, y)
    out = []
    for name, ours, theirs in [
        ("emd (nearest row)", EMDTransport(), ot.da.EMDTransport()),
        ("sinkhorn (entropic map)", SinkhornTransport(1.0), ot.da.SinkhornTransport(reg_e=1.0)),
    ]:
        ours.fit(X, y_masked, sample_domain=sd)
        theirs.fit(Xs=Xs, ys=ys, Xt=Xt)
        ours.transform(Xnew[:10], sample_domain=1)  # compile the kernels first
        theirs.transform(Xs=Xnew[:10])
        t0 = time.perf_counter()
        a = ours.transform(Xnew, sample_domain=1)
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        b = theirs.transform(Xs=Xnew)
        t_theirs = time.perf_counter() - t0
        out.append((name, t_ours, t_theirs, float(np.abs(a - b).max())))
    return out


def _best(run, repeat, *args):
    """The fastest of ``repeat`` runs (total and transport times), runs interleaved."""
    runs = [run(*args) for _ in range(max(1, repeat))]
    if runs[0][0] is None:
        return runs[0]
    total = min(r[0] for r in runs)
    ot_times = [r[1] for r in runs if r[1] is not None]
    return total, (min(ot_times) if ot_times else None), runs[-1][2]


def _fmt(t):
    return "      -" if t is None else f"{t:7.3f}"


def _ratio(a, b):
    return "     -" if a is None or b is None else f"{a / b:6.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also 500 rows per cluster")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument("--k", type=int, nargs="*", default=None, help="rows per cluster")
    parser.add_argument("--datasets", nargs="*", default=DATASETS, choices=DATASETS)
    parser.add_argument("--methods", nargs="*", default=METHODS, choices=METHODS)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per tool; the fastest is reported"
    )
    args = parser.parse_args(argv)
    sizes = args.k or ([125, 500] if args.full else [125])
    if args.quick:
        sizes, args.repeat = [6], 1

    old = sklearn.get_config()["enable_metadata_routing"]
    import skada  # noqa: F401  (turns metadata routing on for the process)

    sklearn.set_config(enable_metadata_routing=old)
    warnings.simplefilter("ignore")

    # compile numba kernels and warm every library once
    Xw, yw, sdw = make_data("conditional_shift", 5)
    for method in args.methods:
        run_skot(method, Xw, yw, sdw)
        run_skada(method, Xw, yw, sdw)
        run_pot(method, Xw, yw, sdw)

    header = (
        f"{'data':18s} {'rows':>11s} {'method':9s} | {'skot s':>7s} {'skada s':>7s} "
        f"{'POT s':>7s} | {'/skada':>6s} {'/POT':>6s} | {'skot OT':>7s} {'POT OT':>7s} "
        f"{'ratio':>6s} | {'acc skot':>8s} {'skada':>6s} {'POT':>6s}"
    )
    print(header)
    print("-" * len(header))
    for k in sizes:
        for name in args.datasets:
            X, y, sd = make_data(name, k)
            rows = f"{int((sd >= 0).sum())}+{int((sd < 0).sum())}"
            for method in args.methods:
                t_sk, t_sk_ot, a_sk = _best(run_skot, args.repeat, method, X, y, sd)
                t_sa, _, a_sa = _best(run_skada, args.repeat, method, X, y, sd)
                t_po, t_po_ot, a_po = _best(run_pot, args.repeat, method, X, y, sd)
                print(
                    f"{name:18s} {rows:>11s} {method:9s} | {_fmt(t_sk)} {_fmt(t_sa)} "
                    f"{_fmt(t_po)} | {_ratio(t_sk, t_sa)} {_ratio(t_sk, t_po)} | "
                    f"{_fmt(t_sk_ot)} {_fmt(t_po_ot)} {_ratio(t_sk_ot, t_po_ot)} | "
                    f"{a_sk:8.3f} {a_sa:6.3f} "
                    f"{'     -' if a_po is None else f'{a_po:6.3f}'}",
                    flush=True,
                )
        X, y, sd = make_data(args.datasets[0], k)
        n_fit = int((sd >= 0).sum())
        for name, t_ours, t_theirs, diff in bench_out_of_sample(X, y, sd):
            print(
                f"out-of-sample transform of 4000 new rows ({args.datasets[0]}, {n_fit} fitted "
                f"source rows), {name}: skot {t_ours:.3f} s, POT {t_theirs:.3f} s, ratio "
                f"{t_ours / t_theirs:.3f}, max |skot - POT| {diff:.1e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
