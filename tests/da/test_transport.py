"""Transporters: couplings and maps against POT's ot.da and slow references."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skot.da import (
    ClassRegularizedTransport,
    EMDTransport,
    LinearTransport,
    SinkhornTransport,
    UnbalancedSinkhornTransport,
)

from .._reference import da as ref
from .conftest import make_da

TIGHT = {"tol": 1e-13, "max_iter": 20000}


def _pot_pairs():
    """(skot transporter, POT ot.da transporter) with the same settings."""
    ot = pytest.importorskip("ot")
    return [
        ("emd", EMDTransport(), ot.da.EMDTransport()),
        ("emd-median", EMDTransport(norm="median"), ot.da.EMDTransport(norm="median")),
        ("emd-euclidean", EMDTransport(metric="euclidean"), ot.da.EMDTransport(metric="euclidean")),
        (
            "sinkhorn-log",
            SinkhornTransport(1.0, **TIGHT),
            ot.da.SinkhornTransport(reg_e=1.0, **TIGHT),
        ),
        (
            "sinkhorn-scaling-max",
            SinkhornTransport(0.3, method="scaling", norm="max", **TIGHT),
            ot.da.SinkhornTransport(reg_e=0.3, norm="max", **TIGHT),
        ),
        (
            "sinkhorn-sns",
            SinkhornTransport(0.5, method="sns", tol=1e-12, max_iter=500),
            ot.da.SinkhornTransport(reg_e=0.5, **TIGHT),
        ),
        (
            "sinkhorn-ferradans",
            SinkhornTransport(1.0, out_of_sample="ferradans", **TIGHT),
            ot.da.SinkhornTransport(reg_e=1.0, out_of_sample_map="ferradans", **TIGHT),
        ),
        (
            "sinkhorn-loglog",
            SinkhornTransport(0.2, norm="loglog", **TIGHT),
            ot.da.SinkhornTransport(reg_e=0.2, norm="loglog", **TIGHT),
        ),
        (
            "unbalanced",
            UnbalancedSinkhornTransport(1.0, 0.5, **TIGHT),
            ot.da.UnbalancedSinkhornTransport(reg_e=1.0, reg_m=0.5, **TIGHT),
        ),
        (
            "lpl1",
            ClassRegularizedTransport(1.0, 0.5, tol=1e-13, max_inner_iter=20000),
            ot.da.SinkhornLpl1Transport(reg_e=1.0, reg_cl=0.5, tol=1e-13, max_inner_iter=20000),
        ),
        (
            "l1l2",
            ClassRegularizedTransport(1.0, 0.5, penalty="l1l2", tol=1e-13, max_inner_iter=20000),
            ot.da.SinkhornL1l2Transport(reg_e=1.0, reg_cl=0.5, tol=1e-13, max_inner_iter=20000),
        ),
    ]


PAIR_IDS = [
    "emd",
    "emd-median",
    "emd-euclidean",
    "sinkhorn-log",
    "sinkhorn-scaling-max",
    "sinkhorn-sns",
    "sinkhorn-ferradans",
    "sinkhorn-loglog",
    "unbalanced",
    "lpl1",
    "l1l2",
]


@pytest.mark.parametrize("idx", range(len(PAIR_IDS)), ids=PAIR_IDS)
def test_coupling_and_maps_equal_pot(idx):
    _name, ours, theirs = _pot_pairs()[idx]
    X, y, sd, ys, _yt = make_da(n_source=26, n_target=20, n_features=3)
    Xs, Xt = X[sd > 0], X[sd < 0]
    Xnew = np.random.RandomState(1).randn(9, 3) + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, y)
        theirs.fit(Xs=Xs, ys=ys, Xt=Xt)
    np.testing.assert_allclose(ours.coupling_, theirs.coupling_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.cost_, theirs.cost_, rtol=1e-12, atol=1e-12)
    # fitted and new source rows
    np.testing.assert_allclose(
        ours.transform(Xs, sample_domain=1), theirs.transform(Xs=Xs), atol=1e-8
    )
    np.testing.assert_allclose(
        ours.transform(Xnew, sample_domain=1), theirs.transform(Xs=Xnew), atol=1e-10
    )
    # target -> source, fitted and new rows
    np.testing.assert_allclose(
        ours.inverse_transform(Xt), theirs.inverse_transform(Xt=Xt), atol=1e-8
    )
    np.testing.assert_allclose(
        ours.inverse_transform(Xnew), theirs.inverse_transform(Xt=Xnew), atol=1e-10
    )
    # label propagation
    np.testing.assert_allclose(ours.transform_labels(ys), theirs.transform_labels(ys), atol=1e-8)


def test_linear_equals_pot_and_reference():
    ot = pytest.importorskip("ot")
    X, y, sd, _ys, _yt = make_da(n_features=3)
    Xs, Xt = X[sd > 0], X[sd < 0]
    Xnew = np.random.RandomState(2).randn(5, 3)
    ours = LinearTransport().fit(X, y)
    theirs = ot.da.LinearTransport().fit(Xs=Xs, Xt=Xt)
    np.testing.assert_allclose(
        ours.transform(Xnew, sample_domain=1), theirs.transform(Xs=Xnew), atol=1e-10
    )
    np.testing.assert_allclose(
        ours.inverse_transform(Xnew), theirs.inverse_transform(Xt=Xnew), atol=1e-10
    )
    A, B = ref.bures_map(Xs, Xt)
    np.testing.assert_allclose(ours.A_, A, atol=1e-8)
    np.testing.assert_allclose(ours.B_, B, atol=1e-8)
    # the map sends the source Gaussian onto the target one
    mapped = ours.transform(Xs, sample_domain=1)
    np.testing.assert_allclose(mapped.mean(0), Xt.mean(0), atol=1e-8)
    np.testing.assert_allclose(np.cov(mapped.T, bias=True), np.cov(Xt.T, bias=True), atol=1e-6)
    with pytest.raises(ValueError, match="singular"):
        LinearTransport(reg=0.0).fit(np.c_[X[:, :1], X[:, :1]], y)


def test_maps_equal_slow_references():
    X, y, sd, ys, _yt = make_da(n_source=15, n_target=12)
    Xs, Xt = X[sd > 0], X[sd < 0]
    Xnew = np.random.RandomState(3).randn(6, 2)
    emd = EMDTransport().fit(X, y)
    np.testing.assert_allclose(emd.cost_, ref.sqeuclidean(Xs, Xt), atol=1e-12)
    np.testing.assert_allclose(
        emd.fit_transform(X, y)[sd > 0], ref.barycentric_map(emd.coupling_, Xt), atol=1e-12
    )
    np.testing.assert_allclose(
        emd.transform(Xnew, sample_domain=1),
        ref.nearest_displacement(Xnew, Xs, ref.barycentric_map(emd.coupling_, Xt)),
        atol=1e-12,
    )
    sk = SinkhornTransport(0.5, **TIGHT).fit(X, y)
    P = ref.sinkhorn(np.full(15, 1 / 15), np.full(12, 1 / 12), sk.cost_, 0.5)
    np.testing.assert_allclose(sk.coupling_, P, atol=1e-10)
    np.testing.assert_allclose(
        sk.transform(Xnew, sample_domain=1),
        ref.entropic_map(Xnew, Xt, sk._potentials[1], 0.5),
        atol=1e-10,
    )
    np.testing.assert_allclose(sk.transform_labels(ys), ref.propagate_labels(P, ys), atol=1e-8)
    cr = ClassRegularizedTransport(0.5, 1.0, max_iter=4, tol=1e-14, max_inner_iter=20000).fit(X, y)
    P = ref.lpl1_transport(np.full(15, 1 / 15), np.full(12, 1 / 12), cr.cost_, ys, 0.5, 1.0, 4)
    np.testing.assert_allclose(cr.coupling_, P, atol=1e-9)


def test_continuous_map_agrees_with_barycentric_on_fitted_rows():
    X, y, sd, _ys, _yt = make_da()
    sk = SinkhornTransport(0.7, **TIGHT).fit(X, y)
    Xs = X[sd > 0]
    perturbed = Xs + 0.0  # a copy that is equal: barycentric map
    bary = sk.transform(perturbed, sample_domain=1)
    cont = sk._map_new(Xs, sk.xs_, sk._xs_mapped, sk.xt_, sk._potentials[1], source=True)
    np.testing.assert_allclose(cont, bary, atol=1e-8)


def test_fit_transform_equals_fit_then_transform(da_data):
    X, y, sd, _ys, _yt = da_data
    for est in (
        EMDTransport(),
        SinkhornTransport(),
        LinearTransport(),
        UnbalancedSinkhornTransport(),
        ClassRegularizedTransport(),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            a = clone(est).fit_transform(X, y)
            b = clone(est).fit(X, y).transform(X, sample_domain=sd)
        np.testing.assert_array_equal(a, b)
        # target rows pass unchanged; with no sample_domain every row is target
        np.testing.assert_array_equal(a[sd < 0], X[sd < 0])
        np.testing.assert_array_equal(clone(est).fit(X, y).transform(X), X)


def test_transform_without_sample_domain_is_identity(da_data):
    X, y, sd, _ys, _yt = da_data
    est = EMDTransport().fit(X, y)
    np.testing.assert_array_equal(est.transform(X), X)
    back = est.inverse_transform(X, sample_domain=sd)
    np.testing.assert_array_equal(back[sd > 0], X[sd > 0])


@pytest.mark.parametrize("batch_size", [1, 4, 1000])
def test_batch_size_and_n_jobs_do_not_change_results(batch_size):
    X, y, _sd, _ys, _yt = make_da(n_source=40, n_target=30)
    Xnew = np.random.RandomState(4).randn(23, 2)
    base_e = EMDTransport().fit(X, y).transform(Xnew, sample_domain=1)
    base_s = SinkhornTransport().fit(X, y).transform(Xnew, sample_domain=1)
    e = EMDTransport(batch_size=batch_size, n_jobs=2).fit(X, y)
    s = SinkhornTransport(batch_size=batch_size, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(e.transform(Xnew, sample_domain=1), base_e)
    # the entropic map's matrix products see blocks of another height: BLAS may
    # sum in another order (last bits); n_jobs alone changes nothing
    np.testing.assert_allclose(s.transform(Xnew, sample_domain=1), base_s, rtol=0, atol=1e-12)
    s1 = SinkhornTransport(batch_size=batch_size, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(
        s1.transform(Xnew, sample_domain=1), s.transform(Xnew, sample_domain=1)
    )


def test_parallel_kernels_equal_serial():
    from skot.utils._numba import parallel_policy

    X, y, _sd, _ys, _yt = make_da(n_source=40, n_target=30)
    Xnew = np.random.RandomState(5).randn(50, 2)
    with parallel_policy("never"):
        serial = [
            EMDTransport().fit(X, y).transform(Xnew, sample_domain=1),
            SinkhornTransport().fit(X, y).transform(Xnew, sample_domain=1),
        ]
    with parallel_policy("always"):
        par = [
            EMDTransport(n_jobs=2).fit(X, y).transform(Xnew, sample_domain=1),
            SinkhornTransport(n_jobs=2).fit(X, y).transform(Xnew, sample_domain=1),
        ]
    for a, b in zip(serial, par):
        np.testing.assert_array_equal(a, b)


def test_float32_and_readonly(da_data):
    X, y, _sd, _ys, _yt = da_data
    X32 = X.astype(np.float32)
    X32.setflags(write=False)
    for est in (EMDTransport(), SinkhornTransport(), LinearTransport()):
        out = clone(est).fit_transform(X32, y)
        assert out.dtype == np.float32
        ref64 = clone(est).fit_transform(X, y)
        np.testing.assert_allclose(out, ref64, rtol=1e-4, atol=1e-4)
        new = clone(est).fit(X32, y).transform(X32[:5] + 0.1, sample_domain=1)
        assert new.dtype == np.float32


def test_pickle_roundtrip(da_data):
    X, y, _sd, _ys, _yt = da_data
    est = SinkhornTransport().fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    Xnew = X[:5] + 0.3
    np.testing.assert_array_equal(
        again.transform(Xnew, sample_domain=1), est.transform(Xnew, sample_domain=1)
    )


def test_convergence_warnings(da_data):
    X, y, _sd, _ys, _yt = da_data
    with pytest.warns(ConvergenceWarning):
        SinkhornTransport(reg=0.01, max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ClassRegularizedTransport(reg=0.01, max_inner_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        EMDTransport(max_iter=1).fit(X, y)


def test_parameter_errors(da_data):
    X, y, sd, _ys, _yt = da_data
    with pytest.raises(ValueError, match="reg"):
        SinkhornTransport(reg=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="method"):
        SinkhornTransport(method="newton").fit(X, y)
    with pytest.raises(ValueError, match="norm"):
        EMDTransport(norm="mean").fit(X, y)
    with pytest.raises(ValueError, match="metric"):
        EMDTransport(metric="nope").fit(X, y)
    with pytest.raises(ValueError, match="penalty"):
        ClassRegularizedTransport(penalty="l2").fit(X, y)
    with pytest.raises(ValueError, match="labels of the source rows"):
        ClassRegularizedTransport().fit(X, sample_domain=sd)
    yp = y.copy()
    yp = yp.astype(float)
    yp[0] = np.nan  # with sample_domain, -1 is a class; NaN is "no label"
    with pytest.raises(ValueError, match="unlabelled"):
        ClassRegularizedTransport().fit(X, yp, sample_domain=sd)


def test_label_errors(da_data):
    X, y, _sd, ys, yt = da_data
    est = EMDTransport().fit(X, y)
    with pytest.raises(ValueError, match="labels of the 30 fitted source rows"):
        est.transform_labels(ys[:-1])
    with pytest.raises(ValueError, match="unlabelled"):
        est.inverse_transform_labels(np.full(len(yt), np.nan))
    # -1 is an ordinary label here (the rows are the fitted rows, all labelled)
    assert est.transform_labels(np.where(ys == 0, -1, 1)).shape == (len(yt), 2)
    with pytest.raises(ValueError, match="1-D"):
        est.transform_labels(ys[:, None])
    proba = est.inverse_transform_labels(yt)
    np.testing.assert_allclose(proba.sum(1), 1.0)


def test_unbalanced_zero_mass_rows_stay_put():
    # an outlier source row far away keeps (almost) no mass with a small reg_m
    X, y, sd, _ys, _yt = make_da(n_source=10, n_target=10)
    X = X.copy()
    X[0] = [1e3, 1e3]
    est = UnbalancedSinkhornTransport(reg=0.05, reg_m=0.01, norm=None).fit(X, y)
    out = est.transform(X[sd > 0], sample_domain=1)
    assert np.isfinite(out).all()


def test_memory_refused(monkeypatch, da_data):
    import skot.da._base as base

    X, y, _sd, _ys, _yt = da_data
    monkeypatch.setattr(
        base,
        "check_memory",
        lambda nbytes, what, hint="": (_ for _ in ()).throw(
            MemoryError(f"Refusing to allocate {what}")
        ),
    )
    with pytest.raises(MemoryError, match="cost and coupling"):
        EMDTransport().fit(X, y)


@given(n=st.integers(2, 9), seed=st.integers(0, 10_000))
def test_emd_equal_sizes_maps_onto_targets(n, seed):
    """With as many source as target rows, EMD's barycentric map is a permutation."""
    rng = np.random.RandomState(seed)
    X = rng.randn(2 * n, 2)
    y = np.r_[np.zeros(n, int), -np.ones(n, int)]
    mapped = EMDTransport().fit_transform(X, y)[:n]
    Xt = X[n:]
    for row in mapped:
        assert np.min(np.abs(Xt - row).sum(1)) < 1e-9


@given(seed=st.integers(0, 10_000), reg=st.floats(0.05, 5.0))
def test_sinkhorn_marginals_and_label_rows(seed, reg):
    X, y, _sd, ys, _yt = make_da(n_source=12, n_target=9, seed=seed)
    est = SinkhornTransport(reg=reg, norm="max", max_iter=5000, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(est.coupling_.sum(1), 1 / 12, atol=1e-8)
    np.testing.assert_allclose(est.coupling_.sum(0), 1 / 9, atol=1e-8)
    np.testing.assert_allclose(est.transform_labels(ys).sum(1), 1.0, atol=1e-10)


def test_couplings_identical_for_any_n_jobs():
    X, y, _sd, _ys, _yt = make_da(n_source=40, n_target=30)
    for est in (
        EMDTransport(),
        SinkhornTransport(),
        UnbalancedSinkhornTransport(),
        ClassRegularizedTransport(penalty="l1l2"),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            one = clone(est).set_params(n_jobs=1).fit(X, y)
            two = clone(est).set_params(n_jobs=2).fit(X, y)
        np.testing.assert_array_equal(one.coupling_, two.coupling_)
        assert one.n_iter_ == two.n_iter_


# ------------------------------------------------- entropic out-of-sample map


@given(
    n=st.integers(1, 9),
    m=st.integers(1, 10),
    reg=st.floats(1e-3, 10.0),
    block=st.integers(1, 12),
    seed=st.integers(0, 10_000),
)
def test_entropic_map_equals_reference(n, m, reg, block, seed):
    from skot.da._maps import entropic_map

    rng = np.random.RandomState(seed)
    X, Y = rng.randn(n, 2), rng.randn(m, 2)
    g = rng.randn(m)
    out = entropic_map(X, Y, g, reg, batch_size=block)
    np.testing.assert_allclose(out, ref.entropic_map(X, Y, g, reg), rtol=0, atol=1e-10)
    threaded = entropic_map(X, Y, g, reg, batch_size=block, n_threads=2)
    np.testing.assert_array_equal(out, threaded)
    assert np.isfinite(out).all()


def test_entropic_map_tiny_reg_and_far_points_do_not_overflow():
    from skot.da._maps import entropic_map

    Y = np.array([[1.0], [5.0]])
    out = entropic_map(np.array([[0.0]]), Y, np.zeros(2), 1e-6)
    assert out[0, 0] == 1.0
    # rows far from the origin: the centred cost keeps its precision
    rng = np.random.RandomState(0)
    X, Y = rng.randn(6, 3) + 1e4, rng.randn(7, 3) + 1e4
    g = rng.randn(7)
    np.testing.assert_allclose(
        entropic_map(X, Y, g, 0.5), ref.entropic_map(X, Y, g, 0.5), rtol=0, atol=1e-8
    )


@pytest.mark.parametrize(
    "metric, norm",
    [
        ("euclidean", None),
        ("sqeuclidean", "log"),
        ("sqeuclidean", "median"),
        ("sqeuclidean", 3.0),
        ("cityblock", "max"),
        ("euclidean", "loglog"),
    ],
)
def test_continuous_map_matches_fitted_barycentre_for_every_cost(metric, norm):
    """On the fitted rows the entropic map equals the barycentric map (any cost)."""
    X, y, sd, _ys, _yt = make_da(n_source=17, n_target=13, n_features=3)
    sk = SinkhornTransport(0.4, metric=metric, norm=norm, **TIGHT).fit(X, y)
    Xs, Xt = X[sd > 0], X[sd < 0]
    fwd = sk._map_new(Xs, sk.xs_, sk._xs_mapped, sk.xt_, sk._potentials[1], source=True)
    np.testing.assert_allclose(fwd, ref.barycentric_map(sk.coupling_, Xt), atol=1e-9)
    back = sk._map_new(Xt, sk.xt_, sk._xt_mapped, sk.xs_, sk._potentials[0], source=False)
    np.testing.assert_allclose(back, ref.barycentric_map(sk.coupling_.T, Xs), atol=1e-9)
