"""Issue #10 for the cluster family: one symmetry rule, one validated core, any layout."""

import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import pairwise_distances as sk_pairwise

from skot.cluster import (
    BottomUpClustering,
    KMedoids,
    alternate,
    build,
    fasterpam,
    fastpam1,
    lab,
    linkage,
    pam,
)
from skot.utils._numba import parallel_policy
from skot.utils._validation import scan_matrix

FUNCTIONS = {"fasterpam": fasterpam, "fastpam1": fastpam1, "pam": pam, "alternate": alternate}


def _cosine_matrix(n=120, seed=0):
    """A hand-made ``1 - V @ V.T``: diagonal +-4e-16, symmetric up to rounding."""
    rng = np.random.RandomState(seed)
    V = rng.normal(size=(n, 6)) + 2.0
    V /= np.linalg.norm(V, axis=1)[:, None]
    C = 1.0 - V @ V.copy().T
    # make the rounding explicit whatever the BLAS: a last-bit asymmetry and a
    # diagonal of +-4e-16, as a cosine matrix built by hand has
    C = C * (1.0 + 2e-16 * rng.choice([-1.0, 0.0, 1.0], size=C.shape))
    np.fill_diagonal(C, 4e-16 * rng.choice([-1.0, 1.0], size=n))
    return C


def _rounded_blobs(n=150, seed=0):
    """BLAS pairwise distances, then perturbed by rounding (relative 1e-15, asymmetric)."""
    X, _ = make_blobs(n, 4, centers=5, random_state=seed)
    D = sk_pairwise(X * 100 + 1000)
    rng = np.random.RandomState(seed + 1)
    D = D * (1.0 + 1e-15 * rng.uniform(-1, 1, size=D.shape))
    np.fill_diagonal(D, 0.0)
    return D


def test_cosine_matrix_is_what_the_issue_describes():
    C = _cosine_matrix()
    s = scan_matrix(C)
    assert s.min < 0 and s.max_diagonal > 0 > s.min_diagonal
    assert not s.exactly_symmetric and s.symmetric and s.zero_diagonal


def test_cosine_matrix_accepted_everywhere():
    """Refused on HEAD by all four: diagonal +-4e-16 and asymmetry in the last bits."""
    C = _cosine_matrix()
    r = fasterpam(C, 4)
    km = KMedoids(4, metric="precomputed").fit(C)
    np.testing.assert_array_equal(km.medoid_indices_, r.medoids)
    np.testing.assert_array_equal(km.labels_, r.labels)
    np.testing.assert_array_equal(km.predict(C), km.labels_)
    assert r.loss >= 0
    assert km.transform(C).min() >= 0  # negatives at rounding level read as zero
    Z = linkage(C, "average", "precomputed")
    assert Z.shape == (119, 4) and np.all(Z[:, 2] >= 0)
    bu = BottomUpClustering(n_clusters=4, metric="precomputed").fit(C)
    np.testing.assert_array_equal(bu.linkage_matrix_, Z)
    # the upper triangle is the one used
    Zu = linkage(np.triu(C, 1) + np.triu(C, 1).T, "average", "precomputed")
    np.testing.assert_array_equal(Z, Zu)


def test_real_violations_still_refused():
    C = _cosine_matrix()
    bad = C.copy()
    bad[0, 0] = 1e-6
    with pytest.raises(ValueError, match="zero diagonal"):
        fasterpam(bad, 3)
    with pytest.raises(ValueError, match="zero diagonal"):
        linkage(bad, "average", "precomputed")
    neg = C.copy()
    neg[0, 1] = neg[1, 0] = -1e-6
    with pytest.raises(ValueError, match="negative"):
        KMedoids(3, metric="precomputed").fit(neg)
    with pytest.raises(ValueError, match="negative"):
        BottomUpClustering(3, metric="precomputed").fit(neg)
    km = KMedoids(3, metric="precomputed").fit(C)
    with pytest.raises(ValueError, match="negative"):
        km.predict(neg)


def _matrices():
    yield "blas", sk_pairwise(make_blobs(140, 3, centers=4, random_state=3)[0] * 50 + 500)
    yield "rounded", _rounded_blobs()
    yield "cosine", _cosine_matrix()
    yield "float32", _rounded_blobs(seed=4).astype(np.float32)
    A = _rounded_blobs(seed=5)
    yield "asymmetric", A + np.triu(np.full_like(A, 0.3), 1)


@pytest.mark.parametrize(
    "name, D", list(_matrices()), ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("method", sorted(FUNCTIONS))
@pytest.mark.parametrize("init, seed", [("build", None), ("random", 1), ("k-medoids++", 2)])
def test_function_equals_estimator(name, D, method, init, seed):
    """Same medoids, labels and loss from fasterpam & co. and KMedoids, on every input."""
    r = FUNCTIONS[method](D, 5, init=init, random_state=seed)
    km = KMedoids(
        5, metric="precomputed", method=method, init=init, n_init=1, random_state=seed
    ).fit(D)
    np.testing.assert_array_equal(km.medoid_indices_, r.medoids)
    np.testing.assert_array_equal(km.labels_, r.labels)
    assert km.inertia_ == r.loss
    assert km.n_iter_ == r.n_iter
    # labels are what predict reads: D[o, medoids], first minimum
    np.testing.assert_array_equal(km.predict(D), km.labels_)
    Dm = np.maximum(D[:, r.medoids].astype(np.float64), 0)
    np.testing.assert_array_equal(r.labels, np.argmin(Dm, axis=1))


@pytest.mark.parametrize(
    "name, D",
    [m for m in _matrices() if m[0] != "asymmetric"],
    ids=lambda v: v if isinstance(v, str) else "",
)
@pytest.mark.parametrize("method", ["single", "complete", "average", "weighted", "ward"])
def test_linkage_equals_bottom_up(name, D, method):
    Z = linkage(D, method, "precomputed")
    bu = BottomUpClustering(n_clusters=3, linkage=method, metric="precomputed").fit(D)
    np.testing.assert_array_equal(bu.linkage_matrix_, Z)


def _layouts(D, tmp_path):
    """The same values in every layout a user may pass."""
    n = D.shape[0]
    yield "C", np.ascontiguousarray(D)
    yield "F", np.asfortranarray(D)
    big = np.zeros((n + 37, n + 53), dtype=D.dtype)
    big[:n, :n] = D
    yield "slice", big[:n, :n]
    big2 = np.zeros((2 * n, 2 * n), dtype=D.dtype)
    big2[::2, ::2] = D
    yield "strided", big2[::2, ::2]
    ro = D.copy()
    ro.setflags(write=False)
    yield "read-only", ro
    mm = np.memmap(tmp_path / "D.dat", dtype=D.dtype, mode="w+", shape=D.shape)
    mm[:] = D
    mm.flush()
    yield "memmap", np.memmap(tmp_path / "D.dat", dtype=D.dtype, mode="r", shape=D.shape)


@pytest.mark.parametrize("kind", ["exact", "rounded", "asymmetric", "float32"])
def test_every_layout_gives_identical_results(kind, tmp_path):
    X, _ = make_blobs(160, 3, centers=4, random_state=0)
    D = sk_pairwise(X)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0)
    if kind == "rounded":
        D = _rounded_blobs(160, seed=2)
    elif kind == "asymmetric":
        D = D + np.triu(np.full_like(D, 0.25), 1)
    elif kind == "float32":
        D = D.astype(np.float32)
    ref = fasterpam(D, 6)
    ref_b = build(D, 6)
    ref_l = lab(D, 6, random_state=0)
    ref_km = KMedoids(6, metric="precomputed").fit(D)
    ref_z = linkage(D, "average", "precomputed") if kind != "asymmetric" else None
    for name, A in _layouts(D, tmp_path):
        r = fasterpam(A, 6)
        np.testing.assert_array_equal(r.medoids, ref.medoids, err_msg=name)
        np.testing.assert_array_equal(r.labels, ref.labels, err_msg=name)
        assert r.loss == ref.loss, name
        b = build(A, 6)
        np.testing.assert_array_equal(b.medoids, ref_b.medoids, err_msg=name)
        assert b.loss == ref_b.loss, name
        np.testing.assert_array_equal(lab(A, 6, random_state=0).medoids, ref_l.medoids)
        km = KMedoids(6, metric="precomputed").fit(A)
        np.testing.assert_array_equal(km.labels_, ref_km.labels_, err_msg=name)
        assert km.inertia_ == ref_km.inertia_, name
        if ref_z is not None:
            np.testing.assert_array_equal(linkage(A, "average", "precomputed"), ref_z, err_msg=name)


def _peak_bytes(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_at_most_one_copy(tmp_path):
    """C, F, read-only and memmap matrices are read in place; views are copied once."""
    X, _ = make_blobs(600, 3, centers=4, random_state=0)
    D = sk_pairwise(X)
    fasterpam(D, 4)  # compile outside the measurement
    for name, A in _layouts(D, tmp_path):
        fasterpam(A, 4)
        peak = _peak_bytes(lambda A=A: fasterpam(A, 4))
        if name in ("slice", "strided"):
            assert peak < 1.3 * D.nbytes, (name, peak / D.nbytes)
        else:
            assert peak < 0.3 * D.nbytes, (name, peak / D.nbytes)
    # an asymmetric C-ordered matrix: one transposed copy, no more
    A = D + np.triu(np.full_like(D, 0.25), 1)
    fasterpam(A, 4)
    assert _peak_bytes(lambda: fasterpam(A, 4)) < 1.3 * D.nbytes
    # the cosine matrix: one cleaned copy
    C = _cosine_matrix(600)
    fasterpam(C, 4)
    assert _peak_bytes(lambda: fasterpam(C, 4)) < 1.3 * C.nbytes


@pytest.mark.parametrize("D", [_rounded_blobs(300, seed=6), _cosine_matrix(300, seed=6)])
def test_parallel_policy_identical_on_rounding_matrices(D):
    init = np.array([3, 50, 100, 150, 200, 250])
    for func in (fasterpam, fastpam1, pam):
        with parallel_policy("never"):
            a = func(D, init.copy(), n_jobs=1)
        with parallel_policy("always"):
            b = func(D, init.copy(), n_jobs=2)
        np.testing.assert_array_equal(a.medoids, b.medoids)
        np.testing.assert_array_equal(a.labels, b.labels)
        assert a.loss == b.loss
    with parallel_policy("never"):
        a = build(D, 8, n_jobs=1)
    with parallel_policy("always"):
        b = build(D, 8, n_jobs=2)
    np.testing.assert_array_equal(a.medoids, b.medoids)


def test_incremental_build_equals_direct(monkeypatch):
    """The incremental BUILD (large problems) and the direct one choose the same medoids."""
    from skot.cluster import _kmedoids_solvers

    D = _rounded_blobs(400, seed=8)
    monkeypatch.setattr(_kmedoids_solvers, "_DIRECT_BUILD_MAX_WORK", 0)
    inc = build(D, 12)
    monkeypatch.setattr(_kmedoids_solvers, "_DIRECT_BUILD_MAX_WORK", 10**18)
    direct = build(D, 12)
    np.testing.assert_array_equal(inc.medoids, direct.medoids)
    assert inc.loss == direct.loss


def test_verbose_is_an_int_and_accepts_bool(capsys):
    D = _rounded_blobs(60)
    fasterpam(D, 3, verbose=True)
    KMedoids(3, metric="precomputed", verbose=2).fit(D)
    BottomUpClustering(3, metric="precomputed", verbose=True).fit(D)
    out = capsys.readouterr().out
    assert "[fasterpam] iteration 1" in out and "[BottomUpClustering]" in out
    with pytest.raises(ValueError, match="verbose"):
        KMedoids(3, verbose="yes").fit(D)


def test_kernel_tests_run_without_the_kmedoids_package(monkeypatch):
    """Only the tests comparing with the peer skip when it is missing, not the module."""
    import importlib.util
    import sys
    from pathlib import Path

    monkeypatch.setitem(sys.modules, "kmedoids", None)  # import kmedoids fails
    path = Path(__file__).with_name("test_kmedoids_kernels.py")
    spec = importlib.util.spec_from_file_location("_kernels_without_peer", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except pytest.skip.Exception:  # a module-level importorskip
        pytest.fail("test_kmedoids_kernels.py skips as a whole without the kmedoids package")
    module.test_k_equals_one_is_exact_medoid()
    module.test_bad_arguments()
