"""KMedoids on Dask arrays on a real distributed.LocalCluster (issue #12, part 4)."""

import numpy as np
import pytest

from skot.cluster import KMedoids


@pytest.mark.slow
def test_fastclara_on_a_dask_array_equals_in_memory(monkeypatch):
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    from joblib import parallel_backend

    n = 400_000
    rs = da.random.RandomState(0)
    centers = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [0.0, 6.0, -1.0], [6.0, 6.0, 3.0]])
    params = dict(
        n_clusters=4, method="fastclara", n_sampling=120, n_sampling_iter=3, random_state=3
    )
    with (
        # worker threads, not processes: a worker process would import skot and load
        # every kernel again, which takes most of the time budget on two busy cores
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        # X is made on the workers, chunk by chunk
        which = rs.randint(0, 4, size=n, chunks=100_000)
        Xd = rs.normal(size=(n, 3), chunks=(100_000, 3)) + da.from_array(centers)[which]
        Xd = Xd.persist()
        X = Xd.compute()  # the in-memory reference only
        local = KMedoids(**params).fit(X)

        def refuse(*args, **kwargs):
            raise AssertionError("X must not be gathered on the client")

        with monkeypatch.context() as m:
            m.setattr(type(Xd), "__array__", refuse)
            with parallel_backend("dask"):
                remote = KMedoids(**params).fit(Xd)
                labels = remote.predict(Xd)
                dist = remote.transform(Xd)
        assert type(labels).__module__.startswith("dask")
        np.testing.assert_array_equal(remote.medoid_indices_, local.medoid_indices_)
        np.testing.assert_array_equal(remote.cluster_centers_, local.cluster_centers_)
        np.testing.assert_array_equal(remote.labels_, local.labels_)
        assert remote.inertia_ == pytest.approx(local.inertia_, rel=1e-12)
        np.testing.assert_array_equal(labels.compute(), local.labels_)
        np.testing.assert_array_equal(dist[:1000].compute(), local.transform(X[:1000]))


def test_dask_input_errors():
    da = pytest.importorskip("dask.array")
    X = da.zeros((50, 2), chunks=10)
    with pytest.raises(ValueError, match="needs method='fastclara'"):
        KMedoids(2).fit(X)
    with pytest.raises(ValueError, match="metric_params"):
        KMedoids(2, method="fastclara", metric="seuclidean").fit(X)
    Xn = da.from_array(np.where(np.eye(50, 2) > 0, np.nan, 1.0), chunks=10)
    with pytest.raises(ValueError, match="NaN"):
        KMedoids(2, method="fastclara", n_sampling=10, random_state=0).fit(Xn)
    km = KMedoids(2, method="fastclara").fit(np.random.RandomState(0).rand(50, 2))
    with pytest.raises(ValueError, match="3 features"):
        km.predict(da.zeros((5, 3), chunks=5))
