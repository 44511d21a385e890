"""Log-domain Sinkhorn kernels: against a scipy reference, thread invariance,
float32 costs and the exact fallbacks of the shifted one-pass sums."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import logsumexp

from skot.ot import _sinkhorn_kernels as K
from skot.utils._numba import numba_threads

from .._reference.ot import sinkhorn_log_naive

pytestmark = pytest.mark.kernel


def _problem(n, m, d=2, seed=0, scale=1.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    y = rng.random((m, d)) + 0.2
    M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    M = np.ascontiguousarray(M / M.max() * scale, dtype=dtype)
    a = rng.random(n) + 0.5
    b = rng.random(m) + 0.5
    return a / a.sum(), b / b.sum(), M


def _loop(fn, M, a, b, reg, n_iter, f=None, g=None, tau_a=1.0, tau_b=1.0, crit=1, tol=0.0):
    f = np.zeros(M.shape[0]) if f is None else f.copy()
    g = np.zeros(M.shape[1]) if g is None else g.copy()
    out = fn(M, a, b, np.log(a), np.log(b), f, g, reg, tau_a, tau_b, n_iter, tol, crit)
    return out, f, g


@pytest.mark.parametrize(
    "n, m, reg, scale",
    [(7, 5, 0.1, 1.0), (70, 300, 0.05, 1.0), (130, 90, 1e-3, 1.0), (40, 600, 1e-2, 50.0)],
)
def test_log_loop_matches_naive(n, m, reg, scale):
    # zero potentials: the first iterations are far from the marginals (the
    # exact fallbacks run), the later ones take the shifted one-pass sums
    a, b, M = _problem(n, m, scale=scale)
    n_iter = 25
    _, f_ref, g_ref = sinkhorn_log_naive(a, b, M, reg, n_iter)
    for fn in (K.log_loop, K.log_loop_par):
        (it, _, done), f, g = _loop(fn, M, a, b, reg, n_iter)
        assert it == n_iter and not done
        tol = 1e-12 * (np.abs(f_ref).max() + reg)
        np.testing.assert_allclose(f, f_ref, rtol=0, atol=tol)
        np.testing.assert_allclose(g, g_ref, rtol=0, atol=tol)


def _lse_rows(M, g, reg):
    return logsumexp((g[None, :] - M) / reg, axis=1)


def test_steps_match_logsumexp_and_report_errors():
    a, b, M = _problem(50, 260, seed=3)
    reg = 0.02
    rng = np.random.default_rng(4)
    f = rng.normal(size=50) * 0.1
    g = rng.normal(size=260) * 0.1
    for row_step, col_step in (
        (K.log_row_step, K.log_col_step),
        (K.log_row_step_par, K.log_col_step_par),
    ):
        for tau in (1.0, 0.7):
            f1, g1 = f.copy(), g.copy()
            lse = _lse_rows(M, g1, reg)
            err_ref = np.abs(np.exp(f1 / reg + lse) - a).sum()
            f_ref = tau * reg * (np.log(a) - lse)
            err, dmax = row_step(M, a, np.log(a), f1, g1, reg, tau)
            np.testing.assert_allclose(f1, f_ref, rtol=1e-13, atol=1e-15)
            assert err == pytest.approx(err_ref, rel=1e-12)
            assert dmax == pytest.approx(np.abs(f_ref - f).max(), rel=1e-12)
            lse_c = logsumexp((f1[:, None] - M) / reg, axis=0)
            g_ref = tau * reg * (np.log(b) - lse_c)
            err_c, _ = col_step(M, b, np.log(b), f1, g1, reg, tau)
            np.testing.assert_allclose(g1, g_ref, rtol=1e-13, atol=1e-15)
            assert err_c == pytest.approx(np.abs(np.exp(g / reg + lse_c) - b).sum(), rel=1e-12)


@pytest.mark.parametrize("n, m", [(3, 2), (65, 257), (200, 130), (129, 1100)])
@pytest.mark.parametrize("tau", [1.0, 0.6])
def test_results_do_not_depend_on_threads(n, m, tau):
    a, b, M = _problem(n, m, seed=n + m)
    rng = np.random.default_rng(1)
    # some rows far from their marginals: mixed shifted / exact rows and columns
    f0 = M.min(axis=1) + np.where(rng.random(n) < 0.2, -3.0, 0.0)
    g0 = (M - f0[:, None]).min(axis=0)
    reg = 2e-3
    outs = []
    for fn in (K.log_loop, K.log_loop_par):
        for threads in (1, 2):
            with numba_threads(threads):
                outs.append(_loop(fn, M, a, b, reg, 6, f0, g0, tau, tau))
    (ref, f_ref, g_ref) = outs[0]
    for out, f, g in outs[1:]:
        assert out == ref
        np.testing.assert_array_equal(f, f_ref)
        np.testing.assert_array_equal(g, g_ref)
    # the separate steps too
    for steps in ((K.log_row_step, K.log_col_step), (K.log_row_step_par, K.log_col_step_par)):
        res = []
        for threads in (1, 2):
            f, g = f0.copy(), g0.copy()
            with numba_threads(threads):
                e1 = steps[0](M, a, np.log(a), f, g, reg, tau)
                e2 = steps[1](M, b, np.log(b), f, g, reg, tau)
            res.append((e1, e2, f, g))
        assert res[0][:2] == res[1][:2]
        np.testing.assert_array_equal(res[0][2], res[1][2])
        np.testing.assert_array_equal(res[0][3], res[1][3])


def test_float32_cost_equals_its_float64_copy():
    a, b, M = _problem(90, 140, seed=5, dtype=np.float32)
    M64 = M.astype(np.float64)
    for fn in (K.log_loop, K.log_loop_par):
        out32, f32, g32 = _loop(fn, M, a, b, 0.01, 15)
        out64, f64, g64 = _loop(fn, M64, a, b, 0.01, 15)
        assert out32 == out64
        np.testing.assert_array_equal(f32, f64)
        np.testing.assert_array_equal(g32, g64)
    P = np.empty(M.shape)
    P64 = np.empty(M.shape)
    K.gibbs(M, f32, g32, 0.01, P)
    K.gibbs.parallel(M64, f64, g64, 0.01, P64)
    np.testing.assert_array_equal(P, P64)


def test_stopping_rules():
    a, b, M = _problem(30, 40, seed=6)
    reg = 0.05
    (it, err, done), f, g = _loop(K.log_loop, M, a, b, reg, 10_000, crit=0, tol=1e-10)
    assert done and err < 1e-10 and it < 10_000
    P = np.exp((f[:, None] + g[None, :] - M) / reg)
    assert np.abs(P.sum(1) - a).sum() < 1e-10
    assert np.abs(P.sum(0) - b).sum() < 1e-14
    (_, ch, done1), _, _ = _loop(K.log_loop_par, M, a, b, reg, 10_000, crit=1, tol=1e-9)
    assert done1 and ch < 1e-9


def test_nan_is_not_hidden():
    a, b, M = _problem(20, 300, seed=7)
    f = np.zeros(20)
    g = np.zeros(300)
    g[17] = np.nan
    K.log_row_step(M, a, np.log(a), f, g, 0.1, 1.0)
    assert np.isnan(f).all()
    (_, _, done), f, g = _loop(K.log_loop, M, a, b, 0.1, 3, g=g)
    assert not done and np.isnan(f).all()


def test_gibbs_matches_exp():
    _, _, M = _problem(40, 70, seed=8)
    rng = np.random.default_rng(9)
    f = rng.normal(size=40)
    g = rng.normal(size=70)
    for reg in (1.0, 1e-2, 1e-4):  # with 1e-4, entries over- and underflow
        P = np.empty(M.shape)
        K.gibbs(M, f, g, reg, P)
        with np.errstate(over="ignore"):
            ref = np.exp((f[:, None] + g[None, :] - M) * (1.0 / reg))
        np.testing.assert_allclose(P, ref, rtol=3e-16, atol=0)
        Q = np.empty(M.shape)
        K.gibbs.parallel(M, f, g, reg, Q)
        np.testing.assert_array_equal(P, Q)


@given(seed=st.integers(0, 10_000), reg=st.floats(1e-3, 1.0), shift=st.floats(-5.0, 5.0))
def test_row_step_property(seed, reg, shift):
    # any starting potentials (near or far from the marginals): the row
    # update is the exact log-sum-exp
    a, _, M = _problem(9, 300, seed=seed)
    rng = np.random.default_rng(seed)
    f = rng.normal(size=9) * shift
    g = rng.normal(size=300) * 0.1
    lse = _lse_rows(M, g, reg)
    K.log_row_step(M, a, np.log(a), f, g, reg, 1.0)
    np.testing.assert_allclose(f, reg * (np.log(a) - lse), rtol=1e-13, atol=1e-13 * reg)


def _scenario(kind, n=70, m=300):
    """Starts that send rows, columns or row factors to the exact fallbacks."""
    a, b, M = _problem(n, m, seed=11)
    rng = np.random.default_rng(12)
    f0 = np.zeros(n)
    if kind == "rows":  # row sums below 1e-200 of their marginal at the start
        M[rng.random(n) < 0.3] += 5.0
    elif kind == "columns":  # columns whose sums after the row update are tiny
        M[:, rng.random(m) < 0.3] += 3.0
    elif kind == "alpha":  # valid row sums but plan factors beyond 1e100
        f0 = np.where(rng.random(n) < 0.3, -4.0, 0.0)
    return a, b, M, f0


@pytest.mark.parametrize("kind", ["rows", "columns", "alpha", "none"])
def test_fallback_paths(kind):
    reg = 1e-2
    a, b, M, f0 = _scenario(kind)
    n_iter = 4
    # the row update does not depend on f: the naive run from zero is the reference
    _, f_ref, g_ref = sinkhorn_log_naive(a, b, M, reg, n_iter)
    tol = 1e-12 * (np.abs(f_ref).max() + reg)
    runs = []
    for fn in (K.log_loop, K.log_loop_par):
        for threads in (1, 2):
            with numba_threads(threads):
                out, f, g = _loop(fn, M, a, b, reg, n_iter, f0, np.zeros(M.shape[1]))
            np.testing.assert_allclose(f, f_ref, rtol=0, atol=tol)
            np.testing.assert_allclose(g, g_ref, rtol=0, atol=tol)
            runs.append((out, f, g))
    for out, f, g in runs[1:]:
        assert out == runs[0][0]
        np.testing.assert_array_equal(f, runs[0][1])
        np.testing.assert_array_equal(g, runs[0][2])
    # the separate steps: one iteration
    _, f1, g1 = sinkhorn_log_naive(a, b, M, reg, 1)
    for row_step, col_step in (
        (K.log_row_step, K.log_col_step),
        (K.log_row_step_par, K.log_col_step_par),
    ):
        f, g = f0.copy(), np.zeros(M.shape[1])
        row_step(M, a, np.log(a), f, g, reg, 1.0)
        col_step(M, b, np.log(b), f, g, reg, 1.0)
        np.testing.assert_allclose(f, f1, rtol=0, atol=1e-12 * np.abs(f1).max())
        np.testing.assert_allclose(g, g1, rtol=0, atol=1e-12 * np.abs(f1).max())


def test_first_call_compiles_only_the_fused_loop():
    # the exact forms (far from convergence, tiny reg) are separate kernels,
    # compiled when an iteration needs them: a call that never does compiles
    # the one fused kernel (a cold first call paid seconds for them before)
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from skot.ot import _sinkhorn_kernels as K\n"
        "rng = np.random.default_rng(0)\n"
        "M = rng.random((40, 30)); a = np.full(40, 1 / 40); b = np.full(30, 1 / 30)\n"
        "f = M.min(1); g = (M - f[:, None]).min(0)\n"
        "K.log_loop(M, a, b, np.log(a), np.log(b), f, g, 0.5, 1.0, 1.0, 50, 1e-12, 0)\n"
        "print(len(K.fused_loop.serial.signatures), len(K.rows_step.serial.signatures),\n"
        "      len(K.cols_step.serial.signatures), len(K.fused_loop.parallel.signatures))\n"
        "f[:5] -= 50.0\n"  # rows far from their marginals: the exact forms run
        "K.log_loop(M, a, b, np.log(a), np.log(b), f, g, 0.01, 1.0, 1.0, 3, 0.0, 0)\n"
        "print(len(K.rows_step.serial.signatures), len(K.cols_step.serial.signatures))\n"
    )
    # a fresh process (a warm on-disk cache loads only what is called, too)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0].split() == ["1", "0", "0", "0"]
    assert out[1].split() == ["1", "1"]
