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
    python benchmarks/bench_hierarchy.py --quick   # tiny sizes, every section once

kNN rows: ``BottomUpClustering(10, n_neighbors=10)`` (average and single
linkage on the 10-nearest-neighbour graph) against scikit-learn's
``AgglomerativeClustering`` with the same ``kneighbors_graph`` connectivity
(scikit-learn skipped above 200,000 points), and the adjusted Rand index of
its 10-cluster cut against exact average linkage on a 20,000-point
subsample. Ordering rows: ``linkage(optimal_ordering=True)`` against scipy's
``optimal_leaf_ordering`` (time and the adjacent-distance sum reached).
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


# ------------------------------------------------- kNN graphs, ordering


def _best_of(tools, repeat):
    """Interleaved runs, best wall time of each tool: {name: (out, best s, peak)}."""
    best = {}
    for _ in range(repeat):
        for name, f in tools.items():
            out, dt, peak, _ = measure(f)
            if name not in best or dt < best[name][1]:
                best[name] = (out, dt, peak)
    return best


def bench_knn(sizes, dims, repeat, subsample=20000):
    """kNN-constrained linkage (BottomUpClustering(n_neighbors=10)) against scikit-learn
    with the same kNN connectivity; agreement of the 10-cluster cut with exact average
    linkage on a subsample."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.datasets import make_blobs
    from sklearn.metrics import adjusted_rand_score
    from sklearn.neighbors import kneighbors_graph

    from skot.cluster import BottomUpClustering, linkage
    from skot.cluster._bottom_up import _cut

    print(
        "\n== kNN graph (10 neighbours) linkage: best-of wall time [s], peak [MiB], "
        "ARI of the 10-cluster cut =="
    )
    header = (
        f"{'n':>8} {'p':>3} {'linkage':>8} {'skot s':>8} {'sklearn s':>9} {'ratio':>6} "
        f"{'skot MiB':>8}  ARI(skot, sklearn)  ARI(kNN-avg, exact avg; subsample)"
    )
    print(header)
    print("-" * len(header))
    Xw, _ = make_blobs(300, n_features=3, random_state=1)
    for m in ("average", "single"):
        BottomUpClustering(10, linkage=m, n_neighbors=10).fit(Xw)
    for n in sizes:
        for p in dims:
            X, _ = make_blobs(n, n_features=p, centers=10, random_state=0)
            for m in ("average", "single"):
                tools = {
                    "skot": lambda X=X, m=m: (
                        BottomUpClustering(10, linkage=m, n_neighbors=10).fit(X).labels_
                    )
                }
                if n <= 200000:
                    tools["sklearn"] = lambda X=X, m=m: (
                        AgglomerativeClustering(10, linkage=m, connectivity=kneighbors_graph(X, 10))
                        .fit(X)
                        .labels_
                    )
                res = _best_of(tools, repeat)
                ts = res["skot"][1]
                tk = res["sklearn"][1] if "sklearn" in res else float("nan")
                ari = (
                    f"{adjusted_rand_score(res['skot'][0], res['sklearn'][0]):.4f}"
                    if "sklearn" in res
                    else "n/a"
                )
                sub = min(subsample, n)
                idx = np.random.RandomState(0).choice(n, sub, replace=False)
                Xs = X[idx]
                exact = _cut(linkage(Xs, "average"), sub, n_clusters=10)
                knn = BottomUpClustering(10, linkage="average", n_neighbors=10).fit(Xs).labels_
                print(
                    f"{n:>8} {p:>3} {m:>8} {ts:>8.2f} {tk:>9.2f} {ts / tk:>6.2f} "
                    f"{_mib(res['skot'][2]):>8}  {ari:>18}  {adjusted_rand_score(exact, knn):.4f}"
                )


def bench_ordering(n, repeat):
    from scipy.cluster import hierarchy
    from scipy.spatial.distance import pdist, squareform

    from skot.cluster import linkage

    print(
        "\n== optimal leaf ordering (average linkage): best-of time [s], adjacent-distance sum =="
    )
    X = np.random.RandomState(0).normal(size=(n, 5))
    y = pdist(X)
    D = squareform(y)
    Z = hierarchy.linkage(y, "average")
    linkage(y[:45], "average", optimal_ordering=True)  # compile
    res = _best_of(
        {
            "skot": lambda: linkage(y, "average", optimal_ordering=True),
            "scipy": lambda: hierarchy.optimal_leaf_ordering(Z, y),
        },
        repeat,
    )
    for name, (Zo, dt, _) in res.items():
        o = hierarchy.leaves_list(Zo)
        print(
            f"{n:>6} {name:>6} {dt:>8.3f} ratio {dt / res['scipy'][1]:.3f}  "
            f"cost {D[o[:-1], o[1:]].sum():.6f}"
        )


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
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: check that every section runs"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of, interleaved")
    parser.add_argument(
        "--knn", type=int, nargs="*", help="sizes of the kNN rows (--full: 1e5, 2e5, 1e6)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        bench_features([300], args.methods)
        bench_knn([2000], [3], 1, subsample=1000)
        bench_ordering(200, 1)
        return
    sizes = args.n or ([2000, 5000, 10000] if args.full else [2000])
    if not args.no_features:
        bench_features(sizes, args.methods)
    knn_sizes = args.knn or ([100000, 200000, 1000000] if args.full else [20000])
    bench_knn([k for k in knn_sizes if k != 200000], [3], args.repeat)
    if 200000 in knn_sizes:
        bench_knn([200000], [10], args.repeat)
    bench_ordering(1000, args.repeat)
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
