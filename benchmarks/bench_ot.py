"""Benchmark skot.ot against POT (one run, after numba compilation).

For random point clouds (2-D and 10-D, squared Euclidean cost normalised by
its max) and each ``reg``, every Sinkhorn variant is run to the same L1
marginal error ``--tol`` (POT's criterion, the 2-norm of the column error, is
given ``tol / sqrt(m)``, which bounds its L1 error by ``tol`` too). Printed per
solver: time, iterations, time per iteration, the final L1 marginal error
and the ratio skot / POT. POT ``sinkhorn_log`` is slow at these sizes: its
time per iteration is measured on ``--log-iters`` iterations and its time to
the error is estimated from skot ``"log"``'s iteration count (the two run
the same iterations). ``emd`` is compared with POT ``emd`` (run to
optimality, and with its default iteration cap).

Usage::

    python benchmarks/bench_ot.py            # n in {500, 1000}: a few minutes
    python benchmarks/bench_ot.py --full     # n in {500, 2000, 5000} (hours)
    python benchmarks/bench_ot.py --n 1000 --reg 1e-2 --dims 2
    python benchmarks/bench_ot.py --online 100000 --online-iter 3   # online only
    python benchmarks/bench_ot.py --sns --n 500 2000    # SNS to 1e-9 at reg = 1e-3

``--batch`` runs only the batch section: ``sinkhorn`` on a stack of
``--batch-size`` problems of ``--batch-n`` x ``--batch-n`` (random 2-D clouds,
squared Euclidean cost, reg 0.05, tol 1e-9) against a Python loop over POT's
``sinkhorn`` (stopThr 1e-9); ``--unbalanced`` only the unbalanced section:
``sinkhorn_unbalanced`` (translation-invariant and plain log) against POT's
``sinkhorn_unbalanced`` (``sinkhorn_stabilized``) at ``reg_m = 10``;
``--solve`` only the dispatch overhead of ``solve`` against the direct call
and against POT's ``ot.solve`` (small problems, where overhead shows).
Each of these rows times skot and POT interleaved, best of ``--repeat``
runs, after compilation, and prints the ratio and the quality figure
(largest plan difference, marginal error). ``--quick`` shrinks every size
(a smoke test, no timing claims).

``--online N`` runs only the online section: ``sinkhorn_online`` on two
random 10-D clouds of ``N`` points each (squared Euclidean cost normalised by
its max, computed on the fly block-wise, never stored), ``--online-iter``
iterations at ``--online-reg``; it prints the time of the max-cost pass, the
time per iteration, the final L1 marginal error and the peak resident memory
of the process (run it under ``/usr/bin/time -v`` for an independent figure).
"""

import argparse
import contextlib
import time
import warnings

import numpy as np


def _timed(func, *args, **kwargs):
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - t0


def _l1(P, a, b):
    return float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())


def _row(name, seconds, n_iter, err, ref_seconds=None, per_iter_ref=None, note=""):
    per = seconds / max(n_iter, 1)
    ratio = f"{seconds / ref_seconds:7.3f}" if ref_seconds else "      -"
    pratio = f"{per / per_iter_ref:7.3f}" if per_iter_ref else "      -"
    print(
        f"  {name:<22} {seconds:9.3f} s {n_iter:7d} it {per * 1e3:9.3f} ms/it "
        f"err {err:9.2e}  time/POT {ratio}  per-it/POT {pratio} {note}"
    )


def bench_sinkhorn(M, reg, tol, max_iter, log_iters, n_jobs):
    import ot

    from skot.ot import sinkhorn

    n, m = M.shape
    a = np.full(n, 1.0 / n)
    b = np.full(m, 1.0 / m)
    print(f"n = m = {n}, reg = {reg:g}, target L1 marginal error {tol:g}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # POT plain Sinkhorn (scaling domain, the fast reference)
        # POT stops on the 2-norm of the column error, checked every 10
        # iterations; tol / sqrt(m) bounds the L1 error by tol as well
        P_pot, t_pot = _timed(
            ot.sinkhorn,
            a,
            b,
            M,
            reg,
            method="sinkhorn",
            stopThr=tol / np.sqrt(m),
            numItermax=max_iter,
            log=True,
        )
        it_pot = int(P_pot[1]["niter"])
        P_pot = P_pot[0]
        pot_ok = np.isfinite(P_pot).all()
        per_pot = t_pot / max(it_pot, 1)
        _row(
            "POT sinkhorn",
            t_pot,
            it_pot,
            _l1(P_pot, a, b) if pot_ok else np.nan,
            note="" if pot_ok else "(NaN plan: unstable)",
        )
        # POT log-domain Sinkhorn: time per iteration on a few iterations
        _, t_potlog = _timed(
            ot.sinkhorn, a, b, M, reg, method="sinkhorn_log", stopThr=0.0, numItermax=log_iters
        )
        per_potlog = t_potlog / log_iters
        results = {}
        for method in ("log", "scaling", "sns"):
            res, t = _timed(
                sinkhorn, a, b, M, reg, method=method, tol=tol, max_iter=max_iter, n_jobs=n_jobs
            )
            results[method] = (res, t)
        it_log = results["log"][0].n_iter
        est = per_potlog * it_log
        _row(
            "POT sinkhorn_log (est.)",
            est,
            it_log,
            np.nan,
            note=f"(measured {per_potlog * 1e3:.1f} ms/it on {log_iters} it)",
        )
        for method, (res, t) in results.items():
            flag = "" if res.converged else "(max_iter reached)"
            _row(
                f"skot {method}",
                t,
                res.n_iter,
                res.marginal_error,
                ref_seconds=t_pot if pot_ok else None,
                per_iter_ref=per_pot if pot_ok else None,
                note=flag,
            )
            print(
                f"  {'':<22} vs POT sinkhorn_log: time {t / est:7.4f}, "
                f"per-iteration {t / max(res.n_iter, 1) / per_potlog:7.4f}"
            )
        if pot_ok:
            diff = np.abs(results["log"][0].plan - P_pot).max()
            print(f"  max |plan_skot - plan_POT| = {diff:.2e}")


def bench_emd(M):
    import ot

    from skot.ot import emd

    n = M.shape[0]
    res, t = _timed(emd, None, None, M)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        (_, log_def), t_def = _timed(ot.emd, [], [], M, log=True)
        capped = any("numItermax" in str(x.message) or "Iteration" in str(x.message) for x in w)
    (_, log_full), t_full = _timed(ot.emd, [], [], M, numItermax=10**9, log=True)
    ref = float(log_full["cost"])
    print(
        f"emd n = m = {n}: skot {t:.3f} s ({res.n_iter} pivots, optimal={res.converged}, "
        f"cost {res.cost:.12g}); POT to optimality {t_full:.3f} s (cost {ref:.12g}); "
        f"ratio skot/POT {t / t_full:.3f}; relative cost difference "
        f"{abs(res.cost - ref) / abs(ref):.1e}"
    )
    print(
        f"  POT with its default numItermax: {t_def:.3f} s, cost "
        f"{float(log_def['cost']):.12g}, stopped by the cap: {capped}"
    )


def bench_sns(kind, n, d, reg, tol, log_cap, n_jobs, seed):
    """SNS to ``tol`` against log Sinkhorn (capped at ``log_cap`` iterations)."""
    from sklearn.datasets import make_blobs

    from skot.ot import cost_matrix, sinkhorn, sinkhorn_newton_sparse

    rng = np.random.default_rng(seed)
    if kind == "blobs":
        X, _ = make_blobs(n, d, centers=5, random_state=seed)
        Y, _ = make_blobs(int(1.2 * n), d, centers=5, random_state=seed + 1)
    else:
        X, Y = rng.random((n, d)), rng.random((n, d))
    M = cost_matrix(X, Y, norm="max")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r, t_sns = _timed(
            sinkhorn_newton_sparse, None, None, M, reg, tol=tol, max_iter=20_000, n_jobs=n_jobs
        )
        lg, t_log = _timed(
            sinkhorn, None, None, M, reg, method="log", tol=tol, max_iter=log_cap, n_jobs=n_jobs
        )
    per = t_log / max(lg.n_iter, 1)
    name = f"{kind} {d}-D" if kind != "blobs" else f"blobs {d}-D"
    line = (
        f"  {name:<11} {M.shape[0]:>5}x{M.shape[1]:<5} sns {r.n_iter:4d} it {t_sns:8.3f} s "
        f"err {r.marginal_error:8.1e} | log {lg.n_iter:6d} it {t_log:8.2f} s "
        f"({per * 1e3:6.2f} ms/it) err {lg.marginal_error:8.1e}"
    )
    if lg.converged:
        line += (
            f" | log/sns: iterations {lg.n_iter / r.n_iter:6.1f}, time "
            f"{t_log / t_sns:6.1f}, max |plan diff| {np.abs(lg.plan - r.plan).max():.1e}"
        )
    else:
        line += (
            f" | log capped: iterations >= {lg.n_iter / r.n_iter:.1f}x, "
            f"time >= {t_log / t_sns:.1f}x"
        )
    print(line, flush=True)


def bench_online(n, d, reg, n_iter, n_jobs, seed):
    import resource

    from skot.ot import sinkhorn_online

    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    Y = rng.random((n, d))
    with warnings.catch_warnings():  # warm up on a small problem
        warnings.simplefilter("ignore")
        sinkhorn_online(X[:300], Y[:300], reg, norm="max", max_iter=2, n_jobs=n_jobs)
    print(f"\n=== online Sinkhorn, {d}-D clouds, n = m = {n}, reg = {reg:g}, n_jobs = {n_jobs} ===")

    class _Stamps:
        """Stdout recorder: the time of every verbose progress line."""

        def __init__(self):
            self.times = []

        def write(self, text):
            if "iteration" in text:
                self.times.append(time.perf_counter())

        def flush(self):
            pass

    stamps = _Stamps()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_start = time.perf_counter()
        with contextlib.redirect_stdout(stamps):
            res = sinkhorn_online(
                X, Y, reg, norm="max", max_iter=n_iter, tol=1e-9, n_jobs=n_jobs, verbose=True
            )
        t_end = time.perf_counter()
    ts = np.asarray(stamps.times)
    per = float(np.diff(ts).mean()) if ts.size > 1 else float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(
        f"  total {t_end - t_start:.1f} s for {res.n_iter} iterations: max-cost pass + "
        f"first half-iteration {ts[0] - t_start:.1f} s, {per:.1f} s per iteration "
        f"({2 * n * n / per:.3g} cost entries/s), final marginal/cost passes "
        f"{t_end - ts[-1]:.1f} s"
    )
    print(
        f"  final L1 marginal error {res.marginal_error:.3e} (converged={res.converged}), "
        f"cost {res.cost:.6g}; peak RSS {peak:.0f} MiB (one n x n float64 matrix would "
        f"take {8 * n * n / 2**20:.0f} MiB)"
    )


def _best_interleaved(funcs, repeat):
    """Best time of each callable over ``repeat`` rounds, run in turn; last outputs."""
    best = [np.inf] * len(funcs)
    outs = [None] * len(funcs)
    for _ in range(repeat):
        for k, fn in enumerate(funcs):
            t0 = time.perf_counter()
            outs[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best, outs


def bench_batch(B, n, repeat, n_jobs, seed):
    import ot

    from skot.ot import sinkhorn

    rng = np.random.default_rng(seed)
    X = rng.random((B, n, 2))
    Y = rng.random((B, n, 2))
    M = ((X[:, :, None] - Y[:, None]) ** 2).sum(-1)
    a = rng.random((B, n)) + 0.1
    a /= a.sum(1, keepdims=True)
    b = rng.random((B, n)) + 0.1
    b /= b.sum(1, keepdims=True)
    reg, tol = 0.05, 1e-9
    sinkhorn(a[:2], b[:2], M[:2], reg, n_jobs=n_jobs)  # compile

    def pot_loop():
        return [ot.sinkhorn(a[k], b[k], M[k], reg, stopThr=tol) for k in range(B)]

    (ts, tp), (res, ref) = _best_interleaved(
        [lambda: sinkhorn(a, b, M, reg, tol=tol, n_jobs=n_jobs), pot_loop], repeat
    )
    diff = max(float(np.abs(res.plan[k] - ref[k]).max()) for k in range(B))
    print(
        f"  batch sinkhorn B={B} {n}x{n}: skot {ts:8.4f} s  POT loop {tp:8.4f} s  "
        f"POT/skot {tp / ts:6.1f}x  max|dP| {diff:.1e}  max err {res.marginal_error.max():.1e}  "
        f"mean it {res.n_iter.mean():.0f}"
    )


def bench_unbalanced(n, regs, repeat, n_jobs, seed):
    import ot

    from skot.ot import sinkhorn_unbalanced

    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    Y = rng.random((n, 2))
    M = ((X[:, None] - Y[None]) ** 2).sum(-1)
    M /= M.max()
    a = np.full(n, 1.0 / n)
    b = np.full(n, 1.3 / n)
    reg_m = 10.0
    for reg in regs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sinkhorn_unbalanced(a[:5], b[:5], M[:5, :5], reg, reg_m, n_jobs=n_jobs)

            def ti():
                return sinkhorn_unbalanced(
                    a,
                    b,
                    M,
                    reg,
                    reg_m,
                    method="translation_invariant",
                    tol=1e-9,
                    max_iter=200_000,
                    n_jobs=n_jobs,
                )

            def plain():
                return sinkhorn_unbalanced(
                    a,
                    b,
                    M,
                    reg,
                    reg_m,
                    method="log",
                    tol=1e-9,
                    max_iter=200_000,
                    n_jobs=n_jobs,
                )

            def pot():
                return ot.unbalanced.sinkhorn_unbalanced(
                    a,
                    b,
                    M,
                    reg,
                    reg_m,
                    method="sinkhorn_stabilized",
                    stopThr=1e-9,
                    numItermax=200_000,
                    log=True,
                )

            (t_ti, t_log, t_pot), (r_ti, r_log, (P, log)) = _best_interleaved(
                [ti, plain, pot], repeat
            )
        pot_ok = bool(np.isfinite(P).all())
        diff = float(np.abs(r_ti.plan - P).max()) if pot_ok else float("nan")
        print(
            f"  unbalanced n={n} reg={reg:g} reg_m={reg_m:g}: TI {t_ti:8.3f} s "
            f"({r_ti.n_iter} it, conv {r_ti.converged})  log {t_log:8.3f} s "
            f"({r_log.n_iter} it)  POT {t_pot:8.3f} s ({log.get('niter', '?')} it)  "
            f"POT/TI {t_pot / t_ti:6.1f}x  max|P_TI - P_POT| {diff:.1e}"
        )


def bench_solve(n, repeat, n_jobs, seed):
    import ot

    from skot.ot import emd, sinkhorn
    from skot.ot._solve import solve

    rng = np.random.default_rng(seed)
    M = rng.random((n, n))
    a = np.full(n, 1.0 / n)
    for name, kw, direct in [
        ("exact", {}, lambda: emd(a, a, M)),
        ("entropic", {"reg": 0.1}, lambda: sinkhorn(a, a, M, 0.1, n_jobs=n_jobs)),
    ]:
        solve(M, a, a, **kw)  # compile

        (t_solve, t_direct, t_pot), (r, _, p) = _best_interleaved(
            [lambda: solve(M, a, a, **kw, n_jobs=n_jobs), direct, lambda: ot.solve(M, a, a, **kw)],
            repeat,
        )
        print(
            f"  solve {name:<8} n={n}: solve {t_solve * 1e6:9.1f} us  direct "
            f"{t_direct * 1e6:9.1f} us  overhead {(t_solve - t_direct) * 1e6:8.1f} us  "
            f"POT solve {t_pot * 1e6:9.1f} us  POT/skot {t_pot / t_solve:6.1f}x  "
            f"|value - POT| {abs(r.value - float(p.value)):.1e}  ({r.method})"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="n in {500, 2000, 5000}")
    parser.add_argument("--n", type=int, nargs="*", default=None)
    parser.add_argument("--reg", type=float, nargs="*", default=[1e-1, 1e-2, 1e-3])
    parser.add_argument("--dims", type=int, nargs="*", default=[2, 10])
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--log-iters", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--no-emd", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--online",
        type=int,
        default=None,
        metavar="N",
        help="only the online Sinkhorn section, n = m = N (e.g. 100000)",
    )
    parser.add_argument("--online-iter", type=int, default=3)
    parser.add_argument("--online-reg", type=float, default=0.1)
    parser.add_argument("--online-dim", type=int, default=10)
    parser.add_argument(
        "--sns",
        action="store_true",
        help="only the SNS section: reg = 1e-3 to tol = 1e-9 against log "
        "Sinkhorn, random 2-D/10-D clouds and blobs",
    )
    parser.add_argument(
        "--sns-log-cap",
        type=int,
        default=5000,
        help="iteration cap of the log Sinkhorn reference in --sns",
    )
    parser.add_argument("--batch", action="store_true", help="only the batch section")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batch-n", type=int, default=50)
    parser.add_argument("--unbalanced", action="store_true", help="only the unbalanced section")
    parser.add_argument("--solve", action="store_true", help="only the solve-dispatch section")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    args = parser.parse_args()
    if args.batch or args.unbalanced or args.solve:
        quick = args.quick
        if args.batch:
            B, n = (20, 10) if quick else (args.batch_size, args.batch_n)
            bench_batch(B, n, 1 if quick else args.repeat, args.n_jobs, args.seed)
        if args.unbalanced:
            n, regs = (20, [1e-2]) if quick else ((args.n or [300])[0], [1e-2, 1e-3])
            bench_unbalanced(n, regs, 1 if quick else args.repeat, args.n_jobs, args.seed)
        if args.solve:
            for n in [10] if quick else [10, 100]:
                bench_solve(n, 1 if quick else max(args.repeat, 20), args.n_jobs, args.seed)
        return
    if args.online:
        bench_online(
            args.online, args.online_dim, args.online_reg, args.online_iter, args.n_jobs, args.seed
        )
        return
    sizes = args.n or ([500, 2000, 5000] if args.full else [500, 1000])
    if args.sns:
        from skot.ot import sinkhorn_newton_sparse

        sinkhorn_newton_sparse(
            None, None, np.random.default_rng(0).random((40, 40)), 1e-3, n_jobs=args.n_jobs
        )
        print(
            "SNS vs log Sinkhorn, reg = 1e-3, tol = 1e-9 (L1 marginal error), "
            "squared Euclidean cost / max"
        )
        for n in sizes:
            for kind, d in [("random", d) for d in args.dims] + [("blobs", 2)]:
                bench_sns(kind, n, d, 1e-3, 1e-9, args.sns_log_cap, args.n_jobs, args.seed)
        return

    import ot  # noqa: F401  (fail early when the peer is missing)

    from skot.ot import cost_matrix, emd, sinkhorn

    # compile every kernel before timing
    Mw = np.random.default_rng(0).random((30, 30))
    for method in ("log", "scaling", "sns"):
        sinkhorn(None, None, Mw, 0.1, method=method, n_jobs=args.n_jobs)
    emd(None, None, Mw)
    rng = np.random.default_rng(args.seed)
    # the same threads for everybody: POT's BLAS gets --n-jobs threads too
    from threadpoolctl import threadpool_limits

    blas = threadpool_limits(limits=max(1, args.n_jobs), user_api="blas")
    print(f"skot n_jobs = {args.n_jobs}; BLAS (POT) limited to {max(1, args.n_jobs)} thread(s)")
    for d in args.dims:
        for n in sizes:
            X = rng.random((n, d))
            Y = rng.random((n, d))
            M = cost_matrix(X, Y, norm="max")
            print(f"\n=== {d}-D point clouds, n = m = {n} ===")
            for reg in args.reg:
                bench_sinkhorn(M, reg, args.tol, args.max_iter, args.log_iters, args.n_jobs)
            if not args.no_emd:
                bench_emd(M)
    blas.unregister()


if __name__ == "__main__":
    main()
