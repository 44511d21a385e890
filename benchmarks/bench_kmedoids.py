"""skot k-medoids against the kmedoids package (Rust), side by side in one run.

For each n, k and dtype: the same precomputed matrix of a fixed make_blobs data
set and the same random initial medoids go to both implementations (after numba
compilation). Printed: skot time (1 and 2 threads), kmedoids time on the same
C-ordered matrix and on its Fortran-ordered copy (the layout the Rust code reads
contiguously), the ratios, and both losses. Then BUILD, LAB, the first fit in a
fresh process with a warm numba cache, FastCLARA on 200,000 points, and every
input layout (slice, strided view, F-order, float32, read-only, memmap) against
the contiguous matrix.

Then (issue #12): skot.metrics.silhouette_score against scikit-learn's,
FasterMSC / FastMSC / DynMSC against the kmedoids package from the same
medoids, FastCLARANS against FasterPAM, matrix-free FasterPAM against the
matrix path, and (without --quick) matrix-free FasterPAM on 100,000 points in
10-D with k = 50 next to FastCLARA (time per pass, peak memory). Every pair is
timed interleaved, best of several, after compilation.

Usage: python benchmarks/bench_kmedoids.py [--quick] [--layouts-only] [--issue12-only]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import make_blobs


def timeit(func, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _layouts(D, tmpdir):
    """The values of ``D`` in every layout a user may pass (name, array)."""
    n = D.shape[0]
    yield "C (reference)", D
    yield "F-order", np.asfortranarray(D)
    big = np.zeros((n + 1000, n + 1000), dtype=D.dtype)
    big[:n, :n] = D
    yield "slice of a bigger C", big[:n, :n]
    del big
    big2 = np.zeros((2 * n, 2 * n), dtype=D.dtype)
    big2[::2, ::2] = D
    yield "strided view [::2, ::2]", big2[::2, ::2]
    del big2
    ro = D.copy()
    ro.setflags(write=False)
    yield "read-only", ro
    del ro
    path = os.path.join(tmpdir, "D.dat")
    mm = np.memmap(path, dtype=D.dtype, mode="w+", shape=D.shape)
    mm[:] = D
    mm.flush()
    del mm
    yield "memmap (mode r)", np.memmap(path, dtype=D.dtype, mode="r", shape=D.shape)


def bench_layouts(n, k):
    """build(A, k) and fasterpam(A, init) for every layout of one matrix, against C."""
    from skot.cluster import build, fasterpam
    from skot.utils._pairwise import pairwise_distances

    X, _ = make_blobs(n, 10, centers=20, random_state=42)
    print(
        f"\nLayouts: build(A, {k}) and fasterpam(A, {k} random medoids), n = {n} "
        "(time in s; ratio = layout / C of the same dtype; every result identical)"
    )
    head = f"{'layout':>26} {'dtype':>8} {'build':>7} {'ratio':>6} {'fasterpam':>10} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    init = np.random.RandomState(0).choice(n, k, replace=False)
    with tempfile.TemporaryDirectory() as tmpdir:
        for dt in (np.float64, np.float32):
            D = pairwise_distances(X.astype(dt))
            build(D[:500, :500], 5)  # compile outside the timings
            ref = None
            for name, A in _layouts(D, tmpdir):
                build(A[:300, :300], 5)
                tb, rb = timeit(lambda: build(A, k), 2)
                tf, rf = timeit(lambda: fasterpam(A, init.copy()), 2)
                if ref is None:
                    ref = (tb, tf, rb, rf)
                assert np.array_equal(rb.medoids, ref[2].medoids)
                assert np.array_equal(rf.labels, ref[3].labels) and rf.loss == ref[3].loss
                print(
                    f"{name:>26} {np.dtype(dt).name:>8} {tb:7.3f} {tb / ref[0]:6.2f} "
                    f"{tf:10.3f} {tf / ref[1]:6.2f}"
                )


def race(f, g, repeat=3):
    """Best times of ``f`` and ``g`` called alternately (interleaved), and their results."""
    tf = tg = np.inf
    rf = rg = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        rf = f()
        tf = min(tf, time.perf_counter() - t0)
        t0 = time.perf_counter()
        rg = g()
        tg = min(tg, time.perf_counter() - t0)
    return tf, rf, tg, rg


_BIG = """
import resource, sys, time, numpy as np
from sklearn.datasets import make_blobs
from skot.cluster import KMedoids, fastclara
n = int(sys.argv[1])
X, _ = make_blobs(n, 10, centers=50, random_state=0)
KMedoids(5, init="lab", precompute=False, random_state=0).fit(X[:2000])  # compile
t = time.perf_counter()
km = KMedoids(50, init="lab", precompute=False, random_state=0, n_jobs=-1).fit(X)
t = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tc = time.perf_counter()
rc = fastclara(X, 50, random_state=0, n_jobs=-1)
tc = time.perf_counter() - tc
print(f"{t:.1f} {km.n_iter_} {km.inertia_:.1f} {peak:.0f} {tc:.1f} {rc.loss:.1f}")
"""


def bench_issue12(quick):
    import kmedoids
    import sklearn.metrics as skm

    from skot.cluster import KMedoids, fasterpam
    from skot.cluster._clarans import fastclarans
    from skot.cluster._msc import dynmsc, fastermsc, fastmsc
    from skot.metrics import silhouette_score
    from skot.utils._pairwise import pairwise_distances

    print("\nSilhouette: skot.metrics against sklearn.metrics (time in s, 2 threads)")
    head = f"{'n':>6} {'input':>12} {'skot':>8} {'sklearn':>8} {'ratio':>6} {'|diff|':>9}"
    print(head)
    print("-" * len(head))
    for n in [2000] if quick else [2000, 10000]:
        X, y = make_blobs(n, 10, centers=8, random_state=0)
        D = pairwise_distances(X)
        silhouette_score(X[:300], y[:300], n_jobs=2)
        silhouette_score(D[:300, :300], y[:300], metric="precomputed", n_jobs=2)
        for name, A, metric in (("features", X, "euclidean"), ("precomputed", D, "precomputed")):
            ts, a, tk, b = race(
                lambda A=A, metric=metric: silhouette_score(A, y, metric=metric, n_jobs=2),
                lambda A=A, metric=metric: skm.silhouette_score(A, y, metric=metric, n_jobs=2),
            )
            print(f"{n:>6} {name:>12} {ts:8.3f} {tk:8.3f} {ts / tk:6.2f} {abs(a - b):9.1e}")

    print("\nMedoid silhouette clustering from the same random medoids (float64, 1 thread)")
    head = (
        f"{'n':>6} {'k':>4} {'method':>10} {'skot':>8} {'rust':>8} {'ratio':>6} "
        f"{'AMS skot':>9} {'AMS rust':>9} {'same':>5}"
    )
    print(head)
    print("-" * len(head))
    for n in [2000] if quick else [2000, 5000]:
        X, _ = make_blobs(n, 10, centers=20, random_state=42)
        D = pairwise_distances(X)
        fastermsc(D[:200, :200], 5)
        fastmsc(D[:200, :200], 5)
        dynmsc(D[:200, :200], 5)
        for k in (10, 30):
            init = np.random.RandomState(k).choice(n, k, replace=False)
            for name, ours, theirs in (
                ("fastermsc", fastermsc, lambda i: kmedoids.fastermsc(D, i, max_iter=300)),
                ("fastmsc", fastmsc, lambda i: kmedoids.fastmsc(D, i, max_iter=300)),
                (
                    "dynmsc",
                    lambda D, i: dynmsc(D, i, min_clusters=2),
                    lambda i: kmedoids.dynmsc(D, i, minimum_k=2, max_iter=300),
                ),
            ):
                if name == "fastmsc" and n > 2000:
                    continue
                ts, r, tr, t = race(lambda: ours(D, init.copy()), lambda: theirs(init.copy()), 2)
                ams = 1 - r.loss / n
                ams_r = max(t.losses) if name == "dynmsc" else t.loss
                same = np.array_equal(r.medoids, t.medoids)
                print(
                    f"{n:>6} {k:>4} {name:>10} {ts:8.3f} {tr:8.3f} {ts / tr:6.2f} "
                    f"{ams:9.5f} {ams_r:9.5f} {str(same):>5}"
                )

    print("\nFastCLARANS (2 searches, max_neighbor 2.5%) against FasterPAM (random init)")
    head = f"{'n':>6} {'k':>4} {'clarans':>8} {'fasterpam':>10} {'ratio':>6} {'loss ratio':>11}"
    print(head)
    print("-" * len(head))
    for n in [2000] if quick else [2000, 10000]:
        X, _ = make_blobs(n, 10, centers=20, random_state=42)
        D = pairwise_distances(X)
        fastclarans(D[:200, :200], 5, random_state=0)
        for k in (10, 50):
            tc, rc, tp, rp = race(
                lambda: fastclarans(D, k, random_state=0),
                lambda: fasterpam(D, k, init="random", random_state=0),
            )
            print(f"{n:>6} {k:>4} {tc:8.3f} {tp:10.3f} {tc / tp:6.2f} {rc.loss / rp.loss:11.4f}")

    print("\nMatrix-free FasterPAM against the matrix path (KMedoids fit, LAB init, k=50, 2 jobs)")
    head = f"{'n':>6} {'free':>8} {'matrix':>8} {'ratio':>6} {'same':>5}"
    print(head)
    print("-" * len(head))
    for n in [3000] if quick else [5000, 20000]:
        X, _ = make_blobs(n, 10, centers=50, random_state=0)
        p = dict(n_clusters=50, init="lab", random_state=0, n_jobs=2)
        KMedoids(**{**p, "n_clusters": 5}, precompute=False).fit(X[:500])
        KMedoids(**{**p, "n_clusters": 5}, precompute=True).fit(X[:500])
        tf, a, tm, b = race(
            lambda: KMedoids(**p, precompute=False).fit(X),
            lambda: KMedoids(**p, precompute=True).fit(X),
            2,
        )
        same = np.array_equal(a.medoid_indices_, b.medoid_indices_)
        print(f"{n:>6} {tf:8.2f} {tm:8.2f} {tf / tm:6.2f} {str(same):>5}")

    if not quick:
        out = subprocess.run(
            [sys.executable, "-c", _BIG, "100000"], capture_output=True, text=True, check=True
        ).stdout.split()
        t, it, loss, peak, tc, lc = out
        print(
            f"\nMatrix-free FasterPAM, n=100000, 10-D, k=50, LAB init: {float(t):.1f} s "
            f"({float(t) / int(it):.1f} s per pass, {it} passes), loss {loss}, peak RSS "
            f"{peak} MB; FastCLARA: {tc} s, loss {lc}"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="n = 2000 only")
    parser.add_argument(
        "--layouts-only",
        action="store_true",
        help="only the layout table (n = 4000, or 1500 with --quick)",
    )
    parser.add_argument("--issue12-only", action="store_true", help="only the issue #12 rows")
    args = parser.parse_args()
    if args.issue12_only:
        bench_issue12(args.quick)
        return
    if args.layouts_only:
        bench_layouts(1500 if args.quick else 4000, 60)
        return
    import kmedoids

    from skot.cluster import build, fastclara, fasterpam, lab
    from skot.utils._pairwise import pairwise_distances

    ns = [2000] if args.quick else [2000, 5000, 10000]
    # compile every kernel used below (both dtypes, serial and parallel)
    for dt in (np.float64, np.float32):
        Xc, _ = make_blobs(2500, 10, centers=5, random_state=0)
        Dc = pairwise_distances(Xc.astype(dt))
        for nj in (1, 2):
            fasterpam(Dc, 5, n_jobs=nj)
            build(Dc, 5, n_jobs=nj)
        lab(Dc, 5, random_state=0)

    print("FasterPAM from the same random medoids (time in s; ratio = skot / kmedoids)")
    head = (
        f"{'n':>6} {'k':>4} {'dtype':>7} {'skot':>7} {'skot 2t':>8} {'rust C':>7} "
        f"{'rust F':>7} {'skot/C':>7} {'skot/F':>7} {'2t/F':>6} {'loss skot':>14} "
        f"{'loss rust':>14}"
    )
    print(head)
    print("-" * len(head))
    for n in ns:
        X, _ = make_blobs(n, 10, centers=20, random_state=42)
        for dt in (np.float64, np.float32):
            D = pairwise_distances(X.astype(dt))
            DF = np.asfortranarray(D)
            for k in (10, 100):
                init = np.random.RandomState(k).choice(n, k, replace=False)
                t1, r = timeit(lambda: fasterpam(D, init.copy(), n_jobs=1), 2)
                t2, r2 = timeit(lambda: fasterpam(D, init.copy(), n_jobs=2), 2)
                tc, rc = timeit(lambda: kmedoids.fasterpam(D, init.copy(), max_iter=300, n_cpu=1))
                tf, rf = timeit(
                    lambda: kmedoids.fasterpam(DF, init.copy(), max_iter=300, n_cpu=1), 2
                )
                assert np.array_equal(r.medoids, r2.medoids)
                same = "" if np.array_equal(r.medoids, rc.medoids) else "  (medoids differ)"
                print(
                    f"{n:>6} {k:>4} {np.dtype(dt).name:>7} {t1:7.3f} {t2:8.3f} {tc:7.3f} "
                    f"{tf:7.3f} {t1 / tc:7.3f} {t1 / tf:7.3f} {t2 / tf:6.2f} "
                    f"{r.loss:14.6f} {rc.loss:14.6f}{same}"
                )

    print("\nInitialisation, float64 (time in s)")
    head = (
        f"{'n':>6} {'k':>4} {'BUILD':>7} {'BUILD 2t':>9} {'rust BUILD C':>13} "
        f"{'ratio':>6} {'LAB':>7} {'loss BUILD':>12} {'loss LAB':>12}"
    )
    print(head)
    print("-" * len(head))
    for n in ns[:2] if not args.quick else ns:
        X, _ = make_blobs(n, 10, centers=20, random_state=42)
        D = pairwise_distances(X)
        for k in (10, 100):
            tb, rb = timeit(lambda: build(D, k, n_jobs=1))
            tb2, _ = timeit(lambda: build(D, k, n_jobs=2))
            tr, rr = timeit(lambda: kmedoids.pam_build(D, k))
            tl, rl = timeit(lambda: lab(D, k, random_state=0))
            assert np.array_equal(rb.medoids, rr.medoids)
            print(
                f"{n:>6} {k:>4} {tb:7.3f} {tb2:9.3f} {tr:13.3f} {tb / tr:6.3f} {tl:7.3f} "
                f"{rb.loss:12.3f} {rl.loss:12.3f}"
            )

    code = (
        "import time, numpy as np; t=time.perf_counter(); "
        "from skot.cluster import KMedoids; "
        "X=np.random.RandomState(0).rand(2000, 10); "
        "KMedoids(10).fit(X); print(time.perf_counter()-t)"
    )
    first = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    print(
        f"\nFirst KMedoids(10).fit of 2000 x 10 in a fresh process, warm numba cache "
        f"(import included): {first:.2f} s"
    )

    n_big = 20000 if args.quick else 200000
    Xb, _ = make_blobs(n_big, 10, centers=100, random_state=0)
    tcl, rcl = timeit(lambda: fastclara(Xb, 100, random_state=0, n_jobs=2))
    print(
        f"FastCLARA: {n_big} points, 10 features, k=100, 5 samples of 480, 2 jobs: "
        f"{tcl:.2f} s, loss {rcl.loss:.1f} (no {n_big}x{n_big} matrix: it would need "
        f"{n_big**2 * 8 / 2**30:.0f} GiB)"
    )

    bench_layouts(1500 if args.quick else 4000, 60)
    bench_issue12(args.quick)


if __name__ == "__main__":
    main()
