"""Every public skot estimator through scikit-learn's own checks.

Estimators are discovered (``skot.utils.all_estimators``), never listed here.
Estimators that need constructor arguments get them from ``INIT_PARAMS``;
checks that cannot apply are listed in ``EXPECTED_FAILED_CHECKS`` with the
reason.
"""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_global_output_transform_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    parametrize_with_checks,
)

from skot.utils import all_estimators

# Constructor arguments for estimators without a usable default (by class name).
INIT_PARAMS = {}

# {class name: {check name: reason}} -- only checks that cannot apply.
EXPECTED_FAILED_CHECKS = {}


def _instances():
    for name, cls in all_estimators():
        yield cls(**INIT_PARAMS.get(name, {}))


ESTIMATORS = list(_instances())


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def test_estimators_discovered():
    assert ESTIMATORS, "all_estimators() found no estimator"


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


TRANSFORMERS = [e for e in ESTIMATORS if hasattr(e, "transform")]


def _ids(estimators):
    return [type(e).__name__ for e in estimators]


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_ids(TRANSFORMERS))
@pytest.mark.parametrize(
    "check",
    [
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
    ],
    ids=lambda c: c.__name__,
)
def test_set_output(estimator, check):
    pytest.importorskip("pandas")
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids(ESTIMATORS))
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


def test_numpy_rng_untouched():
    """Fitting never draws from numpy's global random state."""
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(60, 3, random_state=1)
    for est in ESTIMATORS:
        if "random_state" in est.get_params():
            est = type(est)(**{**est.get_params(), "random_state": 0})
        try:
            est.fit(X)
        except (TypeError, ValueError):
            continue  # estimators that need other input (labels, domains, graphs)
    assert np.array_equal(before, np.random.get_state()[1])
