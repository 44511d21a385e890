"""Discover skot's public estimators and functions (as scikit-learn's discovery does)."""

import inspect
import pkgutil
from importlib import import_module
from operator import itemgetter

__all__ = ["all_estimators", "all_functions"]

_TYPE_MIXINS = {
    "classifier": "ClassifierMixin",
    "regressor": "RegressorMixin",
    "transformer": "TransformerMixin",
    "cluster": "ClusterMixin",
}


def _public_modules():
    import skot

    for info in pkgutil.walk_packages(skot.__path__, prefix="skot."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or "tests" in parts:
            continue
        yield import_module(info.name)


def all_estimators(type_filter=None):
    """List every public skot estimator.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"}, list of \
            those, or None, default=None
        Keep only estimators that inherit the matching scikit-learn mixin.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs, sorted by name.
    """
    import sklearn.base
    from sklearn.base import BaseEstimator

    found = {}
    for module in _public_modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                name.startswith("_")
                or not cls.__module__.startswith("skot.")
                or not issubclass(cls, BaseEstimator)
                or inspect.isabstract(cls)
            ):
                continue
            found[name] = cls
    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is not None:
        filters = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        unknown = set(filters) - set(_TYPE_MIXINS)
        if unknown:
            raise ValueError(
                f"type_filter must be None or among {sorted(_TYPE_MIXINS)}, got {sorted(unknown)}."
            )
        mixins = tuple(getattr(sklearn.base, _TYPE_MIXINS[f]) for f in filters)
        estimators = [(n, c) for n, c in estimators if issubclass(c, mixins)]
    return estimators


def all_functions():
    """List every public skot function exported by a public module.

    Returns
    -------
    functions : list of (str, callable)
        ``(qualified name, function)`` pairs, sorted by name.
    """
    found = {}
    for module in _public_modules():
        names = getattr(module, "__all__", None)
        if names is None:
            continue
        for name in names:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and not name.startswith("_"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return sorted(found.items(), key=itemgetter(0))
