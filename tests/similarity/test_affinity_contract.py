"""SinkhornAffinity's transformer contract: fit(X).transform(X) == fit_transform(X).

Before the contract, transform re-extended training rows out of sample:
with ``zero_diagonal=True`` it counted the row's own diagonal (0.014 off) and
with ``n_neighbors`` its own k nearest points instead of the union graph
(0.09 off), so a Pipeline saw different features at fit and predict time.
"""

import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_blobs
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skot.similarity import SinkhornAffinity

COMBINATIONS = [
    {},
    {"zero_diagonal": True},
    {"n_neighbors": 15},
    {"n_neighbors": 3},
    {"n_neighbors": 15, "zero_diagonal": True},
    {"method": "fixed_point", "zero_diagonal": True},
]


def _dense(A):
    return A.toarray() if sparse.issparse(A) else np.asarray(A)


@pytest.fixture
def X():
    return make_blobs(80, 4, centers=3, random_state=0)[0]


def _kernel(X, gamma=0.05):
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    return np.exp(-gamma * d2)


@pytest.mark.parametrize("params", COMBINATIONS, ids=str)
def test_fit_transform_equals_transform(X, params):
    est = SinkhornAffinity(**params)
    P = est.fit_transform(X)
    T = est.fit(X).transform(X)
    assert type(P) is type(T)
    np.testing.assert_array_equal(_dense(P), _dense(T))
    np.testing.assert_array_equal(_dense(P), _dense(est.affinity_matrix_))
    # row by row: any subset, any order, mixed with new rows
    idx = np.array([5, 0, 79, 5])
    Xmix = np.vstack([X[idx], X[:3] + 0.25])
    A = _dense(est.transform(Xmix))
    np.testing.assert_array_equal(A[:4], _dense(P)[idx])
    np.testing.assert_allclose(A[4:], _dense(est.transform(X[:3] + 0.25)), rtol=1e-12)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-9)


@pytest.mark.parametrize("zero_diagonal", [False, True])
def test_precomputed_contract_dense_and_sparse(X, zero_diagonal):
    K = _kernel(X)
    est = SinkhornAffinity(kernel="precomputed", zero_diagonal=zero_diagonal)
    P = est.fit_transform(K)
    np.testing.assert_array_equal(est.transform(K), P)
    # the same kernel rows given sparse (explicit zeros or not), or in float32-exact values
    Ks = sparse.csr_matrix(K)
    np.testing.assert_array_equal(est.transform(Ks).toarray(), P)
    # a kernel row that is not a training row is extended
    Kn = K[:2] * 0.5
    w = Kn * est.scaling_[None, :]
    np.testing.assert_allclose(est.transform(Kn), w / w.sum(1, keepdims=True), rtol=1e-12)


def test_duplicates_fit_transform_is_transform(X):
    Xd = np.vstack([X, X[:3]])
    for params in COMBINATIONS:
        est = SinkhornAffinity(**params)
        P = _dense(est.fit_transform(Xd))
        np.testing.assert_array_equal(P, _dense(est.transform(Xd)))
        # duplicates share one row: the mean of their rows of affinity_matrix_
        M = _dense(est.affinity_matrix_)
        np.testing.assert_allclose(P[80], (M[0] + M[80]) / 2, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-9)


def test_exact_equality_only(X):
    est = SinkhornAffinity(zero_diagonal=True).fit(X)
    near = X[:1] + 1e-12
    A = est.transform(near)
    assert A[0, 0] > 0  # extended: its own training point counts
    assert est.transform(X[:1])[0, 0] == 0  # the training row: zero diagonal


def test_float32_rows_and_pickle(X):
    X32 = X.astype(np.float32)
    est = SinkhornAffinity(n_neighbors=5).fit(X32)
    est2 = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est2.transform(X32).toarray(), est.affinity_matrix_.toarray())
    # float64 rows equal to the float32 training rows are training rows
    np.testing.assert_array_equal(
        est.transform(X32.astype(np.float64)).toarray(), est.affinity_matrix_.toarray()
    )


def test_pipeline_same_features_at_fit_and_predict(X):
    pipe = make_pipeline(StandardScaler(), SinkhornAffinity(n_neighbors=10))
    F_fit = pipe.fit_transform(X)
    F_pred = pipe.transform(X)
    np.testing.assert_array_equal(F_fit.toarray(), F_pred.toarray())


def test_precomputed_negative_and_single_sample_messages(X):
    K = _kernel(X)
    K[0, 1] = K[1, 0] = -1.0
    with pytest.raises(ValueError, match="Negative values in data"):
        SinkhornAffinity(kernel="precomputed").fit(K)
    est = SinkhornAffinity(kernel="precomputed").fit(_kernel(X))
    with pytest.raises(ValueError, match="Negative values in data"):
        est.transform(-_kernel(X)[:2])
    with pytest.raises(ValueError, match="n_samples=1"):
        SinkhornAffinity(zero_diagonal=True).fit(X[:1])
