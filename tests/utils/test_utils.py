"""Shared utilities: validation, numba thread context, exact pairwise kernels, discovery."""

import numba
import numpy as np
import pytest
from sklearn.metrics import pairwise_distances as sk_pairwise

from skot.utils import all_estimators, all_functions
from skot.utils._numba import effective_n_threads, numba_threads, parallel_policy
from skot.utils._pairwise import EXACT_METRICS, pairwise_distances
from skot.utils._validation import (
    check_memory,
    check_nonnegative_weights,
    check_square_matrix,
)

pytestmark = pytest.mark.kernel


def test_check_memory_refuses_with_sizes():
    with pytest.raises(MemoryError, match=r"needs 2\.0 GiB but only 1\.0 GiB.*Try less"):
        check_memory(2 * 2**30, "a big matrix", hint="Try less.", limit=2**30)
    check_memory(10, "a small array", limit=100)


def test_pairwise_refuses_impossible_matrix(monkeypatch):
    from skot.utils import _pairwise

    monkeypatch.setattr(
        _pairwise,
        "check_memory",
        lambda nbytes, what, hint="": check_memory(nbytes, what, hint, limit=1000),
    )
    with pytest.raises(MemoryError, match="20 x 20 float64 distance matrix.*fastclara"):
        pairwise_distances(np.zeros((20, 2)))


def test_check_square_matrix_errors():
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse"):
        check_square_matrix(sparse.eye(3), "D")
    with pytest.raises(ValueError, match="square"):
        check_square_matrix(np.zeros((2, 3)), "D")
    with pytest.raises(ValueError, match="D contains NaN"):
        check_square_matrix(np.full((2, 2), np.nan), "D")
    with pytest.raises(ValueError, match="negative"):
        check_square_matrix(-np.ones((2, 2)), "D")
    with pytest.raises(ValueError, match="numbers"):
        check_square_matrix(np.array([["a", "b"], ["c", "d"]]), "D")
    ints = check_square_matrix(np.zeros((2, 2), dtype=int), "D")
    assert ints.dtype == np.float64
    f32 = np.zeros((2, 2), dtype=np.float32)
    assert check_square_matrix(f32, "D") is f32


def test_check_nonnegative_weights():
    np.testing.assert_array_equal(check_nonnegative_weights(None, 3), np.ones(3))
    np.testing.assert_array_equal(check_nonnegative_weights(2.0, 2), [2.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        check_nonnegative_weights(np.ones(2), 3)
    with pytest.raises(ValueError, match="NaN"):
        check_nonnegative_weights(np.array([1.0, np.nan]), 2)
    with pytest.raises(ValueError, match="all zero"):
        check_nonnegative_weights(np.zeros(2), 2)
    assert check_nonnegative_weights(np.zeros(2), 2, allow_all_zero=True).sum() == 0


def test_numba_threads_restores_count():
    before = numba.get_num_threads()
    with numba_threads(1) as n:
        assert n == 1 and numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with numba_threads(1):
            raise RuntimeError("boom")
    assert numba.get_num_threads() == before
    assert 1 <= effective_n_threads(-1) <= numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("metric", sorted(EXACT_METRICS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_pairwise_kernels(metric, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5)).astype(dtype)
    Y = rng.normal(size=(7, 5)).astype(dtype)
    sk_metric = {"l2": "euclidean", "l1": "manhattan"}.get(metric, metric)
    D = pairwise_distances(X, metric=metric)
    assert D.dtype == dtype
    np.testing.assert_array_equal(D, D.T)
    assert (np.diag(D) == 0).all()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    ref = sk_pairwise(X.astype(np.float64), metric=sk_metric)
    np.testing.assert_allclose(D, ref, rtol=tol, atol=tol)
    DXY = pairwise_distances(X, Y, metric=metric)
    np.testing.assert_allclose(
        DXY,
        sk_pairwise(X.astype(np.float64), Y.astype(np.float64), metric=sk_metric),
        rtol=tol,
        atol=tol,
    )
    # the same pair gives the same bits whichever call computes it
    np.testing.assert_array_equal(pairwise_distances(X, X[[3, 9]], metric=metric), D[:, [3, 9]])
    # parallel rows give the same bits as serial
    with parallel_policy("always"):
        np.testing.assert_array_equal(pairwise_distances(X, metric=metric, n_jobs=2), D)
        np.testing.assert_array_equal(pairwise_distances(X, Y, metric=metric, n_jobs=2), DXY)


def test_other_metrics_fall_back_to_sklearn():
    X = np.random.default_rng(1).random((10, 3))
    np.testing.assert_allclose(
        pairwise_distances(X, metric="cosine"), sk_pairwise(X, metric="cosine")
    )
    np.testing.assert_allclose(
        pairwise_distances(X, metric="minkowski", metric_params={"p": 3}),
        sk_pairwise(X, metric="minkowski", p=3),
    )


def test_discovery():
    names = [n for n, _ in all_estimators()]
    assert "KMedoids" in names and names == sorted(names)
    assert [n for n, _ in all_estimators("cluster")].count("KMedoids") == 1
    assert all(
        issubclass(c, __import__("sklearn.base").base.TransformerMixin)
        for _, c in all_estimators(["transformer"])
    )
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators("nope")
    funcs = dict(all_functions())
    assert "skot.cluster._kmedoids.fasterpam" in funcs
