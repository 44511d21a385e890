"""The KMedoids estimator: behaviour a scikit-learn user relies on."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances as sk_pairwise
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skot.cluster import KMedoids, fasterpam
from tests._reference import kmedoids as ref


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(300, 5, centers=4, cluster_std=1.0, random_state=0)
    return X, y


@pytest.mark.parametrize("method", ["fasterpam", "fastpam1", "pam", "alternate", "fastclara"])
def test_methods_find_the_blobs(blobs, method):
    X, y = blobs
    km = KMedoids(4, method=method, random_state=0).fit(X)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(y, km.labels_) > 0.95
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(km.cluster_centers_, X[km.medoid_indices_])
    T = km.transform(X)
    assert T.shape == (300, 4)
    np.testing.assert_allclose(T, sk_pairwise(X, km.cluster_centers_), rtol=1e-12, atol=1e-12)
    assert km.inertia_ == pytest.approx(T.min(axis=1).sum())
    assert km.score(X) == pytest.approx(-km.inertia_)
    assert km.n_iter_ >= 0


def test_predict_reproduces_labels_on_ties_and_duplicates():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.5, 0.0], [4.0, 1.0]]), 3, axis=0)
    for metric in ("euclidean", "manhattan", "sqeuclidean", "chebyshev"):
        km = KMedoids(3, metric=metric).fit(X)
        np.testing.assert_array_equal(km.predict(X), km.labels_)
    km = KMedoids(3).fit(np.zeros((6, 2)))
    assert km.inertia_ == 0
    np.testing.assert_array_equal(km.predict(np.zeros((6, 2))), km.labels_)


def test_precomputed_matches_features(blobs):
    X, _ = blobs
    D = sk_pairwise(X)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0)
    a = KMedoids(4).fit(X)
    b = KMedoids(4, metric="precomputed").fit(D)
    np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)
    assert b.cluster_centers_ is None
    np.testing.assert_array_equal(b.predict(D), b.labels_)
    np.testing.assert_allclose(b.transform(D[:5]), D[:5][:, b.medoid_indices_])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_precomputed_matrix_is_not_copied(blobs, dtype, monkeypatch):
    X, _ = blobs
    from skot.cluster import _kmedoids
    from skot.utils._pairwise import pairwise_distances

    D = pairwise_distances(X.astype(dtype))
    seen = []
    prepared = []
    monkeypatch.setattr(
        _kmedoids,
        "prepare_matrix",
        lambda A, name: (seen.append(A), prepared.append(_prepare_orig(A, name)), prepared[-1])[2],
    )
    KMedoids(3, metric="precomputed").fit(D)
    assert seen[0] is D
    assert prepared[0].DT is D


def test_n_init_with_deterministic_init_warns(blobs):
    X, _ = blobs
    with pytest.warns(RuntimeWarning, match="n_init=3 has no effect"):
        KMedoids(4, n_init=3).fit(X)


@pytest.mark.parametrize("metric", ["manhattan", "cosine", "sqeuclidean"])
def test_other_metrics(blobs, metric):
    X, _ = blobs
    km = KMedoids(4, metric=metric).fit(X)
    D = sk_pairwise(X, metric=metric if metric != "sqeuclidean" else "sqeuclidean")
    assert km.inertia_ == pytest.approx(ref.loss(D, km.medoid_indices_), rel=1e-9)
    np.testing.assert_array_equal(km.predict(X), km.labels_)


def test_callable_metric_and_metric_params(blobs):
    X, _ = blobs
    X = X[:60]
    km = KMedoids(3, metric=lambda a, b: np.abs(a - b).sum()).fit(X)
    km2 = KMedoids(3, metric="manhattan").fit(X)
    np.testing.assert_array_equal(km.medoid_indices_, km2.medoid_indices_)
    km3 = KMedoids(3, metric="minkowski", metric_params={"p": 1}).fit(X)
    np.testing.assert_array_equal(km3.medoid_indices_, km2.medoid_indices_)


def test_float32_kept(blobs):
    X, _ = blobs
    km = KMedoids(4).fit(X.astype(np.float32))
    assert km.transform(X.astype(np.float32)).dtype == np.float32
    assert km.cluster_centers_.dtype == np.float32
    km64 = KMedoids(4).fit(X)
    np.testing.assert_array_equal(km.medoid_indices_, km64.medoid_indices_)


@pytest.mark.parametrize("init", ["build", "lab", "random", "k-medoids++"])
def test_inits(blobs, init):
    X, _ = blobs
    a = KMedoids(4, init=init, random_state=1).fit(X)
    b = KMedoids(4, init=init, random_state=1).fit(X)
    np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)
    assert len(np.unique(a.medoid_indices_)) == 4


def test_array_init_and_index_order(blobs):
    """Explicit init + random_state=None: candidates in index order, as kmedoids."""
    kmedoids = pytest.importorskip("kmedoids")
    X, _ = blobs
    init = np.array([3, 50, 100, 200])
    km = KMedoids(4, init=init, max_iter=100).fit(X)
    D = sk_pairwise(X)
    rr = kmedoids.fasterpam(D, init.copy(), max_iter=100, n_cpu=1)
    np.testing.assert_array_equal(km.medoid_indices_, rr.medoids)


def test_n_init_keeps_the_best(blobs):
    X, _ = blobs
    X = X + np.random.default_rng(0).normal(scale=2.0, size=X.shape)
    single = [
        KMedoids(6, init="random", n_init=1, random_state=s).fit(X).inertia_ for s in range(4)
    ]
    best = KMedoids(6, init="random", n_init=10, random_state=0).fit(X)
    assert best.inertia_ <= max(single)
    D = sk_pairwise(X)
    assert best.inertia_ == pytest.approx(ref.loss(D, best.medoid_indices_))


def test_results_do_not_depend_on_n_jobs(blobs):
    X, _ = blobs
    for params in ({}, {"init": "random", "n_init": 4}, {"method": "fastclara"}):
        a = KMedoids(4, random_state=3, n_jobs=1, **params).fit(X)
        b = KMedoids(4, random_state=3, n_jobs=2, **params).fit(X)
        np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)
        assert a.inertia_ == b.inertia_


def test_sample_weight(blobs):
    X, _ = blobs
    w = np.random.default_rng(0).random(300)
    km = KMedoids(4, metric="euclidean").fit(X, sample_weight=w)
    D = sk_pairwise(X)
    assert km.inertia_ == pytest.approx(ref.loss(D, km.medoid_indices_, w))
    assert km.score(X, sample_weight=w) == pytest.approx(-km.inertia_)


def test_verbose_and_convergence_warning(blobs, capsys):
    X, _ = blobs
    KMedoids(4, verbose=1).fit(X)
    assert "iteration 1" in capsys.readouterr().out
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        KMedoids(8, init="random", max_iter=1, random_state=0).fit(X)


def test_pickle_pipeline_gridsearch(blobs):
    X, _ = blobs
    km = KMedoids(4).fit(X)
    km2 = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(km2.predict(X), km.labels_)
    pipe = make_pipeline(StandardScaler(), KMedoids(random_state=0))
    gs = GridSearchCV(pipe, {"kmedoids__n_clusters": [2, 4]}, cv=2).fit(X)
    assert gs.best_params_["kmedoids__n_clusters"] == 4


def test_fastclara_without_full_matrix(monkeypatch):
    X, _ = make_blobs(3000, 3, centers=5, random_state=0)
    from skot.cluster import _kmedoids, _kmedoids_solvers

    def refuse(*args, **kwargs):
        raise AssertionError("fastclara must not build the full matrix")

    for module in (_kmedoids, _kmedoids_solvers):
        monkeypatch.setattr(
            module,
            "prepare_matrix",
            lambda D, name: refuse() if D.shape[0] > 1000 else _prepare_orig(D, name),
        )
    km = KMedoids(5, method="fastclara", n_sampling=200, random_state=0).fit(X)
    assert km.medoid_indices_.shape == (5,)
    np.testing.assert_array_equal(km.labels_, km.predict(X))


from skot.cluster._kmedoids_solvers import prepare_matrix as _prepare_orig  # noqa: E402


def test_fastclara_precomputed_and_errors(blobs):
    X, _ = blobs
    D = sk_pairwise(X)
    km = KMedoids(4, metric="precomputed", method="fastclara", random_state=0).fit(D)
    assert km.inertia_ == pytest.approx(ref.loss(D, km.medoid_indices_))
    with pytest.raises(ValueError, match="n_sampling=3 must be at least n_clusters=4"):
        KMedoids(4, method="fastclara", n_sampling=3).fit(X)


@pytest.mark.parametrize(
    "params, X, match",
    [
        ({"n_clusters": 5}, np.zeros((3, 2)), "n_clusters=5 must be at most"),
        ({"n_clusters": 0}, np.zeros((3, 2)), "n_clusters"),
        ({"method": "clarans"}, np.zeros((3, 2)), "method"),
        ({"init": "kmeans"}, np.zeros((3, 2)), "init"),
        ({"n_clusters": 2, "init": [0, 5]}, np.zeros((3, 2)), r"in \[0, 2\]"),
        ({"n_clusters": 2, "init": [1, 1]}, np.zeros((3, 2)), "distinct"),
        ({"n_clusters": 2, "init": [0]}, np.zeros((3, 2)), "n_clusters=2"),
        ({"metric": "precomputed"}, np.zeros((3, 2)), "square"),
        ({"metric": "precomputed", "n_clusters": 1}, -np.ones((2, 2)), "negative"),
        ({"metric": "precomputed", "n_clusters": 1}, np.array([[0, np.nan], [1, 0]]), "NaN"),
        ({"metric": "nope"}, np.zeros((3, 2)), "metric"),
        ({"n_clusters": 1}, np.array([[np.nan, 1.0]]), "NaN"),
    ],
)
def test_bad_input(params, X, match):
    with pytest.raises(ValueError, match=match):
        KMedoids(**params).fit(X)


def test_bad_sample_weight_and_predict_input(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="sample_weight"):
        KMedoids(2).fit(X, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="non-negative"):
        KMedoids(2).fit(X, sample_weight=-np.ones(300))
    km = KMedoids(2).fit(X)
    with pytest.raises(ValueError, match="features"):
        km.predict(X[:, :2])
    D = sk_pairwise(X)
    kp = KMedoids(2, metric="precomputed").fit(D)
    with pytest.raises(ValueError, match="negative"):
        kp.predict(-D[:3])


def test_dask_fastclara_equals_local():
    """FastCLARA samples run on a real Dask cluster give the local result."""
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend

    X, _ = make_blobs(2000, 4, centers=6, random_state=0)
    params = dict(
        n_clusters=6, method="fastclara", n_sampling=150, n_sampling_iter=4, random_state=7
    )
    local = KMedoids(**params).fit(X)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with parallel_backend("dask"):
            remote = KMedoids(**params).fit(X)
    np.testing.assert_array_equal(local.medoid_indices_, remote.medoid_indices_)
    assert local.inertia_ == remote.inertia_


def test_function_and_estimator_agree(blobs):
    X, _ = blobs
    D = sk_pairwise(X)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0)
    km = KMedoids(4, metric="precomputed").fit(D)
    r = fasterpam(D, 4)
    np.testing.assert_array_equal(km.medoid_indices_, r.medoids)
    np.testing.assert_array_equal(km.labels_, r.labels)


def test_sklearn_distance_matrix_symmetric_up_to_rounding(blobs):
    """pairwise_distances(X) is asymmetric in the last bits (BLAS): no copy, fast BUILD,
    and labels_ still equal predict(D)."""
    X, _ = blobs
    X = X * 100 + 1000
    D = sk_pairwise(X)
    gap = np.abs(D - D.T).max()
    P = _prepare_orig(D, "X")
    assert P.DT is D and P.symmetric and not P.transposed
    km = KMedoids(4, metric="precomputed").fit(D)
    np.testing.assert_array_equal(km.predict(D), km.labels_)
    assert km.inertia_ == pytest.approx(ref.loss(D, km.medoid_indices_), rel=1e-12)
    exact = (D + D.T) / 2
    assert km.inertia_ == pytest.approx(
        KMedoids(4, metric="precomputed").fit(exact).inertia_, rel=1e-9
    )
    if gap == 0:  # nothing to distinguish on this BLAS
        return
    far = D.copy()
    far[0, 1] += 1.0  # genuinely asymmetric: a transposed copy is used instead
    assert _prepare_orig(far, "X").symmetric is False
