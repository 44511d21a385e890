"""Importance weighting: KMM, KLIEP, discriminator, nearest neighbours."""

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.metrics.pairwise import rbf_kernel

from skot.da._reweight import (
    DiscriminatorReweight,
    KLIEPReweight,
    KMMReweight,
    NearestNeighborReweight,
)

from .conftest import make_da


def _covariate(n_source=24, n_target=20, seed=0):
    rng = np.random.RandomState(seed)
    Xs = rng.randn(n_source, 2)
    Xt = rng.randn(n_target, 2) * 0.7 + [0.8, 0.3]
    X = np.vstack([Xs, Xt])
    sd = np.r_[np.ones(n_source, int), -2 * np.ones(n_target, int)]
    return X, sd


def _kmm_reference(X, sd, gamma, B, eps):
    Xs, Xt = X[sd >= 0], X[sd < 0]
    ns, nt = len(Xs), len(Xt)
    K = rbf_kernel(Xs, gamma=gamma)
    kappa = ns / nt * rbf_kernel(Xs, Xt, gamma=gamma).sum(axis=1)
    cons = [
        {"type": "ineq", "fun": lambda w: ns * (1 + eps) - w.sum()},
        {"type": "ineq", "fun": lambda w: w.sum() - ns * (1 - eps)},
    ]
    res = minimize(
        lambda w: (0.5 * w @ K @ w - kappa @ w, K @ w - kappa),
        np.ones(ns),
        jac=True,
        method="SLSQP",
        bounds=[(0, B)] * ns,
        constraints=cons,
        options={"ftol": 1e-14, "maxiter": 2000},
    )
    return res.x, lambda w: 0.5 * w @ K @ w - kappa @ w


@pytest.mark.parametrize("eps, B", [(None, 1000.0), (0.0, 1000.0), (0.5, 2.0)])
def test_kmm_solves_the_qp(eps, B):
    X, sd = _covariate()
    gamma = 3.0  # well-conditioned kernel: the optimum is identifiable
    ns = int((sd >= 0).sum())
    e = (np.sqrt(ns) - 1) / np.sqrt(ns) if eps is None else eps
    w_ref, f = _kmm_reference(X, sd, gamma, B, e)
    kmm = KMMReweight(gamma=gamma, eps=eps, B=B, tol=1e-10, max_iter=20000)
    w = kmm.fit_weights(X, sample_domain=sd)
    ws = w[sd >= 0]
    assert np.all(w[sd < 0] == 1)
    assert ws.min() >= 0 and ws.max() <= B + 1e-12
    assert ns * (1 - e) - 1e-9 <= ws.sum() <= ns * (1 + e) + 1e-9
    assert f(ws) <= f(w_ref) + 1e-8 * abs(f(w_ref))
    np.testing.assert_allclose(ws, w_ref, atol=1e-4)


def test_kmm_not_converged_warns():
    X, sd = _covariate()
    with pytest.warns(Warning, match="did not converge"):
        KMMReweight(gamma=3.0, max_iter=2, tol=0).fit(X, sample_domain=sd)


def _kliep_objective(A, b):
    def f(alpha):
        return -np.sum(np.log(A @ alpha))

    return f


def test_kliep_maximises_likelihood():
    X, sd = _covariate()
    kl = KLIEPReweight(gamma=0.5, n_centers=8, tol=1e-14, max_iter=200000, random_state=0)
    w = kl.fit_weights(X, sample_domain=sd)
    Xs, Xt = X[sd >= 0], X[sd < 0]
    A = rbf_kernel(Xt, kl.centers_, gamma=0.5)
    b = rbf_kernel(Xs, kl.centers_, gamma=0.5).mean(axis=0)
    f = _kliep_objective(A, b)
    res = minimize(
        f,
        np.full(8, 1.0 / b.sum()),
        method="SLSQP",
        bounds=[(0, None)] * 8,
        constraints=[{"type": "eq", "fun": lambda a: b @ a - 1}],
        options={"ftol": 1e-15, "maxiter": 5000},
    )
    assert f(kl.alpha_) <= res.fun + 1e-7
    np.testing.assert_allclose(b @ kl.alpha_, 1.0)
    np.testing.assert_allclose(w[sd >= 0], rbf_kernel(Xs, kl.centers_, gamma=0.5) @ kl.alpha_)
    np.testing.assert_allclose(w[sd >= 0].mean(), 1.0)
    # the target side is where the ratio is large
    near = np.linalg.norm(Xs - Xt.mean(axis=0), axis=1)
    assert np.corrcoef(near, w[sd >= 0])[0, 1] < 0


def test_kliep_gamma_list_cross_validation():
    X, sd = _covariate(40, 40)
    kl = KLIEPReweight(gamma=[0.01, 0.5, 100.0], n_centers=20, random_state=0)
    kl.fit(X, sample_domain=sd)
    assert kl.cv_log_likelihood_.shape == (3,)
    assert kl.gamma_ == [0.01, 0.5, 100.0][int(np.argmax(kl.cv_log_likelihood_))]


def _skada_data(skada_module):
    from skada.datasets import make_shifted_datasets

    return make_shifted_datasets(10, 10, shift="covariate_shift", noise=0.3, random_state=0)


def test_discriminator_is_the_density_ratio(skada_module):
    # skada 0.6.0 returns p(source|x)/p(target|x), the inverse of the ratio
    # p_t/p_s (Bickel et al.): same classifier, reciprocal weights.
    X, y, sd = _skada_data(skada_module)
    ours = DiscriminatorReweight().fit_weights(X, sample_domain=sd)[sd >= 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = skada_module.DiscriminatorReweightAdapter().fit(X, sample_domain=sd)
        wr = ref.compute_weights(X, sample_domain=sd)[sd >= 0]
    inv = 1.0 / wr
    np.testing.assert_allclose(ours, inv / inv.mean(), rtol=1e-8)
    # larger weight where the target density is larger
    Xs, Xt = X[sd >= 0], X[sd < 0]
    assert np.corrcoef(np.linalg.norm(Xs - Xt.mean(axis=0), axis=1), ours)[0, 1] < 0


@pytest.mark.parametrize("k", [1])
def test_nearest_neighbour_matches_skada(skada_module, k):
    X, y, sd = _skada_data(skada_module)
    ns, nt = int((sd >= 0).sum()), int((sd < 0).sum())
    ours = NearestNeighborReweight(n_neighbors=k).fit_weights(X, sample_domain=sd)
    ref = skada_module.NearestNeighborReweightAdapter(n_neighbors=k).fit(X, sample_domain=sd)
    wr = ref.compute_weights(X, sample_domain=sd)
    np.testing.assert_allclose(ours[sd >= 0] * nt / ns, wr[sd >= 0], rtol=1e-12)


def test_nearest_neighbour_k_spreads_mass():
    X, sd = _covariate()
    w = NearestNeighborReweight(n_neighbors=3, laplace_smoothing=1.0).fit_weights(
        X, sample_domain=sd
    )
    assert np.all(w[sd >= 0] > 0)
    np.testing.assert_allclose(w[sd >= 0].mean(), 1.0)


WEIGHTERS = [
    KMMReweight(gamma=1.0),
    KLIEPReweight(gamma=1.0, random_state=0),
    DiscriminatorReweight(),
    NearestNeighborReweight(),
]


@pytest.mark.parametrize("weighter", WEIGHTERS, ids=lambda w: type(w).__name__)
def test_weighter_contract(weighter):
    X, y, sd, ys, yt = make_da()
    y0, X0 = y.copy(), X.copy()
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        Xd.setflags(write=False)
        Z = weighter.fit_transform(Xd, y)  # target rows from the -1 mask
        assert Z.dtype == dtype
        np.testing.assert_array_equal(Z, Xd)
        w = weighter.sample_weight_
        assert w.shape == (X.shape[0],) and np.all(w >= 0) and np.all(w[sd < 0] == 1)
    w_sd = weighter.fit(X, sample_domain=sd).sample_weight_
    np.testing.assert_allclose(w_sd, w, rtol=1e-5)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(X, X0)
    with pytest.raises(ValueError, match="target rows"):
        weighter.fit(X[sd >= 0], ys)


def test_weights_help_under_covariate_shift():
    # a misspecified (linear) model trained with importance weights fits the
    # target region better than the unweighted one (Shimodaira's setting)
    from sklearn.linear_model import LinearRegression

    rng = np.random.RandomState(0)
    xs = rng.normal(0.5, 0.5, 200)
    xt = rng.normal(0.0, 0.3, 200)
    f = lambda x: -x + x**3  # noqa: E731
    X = np.r_[xs, xt][:, None]
    sd = np.r_[np.ones(200, int), -np.ones(200, int)]
    ys = f(xs) + 0.1 * rng.randn(200)
    errs = {}
    for name, weighter in [("kliep", KLIEPReweight(gamma=2.0, random_state=0)), ("none", None)]:
        w = None if weighter is None else weighter.fit_weights(X, sample_domain=sd)[sd >= 0]
        model = LinearRegression().fit(xs[:, None], ys, sample_weight=w)
        errs[name] = np.mean((model.predict(xt[:, None]) - f(xt)) ** 2)
    assert errs["kliep"] < 0.5 * errs["none"]


def test_errors():
    X, sd = _covariate()
    with pytest.raises(ValueError, match="n_neighbors"):
        NearestNeighborReweight(n_neighbors=100).fit(X, sample_domain=sd)
    with pytest.raises(ValueError, match="gamma"):
        KLIEPReweight(gamma=-1.0).fit(X, sample_domain=sd)
    with pytest.raises(ValueError, match="cv"):
        KLIEPReweight(gamma=[0.1, 1.0], cv=50).fit(X, sample_domain=sd)


@pytest.mark.parametrize(
    "weighter", [KMMReweight(gamma=1.0), KLIEPReweight(gamma=1.0, random_state=0)]
)
def test_weights_reach_the_final_estimator_in_da_pipeline(weighter):
    from sklearn.svm import SVC

    from skot.da._pipeline import make_da_pipeline

    rng = np.random.RandomState(0)
    Xs = rng.randn(60, 2)
    Xt = rng.randn(50, 2) * 0.7 + [0.8, 0.3]
    ys = (Xs[:, 0] + 0.5 * Xs[:, 1] ** 2 > 0.5).astype(int)
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, -np.ones(50, int)]
    pipe = make_da_pipeline(weighter, SVC()).fit(X, y)  # plain fit(X, y): -1 = target
    np.testing.assert_array_equal(pipe[-1].classes_, [0, 1])
    ref = SVC().fit(Xs, ys, sample_weight=pipe[0].sample_weight_[:60])
    np.testing.assert_allclose(pipe[-1].dual_coef_, ref.dual_coef_)
    np.testing.assert_array_equal(pipe.predict(Xt), ref.predict(Xt))
