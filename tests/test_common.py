"""Every public skot estimator through scikit-learn's own checks.

Estimators are discovered (``skot.utils.all_estimators``), never listed here.
Estimators that need constructor arguments get them from ``INIT_PARAMS``;
checks that cannot apply are listed in ``EXPECTED_FAILED_CHECKS`` with the
reason.
"""

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_global_output_transform_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    parametrize_with_checks,
)

from skot.utils import all_estimators

# Constructor arguments for estimators without a usable default (by class name):
# the checks' data sets have as few as 10 rows, below t-SNE's default perplexity 30.
INIT_PARAMS = {"EntropicAffinity": {"perplexity": 3.0}}

# Parameter combinations users set, checked besides the defaults (by class name).
COMBINATIONS = {
    "SinkhornAffinity": [
        {"zero_diagonal": True},
        {"n_neighbors": 3},
        {"kernel": "precomputed"},
        {"kernel": "precomputed", "zero_diagonal": True},
    ],
    "EntropicAffinity": [{"symmetrize": "sea"}, {"symmetrize": "none", "method": "bisection"}],
}

# Checks that fit on fully labelled data with no target rows. Every skot.da
# estimator must refuse such data with a clear error (domain adaptation needs
# target rows), so these checks cannot apply to them; the same behaviours are
# tested on data with target rows in tests/da/.
_DA_CHECKS = (
    "check_dataframe_column_names_consistency",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_all_zero_sample_weights_error",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weights_list",
    "check_sample_weights_not_an_array",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series",
    "check_sample_weights_shape",
)
_DA_TRANSFORMER_CHECKS = _DA_CHECKS + (
    "check_global_output_transform_pandas",
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_general(readonly_memmap=True)",
    "check_transformer_n_iter",
    "check_transformer_preserve_dtypes",
)
_DA_CLASSIFIER_CHECKS = _DA_CHECKS + (
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_classifiers_train(readonly_memmap=True)",
    "check_classifiers_train(readonly_memmap=True,X_dtype=float32)",
    "check_supervised_y_2d",
)

_DA_REGRESSOR_CHECKS = _DA_CHECKS + (
    "check_regressors_train",
    "check_regressors_train(readonly_memmap=True)",
    "check_regressors_train(readonly_memmap=True,X_dtype=float32)",
    "check_regressor_data_not_an_array",
    "check_regressors_no_decision_function",
    "check_supervised_y_2d",
    "check_regressors_int",
)
# Iterative DA estimators that are not transformers (n_iter_ would need target rows).
_DA_ITERATIVE = ("JDOTClassifier", "JDOTRegressor", "JCPOTLabelPropagation")

# {class name: {check name: reason}} -- other checks that cannot apply.
EXPECTED_FAILED_CHECKS = {}


def _instances():
    for name, cls in all_estimators():
        init = INIT_PARAMS.get(name, {})
        yield cls(**init)
        for params in COMBINATIONS.get(name, ()):
            yield cls(**{**init, **params})


ESTIMATORS = list(_instances())


def _expected_failed_checks(estimator):
    if type(estimator).__module__.startswith("skot.da."):
        if is_classifier(estimator):
            checks = _DA_CLASSIFIER_CHECKS
        elif is_regressor(estimator):
            checks = _DA_REGRESSOR_CHECKS
        else:
            checks = _DA_TRANSFORMER_CHECKS
        if type(estimator).__name__ in _DA_ITERATIVE:
            checks = checks + ("check_non_transformer_estimators_n_iter",)
            # they refuse one-label data with an error the check accepts
            checks = tuple(c for c in checks if c != "check_classifiers_one_label_sample_weights")
        if "max_iter" not in estimator.get_params():  # the check passes trivially
            checks = tuple(c for c in checks if c != "check_transformer_n_iter")
        return dict.fromkeys(checks, "needs target rows")
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def _xfail_if_expected(estimator, check_name):
    reason = _expected_failed_checks(estimator).get(check_name)
    if reason:
        pytest.xfail(reason)


def test_estimators_discovered():
    assert ESTIMATORS, "all_estimators() found no estimator"


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


TRANSFORMERS = [e for e in ESTIMATORS if hasattr(e, "transform")]


def _ids(estimators):
    return [repr(e).replace("\n", "").replace(" ", "") for e in estimators]


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
    _xfail_if_expected(estimator, check.__name__)
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids(ESTIMATORS))
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    _xfail_if_expected(estimator, "check_dataframe_column_names_consistency")
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
