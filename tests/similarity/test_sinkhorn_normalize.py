"""sinkhorn_normalize: correctness against references, properties and every error path."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from skot.similarity import SinkhornNormalizeResult, sinkhorn_normalize
from tests._reference import similarity as ref

TOL = 1e-10


def _gauss(n=40, d=3, scale=1.0, seed=0, zero_diag=False):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    D2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    K = np.exp(-D2 / (2 * scale**2 * np.median(D2)))
    if zero_diag:
        np.fill_diagonal(K, 0.0)
    return K


def _check_doubly(P, tol=TOL, rows=1.0, cols=1.0):
    P = P.toarray() if sparse.issparse(P) else np.asarray(P, dtype=np.float64)
    np.testing.assert_allclose(P.sum(axis=1), rows, rtol=0, atol=tol)
    np.testing.assert_allclose(P.sum(axis=0), cols, rtol=0, atol=tol)


# ------------------------------------------------------------------ core


@pytest.mark.parametrize("method", ["fixed_point", "newton", "alternating"])
@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_doubly_stochastic_every_method(method, scale):
    K = _gauss(scale=scale)
    res = sinkhorn_normalize(K, method=method, max_iter=20_000)
    assert isinstance(res, SinkhornNormalizeResult)
    assert res.converged and res.error <= TOL
    _check_doubly(res.matrix)
    if method != "alternating":
        assert res.symmetric
        assert np.array_equal(res.matrix, res.matrix.T)  # exactly, not to rounding
        assert np.array_equal(res.row_scaling, res.col_scaling)
    np.testing.assert_allclose(
        res.matrix, res.row_scaling[:, None] * K * res.col_scaling[None, :], rtol=1e-13
    )


@pytest.mark.parametrize("zero_diagonal", [False, True])
def test_matvec_counts_at_any_bandwidth(zero_diagonal):
    # The setting at a smaller n: make_blobs(10 features, 10 centres),
    # bandwidth the median distance and a quarter of it. The symmetric fixed
    # point contracts by ~1/2 per product whatever the bandwidth.
    from sklearn.datasets import make_blobs

    from skot.similarity import SinkhornAffinity

    X, _ = make_blobs(600, 10, centers=10, random_state=0)
    g = SinkhornAffinity().fit(X[:2]).set_params(gamma=None).fit(X).gamma_
    for factor in (1.0, 0.25):
        kw = {"gamma": g / factor**2, "zero_diagonal": zero_diagonal}
        fp = SinkhornAffinity(**kw).fit(X)
        nt = SinkhornAffinity(method="newton", **kw).fit(X)
        assert fp.n_matvec_ <= 40 and nt.n_matvec_ <= 12, (fp.n_matvec_, nt.n_matvec_)
        assert max(fp.scaling_error_, nt.scaling_error_) <= TOL
        np.testing.assert_allclose(fp.affinity_matrix_, nt.affinity_matrix_, atol=1e-10)


@pytest.mark.parametrize("power", [1, 16])
def test_knn_kernel_matvec_counts(power, capsys):
    # The sparse setting at a smaller n: symmetrised 15-NN Gaussian
    # kernel plus I (its smallest eigenvalue is negative, about -0.15 after
    # scaling). The over-relaxed fixed point needs about 30 products, not 44.
    from sklearn.datasets import make_blobs

    from skot.similarity import SinkhornAffinity

    X, _ = make_blobs(1000, 10, centers=10, random_state=0)
    K = SinkhornAffinity(n_neighbors=15)._knn_kernel(X)[0].power(power)
    fp = sinkhorn_normalize(K, method="fixed_point")
    nt = sinkhorn_normalize(K, method="newton", verbose=2)
    assert fp.n_matvec <= 32 and nt.n_matvec <= 20, (fp.n_matvec, nt.n_matvec)
    # the compiled CG loop reports its products per Newton step
    out = capsys.readouterr().out
    cg = [int(line.split("cg: ")[1].split()[0]) for line in out.splitlines() if "cg: " in line]
    assert cg and sum(cg) < nt.n_matvec
    assert max(fp.error, nt.error) <= TOL
    _check_doubly(fp.matrix)
    _check_doubly(nt.matrix)
    np.testing.assert_allclose(fp.row_scaling, nt.row_scaling, rtol=1e-9)


def test_fixed_point_steps_match_slow_reference():
    # A fixed number of steps (tol=None) reproduces the over-relaxed update
    # d <- d (d K d)^(-2/3) from the best constant start, step by step.
    K = _gauss(n=12, scale=0.5)
    for n_iter in (1, 2, 5):
        res = sinkhorn_normalize(K, method="fixed_point", tol=None, max_iter=n_iter)
        assert res.n_iter == n_iter and res.n_matvec == n_iter + 1
        np.testing.assert_allclose(res.row_scaling, ref.symmetric_steps(K, n_iter), rtol=1e-12)
    # and converges to the classical fixed point's limit
    np.testing.assert_allclose(
        sinkhorn_normalize(K, method="fixed_point").row_scaling,
        ref.symmetric_steps(K, 200, omega=0.5),
        rtol=1e-9,
    )


def test_fixed_point_falls_back_when_the_error_grows(monkeypatch, capsys):
    # An over-relaxation far beyond the stable range (omega > 1 diverges
    # linearly) makes the error grow; the iteration then falls back to the
    # classical omega = 1/2 and still converges.
    from skot.ot import _symmetric as mod

    K = _gauss(n=50, scale=0.5)
    monkeypatch.setattr(mod, "_OMEGA", 1.9)
    res = sinkhorn_normalize(K, method="fixed_point", verbose=1)
    assert res.converged and res.error <= TOL
    _check_doubly(res.matrix)
    errs = [
        float(line.split("error=")[1].split(",")[0])
        for line in capsys.readouterr().out.splitlines()
        if "error=" in line
    ]
    assert any(e1 > e0 for e0, e1 in itertools.pairwise(errs))  # it did grow once
    monkeypatch.setattr(mod, "_OMEGA", 0.5)
    classic = sinkhorn_normalize(K, method="fixed_point")
    np.testing.assert_allclose(res.row_scaling, classic.row_scaling, rtol=1e-9)
    monkeypatch.undo()
    fast = sinkhorn_normalize(K, method="fixed_point")
    assert fast.n_matvec < classic.n_matvec
    np.testing.assert_allclose(fast.row_scaling, classic.row_scaling, rtol=1e-9)


def test_matches_slow_reference():
    K = _gauss(n=8, seed=3)
    res = sinkhorn_normalize(K)
    d = ref.symmetric_scaling(K)
    np.testing.assert_allclose(res.row_scaling, d, rtol=1e-9)
    P_ref, _, _ = ref.sinkhorn_knopp(K)
    np.testing.assert_allclose(res.matrix, P_ref, atol=1e-10)
    R = np.random.RandomState(1).rand(4, 6) + 0.1
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.full(6, 10.0 / 6)
    res = sinkhorn_normalize(R, row_sums=a, col_sums=b)
    P_ref, _, _ = ref.sinkhorn_knopp(R, a, b)
    np.testing.assert_allclose(res.matrix, P_ref, atol=1e-10)
    _check_doubly(res.matrix, rows=a, cols=b, tol=1e-9)


def test_equals_pot_plan():
    ot = pytest.importorskip("ot")
    for zero_diag in (False, True):
        K = _gauss(n=30, zero_diag=zero_diag)
        res = sinkhorn_normalize(K)
        with np.errstate(divide="ignore"):
            M = -np.log(K)
        G = ot.sinkhorn(np.ones(30), np.ones(30), M, 1.0, stopThr=1e-13, numItermax=100_000)
        np.testing.assert_allclose(res.matrix, G, atol=1e-9)
    R = np.random.RandomState(2).rand(5, 7) + 0.05
    res = sinkhorn_normalize(R)
    G = ot.sinkhorn(
        np.ones(5), np.full(7, 5 / 7), -np.log(R), 1.0, stopThr=1e-13, numItermax=100_000
    )
    np.testing.assert_allclose(res.matrix, G, atol=1e-9)


def test_symmetric_and_alternating_agree():
    K = _gauss(n=50, scale=0.5)
    sym = sinkhorn_normalize(K)
    alt = sinkhorn_normalize(K, symmetric=False)
    assert sym.symmetric and not alt.symmetric
    np.testing.assert_allclose(sym.matrix, alt.matrix, atol=1e-9)
    # the symmetric scaling is the geometric mean of the alternating factors
    np.testing.assert_allclose(
        np.sqrt(alt.row_scaling * alt.col_scaling), sym.row_scaling, rtol=1e-8
    )


@pytest.mark.parametrize("method", ["fixed_point", "newton", "alternating"])
def test_sparse_and_dense_agree(method):
    K = _gauss(n=60, scale=0.4)
    K[K < 0.05] = 0.0
    np.fill_diagonal(K, 1.0)
    dense = sinkhorn_normalize(K, method=method)
    for fmt in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_array):
        sp = sinkhorn_normalize(fmt(K), method=method)
        assert sparse.issparse(sp.matrix) and sp.matrix.format == "csr"
        assert isinstance(sp.matrix, sparse.sparray) == isinstance(fmt(K), sparse.sparray)
        np.testing.assert_allclose(sp.matrix.toarray(), dense.matrix, atol=1e-12)
        assert sp.n_iter == dense.n_iter
        _check_doubly(sp.matrix)
        if method != "alternating":
            assert (sp.matrix != sp.matrix.T).nnz == 0


def test_rectangular_default_marginals():
    R = np.random.RandomState(0).rand(6, 9)
    res = sinkhorn_normalize(R)
    assert not res.symmetric
    _check_doubly(res.matrix, rows=1.0, cols=6 / 9)


def test_symmetric_with_row_sums():
    K = _gauss(n=20)
    a = np.linspace(0.5, 1.5, 20)
    for method in ("fixed_point", "newton"):
        res = sinkhorn_normalize(K, row_sums=a, method=method)
        assert res.symmetric
        _check_doubly(res.matrix, rows=a, cols=a, tol=1e-9)
    res = sinkhorn_normalize(K, row_sums=a, col_sums=a[::-1])
    assert not res.symmetric
    _check_doubly(res.matrix, rows=a, cols=a[::-1], tol=1e-9)


def test_float32_readonly_and_dtype():
    K = _gauss(n=30)
    K32 = K.astype(np.float32)
    K32.setflags(write=False)
    res = sinkhorn_normalize(K32)
    assert res.matrix.dtype == np.float32 and res.row_scaling.dtype == np.float64
    assert res.error <= TOL
    # the scaling is exact for the float32 matrix, computed in float64
    P = res.row_scaling[:, None] * K32.astype(np.float64) * res.row_scaling[None, :]
    _check_doubly(P)
    _check_doubly(res.matrix, tol=1e-5)
    Ki = (np.eye(4) * 3 + 1).astype(np.int64)
    assert sinkhorn_normalize(Ki).matrix.dtype == np.float64
    Kf = np.asfortranarray(_gauss(n=10, seed=4)[:, ::-1][::-1])
    _check_doubly(sinkhorn_normalize(Kf).matrix)


def test_n_jobs_gives_identical_results():
    K = _gauss(n=520, d=4, scale=0.5)  # above the parallel threshold
    for method in ("fixed_point", "newton", "alternating"):
        r1 = sinkhorn_normalize(K, method=method, n_jobs=1)
        r2 = sinkhorn_normalize(K, method=method, n_jobs=2)
        assert np.array_equal(r1.matrix, r2.matrix)
        assert r1.n_iter == r2.n_iter


def test_tol_none_runs_max_iter():
    K = _gauss(n=20, scale=0.3)
    for method in ("fixed_point", "newton", "alternating"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = sinkhorn_normalize(K, tol=None, max_iter=3, method=method)
        assert res.n_iter == 3 and res.converged and res.error > 0


def test_convergence_warning():
    K = _gauss(n=30, scale=0.3)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        res = sinkhorn_normalize(K, max_iter=2)
    assert not res.converged and res.error > TOL


def test_verbose(capsys):
    sinkhorn_normalize(_gauss(n=10), verbose=2, method="newton")
    sinkhorn_normalize(_gauss(n=10), verbose=1, symmetric=False)
    out = capsys.readouterr().out
    assert "newton" in out and "alternating" in out and "error=" in out


# ------------------------------------------------------- support, existence


@pytest.mark.parametrize("as_sparse", [False, True])
@pytest.mark.parametrize("method", ["fixed_point", "newton", "alternating"])
def test_zero_rows_left_out_and_reported(as_sparse, method):
    K = _gauss(n=12, zero_diag=True)
    K[[0, 5], :] = 0.0
    K[:, [0, 5]] = 0.0
    inp = sparse.csr_matrix(K) if as_sparse else K
    with pytest.warns(UserWarning, match=r"2 rows.*\[0, 5\].*left out"):
        res = sinkhorn_normalize(inp, method=method)
    P = res.matrix.toarray() if as_sparse else res.matrix
    assert np.isfinite(P).all() and np.isfinite(res.row_scaling).all()
    assert res.row_support.tolist() == [i not in (0, 5) for i in range(12)]
    rows = P.sum(axis=1)
    np.testing.assert_allclose(rows[res.row_support], 1.0, atol=TOL)
    assert (rows[~res.row_support] == 0).all() and (P[:, [0, 5]] == 0).all()


def test_zero_rows_nonsymmetric_and_log():
    R = np.random.RandomState(0).rand(5, 7)
    R[2] = 0
    R[:, 4] = 0
    with pytest.warns(UserWarning, match="1 rows"):
        res = sinkhorn_normalize(R)
    assert res.row_support.sum() == 4 and res.col_support.sum() == 6
    _check_doubly(res.matrix[res.row_support][:, res.col_support], rows=1.0, cols=4 / 6)
    with np.errstate(divide="ignore"):
        L = np.log(R)
    with pytest.warns(UserWarning, match="no non-zero entry"):
        lres = sinkhorn_normalize(log_K=L)
    assert np.isfinite(lres.matrix).all()
    np.testing.assert_allclose(lres.matrix, res.matrix, atol=1e-9)


@pytest.mark.parametrize("as_sparse", [False, True])
def test_no_perfect_matching_is_explained(as_sparse):
    star = np.array([[0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]], float)
    assert not ref.has_total_support(star)
    inp = sparse.csr_matrix(star) if as_sparse else star
    with pytest.raises(
        ValueError,
        match=r"no perfect matching. The 2 rows \[.*\] have "
        r"non-zeros only in the 1 columns \[0\]",
    ):
        sinkhorn_normalize(inp)
    with np.errstate(divide="ignore"), pytest.raises(ValueError, match="no perfect matching"):
        sinkhorn_normalize(log_K=np.log(star))


def test_support_without_total_support_is_explained():
    T = np.triu(np.ones((4, 4)))
    assert not ref.has_total_support(T)
    with pytest.raises(ValueError, match=r"not total support -- entry \(0, 1\)"):
        sinkhorn_normalize(T)
    with np.errstate(divide="ignore"), pytest.raises(ValueError, match="not total support"):
        sinkhorn_normalize(log_K=np.log(T))
    # with fixed iterations (the Sinkformer use) there is no existence test
    with np.errstate(divide="ignore"):
        res = sinkhorn_normalize(log_K=np.log(T), tol=None, max_iter=5)
    assert np.isfinite(res.matrix).all()


def test_total_support_check_agrees_with_brute_force():
    rng = np.random.RandomState(0)
    seen = set()
    for _ in range(60):
        A = (rng.rand(4, 4) < 0.45).astype(float)
        if (A.sum(0) == 0).any() or (A.sum(1) == 0).any():
            continue
        ok = ref.has_total_support(A)
        seen.add(ok)
        if ok:
            _check_doubly(sinkhorn_normalize(A, max_iter=100_000).matrix, tol=1e-8)
        else:
            with pytest.raises(ValueError, match="no doubly stochastic scaling"):
                sinkhorn_normalize(A)
    assert seen == {True, False}


def test_unequal_zero_rows_and_columns():
    R = np.ones((3, 3))
    R[0] = 0
    with pytest.raises(ValueError, match="1 zero rows but 0 zero columns"):
        sinkhorn_normalize(R)


def test_all_zero():
    with pytest.raises(ValueError, match="no support"):
        sinkhorn_normalize(np.zeros((3, 3)))


@pytest.mark.parametrize("method", ["fixed_point", "newton", "alternating"])
def test_unreachable_marginals_diverge_clearly(method):
    # No positive scaling reaches these targets: the factors run off to 0 and
    # infinity; the result is an error, never NaN.
    K = np.array([[1e-300, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="diverged"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sinkhorn_normalize(K, row_sums=[1.0, 2.0], max_iter=3000, method=method)
    T = np.array([[1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="diverged"):
        sinkhorn_normalize(T, row_sums=[1.0, 1.0], col_sums=[1.5, 0.5], max_iter=3000)


# ------------------------------------------------------------ log domain


def test_log_domain_matches_kernel_and_reference():
    rng = np.random.RandomState(0)
    L = rng.randn(3, 5, 7)
    res = sinkhorn_normalize(log_K=L)
    assert res.matrix.shape == (3, 5, 7) and res.row_scaling.shape == (3, 5)
    assert res.row_support.shape == (3, 5) and res.col_support.shape == (3, 7)
    for b in range(3):
        kb = sinkhorn_normalize(np.exp(L[b]))
        np.testing.assert_allclose(res.matrix[b], kb.matrix, atol=1e-10)
    fixed = sinkhorn_normalize(log_K=L[0], tol=None, max_iter=3)
    np.testing.assert_allclose(fixed.matrix, ref.log_sinkhorn(L[0], 3), rtol=1e-12)
    assert fixed.n_iter == 3 and fixed.n_matvec == 6


def test_log_domain_symmetric_and_large_logits():
    rng = np.random.RandomState(1)
    A = rng.randn(2, 6, 6)
    L = A + A.transpose(0, 2, 1) + 1000.0  # exp() overflows; the log domain does not
    res = sinkhorn_normalize(log_K=L, max_iter=100_000, method="fixed_point")
    for b in range(2):
        kb = sinkhorn_normalize(np.exp(L[b] - 1000.0))
        np.testing.assert_allclose(res.matrix[b], kb.matrix, atol=1e-9)
    assert res.symmetric and np.isfinite(res.matrix).all()
    assert np.array_equal(res.matrix, res.matrix.transpose(0, 2, 1))
    np.testing.assert_allclose(res.matrix.sum(axis=2), 1.0, atol=1e-9)
    alt = sinkhorn_normalize(log_K=L, symmetric=False, max_iter=100_000)
    np.testing.assert_allclose(alt.matrix, res.matrix, atol=1e-8)
    r32 = sinkhorn_normalize(log_K=rng.randn(4, 4).astype(np.float32))
    assert r32.matrix.dtype == np.float32
    ri = sinkhorn_normalize(log_K=np.zeros((3, 3), dtype=np.int64))
    np.testing.assert_allclose(ri.matrix, 1 / 3)


def test_log_domain_n_jobs_and_convergence_warning():
    L = np.random.RandomState(2).randn(8, 64, 64) * 3
    r1 = sinkhorn_normalize(log_K=L, n_jobs=1)
    r2 = sinkhorn_normalize(log_K=L, n_jobs=2)
    assert np.array_equal(r1.matrix, r2.matrix)
    with pytest.warns(ConvergenceWarning):
        sinkhorn_normalize(log_K=L, max_iter=1)


# --------------------------------------------------------------- hypothesis


@st.composite
def _kernels(draw):
    n = draw(st.integers(2, 7))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 2) * draw(st.floats(0.1, 3.0))
    K = np.exp(-((X[:, None] - X[None]) ** 2).sum(-1))
    return K, rng.permutation(n)


@given(_kernels(), st.floats(1e-3, 1e3))
def test_invariant_to_scaling_k(data, c):
    K, _ = data
    P1 = sinkhorn_normalize(K).matrix
    P2 = sinkhorn_normalize(c * K).matrix
    np.testing.assert_allclose(P1, P2, atol=1e-9)


@given(_kernels())
def test_equivariant_to_permutation(data):
    K, perm = data
    P = sinkhorn_normalize(K).matrix
    Pp = sinkhorn_normalize(K[np.ix_(perm, perm)]).matrix
    np.testing.assert_allclose(Pp, P[np.ix_(perm, perm)], atol=1e-9)
    _check_doubly(Pp)
    assert np.array_equal(Pp, Pp.T)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"K": -np.eye(2)}, ValueError, "non-negative"),
        ({"K": sparse.csr_matrix(-np.eye(2))}, ValueError, "non-negative"),
        ({"K": np.array([[1.0, np.nan], [np.nan, 1.0]])}, ValueError, "NaN or infinity"),
        (
            {"K": sparse.csr_matrix(np.array([[1.0, np.inf], [0, 1.0]]))},
            ValueError,
            "NaN or infinity",
        ),
        ({"K": np.ones(3)}, ValueError, "2-D matrix"),
        ({"K": np.ones((0, 3))}, ValueError, "empty"),
        ({"K": sparse.csr_matrix((0, 3))}, ValueError, "empty"),
        ({"K": np.array([["a", "b"], ["c", "d"]])}, ValueError, "numbers"),
        ({"K": np.eye(2) * (1 + 1j)}, ValueError, "real"),
        ({"K": np.ones((2, 3)), "symmetric": True}, ValueError, "square"),
        (
            {"K": np.array([[1.0, 2.0], [1.0, 1.0]]), "symmetric": True},
            ValueError,
            "not exactly symmetric",
        ),
        (
            {"K": np.eye(2), "symmetric": True, "row_sums": [1, 1], "col_sums": [2, 0]},
            ValueError,
            "col_sums equal to row_sums",
        ),
        (
            {"K": np.array([[1.0, 2.0], [1.0, 1.0]]), "method": "newton"},
            ValueError,
            "symmetric scaling",
        ),
        ({"K": np.ones((2, 3)), "method": "fixed_point"}, ValueError, "symmetric scaling"),
        ({"log_K": np.zeros((2, 2)), "method": "newton"}, ValueError, "not log_K"),
        ({}, ValueError, "exactly one of K and log_K"),
        ({"K": np.eye(2), "log_K": np.eye(2)}, ValueError, "exactly one"),
        ({"log_K": sparse.csr_matrix(np.eye(2))}, ValueError, "log_K"),
        ({"log_K": np.array([[0.0, np.nan], [0, 0]])}, ValueError, "NaN or \\+infinity"),
        ({"log_K": np.array([[0.0, np.inf], [0, 0]])}, ValueError, "NaN or \\+infinity"),
        ({"log_K": np.zeros(3)}, ValueError, "2-D matrix or a 3-D batch"),
        ({"log_K": np.zeros((0, 2, 2))}, ValueError, "empty"),
        ({"log_K": np.array([["a"]])}, ValueError, "real numbers"),
        ({"K": np.eye(3), "row_sums": [1, 1]}, ValueError, r"row_sums must have shape \(3,\)"),
        ({"K": np.eye(2), "row_sums": [1, -1]}, ValueError, "row_sums must be non-negative"),
        ({"K": np.eye(2), "col_sums": [1, np.nan]}, ValueError, "col_sums contains NaN"),
        (
            {"K": np.ones((2, 3)), "row_sums": [1, 1], "col_sums": [1, 1, 1]},
            ValueError,
            "same total",
        ),
        ({"K": np.eye(2), "tol": -1.0}, ValueError, "tol"),
        ({"K": np.eye(2), "max_iter": 0}, ValueError, "max_iter"),
        ({"K": np.eye(2), "method": "bogus"}, ValueError, "method"),
        ({"K": np.eye(2), "symmetric": "yes"}, ValueError, "symmetric"),
    ],
)
def test_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sinkhorn_normalize(**kwargs)


def test_memory_refused(monkeypatch):
    import skot.utils._validation as v

    monkeypatch.setattr(v, "available_memory", lambda: 1000)
    with pytest.raises(MemoryError, match="scaled matrix"):
        sinkhorn_normalize(np.eye(20))


# ------------------------------------------- the one symmetry rule (issue 10)


def _blas_kernel(n=800, frac=1.0 / 16, seed=0):
    # the most common way to build a kernel: symmetric only up to rounding
    from sklearn.metrics import pairwise_distances

    X = np.random.RandomState(seed).randn(n, 5)
    D2 = pairwise_distances(X, squared=True)
    h = frac * np.median(D2[np.triu_indices(n, 1)])
    K = np.exp(-D2 / h)
    return K


def test_blas_kernel_takes_the_symmetric_path_at_small_bandwidth():
    K = _blas_kernel()
    assert not np.array_equal(K, K.T)  # rounding asymmetry, as BLAS gives
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = sinkhorn_normalize(K)
    assert res.symmetric and res.converged and res.error <= TOL
    assert res.n_matvec <= 40, res.n_matvec
    assert np.array_equal(res.matrix, res.matrix.T)
    _check_doubly(res.matrix, tol=1e-9)
    for method in ("fixed_point", "newton"):
        r = sinkhorn_normalize(K, method=method)
        assert r.symmetric and r.n_matvec <= 40 and r.error <= TOL


def test_symmetric_true_accepts_rounding_and_uses_the_symmetrised_matrix():
    K = _blas_kernel(n=200, frac=0.25)
    res = sinkhorn_normalize(K, symmetric=True)
    S = (K + K.T) / 2
    ref_ = sinkhorn_normalize(S, symmetric=True)
    assert np.array_equal(res.matrix, ref_.matrix)  # (K + K.T) / 2, documented
    # float32 and a non-contiguous view: same rule, same path
    r32 = sinkhorn_normalize(K.astype(np.float32).T)
    assert r32.symmetric and r32.error <= TOL
    with pytest.raises(ValueError, match=r"max \|K - K.T\|"):
        sinkhorn_normalize(K + np.triu(np.full(K.shape, 1e-6), 1), symmetric=True)


def test_sparse_rounding_symmetric_is_symmetric():
    K = _blas_kernel(n=150, frac=0.25)
    K[K < 1e-3] = 0.0
    sp = sparse.csr_matrix(K)
    assert (sp != sp.T).nnz > 0
    res = sinkhorn_normalize(sp)
    assert res.symmetric and res.error <= TOL
    assert (res.matrix != res.matrix.T).nnz == 0
    dense = sinkhorn_normalize(K)
    np.testing.assert_allclose(res.matrix.toarray(), dense.matrix, atol=1e-12)


def test_function_and_estimator_identical_on_rounding_symmetric_kernel():
    from skot.similarity import SinkhornAffinity

    K = _blas_kernel(n=300, frac=0.25)
    res = sinkhorn_normalize(K)
    est = SinkhornAffinity(kernel="precomputed").fit(K)
    assert np.array_equal(est.affinity_matrix_, res.matrix)
    assert np.array_equal(est.scaling_, res.row_scaling)
    assert est.n_matvec_ == res.n_matvec and est.scaling_error_ == res.error
    sp = sparse.csr_matrix(np.where(K < 1e-3, 0.0, K))
    est = SinkhornAffinity(kernel="precomputed").fit(sp)
    res = sinkhorn_normalize(sp)
    assert (est.affinity_matrix_ != res.matrix).nnz == 0


@pytest.mark.parametrize("method", ["fixed_point", "newton", "alternating"])
def test_parallel_policy_gives_identical_results(method):
    from skot.utils._numba import parallel_policy

    K = _gauss(n=120, scale=0.5)
    with parallel_policy("never"):
        r1 = sinkhorn_normalize(K, method=method)
        s1 = sinkhorn_normalize(sparse.csr_matrix(K), method=method)
        l1 = sinkhorn_normalize(
            log_K=np.log(K[None]).repeat(2, 0),
            method="fixed_point" if method != "alternating" else "alternating",
        )
    with parallel_policy("always"):
        r2 = sinkhorn_normalize(K, method=method, n_jobs=2)
        s2 = sinkhorn_normalize(sparse.csr_matrix(K), method=method, n_jobs=2)
        l2 = sinkhorn_normalize(
            log_K=np.log(K[None]).repeat(2, 0),
            n_jobs=2,
            method="fixed_point" if method != "alternating" else "alternating",
        )
    assert np.array_equal(r1.matrix, r2.matrix) and r1.n_iter == r2.n_iter
    assert (s1.matrix != s2.matrix).nnz == 0
    assert np.array_equal(l1.matrix, l2.matrix)


def test_log_domain_rounding_symmetric_is_symmetric():
    K = _blas_kernel(n=60, frac=0.5)
    L = np.log(K)
    assert not np.array_equal(L, L.T)
    res = sinkhorn_normalize(log_K=L)
    assert res.symmetric and np.array_equal(res.matrix, res.matrix.T)
    np.testing.assert_allclose(res.matrix, sinkhorn_normalize(K).matrix, atol=1e-9)
