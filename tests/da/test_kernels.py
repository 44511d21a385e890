"""The numba kernels of skot.da and of the class-regularised solvers against loops.

Rerun with NUMBA_BOUNDSCHECK=1.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skot.da import _nearest_kernels as K
from skot.ot import _class_regularized_kernels as CK

from .._reference import da as ref

pytestmark = pytest.mark.kernel


@given(n=st.integers(1, 12), m=st.integers(1, 12), d=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_nearest_rows(n, m, d, seed):
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(n, d), rng.randn(m, d)
    Y[m // 2] = Y[0]  # a tie: the first index wins
    idx = np.empty(n, dtype=np.int64)
    K.nearest_rows.serial(X, Y, idx)
    idx_par = np.empty(n, dtype=np.int64)
    K.nearest_rows.parallel(X, Y, idx_par)
    expected = [int(np.argmin(((Y - x) ** 2).sum(1))) for x in X]
    assert idx.tolist() == expected
    assert idx_par.tolist() == expected


def test_nearest_rows_float32(dtype):
    rng = np.random.RandomState(0)
    X, Y = rng.randn(7, 3).astype(dtype), rng.randn(9, 3).astype(dtype)
    idx = np.empty(7, dtype=np.int64)
    K.nearest_rows(X, Y, idx)
    mapped = np.zeros((9, 3))
    out = ref.nearest_displacement(X, Y, mapped)
    np.testing.assert_allclose(out, X - Y[idx], atol=1e-6)


def test_group_sums_and_norms():
    rng = np.random.RandomState(0)
    P = rng.rand(7, 5)
    labels = np.array([0, 2, 1, 0, 2, 2, 1], dtype=np.int64)
    sums = np.empty((3, 5))
    norms = np.empty((3, 5))
    CK.group_sums(P, labels, 3, sums)
    CK.group_norms(P, labels, 3, norms)
    for c in range(3):
        np.testing.assert_allclose(sums[c], P[labels == c].sum(0))
        np.testing.assert_allclose(norms[c], np.sqrt((P[labels == c] ** 2).sum(0)))
