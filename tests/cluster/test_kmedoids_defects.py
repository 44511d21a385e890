"""KMedoids defects of issue #12 (part 5): each failed before its fix."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import pairwise_distances as sk_pairwise
from sklearn.utils import get_tags

from skot.cluster import KMedoids, build, fastclara, fasterpam, lab


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(120, 3, centers=3, random_state=0)
    return X


@pytest.mark.parametrize("metric", ["mahalanobis", "seuclidean"])
def test_data_dependent_metrics_without_params(blobs, metric):
    """VI / V are computed from the training rows at fit and reused by predict."""
    X = blobs
    km = KMedoids(3, metric=metric).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    D = sk_pairwise(X, metric=metric)
    np.testing.assert_allclose(km.transform(X), D[:, km.medoid_indices_], rtol=1e-10, atol=1e-12)
    # new rows are measured with the training scale, not their own
    Xn = X[:7] * 3.0
    key = "VI" if metric == "mahalanobis" else "V"
    param = km._metric_params[key]
    expected = sk_pairwise(Xn, km.cluster_centers_, metric=metric, **{key: param})
    np.testing.assert_allclose(km.transform(Xn), expected, rtol=1e-12)
    # explicit parameters are used as given, and the user's dict is not modified
    params = {key: param}
    km2 = KMedoids(3, metric=metric, metric_params=params).fit(X)
    np.testing.assert_array_equal(km2.medoid_indices_, km.medoid_indices_)
    assert list(params) == [key]
    r = fastclara(X, 3, metric=metric, random_state=0)
    assert r.medoids.shape == (3,)


def test_mahalanobis_singular_covariance_message():
    X = np.random.RandomState(0).rand(3, 5)
    with pytest.raises(ValueError, match="covariance of X is singular|metric_params"):
        KMedoids(2, metric="mahalanobis").fit(X)


def test_nan_euclidean_accepts_nan(blobs):
    X = blobs.copy()
    X[::7, 1] = np.nan
    km = KMedoids(3, metric="nan_euclidean").fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    D = sk_pairwise(X, metric="nan_euclidean")
    np.testing.assert_allclose(km.transform(X), D[:, km.medoid_indices_], rtol=1e-12, atol=1e-6)
    assert get_tags(km).input_tags.allow_nan
    assert not get_tags(KMedoids()).input_tags.allow_nan
    r = fastclara(X, 3, metric="nan_euclidean", random_state=0)
    assert np.isfinite(r.loss)
    # other metrics still refuse NaN
    with pytest.raises(ValueError, match="NaN"):
        KMedoids(3).fit(X)


def test_precomputed_declares_positive_only(blobs):
    D = sk_pairwise(blobs)
    assert get_tags(KMedoids(metric="precomputed")).input_tags.positive_only
    assert not get_tags(KMedoids()).input_tags.positive_only
    with pytest.raises(ValueError, match="Negative values in data"):
        KMedoids(2, metric="precomputed").fit(D - D.mean())
    # scikit-learn's own check
    from sklearn.utils.estimator_checks import check_positive_only_tag_during_fit

    check_positive_only_tag_during_fit("KMedoids", KMedoids(metric="precomputed"))


def test_precomputed_nan_before_shape(blobs):
    X = blobs[:10].copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KMedoids(2, metric="precomputed").fit(X)


def test_huge_sample_weight_is_refused(blobs):
    X = blobs
    w = np.ones(X.shape[0])
    w[3] = 1e307
    with pytest.raises(ValueError, match="overflows"):
        KMedoids(3).fit(X * 1e3, sample_weight=w)
    with pytest.raises(ValueError, match="sample_weight is too large"):
        KMedoids(3).fit(X, sample_weight=np.full(X.shape[0], 1e307))
    with pytest.raises(ValueError, match="overflows"):
        KMedoids(3, method="fastclara", random_state=0).fit(X * 1e3, sample_weight=w)


def test_bool_is_not_a_count(blobs):
    D = sk_pairwise(blobs)
    with pytest.raises(TypeError, match="medoids must be an int"):
        fasterpam(D, True)
    with pytest.raises(TypeError, match="n_clusters must be an int"):
        build(D, True)
    with pytest.raises(TypeError, match="n_clusters must be an int"):
        lab(D, True)
    with pytest.raises(TypeError, match="n_clusters must be an int"):
        KMedoids(True).fit(blobs)


def test_n_jobs_zero_names_the_parameter(blobs):
    D = sk_pairwise(blobs)
    with pytest.raises(ValueError, match="n_jobs=0"):
        KMedoids(2, n_jobs=0).fit(blobs)
    with pytest.raises(ValueError, match="n_jobs=0"):
        fasterpam(D, 2, n_jobs=0)
    with pytest.raises(ValueError, match="n_jobs=0"):
        build(D, 2, n_jobs=0)
    with pytest.raises(ValueError, match="n_jobs=0"):
        fastclara(blobs, 2, n_jobs=0)
    km = KMedoids(2).fit(blobs)
    km.set_params(n_jobs=0)
    with pytest.raises(ValueError, match="n_jobs=0"):
        km.predict(blobs)


def test_precomputed_predict_wrong_width_message(blobs):
    D = sk_pairwise(blobs)
    km = KMedoids(2, metric="precomputed").fit(D)
    with pytest.raises(
        ValueError, match=r"120 training samples, so X must have shape \(n_queries, 120\)"
    ):
        km.predict(D[:, :20])


def test_nan_euclidean_undefined_pair_message():
    X = np.array([[0.0, np.nan], [np.nan, 1.0], [1.0, 1.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="rows 0 and 1 of X share no observed feature"):
        KMedoids(2, metric="nan_euclidean").fit(X)
