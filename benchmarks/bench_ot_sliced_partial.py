"""Benchmark skot's 1-D, sliced and partial OT solvers against POT.

Each row runs skot and POT on the same input, interleaved, best of
``--repeat`` runs, after compilation (one warm-up call each), and prints both
times, the ratio skot / POT and a quality figure:

- ``wasserstein_1d``: ``K`` problems of ``n`` weighted points (one per
  column), p = 2; quality: largest relative difference of the costs.
- ``wasserstein_circle``: the same on the circle, p = 2 (POT's binary search,
  eps 1e-6); quality: largest relative difference (skot's is exact).
- ``sliced_wasserstein`` / ``max_sliced``: two 10-D clouds of ``n`` points,
  the same ``K`` directions; quality: relative difference.
- ``partial_wasserstein``: 2-D clouds, squared Euclidean cost, m = 0.6;
  quality: relative cost difference and largest plan difference.
- ``entropic_partial``: the same at reg = 0.05, both solvers running the same
  number of iterations (POT's ``stopThr`` is not comparable); quality:
  largest plan difference.

Usage::

    python benchmarks/bench_ot_sliced_partial.py           # two sizes per row
    python benchmarks/bench_ot_sliced_partial.py --quick   # smoke test, no timing claims

Run it alone on a quiet machine.
"""

import argparse
import time
import warnings

import numpy as np


def _best(funcs, repeat):
    """Interleaved best-of-``repeat`` times of each function (and their last outputs)."""
    times = [np.inf] * len(funcs)
    outs = [None] * len(funcs)
    for f in funcs:  # warm-up (compilation)
        f()
    for _ in range(repeat):
        for k, f in enumerate(funcs):
            t0 = time.perf_counter()
            outs[k] = f()
            times[k] = min(times[k], time.perf_counter() - t0)
    return times, outs


def _row(name, size, t_skot, t_pot, quality):
    print(
        f"{name:<22} {size:<22} skot {t_skot * 1e3:10.2f} ms   POT {t_pot * 1e3:10.2f} ms   "
        f"ratio {t_skot / t_pot:6.3f}   {quality}"
    )


def bench_1d(ot, sizes, K, repeat):
    from skot.ot._sliced import wasserstein_1d, wasserstein_circle

    rng = np.random.default_rng(0)
    for n in sizes:
        U = rng.normal(size=(n, K))
        V = rng.normal(size=(n, K)) + 0.5
        wu = rng.random(n)
        wv = rng.random(n)
        wv *= wu.sum() / wv.sum()
        (ts, tp), (cs, cp) = _best(
            [
                lambda: wasserstein_1d(U, V, wu, wv, p=2),
                lambda: ot.wasserstein_1d(U, V, wu, wv, p=2),
            ],
            repeat,
        )
        q = np.max(np.abs(cs - cp) / np.abs(cp))
        _row("wasserstein_1d p=2", f"n={n} K={K}", ts, tp, f"max rel diff {q:.1e}")
        Uc = rng.random((n, K))
        Vc = rng.random((n, K))
        (ts, tp), (cs, cp) = _best(
            [
                lambda: wasserstein_circle(Uc, Vc, p=2),
                lambda: ot.wasserstein_circle(Uc, Vc, p=2),
            ],
            repeat,
        )
        q = np.max(np.abs(cs - cp) / np.abs(cp))
        _row("wasserstein_circle p=2", f"n={n} K={K}", ts, tp, f"max rel diff {q:.1e}")


def bench_sliced(ot, sizes, K, repeat):
    from skot.ot._sliced import max_sliced_wasserstein, sliced_wasserstein

    rng = np.random.default_rng(1)
    for n in sizes:
        X = rng.normal(size=(n, 10))
        Y = rng.normal(size=(n, 10)) * 1.5 + 0.3
        proj = ot.sliced.get_random_projections(10, K, seed=0)
        for name, ours, theirs in [
            ("sliced_wasserstein", sliced_wasserstein, ot.sliced_wasserstein_distance),
            ("max_sliced", max_sliced_wasserstein, ot.max_sliced_wasserstein_distance),
        ]:
            (ts, tp), (ds, dp) = _best(
                [
                    lambda ours=ours: ours(X, Y, projections=proj),
                    lambda theirs=theirs: theirs(X, Y, projections=proj),
                ],
                repeat,
            )
            _row(name, f"n={n} d=10 K={K}", ts, tp, f"rel diff {abs(ds - dp) / dp:.1e}")


def _partial_problem(n, seed):
    from skot.ot import cost_matrix

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    Y = rng.normal(size=(n, 2)) + [1.0, 0.0]
    a = np.full(n, 1.0 / n)
    M = cost_matrix(X, Y)
    return a, a.copy(), M / M.max()


def bench_partial(ot, sizes, sizes_entropic, n_iter, repeat):
    from skot.ot._partial import entropic_partial_wasserstein, partial_wasserstein

    for n in sizes:
        a, b, M = _partial_problem(n, n)
        (ts, tp), (rs, Pp) = _best(
            [
                lambda: partial_wasserstein(a, b, M, m=0.6),
                lambda: ot.partial.partial_wasserstein(a, b, M, m=0.6),
            ],
            repeat,
        )
        cp = float((Pp * M).sum())
        _row(
            "partial_wasserstein",
            f"n={n} m=0.6",
            ts,
            tp,
            f"rel cost diff {abs(rs.cost - cp) / cp:.1e}, max plan diff "
            f"{np.abs(rs.plan - Pp).max():.1e}",
        )
    for n in sizes_entropic:
        a, b, M = _partial_problem(n, n + 1)

        def ours():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return entropic_partial_wasserstein(
                    a, b, M, 0.05, m=0.6, max_iter=n_iter, tol=0.0
                ).plan

        (ts, tp), (Ps, Pp) = _best(
            [
                ours,
                lambda: ot.partial.entropic_partial_wasserstein(
                    a, b, M, 0.05, m=0.6, numItermax=n_iter
                ),
            ],
            repeat,
        )
        _row(
            "entropic_partial",
            f"n={n} reg=0.05 it={n_iter}",
            ts,
            tp,
            f"max plan diff {np.abs(Ps - Pp).max():.1e}",
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import ot

    if args.quick:
        bench_1d(ot, [200], 8, 1)
        bench_sliced(ot, [300], 10, 1)
        bench_partial(ot, [30], [30], 20, 1)
        return
    bench_1d(ot, [1_000, 100_000], 50, args.repeat)
    bench_sliced(ot, [10_000, 200_000], 100, args.repeat)
    bench_partial(ot, [300, 1_000], [200, 1_000], 200, args.repeat)


if __name__ == "__main__":
    main()
