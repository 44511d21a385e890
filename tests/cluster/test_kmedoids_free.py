"""Matrix-free FasterPAM (precompute=False / "auto"): the matrix path's medoids, O(n k) memory."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skot.cluster import KMedoids, _kmedoids_free


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(700, 4, centers=6, random_state=5)
    return X


def _no_matrix(monkeypatch):
    from skot.cluster import _kmedoids, _kmedoids_solvers

    def refuse(*args, **kwargs):
        raise AssertionError("the matrix-free path must not build the n x n matrix")

    monkeypatch.setattr(_kmedoids, "prepare_distances", refuse)
    monkeypatch.setattr(_kmedoids_solvers, "pairwise_distances", refuse)


@pytest.mark.parametrize("init", ["lab", "k-medoids++", "random"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
def test_same_medoids_as_matrix_path(blobs, init, metric, monkeypatch):
    X = blobs
    params = dict(n_clusters=6, init=init, metric=metric, random_state=2)
    a = KMedoids(**params, precompute=True).fit(X)
    monkeypatch.setattr(_kmedoids_free, "_BLOCK_BYTES", 8 * 700 * 50)  # several blocks
    _no_matrix(monkeypatch)
    b = KMedoids(**params, precompute=False).fit(X)
    np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(b.predict(X), b.labels_)


def test_float32_weights_array_init_and_k1(blobs, monkeypatch):
    X = blobs.astype(np.float32)
    w = np.random.RandomState(0).rand(X.shape[0])
    init = np.array([5, 100, 200, 300])
    a = KMedoids(4, init=init, precompute=True).fit(X, sample_weight=w)
    b = KMedoids(4, init=init, precompute=False).fit(X, sample_weight=w)
    np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)
    assert a.inertia_ == b.inertia_
    one_a = KMedoids(1, init="lab", random_state=0, precompute=True).fit(X)
    one_b = KMedoids(1, init="lab", random_state=0, precompute=False).fit(X)
    np.testing.assert_array_equal(one_a.medoid_indices_, one_b.medoid_indices_)
    assert one_a.inertia_ == pytest.approx(one_b.inertia_, rel=1e-12)


def test_auto_goes_matrix_free_when_the_matrix_does_not_fit(blobs, monkeypatch):
    X = blobs
    ref = KMedoids(6, init="lab", random_state=1).fit(X)
    monkeypatch.setattr(_kmedoids_free, "available_memory", lambda: 1000)
    _no_matrix(monkeypatch)
    km = KMedoids(6, init="lab", random_state=1).fit(X)  # precompute="auto"
    np.testing.assert_array_equal(km.medoid_indices_, ref.medoid_indices_)


def test_errors_and_restarts(blobs, capsys):
    X = blobs
    with pytest.raises(ValueError, match="init='build' needs the full distance matrix"):
        KMedoids(3, precompute=False).fit(X)
    with pytest.raises(ValueError, match="precompute=False"):
        KMedoids(3, method="pam", precompute=False).fit(X)
    with pytest.raises(ValueError, match="precompute=False"):
        KMedoids(3, metric="cosine", init="lab", precompute=False).fit(X)
    with pytest.raises(ValueError, match="precompute"):
        KMedoids(3, precompute="yes").fit(X)
    a = KMedoids(3, init="random", n_init=3, random_state=0, precompute=True).fit(X)
    b = KMedoids(3, init="random", n_init=3, random_state=0, precompute=False).fit(X)
    assert b.inertia_ == pytest.approx(a.inertia_, rel=1e-12)
    KMedoids(3, init="lab", random_state=0, precompute=False, verbose=1).fit(X)
    assert "matrix-free" in capsys.readouterr().out
