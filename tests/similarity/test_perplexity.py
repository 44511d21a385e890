"""Entropic affinities calibrated by perplexity, against scikit-learn's t-SNE search."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.spatial.distance import squareform
from sklearn.exceptions import ConvergenceWarning
from sklearn.manifold import _utils
from sklearn.manifold._t_sne import _joint_probabilities, _joint_probabilities_nn
from sklearn.neighbors import NearestNeighbors

from skot.similarity import EntropicAffinity, calibrate_perplexity
from skot.similarity._perplexity import TSNE_TOLERANCE
from skot.utils._numba import parallel_policy


def _sq(X):
    return ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)


def _entropy(P):
    P = P.toarray() if sparse.issparse(P) else P
    return -np.sum(P * np.log(np.where(P > 0, P, 1.0)), axis=1)


def _knn_sq(X, k):
    G = NearestNeighbors(n_neighbors=k).fit(X).kneighbors_graph(None, mode="distance")
    G.data **= 2
    return G.tocsr()


@pytest.fixture
def X():
    return np.random.RandomState(0).randn(120, 4)


def test_bisection_is_sklearns_search(X):
    D = _sq(X).astype(np.float32)
    P, _ = calibrate_perplexity(D, 20.0, method="bisection", tol=TSNE_TOLERANCE)
    np.testing.assert_allclose(P, _utils._binary_search_perplexity(D, 20.0, 0), rtol=0, atol=1e-12)
    G = _knn_sq(X, 40).astype(np.float32)
    Pk, _ = calibrate_perplexity(G, 12.0, method="bisection", tol=TSNE_TOLERANCE)
    ref = _utils._binary_search_perplexity(G.data.reshape(120, 40), 12.0, 0)
    np.testing.assert_allclose(Pk.data.reshape(120, 40), ref, rtol=0, atol=1e-12)


def test_joint_probabilities_equal_sklearn(X):
    D = _sq(X).astype(np.float32)
    est = EntropicAffinity(20.0, method="bisection", tol=TSNE_TOLERANCE)
    # t-SNE's joint P from the same float32 distances
    P, _ = calibrate_perplexity(D, 20.0, method="bisection", tol=TSNE_TOLERANCE)
    J = squareform(_joint_probabilities(D, 20.0, 0))
    np.testing.assert_allclose((P + P.T) / 2 / 120, J, rtol=1e-6, atol=1e-15)
    G = _knn_sq(X, 40).astype(np.float32)
    Jn = _joint_probabilities_nn(G.copy(), 12.0, 0)
    Pk, _ = calibrate_perplexity(G, 12.0, method="bisection", tol=TSNE_TOLERANCE)
    np.testing.assert_allclose(((Pk + Pk.T) / 2 / 120).toarray(), Jn.toarray(), atol=1e-15)
    A = est.fit(X).affinity_matrix_
    assert np.allclose(A, A.T) and np.isclose(A.sum(), 120)


@pytest.mark.parametrize("perplexity", [2.0, 10.0, 60.0])
def test_newton_reaches_the_entropy(X, perplexity):
    P, beta = calibrate_perplexity(_sq(X), perplexity)
    np.testing.assert_allclose(_entropy(P), np.log(perplexity), rtol=0, atol=2e-10)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    assert (np.diagonal(P) == 0).all() and (beta > 0).all()
    # the same rows as sklearn's search, to its entropy tolerance
    ref = _utils._binary_search_perplexity(_sq(X).astype(np.float32), perplexity, 0)
    np.testing.assert_allclose(P, ref, atol=5e-5)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(8, 40),
    scale=st.floats(1e-6, 1e6),
    perp=st.floats(1.5, 6.0),
    seed=st.integers(0, 1000),
)
def test_entropy_property_and_scale_invariance(n, scale, perp, seed):
    X = np.random.RandomState(seed).randn(n, 3)
    D = _sq(X)
    P, beta = calibrate_perplexity(D, perp)
    np.testing.assert_allclose(_entropy(P), np.log(perp), atol=1e-9)
    P2, beta2 = calibrate_perplexity(D * scale, perp)
    np.testing.assert_allclose(P2, P, atol=1e-7)
    np.testing.assert_allclose(beta2 * scale, beta, rtol=1e-6)


def test_knn_and_float32_and_n_jobs(X):
    G = _knn_sq(X, 30)
    P, _ = calibrate_perplexity(G, 10.0)
    assert sparse.issparse(P) and ((P != 0) != (G != 0)).nnz == 0  # G's pattern
    np.testing.assert_allclose(_entropy(P), np.log(10.0), atol=1e-9)
    P32, _ = calibrate_perplexity(G.astype(np.float32), 10.0, n_jobs=2)
    np.testing.assert_allclose(P32.toarray(), P.toarray(), atol=1e-6)
    with parallel_policy("always"):  # the parallel twin gives the same bits
        Pp, _ = calibrate_perplexity(G, 10.0, n_jobs=2)
        Pd, _ = calibrate_perplexity(_sq(X), 10.0, n_jobs=2)
    np.testing.assert_array_equal(Pp.toarray(), P.toarray())
    np.testing.assert_array_equal(Pd, calibrate_perplexity(_sq(X), 10.0)[0])
    G_before = G.copy()
    calibrate_perplexity(G, 10.0)
    assert (G != G_before).nnz == 0  # the caller's matrix is untouched


def test_errors_and_warnings(X):
    D = _sq(X[:10])
    with pytest.raises(ValueError, match="perplexity=9"):
        calibrate_perplexity(D, 9.0)
    with pytest.raises(ValueError, match="square"):
        calibrate_perplexity(D[:5], 3.0)
    with pytest.raises(ValueError, match="non-negative"):
        calibrate_perplexity(-D, 3.0)
    with pytest.raises(ValueError, match="finite"):
        calibrate_perplexity(np.where(D > 1, np.nan, D), 3.0)
    with pytest.raises(TypeError, match="real numbers"):
        calibrate_perplexity(D.astype(complex), 3.0)
    bad = sparse.csr_matrix(np.triu(D))
    with pytest.raises(ValueError, match="same number of neighbours"):
        calibrate_perplexity(bad, 2.0)
    # more tied nearest neighbours than the perplexity: unreachable entropy
    tied = np.ones((6, 6))
    np.fill_diagonal(tied, 0)
    tied[:, 5] = tied[5, :] = 4.0
    tied[5, 5] = 0
    with pytest.warns(ConvergenceWarning, match="did not reach"):
        calibrate_perplexity(tied, 4.5)


def test_transformer_contract(X):
    for params in ({}, {"n_neighbors": 30}, {"symmetrize": "none"}, {"symmetrize": "sea"}):
        est = EntropicAffinity(10.0, **params)
        P = est.fit_transform(X)
        T = est.fit(X).transform(X)
        dense = (lambda A: A.toarray()) if sparse.issparse(P) else np.asarray
        np.testing.assert_array_equal(dense(P), dense(T))
        new = est.transform(X[:3] + 0.1)
        np.testing.assert_allclose(_entropy(new), np.log(10.0), atol=1e-9)
    with pytest.raises(ValueError, match="perplexity=30"):
        EntropicAffinity(30.0).fit(X[:20])
    with pytest.raises(ValueError, match="n_neighbors=20"):
        EntropicAffinity(5.0, n_neighbors=20).fit(X[:20])


def _primal_reference(C, perplexity):
    """The SEA primal solved by a generic solver (SLSQP) on the upper triangle."""
    from scipy.optimize import minimize

    n = C.shape[0]
    iu = np.triu_indices(n, 1)
    target = np.log(perplexity) + 1

    def full(p):
        P = np.zeros((n, n))
        P[iu] = p
        return P + P.T

    def entropy(p):
        P = full(p)
        return -np.sum(np.where(P > 0, P * (np.log(np.where(P > 0, P, 1)) - 1), 0), axis=1)

    cons = [
        {"type": "eq", "fun": lambda p: full(p).sum(1) - 1},
        {"type": "ineq", "fun": lambda p: entropy(p) - target},
    ]
    p0 = np.full(iu[0].size, 1.0 / (n - 1))
    res = minimize(
        lambda p: 2 * (C[iu] * p).sum(),
        p0,
        constraints=cons,
        bounds=[(1e-12, 1)] * p0.size,
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 2000},
    )
    return full(res.x), res.fun


def test_symmetric_entropic_affinity_is_the_primal_optimum():
    from skot.similarity import symmetric_entropic_affinity

    X = np.random.RandomState(4).randn(7, 2)
    C = _sq(X)
    res = symmetric_entropic_affinity(C, 3.0, tol=1e-12)
    P_ref, obj_ref = _primal_reference(C, 3.0)
    assert res.converged
    # points whose entropy constraint is inactive keep gamma at its floor
    # (FLOOR * median gamma), a slight entropic smoothing of their rows
    np.testing.assert_allclose((res.matrix * C).sum(), obj_ref, rtol=1e-5)
    np.testing.assert_allclose(res.matrix, P_ref, atol=1e-3)


def test_symmetric_entropic_affinity_properties():
    from skot.similarity import symmetric_entropic_affinity

    X = np.random.RandomState(5).randn(150, 4)
    C = _sq(X)
    res = symmetric_entropic_affinity(C, 15.0)
    P = res.matrix
    assert res.converged and res.marginal_error <= 1e-9 and res.entropy_error <= 1e-9
    np.testing.assert_array_equal(P, P.T)
    assert (np.diagonal(P) == 0).all()
    np.testing.assert_allclose(P.sum(1), 1.0, atol=1e-9)
    H = -np.sum(np.where(P > 0, P * (np.log(np.where(P > 0, P, 1)) - 1), 0), axis=1)
    active = res.gamma > 1e-6 * np.median(res.gamma)
    np.testing.assert_allclose(H[active], np.log(15.0) + 1, atol=1e-8)  # tight constraints
    assert (H >= np.log(15.0) + 1 - 1e-9).all()
    with parallel_policy("always"):
        np.testing.assert_allclose(
            symmetric_entropic_affinity(C, 15.0, n_jobs=2).matrix, P, rtol=0, atol=1e-12
        )
    # invariant to the scale of the costs
    res2 = symmetric_entropic_affinity(C * 1e4, 15.0)
    np.testing.assert_allclose(res2.matrix, P, atol=1e-8)
    with pytest.raises(ValueError, match="perplexity"):
        symmetric_entropic_affinity(C[:10, :10], 9.5)
    with pytest.raises(TypeError, match="dense"):
        symmetric_entropic_affinity(sparse.csr_matrix(C), 5.0)
    with pytest.raises(ValueError, match="n_neighbors=None"):
        EntropicAffinity(5.0, n_neighbors=10, symmetrize="sea").fit(X)
