"""numpydoc validation of the public API (estimators, their methods, functions)."""

import inspect

import pytest

numpydoc_validation = pytest.importorskip("numpydoc.validate")

from skot.utils import all_estimators, all_functions  # noqa: E402

# Checks we do not enforce: see-also sections, examples on every method,
# extended summaries, and the "returns" section of fit (always self).
IGNORED = {"SA01", "EX01", "ES01", "GL08", "RT02", "SS05", "GL01", "GL02", "PR04"}


def _public_methods(cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or not callable(member):
            continue
        if (
            name
            in ("get_metadata_routing", "set_output", "get_params", "set_params", "fit_transform")
            or name.startswith("set_")
            and name.endswith("_request")
        ):
            continue
        defining = next(c for c in cls.__mro__ if name in c.__dict__)
        if not defining.__module__.startswith("skot"):
            continue
        yield f"{cls.__module__}.{cls.__qualname__}.{name}"


def _targets():
    for _, cls in all_estimators():
        yield f"{cls.__module__}.{cls.__qualname__}"
        yield from _public_methods(cls)
    for qualname, _ in all_functions():
        yield qualname


TARGETS = sorted(set(_targets()))


def test_found_targets():
    assert TARGETS


@pytest.mark.parametrize("qualname", TARGETS)
def test_docstring(qualname):
    result = numpydoc_validation.validate(qualname)
    errors = [(code, msg) for code, msg in result["errors"] if code not in IGNORED]
    assert not errors, "\n".join(f"{qualname}: {code} {msg}" for code, msg in errors)
