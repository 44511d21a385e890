"""Exact 1-D OT (line and circle) and sliced Wasserstein: against scipy, POT,
skot's network simplex on the explicit cost matrix, and properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse

from skot.ot import OTResult, emd, emd2
from skot.ot._sliced import (
    max_sliced_wasserstein,
    sliced_wasserstein,
    wasserstein_1d,
    wasserstein_circle,
)
from skot.utils._numba import parallel_policy

pytestmark = pytest.mark.kernel


def _measure(rng, n, zeros=False, ties=False):
    x = rng.normal(size=n)
    if ties:
        x = np.round(x, 1)
    w = rng.random(n) + 0.05
    if zeros and n > 1:
        w[rng.random(n) < 0.3] = 0.0
        w[0] = 1.0
    return x, w / w.sum()


def _line_cost(x, y, p):
    return np.abs(x[:, None] - y[None, :]) ** p


def _circle_cost(x, y, p):
    d = np.abs(np.mod(x, 1)[:, None] - np.mod(y, 1)[None, :])
    return np.minimum(d, 1 - d) ** p


# ------------------------------------------------------------------ wasserstein_1d


@pytest.mark.parametrize("n,m", [(1, 1), (1, 6), (7, 1), (10, 13), (50, 40)])
@pytest.mark.parametrize("ties", [False, True])
def test_w1_matches_scipy(n, m, ties):
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(n * 31 + m)
    x, a = _measure(rng, n, ties=ties)
    y, b = _measure(rng, m, ties=ties)
    ref = wasserstein_distance(x, y, a, b)
    assert wasserstein_1d(x, y, a, b) == pytest.approx(ref, rel=1e-12, abs=1e-15)
    assert wasserstein_1d(x, y) == pytest.approx(wasserstein_distance(x, y), rel=1e-12)


@pytest.mark.parametrize("p", [1, 1.5, 2, 3])
@pytest.mark.parametrize("zeros", [False, True])
def test_matches_emd_on_the_cost_matrix(p, zeros):
    rng = np.random.default_rng(int(10 * p) + zeros)
    for n, m in [(1, 4), (6, 6), (17, 11), (40, 25)]:
        x, a = _measure(rng, n, zeros=zeros, ties=True)
        y, b = _measure(rng, m, zeros=zeros, ties=True)
        ref = emd2(a, b, _line_cost(x, y, p))
        assert wasserstein_1d(x, y, a, b, p=p) == pytest.approx(ref, rel=1e-11, abs=1e-14)


@pytest.mark.parametrize("p", [1, 2, 2.5])
def test_matches_pot_batched(p):
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(3)
    U = rng.normal(size=(30, 6))
    V = rng.normal(size=(22, 6)) * 2
    wu = rng.random(30)
    wv = rng.random(22)
    wv *= wu.sum() / wv.sum()
    np.testing.assert_allclose(wasserstein_1d(U, V, p=p), ot.wasserstein_1d(U, V, p=p), rtol=1e-12)
    np.testing.assert_allclose(
        wasserstein_1d(U, V, wu, wv, p=p), ot.wasserstein_1d(U, V, wu, wv, p=p), rtol=1e-12
    )
    # one set of masses per column
    WU = rng.random((30, 6))
    WV = rng.random((22, 6))
    WV *= WU.sum(0) / WV.sum(0)
    ours = wasserstein_1d(U, V, WU, WV, p=p)
    assert ours.shape == (6,)
    np.testing.assert_allclose(ours, ot.wasserstein_1d(U, V, WU, WV, p=p), rtol=1e-12)
    for k in range(6):
        assert ours[k] == pytest.approx(
            wasserstein_1d(U[:, k], V[:, k], WU[:, k], WV[:, k], p=p), rel=1e-14
        )


def test_batched_serial_and_parallel_identical():
    rng = np.random.default_rng(4)
    U = rng.normal(size=(40, 9))
    V = rng.normal(size=(31, 9))
    with parallel_policy("never"):
        ser = wasserstein_1d(U, V, p=2)
        ser_c = wasserstein_circle(U, V, p=2)
    with parallel_policy("always"):
        par = wasserstein_1d(U, V, p=2, n_jobs=2)
        par_c = wasserstein_circle(U, V, p=2, n_jobs=2)
    np.testing.assert_array_equal(ser, par)
    np.testing.assert_array_equal(ser_c, par_c)


@pytest.mark.parametrize("p", [1, 2, 1.5])
@pytest.mark.parametrize("zeros", [False, True])
def test_plan_and_potentials(p, zeros):
    rng = np.random.default_rng(5 + zeros)
    x, a = _measure(rng, 23, zeros=zeros, ties=True)
    y, b = _measure(rng, 17, zeros=zeros, ties=True)
    res = wasserstein_1d(x, y, a, b, p=p, return_plan=True)
    assert isinstance(res, OTResult)
    assert sparse.issparse(res.plan)
    P = res.plan.toarray()
    M = _line_cost(x, y, p)
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(1), a, atol=1e-14)
    np.testing.assert_allclose(P.sum(0), b, atol=1e-14)
    assert res.marginal_error < 1e-13
    assert res.cost == pytest.approx(float((P * M).sum()), rel=1e-13)
    assert res.cost == pytest.approx(emd(a, b, M).cost, rel=1e-11)
    assert res.cost == pytest.approx(wasserstein_1d(x, y, a, b, p=p), rel=1e-14)
    # dual feasibility, complementary slackness, strong duality
    viol = res.f[:, None] + res.g[None, :] - M
    assert viol.max() < 1e-12
    assert np.abs(viol[P > 0]).max() < 1e-12
    assert a @ res.f + b @ res.g == pytest.approx(res.cost, rel=1e-12, abs=1e-14)
    assert np.count_nonzero(P) <= 23 + 17 - 1
    # monotone: the support, in the order of x, never goes back in y
    rows, cols = np.nonzero(P)
    order = np.lexsort((y[cols], x[rows]))
    assert (np.diff(y[cols][order]) >= 0).all()
    assert res.converged


def test_plan_batched_is_a_list():
    rng = np.random.default_rng(6)
    U = rng.normal(size=(8, 3))
    V = rng.normal(size=(5, 3))
    res = wasserstein_1d(U, V, p=2, return_plan=True)
    assert isinstance(res, list) and len(res) == 3
    costs = wasserstein_1d(U, V, p=2)
    for k in range(3):
        assert res[k].cost == pytest.approx(costs[k], rel=1e-14)
        assert res[k].plan.shape == (8, 5)


@given(
    st.integers(1, 12),
    st.integers(1, 12),
    st.floats(1, 4),
    st.floats(-5, 5),
    st.integers(0, 2**31 - 1),
)
def test_properties(n, m, p, shift, seed):
    rng = np.random.default_rng(seed)
    x, a = _measure(rng, n, ties=True)
    y, b = _measure(rng, m, ties=True)
    w = wasserstein_1d(x, y, a, b, p=p)
    scale = max(1.0, w)
    assert w >= 0
    # symmetry and translation invariance
    assert wasserstein_1d(y, x, b, a, p=p) == pytest.approx(w, rel=1e-10, abs=1e-12 * scale)
    assert wasserstein_1d(x + shift, y + shift, a, b, p=p) == pytest.approx(
        w, rel=1e-9, abs=1e-9 * scale
    )
    # homogeneity: W_p^p(s u, s v) = s^p W_p^p(u, v)
    assert wasserstein_1d(2.0 * x, 2.0 * y, a, b, p=p) == pytest.approx(
        2.0**p * w, rel=1e-10, abs=1e-12 * scale
    )
    # W_p = (W_p^p)^(1/p) is non-decreasing in p (probability measures)
    w1 = wasserstein_1d(x, y, a, b, p=1.0)
    assert w ** (1.0 / p) >= w1 * (1 - 1e-10) - 1e-12
    assert wasserstein_1d(x, x, a, a, p=p) == 0.0


def test_inputs_untouched_float32_readonly():
    rng = np.random.default_rng(7)
    x = rng.normal(size=20).astype(np.float32)
    y = rng.normal(size=15).astype(np.float32)
    a = np.full(20, 1 / 20)
    for arr in (x, y, a):
        arr.flags.writeable = False
    x0, y0 = x.copy(), y.copy()
    w32 = wasserstein_1d(x, y, a, None, p=2)
    w64 = wasserstein_1d(x.astype(np.float64), y.astype(np.float64), p=2)
    assert w32 == pytest.approx(w64, rel=1e-12)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    assert isinstance(w32, float)


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"u_values": [0.0, np.nan]}, ValueError, "u_values contains NaN"),
        ({"v_values": np.zeros((2, 2, 2))}, ValueError, "v_values must be 1-D"),
        ({"u_values": []}, ValueError, "u_values is empty"),
        ({"u_values": ["a", "b"]}, TypeError, "u_values must hold real numbers"),
        ({"u_values": [1j, 2.0]}, TypeError, "complex"),
        ({"u_weights": [1.0, -1.0]}, ValueError, "u_weights must be non-negative"),
        ({"u_weights": [1.0, 1.0, 1.0]}, ValueError, r"u_weights must have shape \(2,\)"),
        ({"v_weights": [0.0, 0.0]}, ValueError, "v_weights has zero total mass"),
        ({"u_weights": [1.0, 2.0]}, ValueError, "same total mass"),
        ({"v_values": np.zeros((2, 3))}, ValueError, "both be 1-D or both be 2-D"),
        ({"p": 0.5}, ValueError, "'p' parameter"),
    ],
)
def test_errors(kwargs, err, match):
    args = {"u_values": [0.0, 1.0], "v_values": [0.5, 2.0], **kwargs}
    with pytest.raises(err, match=match):
        wasserstein_1d(**args)


# ------------------------------------------------------------------ circle


@pytest.mark.parametrize("p", [1, 1.5, 2, 3])
def test_circle_matches_emd(p):
    rng = np.random.default_rng(int(p * 10))
    for n, m in [(1, 1), (1, 5), (8, 6), (25, 31)]:
        x = np.round(rng.random(n), 2) + rng.integers(-2, 3, size=n)
        y = np.round(rng.random(m), 2)
        a = rng.random(n) + 0.01
        b = rng.random(m) + 0.01
        a /= a.sum()
        b /= b.sum()
        ref = emd2(a, b, _circle_cost(x, y, p))
        assert wasserstein_circle(x, y, a, b, p=p) == pytest.approx(ref, rel=1e-11, abs=1e-14)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_circle_matches_pot(p):
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(8)
    U = rng.random((40, 5))
    V = rng.random((30, 5))
    ours = wasserstein_circle(U, V, p=p)
    # POT's binary search stops at a tolerance on the shift (eps=1e-6)
    np.testing.assert_allclose(ours, ot.wasserstein_circle(U, V, p=p), rtol=1e-6, atol=1e-9)
    # never above POT's (ours is the exact minimum)
    assert (ours <= ot.wasserstein_circle(U, V, p=p) + 1e-15).all()


def test_circle_kernel_bisection_agrees_with_level_median():
    from skot.ot import _sliced_kernels as K
    from skot.ot._sliced import _level_median_w1

    rng = np.random.default_rng(9)
    for _ in range(20):
        n, m = rng.integers(1, 15, size=2)
        x = np.sort(rng.random(n))
        y = np.sort(rng.random(m))
        cu = np.cumsum(rng.random(n) + 0.1)
        cv = np.cumsum(rng.random(m) + 0.1)
        cu /= cu[-1]
        cv /= cv[-1]
        cu[-1] = cv[-1] = 1.0
        c, theta = K.circle_solve(x, cu, y, cv, 1.0)
        ref = _level_median_w1(x[None], cu[None], y[None], cv[None])[0]
        assert c == pytest.approx(ref, rel=1e-12, abs=1e-15)
        assert -1.0 <= theta <= 1.0


@given(st.integers(1, 10), st.integers(1, 10), st.floats(1, 3), st.integers(0, 2**31 - 1))
def test_circle_properties(n, m, p, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(m)
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    b *= a.sum() / b.sum()
    w = wasserstein_circle(x, y, a, b, p=p)
    assert 0 <= w <= a.sum() * 0.5**p + 1e-12
    assert wasserstein_circle(y, x, b, a, p=p) == pytest.approx(w, rel=1e-9, abs=1e-12)
    # rotation invariance
    assert wasserstein_circle(x + 0.3, y + 0.3, a, b, p=p) == pytest.approx(w, rel=1e-9, abs=1e-12)
    # never more than on the line (the geodesic distance is smaller)
    assert w <= wasserstein_1d(x, y, a, b, p=p) * (1 + 1e-12) + 1e-15


def test_circle_examples():
    assert wasserstein_circle([0.05], [0.95]) == pytest.approx(0.1)
    assert wasserstein_circle([0.05], [0.95], p=2) == pytest.approx(0.01)
    assert wasserstein_circle([0.2, 0.5, 0.8], [0.4, 0.5, 0.7]) == pytest.approx(0.1)


# ------------------------------------------------------------------ sliced


def _clouds(seed, n=60, m=45, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(m, d)) * [2.0] + [1.0] + np.zeros(d)
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    return X, Y, a / a.sum(), b / b.sum()


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_sliced_matches_pot(p, weighted):
    ot = pytest.importorskip("ot")
    X, Y, a, b = _clouds(p)
    a, b = (a, b) if weighted else (None, None)
    # same integer seed: same directions as POT
    ours, P = sliced_wasserstein(
        X, Y, a, b, n_projections=30, p=p, random_state=11, return_projections=True
    )
    ref, log = ot.sliced_wasserstein_distance(X, Y, a, b, n_projections=30, p=p, seed=11, log=True)
    np.testing.assert_allclose(P, log["projections"], rtol=1e-15)
    assert ours == pytest.approx(ref, rel=1e-12)
    # POT's directions passed explicitly
    proj = ot.sliced.get_random_projections(4, 17, seed=5)
    assert sliced_wasserstein(X, Y, a, b, p=p, projections=proj) == pytest.approx(
        ot.sliced_wasserstein_distance(X, Y, a, b, p=p, projections=proj), rel=1e-12
    )
    assert max_sliced_wasserstein(X, Y, a, b, p=p, projections=proj) == pytest.approx(
        ot.max_sliced_wasserstein_distance(X, Y, a, b, p=p, projections=proj), rel=1e-12
    )


def test_sliced_is_the_mean_of_1d_costs():
    X, Y, a, b = _clouds(12)
    proj = np.random.default_rng(0).normal(size=(4, 7))
    costs = wasserstein_1d(X @ proj, Y @ proj, a, b, p=2)
    assert sliced_wasserstein(X, Y, a, b, p=2, projections=proj) == pytest.approx(
        np.mean(costs) ** 0.5, rel=1e-13
    )
    assert max_sliced_wasserstein(X, Y, a, b, p=2, projections=proj) == pytest.approx(
        np.max(costs) ** 0.5, rel=1e-13
    )


def test_sliced_reproducible_and_parallel_identical():
    X, Y, a, b = _clouds(13)
    rs = np.random.RandomState(3)
    with parallel_policy("never"):
        s1 = sliced_wasserstein(X, Y, n_projections=40, random_state=0)
    with parallel_policy("always"):
        s2 = sliced_wasserstein(X, Y, n_projections=40, random_state=0, n_jobs=2)
    assert s1 == s2
    d, P = sliced_wasserstein(X, Y, random_state=rs, return_projections=True)
    assert P.shape == (4, 50)
    np.testing.assert_allclose((P**2).sum(0), 1.0)
    assert sliced_wasserstein(X, X, random_state=0) == 0.0


def test_max_sliced_ascent():
    rng = np.random.default_rng(14)
    # the clouds differ along one direction only
    X = rng.normal(size=(80, 3))
    u = np.array([1.0, 2.0, -2.0]) / 3.0
    Y = rng.normal(size=(80, 3)) + 2.5 * u
    base = max_sliced_wasserstein(X, Y, n_projections=5, random_state=0)
    d, theta = max_sliced_wasserstein(
        X, Y, n_projections=5, random_state=0, n_steps=40, return_projections=True
    )
    assert d >= base
    assert np.linalg.norm(theta) == pytest.approx(1.0)
    # close to the best direction found by a dense search
    dirs = rng.normal(size=(3, 4000))
    dirs /= np.linalg.norm(dirs, axis=0)
    dense = max_sliced_wasserstein(X, Y, projections=dirs)
    assert d >= dense * (1 - 1e-3)
    assert abs(theta @ u) > 0.95


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"X_t": np.zeros((3, 2))}, ValueError, "same number of features"),
        ({"projections": np.ones((2, 4))}, ValueError, r"projections must have shape \(d"),
        ({"a": [1.0, 2.0]}, ValueError, r"a must have shape \(5,\)"),
        ({"b": np.full(4, 0.5)}, ValueError, "same total mass"),
        ({"n_projections": 0}, ValueError, "'n_projections' parameter"),
        ({"X_s": np.full((5, 3), np.nan)}, ValueError, "X_s contains NaN"),
        ({"p": 0.9}, ValueError, "'p' parameter"),
    ],
)
def test_sliced_errors(kwargs, err, match):
    rng = np.random.default_rng(0)
    args = {"X_s": rng.normal(size=(5, 3)), "X_t": rng.normal(size=(4, 3)), **kwargs}
    with pytest.raises(err, match=match):
        sliced_wasserstein(**args)
    with pytest.raises(err, match=match):
        max_sliced_wasserstein(**args)
