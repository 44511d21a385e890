"""Start-up: each family's first call in a fresh process, cold and warm numba cache.

For every family, a fresh Python process imports the family, builds a small
problem and times its first call:

- *cold*: an empty numba cache (``NUMBA_CACHE_DIR`` set to a new folder), as
  after every install or upgrade, in CI, in a new container;
- *warm*: the same cache, filled by the cold run (best of ``--repeat``
  processes): what a notebook user meets after each kernel restart.

Printed next to scikit-learn's first ``KMeans.fit`` in the same conditions, with
the import time of the family (``import skot.<family>``, numba excluded since
it is imported lazily) against ``import sklearn.cluster``. Targets (issue 10):
cold first call at most 4 s, warm first call at most 0.3 s, imports at most
0.15 s above scikit-learn's own.

Usage: python benchmarks/bench_startup.py [--repeat 3] [--only NAME ...]
"""

import argparse
import os
import subprocess
import sys
import tempfile

# name: (import statement, first call); X is a (1000, 5) float64 array.
CASES = {
    "sklearn KMeans": (
        "from sklearn.cluster import KMeans",
        "KMeans(8, n_init=1, random_state=0).fit(X)",
    ),
    "KMedoids": (
        "from skot.cluster import KMedoids",
        "KMedoids(8, random_state=0).fit(X)",
    ),
    "linkage": (
        "from skot.cluster import linkage",
        "linkage(X, method='ward')",
    ),
    "BottomUpClustering": (
        "from skot.cluster import BottomUpClustering",
        "BottomUpClustering(n_clusters=8).fit(X)",
    ),
    "sinkhorn": (
        "from skot.ot import cost_matrix, sinkhorn",
        "sinkhorn(None, None, cost_matrix(X[:300], X[300:600], norm='max'), 0.05)",
    ),
    "emd": (
        "from skot.ot import cost_matrix, emd",
        "emd(None, None, cost_matrix(X[:300], X[300:600]))",
    ),
    "SinkhornTransport": (
        "from skot.da import SinkhornTransport",
        "SinkhornTransport(reg=1.0).fit(X[:600], y)",
    ),
    "SinkhornAffinity": (
        "from skot.similarity import SinkhornAffinity",
        "SinkhornAffinity().fit_transform(X[:500])",
    ),
}

TEMPLATE = """
import time
t0 = time.perf_counter()
{imp}
t1 = time.perf_counter()
import numpy as np
X = np.random.RandomState(0).randn(1000, 5)
y = np.r_[np.arange(300) % 3, -np.ones(300, dtype=int)]
t2 = time.perf_counter()
{call}
t3 = time.perf_counter()
print(t1 - t0, t3 - t2)
"""

IMPORTS = """
import time
t0 = time.perf_counter()
import sklearn.cluster, sklearn.base, sklearn.utils._param_validation, sklearn.metrics
t1 = time.perf_counter()
import {module}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def run(src, env):
    out = subprocess.run([sys.executable, "-c", src], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return [float(v) for v in out.stdout.split()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="warm processes (best is kept)")
    parser.add_argument("--only", nargs="*", default=None, help="case names to run")
    args = parser.parse_args()
    names = args.only or list(CASES)

    print("Imports (best of 5 processes): the family's import on top of scikit-learn's")
    for module in ("skot.cluster", "skot.ot", "skot.da", "skot.similarity"):
        best = min(run(IMPORTS.format(module=module), dict(os.environ))[1] for _ in range(5))
        status = "ok" if best <= 0.15 else "OVER"
        print(f"  import {module:16s} +{best:.3f} s  (target 0.15 s: {status})", flush=True)

    print("\nFirst call in a fresh process (seconds; imports excluded)")
    print(
        f"  {'case':20s} {'import':>7s} {'cold':>7s} {'warm':>7s}   targets: cold <= 4, warm <= 0.3"
    )
    for name in names:
        imp, call = CASES[name]
        src = TEMPLATE.format(imp=imp, call=call)
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            imp_t, cold = run(src, env)
            warm = min(run(src, env)[1] for _ in range(args.repeat))
        flag = (
            ""
            if name.startswith("sklearn")
            else ("  ok" if cold <= 4 and warm <= 0.3 else "  OVER")
        )
        print(f"  {name:20s} {imp_t:7.2f} {cold:7.2f} {warm:7.2f}{flag}", flush=True)


if __name__ == "__main__":
    main()
