"""Benchmark skot's exact OT (network simplex) against POT, side by side.

Sections (each row: skot time, POT time, the ratio skot / POT, the quality
figure; timings interleaved skot / POT, best of ``--repeat``, after numba
compilation):

* ``scale``: ``emd`` on ``M * 10**k`` for k in {-12, -10, 0, 10}: the
  relative gap of each solver's cost to the optimum of the unscaled problem
  (``|cost / 10**k - opt| / opt``) and skot's largest dual violation
  ``max(f_i + g_j - M_ij) / max|M|``; and a 1-D squared cost (sorted points,
  the monotone matching is optimal) at ``--n1d`` points.
* ``sample``: ``emd_sample`` on two random clouds of n points (2-D and 10-D),
  the cost computed on the fly; time, peak traced memory (tracemalloc: the
  numpy allocations of the call) and the peak resident memory of the process;
  POT's dense ``emd`` (cost matrix included) where it fits (``--pot-max``).
* ``sparse``: ``emd`` on a sparse cost (k nearest targets of every source
  plus a feasible backbone) against POT's dense ``emd`` on the same arcs
  (the missing ones at a prohibitive cost).
* ``batch``: ``emd`` on a stack of B problems of n x n against a Python loop
  over POT's ``emd`` (and ``--n-jobs`` threads).

Usage::

    python benchmarks/bench_ot_exact.py --quick      # tiny sizes, checks that it runs
    python benchmarks/bench_ot_exact.py              # n in {5000, 20000}, B = 1000
    python benchmarks/bench_ot_exact.py --sections sample --n 20000 --dims 2 10
"""

import argparse
import resource
import time
import tracemalloc
import warnings

import numpy as np


def _best(funcs, repeat):
    """Interleaved runs of each function; best time of each and the last outputs."""
    times = [np.inf] * len(funcs)
    outs = [None] * len(funcs)
    for _ in range(repeat):
        for q, f in enumerate(funcs):
            if f is None:
                continue
            t0 = time.perf_counter()
            outs[q] = f()
            times[q] = min(times[q], time.perf_counter() - t0)
    return times, outs


def _row(name, t_skot, t_pot, quality):
    ratio = f"{t_skot / t_pot:7.3f}" if np.isfinite(t_pot) else "      -"
    tp = f"{t_pot:9.4f} s" if np.isfinite(t_pot) else "        - "
    print(f"  {name:<34} skot {t_skot:9.4f} s  POT {tp}  skot/POT {ratio}  {quality}")


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scale(n, n1d, repeat, rng):
    import ot

    from skot.ot import cost_matrix, emd

    print(f"scale invariance (n = {n}, 2-D squared Euclidean; 1-D at n = {n1d})")
    X = rng.normal(size=(n, 2))
    Y = rng.normal(size=(n, 2)) + 0.5
    a = rng.random(n) + 0.1
    a /= a.sum()
    b = rng.random(n) + 0.1
    b /= b.sum()
    M = cost_matrix(X, Y)
    opt = ot.emd2(a, b, M, numItermax=10**9)
    for k in (-12, -10, 0, 10):
        Mk = M * 10.0**k
        (ts, tp), (rs, cp) = _best(
            [lambda: emd(a, b, Mk), lambda: ot.emd2(a, b, Mk, numItermax=10**9)], repeat
        )
        viol = (rs.f[:, None] + rs.g[None, :] - Mk).max() / np.abs(Mk).max()
        gap_s = abs(rs.cost / 10.0**k - opt) / opt
        gap_p = abs(cp / 10.0**k - opt) / opt
        _row(
            f"emd M*1e{k}",
            ts,
            tp,
            f"gap skot {gap_s:.1e} POT {gap_p:.1e}  dual viol {viol:.1e}  conv {rs.converged}",
        )
    x = np.sort(rng.random(n1d))
    y = np.sort(rng.random(n1d))
    M1 = (x[:, None] - y[None, :]) ** 2
    w = np.full(n1d, 1.0 / n1d)
    opt1 = float(np.mean((x - y) ** 2))
    (ts, tp), (rs, cp) = _best(
        [lambda: emd(w, w, M1, sparse_plan=True), lambda: ot.emd2(w, w, M1, numItermax=10**9)],
        repeat,
    )
    viol = (rs.f[:, None] + rs.g[None, :] - M1).max() / M1.max()
    _row(
        f"emd 1-D squared n={n1d}",
        ts,
        tp,
        f"gap skot {abs(rs.cost - opt1) / opt1:.1e} POT {abs(cp - opt1) / opt1:.1e}  "
        f"dual viol {viol:.1e}",
    )


def bench_sample(sizes, dims, repeat, pot_max, rng):
    import ot

    from skot.ot._emd import emd_sample

    print("point clouds: emd_sample (cost on the fly) vs POT emd (dense cost included)")
    for d in dims:
        for n in sizes:
            X = rng.normal(size=(n, d))
            Y = rng.normal(size=(n, d)) + 0.5
            tracemalloc.start()
            t0 = time.perf_counter()
            res = emd_sample(X, Y)
            ts = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            for _ in range(repeat - 1):
                t0 = time.perf_counter()
                emd_sample(X, Y)
                ts = min(ts, time.perf_counter() - t0)
            tp = np.inf
            quality = f"conv {res.converged}  pivots {res.n_iter}"
            if n <= pot_max:
                w = np.full(n, 1.0 / n)
                (tp,), (cp,) = _best(
                    [lambda: ot.emd2(w, w, ot.dist(X, Y), numItermax=10**9)], repeat
                )
                quality += f"  rel diff {abs(res.cost - cp) / cp:.1e}"
            quality += f"  traced peak {peak:.0f} MiB  process RSS peak {_peak_rss_mib():.0f} MiB"
            _row(f"emd_sample n={n} d={d}", ts, tp, quality)


def bench_sparse(n, k, repeat, rng):
    import ot
    from scipy import sparse
    from sklearn.neighbors import NearestNeighbors

    from skot.ot import cost_matrix, emd
    from skot.ot._emd import _north_west

    print(f"sparse cost: {k} nearest targets per source + a feasible backbone (n = {n})")
    X = rng.normal(size=(n, 2))
    Y = rng.normal(size=(n, 2)) + 0.5
    w = np.full(n, 1.0 / n)
    nn = NearestNeighbors(n_neighbors=k).fit(Y)
    _, idx = nn.kneighbors(X)
    rows = np.repeat(np.arange(n), k)
    cols = idx.ravel()
    r, c, _ = _north_west(w, w)
    rows = np.concatenate([rows, r])
    cols = np.concatenate([cols, c])
    M = cost_matrix(X, Y)
    mask = np.zeros((n, n), dtype=bool)
    mask[rows, cols] = True
    S = sparse.csr_matrix((M[mask], np.nonzero(mask)), shape=(n, n))
    big = np.where(mask, M, 1e3 * M.max())
    (ts, tp), (rs, cp) = _best(
        [lambda: emd(w, w, S), lambda: ot.emd2(w, w, big, numItermax=10**9)], repeat
    )
    full = ot.emd2(w, w, M, numItermax=10**9)
    _row(
        f"emd sparse nnz={S.nnz}",
        ts,
        tp,
        f"rel diff {abs(rs.cost - cp) / cp:.1e}  vs full optimum +{(rs.cost - full) / full:.1e}",
    )


def bench_batch(B, n, repeat, n_jobs, rng):
    import ot

    from skot.ot import emd

    print(f"batch: {B} problems of {n} x {n} (2-D squared Euclidean)")
    X = rng.normal(size=(B, n, 2))
    Y = rng.normal(size=(B, n, 2))
    M = ((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1)
    w = np.full(n, 1.0 / n)
    emd(w, w, M[:2], n_jobs=n_jobs)  # compile

    def pot_loop():
        return np.array([ot.emd2(w, w, M[p]) for p in range(B)])

    (t1, tj, tp), (r1, rj, cp) = _best(
        [lambda: emd(w, w, M), lambda: emd(w, w, M, n_jobs=n_jobs), pot_loop], repeat
    )
    diff = np.abs(r1.cost - cp).max()
    _row("emd batch, 1 thread", t1, tp, f"max |cost diff| {diff:.1e}  POT/skot {tp / t1:.1f}x")
    _row(
        f"emd batch, n_jobs={n_jobs}",
        tj,
        tp,
        f"POT/skot {tp / tj:.1f}x  identical to 1 thread {np.array_equal(r1.cost, rj.cost)}",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (checks that it runs)")
    parser.add_argument("--sections", nargs="*", default=["scale", "sample", "sparse", "batch"])
    parser.add_argument("--n", type=int, nargs="*", default=[5000, 20000])
    parser.add_argument("--dims", type=int, nargs="*", default=[2, 10])
    parser.add_argument("--n-scale", type=int, default=500)
    parser.add_argument("--n1d", type=int, default=3000)
    parser.add_argument("--n-sparse", type=int, default=3000)
    parser.add_argument("--k-sparse", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batch-n", type=int, default=50)
    parser.add_argument("--pot-max", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.n, args.n_scale, args.n1d, args.n_sparse = [200], 60, 200, 200
        args.batch, args.batch_n, args.repeat = 50, 10, 1
    rng = np.random.default_rng(args.seed)
    warnings.simplefilter("ignore", UserWarning)
    # compile every path once on tiny inputs (not timed)
    from scipy import sparse

    from skot.ot import emd
    from skot.ot._emd import emd_sample

    Z = rng.random((6, 2))
    emd(None, None, Z @ Z.T)
    emd(None, None, sparse.csr_matrix(Z @ Z.T))
    emd_sample(Z, Z)
    emd_sample(Z, Z, metric="euclidean")
    if "scale" in args.sections:
        bench_scale(args.n_scale, args.n1d, args.repeat, rng)
    if "sample" in args.sections:
        bench_sample(args.n, args.dims, args.repeat, args.pot_max, rng)
    if "sparse" in args.sections:
        bench_sparse(args.n_sparse, args.k_sparse, args.repeat, rng)
    if "batch" in args.sections:
        bench_batch(args.batch, args.batch_n, args.repeat, args.n_jobs, rng)


if __name__ == "__main__":
    main()
