"""Benchmark skot's Gromov-Wasserstein and barycenter solvers against POT.

Rows (each at two sizes; skot and POT run interleaved on the same input,
after compilation, best of ``--repeat``; printed: both times, the ratio
skot / POT and the quality figure):

- ``gromov_wasserstein`` (square loss) vs ``ot.gromov.gromov_wasserstein``
  from the same initial plan ``p q^T``: |loss difference|;
- ``fused_gromov_wasserstein`` (alpha 0.5) vs POT's: |loss difference|;
- ``entropic_gromov_wasserstein`` (reg 0.01) vs POT's (PGD): |loss difference|;
- ``barycenter`` (scaling and log domain) vs ``ot.bregman.barycenter``
  (1-D histograms, reg 2e-3 on [0, 1]^2 costs): max |difference|;
- ``free_support_barycenter`` vs ``ot.lp.free_support_barycenter``:
  max |difference| of the support points.

Usage::

    python benchmarks/bench_ot_barycenter_gromov.py            # n in {200, 500}
    python benchmarks/bench_ot_barycenter_gromov.py --quick    # smoke test only
"""

import argparse
import time
import warnings

import numpy as np
from scipy.spatial.distance import cdist


def _race(f_skot, f_pot, repeat):
    """Interleaved best-of-``repeat`` times and the last outputs."""
    ts, tp = [], []
    out_s = out_p = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out_s = f_skot()
        ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out_p = f_pot()
        tp.append(time.perf_counter() - t0)
    return min(ts), min(tp), out_s, out_p


def _row(name, n, ts, tp, quality):
    print(f"{name:<34} {n:>6} {ts:>10.4f} {tp:>10.4f} {ts / tp:>8.3f}  {quality}")


def _spaces(n, seed=0):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, 2)), rng.normal(size=(n, 3))
    C1, C2 = cdist(X, X), cdist(Y, Y)
    M = cdist(X, Y[:, :2], "sqeuclidean")
    return C1 / C1.max(), C2 / C2.max(), M / M.max()


def bench_gromov(sizes, repeat):
    import ot

    from skot.ot._gromov import (
        entropic_gromov_wasserstein,
        fused_gromov_wasserstein,
        gromov_wasserstein,
    )

    C1, C2, M = _spaces(20)
    gromov_wasserstein(C1, C2)  # compile
    entropic_gromov_wasserstein(C1, C2, reg=0.05)
    for n in sizes:
        C1, C2, M = _spaces(n)
        ts, tp, rs, (_, lp) = _race(
            lambda: gromov_wasserstein(C1, C2, tol_abs=1e-9),
            lambda: ot.gromov.gromov_wasserstein(C1, C2, log=True),
            repeat,
        )
        _row("gromov_wasserstein", n, ts, tp, f"|dloss| {abs(rs.cost - lp['gw_dist']):.1e}")
        ts, tp, rs, (_, lp) = _race(
            lambda: fused_gromov_wasserstein(M, C1, C2, tol_abs=1e-9),
            lambda: ot.gromov.fused_gromov_wasserstein(M, C1, C2, log=True),
            repeat,
        )
        _row("fused_gromov_wasserstein", n, ts, tp, f"|dloss| {abs(rs.cost - lp['fgw_dist']):.1e}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts, tp, rs, (_, lp) = _race(
                lambda: entropic_gromov_wasserstein(C1, C2, reg=0.01),
                lambda: ot.gromov.entropic_gromov_wasserstein(C1, C2, epsilon=0.01, log=True),
                repeat,
            )
        _row(
            "entropic_gromov_wasserstein", n, ts, tp, f"|dloss| {abs(rs.cost - lp['gw_dist']):.1e}"
        )


def bench_barycenter(sizes, repeat):
    import ot

    from skot.ot._barycenter import barycenter, free_support_barycenter

    rng = np.random.default_rng(0)
    for n in sizes:
        x = np.linspace(0, 1, n)
        M = (x[:, None] - x[None, :]) ** 2
        A = np.stack([np.exp(-((x - c) ** 2) / 0.005) for c in (0.2, 0.5, 0.8)], 1)
        A /= A.sum(0)
        A10 = A[::10] / A[::10].sum(0)
        barycenter(A10, M[::10, ::10], 0.05, method="sinkhorn_log")  # compile
        for method in ("sinkhorn", "sinkhorn_log"):
            ts, tp, rs, rp = _race(
                lambda method=method: barycenter(A, M, 2e-3, method=method, tol=1e-9),
                lambda method=method: ot.bregman.barycenter(
                    A, M, 2e-3, method=method, stopThr=1e-9
                ),
                repeat,
            )
            _row(
                f"barycenter[{method}]", n, ts, tp, f"max|d| {np.abs(rs.barycenter - rp).max():.1e}"
            )
        k = max(10, n // 10)
        Ys = [rng.normal(size=(n, 2)) + i for i in range(3)]
        nus = [np.full(n, 1.0 / n)] * 3
        X0 = rng.normal(size=(k, 2))
        ts, tp, rs, rp = _race(
            lambda: free_support_barycenter(Ys, nus, X0, tol=0.0, max_iter=20),
            lambda: ot.lp.free_support_barycenter(Ys, nus, X0, numItermax=20, stopThr=0.0),
            repeat,
        )
        _row("free_support_barycenter", n, ts, tp, f"max|d| {np.abs(rs.barycenter - rp).max():.1e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gw_sizes = [20, 40] if args.quick else [200, 500]
    bar_sizes = [30, 60] if args.quick else [200, 1000]
    repeat = 1 if args.quick else args.repeat
    print(f"{'solver':<34} {'n':>6} {'skot s':>10} {'POT s':>10} {'ratio':>8}  quality")
    bench_gromov(gw_sizes, repeat)
    bench_barycenter(bar_sizes, repeat)


if __name__ == "__main__":
    main()
