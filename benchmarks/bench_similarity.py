"""Benchmark: doubly stochastic scaling, skot against alternating Sinkhorn-Knopp and POT.

Gaussian kernel of make_blobs(n, 10 features, 10 centres, seed 0) with the
bandwidth sigma = median pairwise distance and sigma / 4; sparse symmetrised
15-NN Gaussian kernel (plus I) for n = 20,000. Every solver stops at
max |row sum - 1| < 1e-10 (POT: its own marginal test at 1e-10, checked every
10 iterations, capped at 2,000 iterations; plain alternating is capped at 2,000
iterations at n = 2000 and 300 at n = 5000 -- it needs about 2,200 at the narrow
bandwidth -- and the cap is shown). Printed side by side:
iterations, matrix-vector products, time, the time ratio to skot's
(over-relaxed) fixed point (> 1: slower than it), and the final row- and
column-sum errors (the quality figure). ``method="auto"`` picks Newton for a
dense symmetric kernel and the fixed point for a sparse one.

Also times SinkhornAffinity().fit (dense kernel construction, median
bandwidth and scaling) at n = 5000. skot timings are the best of 3 runs.

Run: python benchmarks/bench_similarity.py [--quick]
"""

import argparse
import time
import warnings

import numpy as np
from scipy import sparse
from sklearn.datasets import make_blobs

from skot.similarity import SinkhornAffinity, sinkhorn_normalize
from skot.utils._pairwise import pairwise_distances

TOL = 1e-10


def numpy_sinkhorn_knopp(K, tol=TOL, max_iter=5000):
    """Plain alternating u <- 1/(K v), v <- 1/(K^T u), test on the row sums."""
    n, m = K.shape
    u, v = np.ones(n), np.ones(m)
    Kv = K @ v
    it, n_mv = 0, 1
    while it < max_iter:
        it += 1
        u = 1.0 / Kv
        v = (n / m) / (K.T @ u)
        Kv = K @ v
        n_mv += 2
        if np.max(np.abs(u * Kv - 1.0)) < tol:
            break
    P_rows = u * Kv
    P_cols = v * (K.T @ u)
    return it, n_mv, np.max(np.abs(P_rows - 1)), np.max(np.abs(P_cols - 1))


def errors(P):
    if sparse.issparse(P):
        r = np.asarray(P.sum(axis=1)).ravel()
        c = np.asarray(P.sum(axis=0)).ravel()
    else:
        r, c = P.sum(axis=1), P.sum(axis=0)
    return np.max(np.abs(r - 1)), np.max(np.abs(c - 1))


def timed(f, *args, repeat=1, **kw):
    """Result and best wall time of ``repeat`` calls (a shared machine is noisy)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return out, best


def row(label, solver, it, mv, seconds, err, ref_seconds=None):
    ratio = "" if ref_seconds is None else f"{seconds / ref_seconds:8.1f}x"
    print(
        f"{label:<28} {solver:<22} {it:>6} {mv:>7} {seconds:>9.3f} {ratio:>9} "
        f"{err[0]:>10.1e} {err[1]:>10.1e}"
    )


def header():
    print(
        f"{'problem':<28} {'solver':<22} {'iters':>6} {'matvecs':>7} {'time [s]':>9} "
        f"{'/ skot fp':>9} {'row err':>10} {'col err':>10}"
    )
    print("-" * 108)


def dense_case(n, factor, with_pot, with_numpy, n_jobs):
    X, _ = make_blobs(n, 10, centers=10, random_state=0)
    D2 = pairwise_distances(X, metric="sqeuclidean")
    iu = np.triu_indices(n, 1)
    sigma = float(np.median(np.sqrt(D2[iu]))) * factor
    del iu
    K = np.exp(-D2 / (2 * sigma**2))
    label = f"dense n={n} sigma={'median' if factor == 1 else 'median/4'}"
    fp, t_fp = timed(sinkhorn_normalize, K, method="fixed_point", n_jobs=n_jobs, repeat=3)
    row(label, "skot fixed_point", fp.n_iter, fp.n_matvec, t_fp, errors(fp.matrix))
    nt, t_nt = timed(sinkhorn_normalize, K, method="newton", n_jobs=n_jobs, repeat=3)
    row(label, "skot newton", nt.n_iter, nt.n_matvec, t_nt, errors(nt.matrix), t_fp)
    if with_numpy:
        cap = 2000 if n <= 2000 else 300
        (it, mv, er, ec), t = timed(
            numpy_sinkhorn_knopp, K, max_iter=cap, repeat=3 if factor == 1 else 1
        )
        name = "numpy alternating SK" + (f" (cap {cap})" if it >= cap and er >= TOL else "")
        row(label, name, it, mv, t, (er, ec), t_fp)
    if with_pot:
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (G, log), t = timed(
                ot.sinkhorn,
                np.ones(n),
                np.ones(n),
                D2 / (2 * sigma**2),
                1.0,
                stopThr=TOL,
                numItermax=2000,
                log=True,
            )
        it = int(log["niter"])
        name = "POT ot.sinkhorn" + (" (cap 2000)" if it >= 1999 else "")
        row(label, name, it, 2 * it, t, errors(G), t_fp)
    return fp, nt


def sparse_case(n, k, n_jobs):
    X, _ = make_blobs(n, 10, centers=10, random_state=0)
    est = SinkhornAffinity(n_neighbors=k, max_iter=1, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)  # builds the kNN kernel; we re-scale it below
    K = est._knn_kernel(X)[0]
    label = f"kNN n={n} k={k} nnz={K.nnz}"
    fp, t_fp = timed(sinkhorn_normalize, K, method="fixed_point", n_jobs=n_jobs, repeat=3)
    row(label, "skot fixed_point", fp.n_iter, fp.n_matvec, t_fp, errors(fp.matrix))
    nt, t_nt = timed(sinkhorn_normalize, K, method="newton", n_jobs=n_jobs, repeat=3)
    row(label, "skot newton", nt.n_iter, nt.n_matvec, t_nt, errors(nt.matrix), t_fp)
    (it, mv, er, ec), t = timed(numpy_sinkhorn_knopp, K, repeat=3)
    row(label, "scipy alternating SK", it, mv, t, (er, ec), t_fp)
    print(
        f"{label:<28} POT ot.sinkhorn: needs a dense {n}x{n} cost matrix "
        f"({n * n * 8 / 2**30:.1f} GiB), not run"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="n=2000 and kNN n=5000 only")
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args()
    # compile the kernels outside the timings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Xw, _ = make_blobs(100, 3, random_state=0)  # above the symmetric-product cut-off
        for m in ("fixed_point", "newton"):
            SinkhornAffinity(method=m, n_jobs=args.n_jobs).fit(Xw)
            SinkhornAffinity(method=m, n_neighbors=5, n_jobs=args.n_jobs).fit(Xw)
    header()
    sizes = [2000] if args.quick else [2000, 5000]
    for n in sizes:
        for factor in (1.0, 0.25):
            dense_case(n, factor, with_pot=(n == 2000), with_numpy=True, n_jobs=args.n_jobs)
    sparse_case(5000 if args.quick else 20000, 15, args.n_jobs)
    print()
    n = 2000 if args.quick else 5000
    X, _ = make_blobs(n, 10, centers=10, random_state=0)
    for method in ("auto", "fixed_point"):
        for n_jobs in sorted({1, args.n_jobs, -1}):
            est, t = timed(SinkhornAffinity(method=method, n_jobs=n_jobs).fit, X, repeat=3)
            print(
                f"SinkhornAffinity(method={method!r}, n_jobs={n_jobs}).fit on "
                f"make_blobs({n}, 10): {t:.3f} s (dense kernel + median bandwidth + "
                f"scaling, {est.n_matvec_} matvecs, row error {est.scaling_error_:.1e})"
            )

    print()
    perplexity_case(5000 if args.quick else 20000, 90, args.n_jobs)
    sea_case(1000 if args.quick else 5000, args.n_jobs)
    attention_case(args.n_jobs)


def perplexity_case(n, k, n_jobs):
    """t-SNE's perplexity calibration (kNN, k neighbours): skot vs scikit-learn,
    interleaved, best of three, same float32 distances."""
    from sklearn.manifold import _utils
    from sklearn.neighbors import NearestNeighbors

    from skot.similarity import calibrate_perplexity

    X, _ = make_blobs(n, 10, centers=10, random_state=0)
    G = NearestNeighbors(n_neighbors=k).fit(X).kneighbors_graph(None, mode="distance")
    G.data **= 2
    G = G.astype(np.float32)
    G.sort_indices()
    D = G.data.reshape(n, k)
    calibrate_perplexity(G, 30.0, n_jobs=n_jobs)  # compile
    ts, tk, tb = [], [], []
    for _ in range(3):
        t0 = time.perf_counter()
        ref = _utils._binary_search_perplexity(D, 30.0, 0)
        ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        P, _ = calibrate_perplexity(G, 30.0, n_jobs=n_jobs)
        tk.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Pb, _ = calibrate_perplexity(G, 30.0, method="bisection", tol=1e-5, n_jobs=n_jobs)
        tb.append(time.perf_counter() - t0)
    H = -(P.data.reshape(n, k) * np.log(np.maximum(P.data.reshape(n, k), 1e-300))).sum(1)
    print(
        f"perplexity 30, kNN n={n} k={k}: sklearn {min(ts):.3f} s; skot newton (tol 1e-10) "
        f"{min(tk):.3f} s = {min(tk) / min(ts):.2f}x (entropy error "
        f"{np.abs(H - np.log(30)).max():.1e}); skot bisection (sklearn's schedule) "
        f"{min(tb):.3f} s = {min(tb) / min(ts):.2f}x (max |P - P_sklearn| "
        f"{np.abs(Pb.data.reshape(n, k) - ref).max():.1e}), n_jobs={n_jobs}"
    )


def sea_case(n, n_jobs):
    """SNEkhorn's symmetric entropic affinity to row-sum error 1e-9."""
    from skot.similarity import symmetric_entropic_affinity

    X, _ = make_blobs(n, 10, centers=10, random_state=0)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    symmetric_entropic_affinity(D[:50, :50], 10.0, n_jobs=n_jobs)  # compile
    t0 = time.perf_counter()
    res = symmetric_entropic_affinity(D, 30.0, tol=1e-9, n_jobs=n_jobs)
    t = time.perf_counter() - t0
    print(
        f"symmetric entropic affinity (SNEkhorn), n={n}, perplexity 30: {t:.2f} s, "
        f"{res.n_iter} Newton iterations, row-sum error {res.marginal_error:.1e}, "
        f"entropy error {res.entropy_error:.1e}, converged={res.converged}"
    )


def attention_case(n_jobs):
    """Sinkformer attention, forward and unrolled backward, batch 64 x 8 heads x 128."""
    from skot.similarity import sinkhorn_attention, sinkhorn_attention_vjp

    S = np.random.RandomState(0).randn(64, 8, 128, 128)
    G = np.random.RandomState(1).randn(*S.shape)
    sinkhorn_attention(S[:1], max_iter=3, n_jobs=n_jobs)
    sinkhorn_attention_vjp(S[:1], G[:1], max_iter=3, n_jobs=n_jobs)
    _, tf = timed(sinkhorn_attention, S, max_iter=3, n_jobs=n_jobs, repeat=3)
    _, tb = timed(sinkhorn_attention_vjp, S, G, max_iter=3, n_jobs=n_jobs, repeat=3)
    print(
        f"sinkhorn_attention (64 x 8 x 128 x 128, 3 iterations): forward {tf:.3f} s, "
        f"forward + unrolled backward {tb:.3f} s, n_jobs={n_jobs}"
    )


if __name__ == "__main__":
    main()
