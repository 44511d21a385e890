"""k-medoids functions against the kmedoids package, brute force and the slow references."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skot.cluster import alternate, build, fasterpam, fastpam1, lab, pam
from tests._reference import kmedoids as ref

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def kmedoids():
    """The peer package, for the tests that compare with it (the others run without it)."""
    return pytest.importorskip("kmedoids")


def _blobs_D(seed, n=120, dtype=np.float64):
    from sklearn.datasets import make_blobs

    from skot.utils._pairwise import pairwise_distances

    X, _ = make_blobs(n, 4, centers=5, random_state=seed)
    return pairwise_distances(X.astype(dtype))


SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_swap_methods_equal_kmedoids(seed, kmedoids):
    D = _blobs_D(seed)
    k = 3 + seed % 5
    init = np.random.RandomState(seed).choice(D.shape[0], k, replace=False)
    for ours, theirs in [
        (fasterpam, lambda m: kmedoids.fasterpam(D, m, max_iter=100, n_cpu=1)),
        (fastpam1, lambda m: kmedoids.fastpam1(D, m, max_iter=100)),
        (pam, lambda m: kmedoids.pam(D, m, max_iter=100)),
        (alternate, lambda m: kmedoids.alternating(D, m, max_iter=100)),
    ]:
        r = ours(D, init.copy(), max_iter=100)
        rr = theirs(init.copy())
        np.testing.assert_array_equal(r.medoids, rr.medoids, err_msg=ours.__name__)
        assert r.loss == pytest.approx(rr.loss, rel=1e-12, abs=0), ours.__name__


@pytest.mark.parametrize("seed", SEEDS)
def test_build_equals_kmedoids(seed, kmedoids):
    D = _blobs_D(seed)
    k = 2 + seed % 7
    r = build(D, k)
    rr = kmedoids.pam_build(D, k)
    np.testing.assert_array_equal(r.medoids, rr.medoids)
    assert r.loss == pytest.approx(rr.loss, rel=1e-12)
    # PAM = BUILD then SWAP, as in the reference
    p = pam(D, k)
    rp = kmedoids.pam(D, k, max_iter=100)
    np.testing.assert_array_equal(p.medoids, rp.medoids)


@pytest.mark.parametrize("seed", range(5))
def test_float32_equals_kmedoids(seed, kmedoids):
    D = _blobs_D(seed, dtype=np.float32)
    assert D.dtype == np.float32
    init = np.random.RandomState(seed).choice(D.shape[0], 4, replace=False)
    r = fasterpam(D, init.copy())
    rr = kmedoids.fasterpam(D, init.copy(), max_iter=300, n_cpu=1)
    np.testing.assert_array_equal(r.medoids, rr.medoids)
    assert r.loss == pytest.approx(rr.loss, rel=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_against_slow_references_with_ties(seed):
    rng = np.random.default_rng(seed)
    D = ref.integer_dissimilarities(rng, 25, high=6)  # many exact ties
    init = list(rng.choice(25, 3, replace=False))
    med, cur = ref.fasterpam(D, init)
    r = fasterpam(D, np.array(init))
    assert r.loss == cur
    np.testing.assert_array_equal(r.medoids, med)
    assert build(D, 3).medoids.tolist() == ref.build(D, 3)
    amed, aloss = ref.alternate(D, init)
    ra = alternate(D, np.array(init))
    assert ra.loss == aloss and ra.medoids.tolist() == amed
    # the same run twice gives the same result (deterministic tie-breaking)
    r2 = fasterpam(D.copy(), np.array(init))
    np.testing.assert_array_equal(r.medoids, r2.medoids)
    np.testing.assert_array_equal(r.labels, r2.labels)


@pytest.mark.parametrize("method", [fasterpam, fastpam1, pam])
def test_reaches_brute_force_optimum_on_separated_data(method):
    D = _blobs_D(3, n=14)
    best_loss, _ = ref.brute_force(D, 3)
    r = method(D, 3)
    assert r.loss == pytest.approx(best_loss, rel=1e-12)


@given(st.integers(5, 14), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_local_optimality_and_labels(n, k, seed):
    """No single swap improves a converged swap method; labels are nearest medoids."""
    k = min(k, n)
    rng = np.random.default_rng(seed)
    D = ref.integer_dissimilarities(rng, n)
    w = rng.integers(0, 3, size=n).astype(float)
    for method in (fasterpam, fastpam1, pam):
        r = method(D, k, sample_weight=w)
        assert r.converged
        assert ref.best_swap_gain(D, list(r.medoids), w) >= 0
        assert r.loss == ref.loss(D, r.medoids, w)
        np.testing.assert_array_equal(r.labels, np.argmin(D[:, r.medoids], axis=1))
        assert len(set(r.medoids.tolist())) == k
        assert r.loss >= ref.brute_force(D, k, w)[0] if n <= 9 else True


def test_k_equals_one_is_exact_medoid():
    D = _blobs_D(1, n=40)
    w = np.random.default_rng(0).random(40)
    expected = int(np.argmin(w @ D))
    for method in (fasterpam, fastpam1, pam, alternate):
        r = method(D, 1, sample_weight=w)
        assert r.medoids.tolist() == [expected]
        assert r.loss == pytest.approx(ref.loss(D, [expected], w))


def test_k_equals_n_and_identical_points():
    D = _blobs_D(2, n=12)
    r = fasterpam(D, 12)
    assert sorted(r.medoids.tolist()) == list(range(12)) and r.loss == 0
    Z = np.zeros((10, 10))
    for method in (fasterpam, fastpam1, pam, alternate):
        r = method(Z, 3)
        assert r.loss == 0 and len(set(r.medoids.tolist())) == 3
        assert (r.labels == 0).all()  # first medoid wins exact ties


def test_zero_weights_and_weight_duplication():
    D = _blobs_D(4, n=30)
    w = np.ones(30)
    w[::3] = 0
    r = fasterpam(D, 3, sample_weight=w)
    assert r.loss == pytest.approx(ref.loss(D, r.medoids, w))
    # integer weights act like repeated points in the loss
    w2 = np.ones(30)
    w2[5] = 3
    idx = np.r_[np.arange(30), [5, 5]]
    r_w = pam(D, 3, sample_weight=w2)
    r_rep = pam(D[np.ix_(idx, idx)], 3)
    assert r_w.loss == pytest.approx(r_rep.loss, rel=1e-12)


def test_lab_is_reproducible_and_reasonable():
    D = _blobs_D(5, n=200)
    a = lab(D, 5, random_state=0)
    b = lab(D, 5, random_state=0)
    np.testing.assert_array_equal(a.medoids, b.medoids)
    assert len(set(a.medoids.tolist())) == 5
    assert a.loss < 1.5 * build(D, 5).loss


def test_read_only_and_fortran_and_asymmetric_inputs():
    D = _blobs_D(6, n=60)
    init = np.array([0, 10, 20])
    expected = fasterpam(D, init)
    ro = D.copy()
    ro.setflags(write=False)
    np.testing.assert_array_equal(fasterpam(ro, init).medoids, expected.medoids)
    np.testing.assert_array_equal(fasterpam(np.asfortranarray(D), init).medoids, expected.medoids)
    A = D + np.triu(np.ones_like(D), 1)  # asymmetric: D[o, m] is point-to-medoid
    r = fasterpam(A, init)
    assert r.loss == pytest.approx(ref.loss(A, r.medoids))
    assert ref.best_swap_gain(A, list(r.medoids)) >= -1e-9


def test_parallel_equals_serial():
    from skot.utils._numba import parallel_policy

    D = _blobs_D(7, n=1500)
    init = np.random.RandomState(0).choice(1500, 20, replace=False)
    for method in (fasterpam, fastpam1, pam):
        with parallel_policy("never"):
            a = method(D, init.copy(), n_jobs=1)
        with parallel_policy("always"):  # the parallel kernels, whatever the size
            b = method(D, init.copy(), n_jobs=2)
        np.testing.assert_array_equal(a.medoids, b.medoids)
        np.testing.assert_array_equal(a.labels, b.labels)
        assert a.loss == b.loss and a.n_swaps == b.n_swaps
    with parallel_policy("never"):
        a = build(D, 10, n_jobs=1)
        a_asym = build(np.asfortranarray(D) + np.tril(np.full_like(D, 0.5), -1), 10)
    with parallel_policy("always"):
        b = build(D, 10, n_jobs=2)
        b_asym = build(np.asfortranarray(D) + np.tril(np.full_like(D, 0.5), -1), 10, n_jobs=2)
    np.testing.assert_array_equal(a.medoids, b.medoids)
    np.testing.assert_array_equal(a_asym.medoids, b_asym.medoids)


@pytest.mark.parametrize(
    "D, match",
    [
        (np.zeros((3, 4)), "square"),
        (np.array([[0.0, np.nan], [1.0, 0.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 0.0]]), "NaN or infinity"),
        (np.array([[0.0, -1.0], [-1.0, 0.0]]), "negative"),
        (np.array([[1.0, 1.0], [1.0, 0.0]]), "zero diagonal"),
        (np.zeros((0, 0)), "empty"),
    ],
)
def test_bad_matrices(D, match):
    with pytest.raises(ValueError, match=match):
        fasterpam(D, 1)


def test_bad_arguments():
    D = _blobs_D(8, n=10)
    with pytest.raises(ValueError, match="n_clusters=11 must be at most"):
        fasterpam(D, 11)
    with pytest.raises(ValueError, match="medoids"):
        fasterpam(D, 0)
    with pytest.raises(ValueError, match="range|in \\[0, 9\\]"):
        fasterpam(D, np.array([0, 10]))
    with pytest.raises(ValueError, match="distinct"):
        fasterpam(D, np.array([1, 1]))
    with pytest.raises(ValueError, match="sample_weight"):
        fasterpam(D, 2, sample_weight=np.ones(9))
    with pytest.raises(ValueError, match="non-negative"):
        fasterpam(D, 2, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="init"):
        fasterpam(D, 2, init="nope")
    with pytest.raises(TypeError, match="sparse"):
        from scipy import sparse

        fasterpam(sparse.csr_matrix(D), 2)
