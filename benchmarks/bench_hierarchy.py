"""Benchmark: skot's linkage and BottomUpClustering against their peers.

Feature data: ``make_blobs(n, 10 features)``, every method, skot against
scipy, fastcluster (``linkage`` and ``linkage_vector``) and scikit-learn's
``AgglomerativeClustering``: time, peak memory (resident set growth during
the call) and the agreement with scipy (largest height difference, or the
adjusted Rand index of the 10-cluster cut for scikit-learn).

Graphs: hierarchical SBM graphs (binary tree, depth 3), skot's
``BottomUpClustering(metric="adjacency")`` from single nodes and from the
Bethe-Hessian communities against scikit-network's Paris: time and accuracy
at each level of the true hierarchy.

Every tool is run once on a small input first, so compilation (numba) is not
timed. Usage::

    python benchmarks/bench_hierarchy.py           # n = 2000; graphs of 1600 and 5000 nodes
    python benchmarks/bench_hierarchy.py --full    # n in {2000, 5000, 10000}; 1M-edge graph
    python benchmarks/bench_hierarchy.py --n 5000 --methods ward single --no-graphs
"""

import argparse
import ctypes
import gc
import time

import numpy as np

METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]
VECTOR_METHODS = ("single", "ward", "centroid", "median")
SKLEARN_METHODS = ("single", "complete", "average", "ward")


# ----------------------------------------------------------- measurement


def _status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None


def _trim():
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # pragma: no cover - not glibc
        pass


def measure(func, *args, **kwargs):
    """(result, seconds, peak resident growth in bytes or None, CPU seconds).

    The CPU time (this process, all threads) is steadier than the wall time
    on a loaded machine; for single-threaded tools the two agree when idle.
    """
    _trim()
    peak_ok = True
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
    except OSError:
        peak_ok = False
    base = _status("VmRSS") if peak_ok else None
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = (_status("VmHWM") - base) if peak_ok and base is not None else None
    return out, dt, peak, cpu


def _mib(b):
    return "n/a" if b is None else f"{max(b, 0) / 2**20:.0f}"


# ------------------------------------------------------------- features


def _tools(method):
    from scipy.cluster import hierarchy

    from skot.cluster import linkage

    tools = {"skot": lambda X: linkage(X, method), "scipy": lambda X: hierarchy.linkage(X, method)}
    try:
        import fastcluster

        tools["fastcluster"] = lambda X: fastcluster.linkage(X, method)
        if method in VECTOR_METHODS:
            tools["fc.vector"] = lambda X: fastcluster.linkage_vector(X, method)
    except ImportError:
        pass
    if method in SKLEARN_METHODS:
        from sklearn.cluster import AgglomerativeClustering

        tools["sklearn"] = lambda X: (
            AgglomerativeClustering(n_clusters=10, linkage=method).fit(X).labels_
        )
    return tools


def bench_features(sizes, methods):
    from scipy.cluster import hierarchy
    from sklearn.datasets import make_blobs
    from sklearn.metrics import adjusted_rand_score

    print(
        "\n== linkage on make_blobs(n, 10 features): wall and CPU time [s], peak memory "
        "[MiB], agreement with scipy =="
    )
    header = (
        f"{'n':>6} {'method':>9} {'tool':>12} {'time':>8} {'skot/tool':>9} "
        f"{'cpu':>7} {'cpu ratio':>9} {'peak MiB':>9}  agreement"
    )
    print(header)
    print("-" * len(header))
    Xw, _ = make_blobs(50, n_features=10, random_state=1)
    for method in methods:
        for f in _tools(method).values():
            f(Xw)  # compile / warm up
    rows = []
    for n in sizes:
        X, _ = make_blobs(n, n_features=10, centers=10, random_state=0)
        for method in methods:
            results = {}
            for name, f in _tools(method).items():
                results[name] = measure(f, X)
            Zs = results["scipy"][0]
            ref_cut = hierarchy.fcluster(Zs, 10, "maxclust")
            t_skot = results["skot"][1]
            c_skot = results["skot"][3]
            for name, (out, dt, peak, cpu) in results.items():
                if name == "sklearn":
                    agree = f"ARI(10 clusters vs scipy) {adjusted_rand_score(ref_cut, out):.3f}"
                else:
                    agree = f"max|dh| {np.max(np.abs(out[:, 2] - Zs[:, 2])):.1e}"
                ratio = t_skot / dt if dt > 0 else float("nan")
                cratio = c_skot / cpu if cpu > 0 else float("nan")
                print(
                    f"{n:>6} {method:>9} {name:>12} {dt:>8.3f} {ratio:>9.2f} "
                    f"{cpu:>7.3f} {cratio:>9.2f} {_mib(peak):>9}  {agree}"
                )
                rows.append((n, method, name, dt, peak))
    return rows


# ---------------------------------------------------------------- graphs


def _accuracy(true, pred):
    from scipy.optimize import linear_sum_assignment

    t = np.unique(true, return_inverse=True)[1]
    p = np.unique(pred, return_inverse=True)[1]
    C = np.zeros((p.max() + 1, t.max() + 1))
    np.add.at(C, (p, t), 1)
    r, c = linear_sum_assignment(-C)
    return C[r, c].sum() / t.shape[0]


def _hsbm_for_degree(mean_degree, depth=3, block_size=625, ratios=(1, 2, 4, 12), seed=0):
    """HSBM with p_l proportional to ``ratios`` and the given mean degree."""
    from skot.datasets import make_hierarchical_sbm

    n_blocks = 2**depth
    block_size * n_blocks
    # nodes at LCA depth l from a node: level 0..depth
    counts = [block_size * (2 ** (depth - lv) - 2 ** (depth - lv - 1)) for lv in range(depth)]
    counts.append(block_size - 1)
    scale = mean_degree / float(np.dot(counts, ratios))
    p = np.asarray(ratios, dtype=float) * scale
    return make_hierarchical_sbm(depth, 2, block_size, probabilities=p, random_state=seed)


def bench_graphs(graphs):
    from skot.cluster import BottomUpClustering

    try:
        from sknetwork.hierarchy import Paris, cut_straight
    except ImportError:  # pragma: no cover
        Paris = None
    print("\n== graphs: hierarchical SBM (binary tree, depth 3): time [s], accuracy per level ==")
    header = f"{'graph':>26} {'tool':>34} {'time':>8} {'vs Paris(u)':>11}  accuracy per level"
    print(header)
    print("-" * len(header))
    # warm up
    from skot.datasets import make_hierarchical_sbm

    A0, _ = make_hierarchical_sbm(2, 2, 30, (2, 4, 8), random_state=0)
    BottomUpClustering(metric="adjacency").fit(A0)
    BottomUpClustering(metric="adjacency", n_initial_clusters=4, random_state=0).fit(A0)
    if Paris is not None:
        Paris(weights="uniform").fit_predict(A0)
    for label, (A, levels) in graphs:
        ks = [len(np.unique(lv)) for lv in levels]
        tools = {
            "skot, from nodes (= Paris uniform)": lambda A=A: BottomUpClustering(
                metric="adjacency"
            ).fit(A),
            "skot, Bethe-Hessian K=8": lambda A=A: BottomUpClustering(
                metric="adjacency", n_initial_clusters=8, random_state=0
            ).fit(A),
            "skot, Bethe-Hessian K='auto'": lambda A=A: BottomUpClustering(
                metric="adjacency", n_initial_clusters="auto", random_state=0
            ).fit(A),
        }
        if Paris is not None:
            tools["sknetwork Paris(weights='uniform')"] = lambda A=A: Paris(
                weights="uniform"
            ).fit_predict(A)
            tools["sknetwork Paris() (degree)"] = lambda A=A: Paris().fit_predict(A)
        times = {}
        for name, f in tools.items():
            out, dt, _, _ = measure(f)
            times[name] = dt
            if name.startswith("skot"):
                accs = []
                for lv, k in zip(levels, ks):
                    accs.append(
                        _accuracy(lv, out.labels_at(n_clusters=k))
                        if k <= out.n_leaves_
                        else float("nan")
                    )
                extra = f" (K found: {out.n_initial_clusters_})" if "auto" in name else ""
            else:
                accs = [_accuracy(lv, cut_straight(out, n_clusters=k)) for lv, k in zip(levels, ks)]
                extra = ""
            ref = times.get("sknetwork Paris(weights='uniform')")
            ratio = "" if ref is None else f"{dt / ref:.3f}"
            print(
                f"{label:>26} {name:>34} {dt:>8.3f} {ratio:>11}  "
                + " ".join(f"{a:.4f}" for a in accs)
                + extra
            )
        if Paris is not None:
            ref = times["sknetwork Paris(weights='uniform')"]
            for name, dt in times.items():
                if name.startswith("skot"):
                    print(f"{'':>26} speed-up of {name!r} over Paris(uniform): {ref / dt:.1f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="n in {2000, 5000, 10000} and the 1M-edge graph"
    )
    parser.add_argument("--n", type=int, nargs="*", help="sizes of the feature data")
    parser.add_argument("--methods", nargs="*", default=METHODS, choices=METHODS)
    parser.add_argument("--no-graphs", action="store_true")
    parser.add_argument(
        "--big-graph", action="store_true", help="add the 1M-edge graph (implied by --full)"
    )
    parser.add_argument("--no-features", action="store_true")
    args = parser.parse_args(argv)
    sizes = args.n or ([2000, 5000, 10000] if args.full else [2000])
    if not args.no_features:
        bench_features(sizes, args.methods)
    if not args.no_graphs:
        from skot.datasets import make_hierarchical_sbm

        paper = make_hierarchical_sbm(3, 2, 200, (40, 50, 60, 100), random_state=0)
        # harder: every level closer to its neighbours
        harder = make_hierarchical_sbm(3, 2, 200, (30, 35, 40, 60), random_state=0)
        graphs = [
            ("paper: N=1600 a=(40,50,60,100)", paper),
            ("harder: N=1600 a=(30,35,40,60)", harder),
            ("N=5000, mean degree 20", _hsbm_for_degree(20)),
        ]
        if args.full or args.big_graph:
            graphs.append(("N=5000, mean degree 425", _hsbm_for_degree(425)))
        for label, (A, _) in graphs:
            print(
                f"{label}: {A.shape[0]} nodes, {A.nnz // 2} edges, "
                f"mean degree {A.nnz / A.shape[0]:.1f}"
            )
        bench_graphs(graphs)


if __name__ == "__main__":
    main()
