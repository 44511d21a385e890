"""CORAL, SubspaceAlignment, TransferComponentAnalysis (skada as reference)."""

import numpy as np
import pytest
from sklearn.svm import SVC

from skot.da._subspace import CORAL, SubspaceAlignment, TransferComponentAnalysis

from .conftest import make_da


def _skada_data(skada_module, shift="covariate_shift", n=30, seed=0):
    from skada.datasets import make_shifted_datasets

    X, y, sd = make_shifted_datasets(n, n, shift=shift, noise=0.3, random_state=seed)
    return X, y, sd


@pytest.mark.parametrize("reg", ["auto", 0.3, None])
def test_coral_matches_skada(skada_module, reg):
    X, y, sd = _skada_data(skada_module)
    ours = CORAL(reg=reg).fit(X, sample_domain=sd)
    ref = skada_module.CORALAdapter(reg=reg).fit(X, sample_domain=sd)
    np.testing.assert_allclose(ours.cov_source_inv_sqrt_, ref.cov_source_inv_sqrt_, atol=1e-10)
    np.testing.assert_allclose(ours.cov_target_sqrt_, ref.cov_target_sqrt_, atol=1e-10)
    np.testing.assert_allclose(
        ours.fit_transform(X, sample_domain=sd),
        ref.fit_transform(X, sample_domain=sd),
        atol=1e-9,
    )
    # target rows at predict time (sample_domain=None: every row is target)
    Xt = X[sd < 0]
    np.testing.assert_allclose(ours.transform(Xt), ref.transform(Xt), atol=1e-9)


def test_coral_aligns_covariances():
    X, y, sd, ys, yt = make_da(n_source=60, n_target=60, n_features=3)
    Xa = CORAL(reg=None).fit_transform(X, y, sample_domain=sd)
    np.testing.assert_allclose(np.cov(Xa[sd >= 0].T), np.cov(Xa[sd < 0].T), atol=1e-10)
    np.testing.assert_allclose(Xa.mean(axis=0), 0, atol=1e-10)


def test_subspace_alignment_matches_skada(skada_module):
    X, y, sd = _skada_data(skada_module, shift="subspace")
    ours = SubspaceAlignment(n_components=2).fit(X, sample_domain=sd)
    ref = skada_module.SubspaceAlignmentAdapter(n_components=2).fit(X, sample_domain=sd)
    np.testing.assert_allclose(
        ours.fit_transform(X, sample_domain=sd),
        ref.fit_transform(X, sample_domain=sd),
        atol=1e-9,
    )
    np.testing.assert_allclose(ours.transform(X[sd < 0]), ref.transform(X[sd < 0]), atol=1e-9)


def test_tca_generalised_eigenproblem():
    # reference: eigenvectors of (I + mu KLK)^{-1} KHK built densely with numpy
    from sklearn.metrics.pairwise import rbf_kernel

    X, y, sd, ys, yt = make_da(n_source=12, n_target=10)
    tca = TransferComponentAnalysis(n_components=2, mu=0.5, gamma=0.7).fit(X, sample_domain=sd)
    n, ns, nt = 22, 12, 10
    K = rbf_kernel(X, gamma=0.7)
    e = np.r_[np.full(ns, 1 / ns), np.full(nt, -1 / nt)]
    H = np.eye(n) - 1.0 / n
    A = np.eye(n) + 0.5 * K @ np.outer(e, e) @ K
    B = K @ H @ K
    w, V = np.linalg.eig(np.linalg.solve(A, B))
    order = np.argsort(-w.real)[:2]
    np.testing.assert_allclose(tca.eigenvalues_, w.real[order], rtol=1e-8)
    for j in range(2):  # same direction (up to sign and scale)
        v, u = V[:, order[j]].real, tca.components_[:, j]
        cos = abs(v @ u) / np.linalg.norm(v) / np.linalg.norm(u)
        assert cos == pytest.approx(1.0, abs=1e-8)
    Z = tca.transform(X)  # new-row formula equals the fitted embedding
    np.testing.assert_allclose(Z, K @ tca.components_, atol=1e-10)


def test_tca_accuracy_not_below_skada(skada_module):
    X, y, sd = _skada_data(skada_module, shift="covariate_shift", n=12, seed=1)
    ym = np.where(sd < 0, -1, y)
    from sklearn.base import clone

    with __import__("sklearn").config_context(enable_metadata_routing=True):
        ref = skada_module.TransferComponentAnalysis(SVC(), n_components=2, mu=0.1)
        ref.fit(X, ym, sample_domain=sd)
        acc_ref = np.mean(ref.predict(X[sd < 0]) == y[sd < 0])
    tca = TransferComponentAnalysis(n_components=2, mu=0.1).fit(X, ym, sample_domain=sd)
    Z = tca.transform(X, sample_domain=sd)
    clf = clone(SVC()).fit(Z[sd >= 0], y[sd >= 0])
    acc = np.mean(clf.predict(tca.transform(X[sd < 0])) == y[sd < 0])
    assert acc >= acc_ref - 0.05


@pytest.mark.parametrize("Est", [CORAL, SubspaceAlignment, TransferComponentAnalysis])
def test_dtype_readonly_and_no_write(Est):
    X, y, sd, ys, yt = make_da()
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        Xd.setflags(write=False)
        y0 = y.copy()
        Z = Est().fit_transform(Xd, y)
        assert Z.dtype == dtype
        np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("Est", [CORAL, SubspaceAlignment, TransferComponentAnalysis])
def test_plain_pipeline_uses_mask(Est):
    # without sample_domain, the -1 rows are the target rows
    X, y, sd, ys, yt = make_da()
    a = Est().fit_transform(X, y)
    b = Est().fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(a, b)


def test_errors():
    X, y, sd, ys, yt = make_da()
    with pytest.raises(ValueError, match="n_components"):
        SubspaceAlignment(n_components=5).fit(X, sample_domain=sd)
    with pytest.raises(ValueError, match="singular"):
        Xs = np.c_[X, X[:, :1]]  # duplicated column: singular covariance
        CORAL(reg=None).fit(Xs, sample_domain=sd)
    with pytest.raises(ValueError, match="target rows"):
        CORAL().fit(X[sd >= 0], ys)
