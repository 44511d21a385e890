"""``python -m skot demo``: every skot family on bundled data.

Each family contributes one module in this package defining ``TITLE`` (str),
``ORDER`` (int, table position) and ``run(ctx)`` returning a list of
:class:`DemoRow`. Modules are discovered, never listed by hand, so a family
joins the demo by adding its file.
"""

import importlib
import pkgutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class DemoRow:
    """One line of the demo table."""

    estimator: str
    found: str
    quality: str
    seconds: float


@dataclass
class DemoContext:
    """What a family's ``run`` receives: data, output folder and options."""

    X: np.ndarray
    y: np.ndarray
    images: np.ndarray
    out: Path
    quick: bool
    random_state: int
    figures: list

    def save_figure(self, fig, name):
        """Write ``fig`` as ``<out>/<name>.png`` and remember the path."""
        path = self.out / f"{name}.png"
        fig.savefig(path, dpi=100, bbox_inches="tight")
        self.figures.append(path)
        return path


def pyplot():
    """Return ``matplotlib.pyplot`` with a non-interactive backend, or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a demo/test extra
        return None
    return plt


def timed(func, *args, **kwargs):
    """Call ``func`` and return ``(result, seconds)``."""
    t0 = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - t0


def _family_modules():
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def run_demo(out="skot-demo", quick=False, random_state=0):
    """Run every family's demo, print the table and write the figures."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    X, y, images = digits.data, digits.target, digits.images
    if quick:
        X, y, images = X[:400], y[:400], images[:400]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(
        X=X, y=y, images=images, out=out, quick=quick, random_state=random_state, figures=[]
    )
    if pyplot() is None:
        print("matplotlib is not installed: figures are skipped.")
    print(f"skot demo on scikit-learn's digits ({X.shape[0]} images, {X.shape[1]} pixels)\n")
    header = ("family", "estimator", "found", "quality", "time [s]")
    rows = []
    for mod in _family_modules():
        for row in mod.run(ctx):
            rows.append((mod.TITLE, row.estimator, row.found, row.quality, f"{row.seconds:.3f}"))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    if ctx.figures:
        print("\nFigures:")
        for path in ctx.figures:
            print(f"  {path}")
    return 0
