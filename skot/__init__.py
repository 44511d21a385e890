"""skot: clustering, optimal transport and domain adaptation for scikit-learn.

Subpackages load lazily on first attribute access, so ``import skot`` stays fast:

- :mod:`skot.cluster` -- k-medoids (FasterPAM and its family) and agglomerative clustering.
- :mod:`skot.ot` -- optimal-transport solvers.
- :mod:`skot.da` -- domain-adaptation transformers and classifiers.
- :mod:`skot.similarity` -- Sinkhorn-normalised (doubly stochastic) affinities.
- :mod:`skot.metrics` -- clustering quality scores (silhouette, medoid silhouette).
- :mod:`skot.datasets` -- data generators.
- :mod:`skot.utils` -- validation helpers and estimator discovery.
"""

import importlib
import importlib.util

__version__ = "0.1.0"

_CANDIDATES = ("cluster", "ot", "da", "similarity", "metrics", "datasets", "utils")


def _available():
    return [
        name for name in _CANDIDATES if importlib.util.find_spec(f"{__name__}.{name}") is not None
    ]


def __getattr__(name):
    if name in _CANDIDATES and name in _available():
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_available()))
