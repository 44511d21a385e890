"""Sinkhorn attention (Sinkformers): forward against references, backward against
finite differences, masks."""

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning

from skot.similarity import sinkhorn_attention, sinkhorn_attention_vjp
from skot.utils._numba import parallel_policy


def _finite_differences(S, G, h=1e-6, **kw):
    out = np.zeros_like(S)
    for idx in np.ndindex(S.shape):
        E = np.zeros_like(S)
        E[idx] = h
        up = sinkhorn_attention(S + E, **kw).matrix
        down = sinkhorn_attention(S - E, **kw).matrix
        out[idx] = ((up - down) * G).sum() / (2 * h)
    return out


def test_zero_iterations_is_the_masked_softmax():
    S = np.random.RandomState(0).randn(2, 4, 5)
    np.testing.assert_allclose(sinkhorn_attention(S, max_iter=0).matrix, softmax(S, -1), rtol=1e-14)
    mask = np.random.RandomState(1).rand(2, 4, 5) > 0.3
    mask[:, :, 0] = True
    ref = softmax(np.where(mask, S, -np.inf), -1)
    res = sinkhorn_attention(S, mask=mask, max_iter=0)
    np.testing.assert_allclose(res.matrix, ref, rtol=1e-14)
    assert (res.matrix[~mask] == 0).all()


def test_converged_equals_pot_sinkhorn_log():
    ot = pytest.importorskip("ot")
    rng = np.random.RandomState(0)
    S = rng.randn(3, 6, 8)
    res = sinkhorn_attention(S, max_iter=5000, tol=1e-13)
    assert res.converged and (res.error <= 1e-13).all()
    for b in range(3):
        a, w = np.ones(6), np.full(8, 6 / 8)
        ref = ot.sinkhorn(a, w, -S[b], 1.0, method="sinkhorn_log", stopThr=1e-15, numItermax=10**5)
        np.testing.assert_allclose(res.matrix[b], ref, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(res.matrix.sum(-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(res.matrix.sum(-2), 6 / 8, rtol=1e-12)
    P = np.exp(S + res.row_potential[..., None] + res.col_potential[..., None, :])
    np.testing.assert_allclose(P, res.matrix, rtol=1e-12)


@pytest.mark.parametrize(
    "kw",
    [
        {"max_iter": 1},
        {"max_iter": 3},
        {"max_iter": 3, "causal": True},
        {"max_iter": 2, "mask": "padding"},
    ],
    ids=str,
)
def test_unrolled_vjp_matches_finite_differences(kw):
    rng = np.random.RandomState(0)
    S = rng.randn(2, 2, 4, 5)
    G = rng.randn(2, 2, 4, 5)
    if kw.get("mask") == "padding":  # batch 1 has 2 padded keys
        mask = np.ones((2, 1, 1, 5), dtype=bool)
        mask[1, ..., 3:] = False
        kw = {**kw, "mask": mask}
    dS = sinkhorn_attention_vjp(S, G, **kw)
    np.testing.assert_allclose(dS, _finite_differences(S, G, **kw), atol=2e-8)
    with parallel_policy("always"):
        np.testing.assert_allclose(sinkhorn_attention_vjp(S, G, **kw), dS, rtol=1e-12, atol=1e-15)


def test_implicit_vjp_at_the_fixed_point():
    rng = np.random.RandomState(1)
    S = rng.randn(3, 5, 6)
    G = rng.randn(3, 5, 6)
    kw = {"max_iter": 5000, "tol": 1e-13}
    dS = sinkhorn_attention_vjp(S, G, method="implicit", **kw)
    np.testing.assert_allclose(dS, _finite_differences(S, G, h=1e-5, **kw), atol=1e-7)
    np.testing.assert_allclose(dS, sinkhorn_attention_vjp(S, G, **kw), atol=1e-10)


def test_masks_empty_rows_no_nan_and_float32():
    S = np.random.RandomState(2).randn(2, 4, 4).astype(np.float32)
    mask = np.ones((2, 4, 4), dtype=bool)
    mask[0, 2, :] = False  # an all-masked query row
    res = sinkhorn_attention(S, mask=mask, causal=True, max_iter=3)
    assert res.matrix.dtype == np.float32 and np.isfinite(res.matrix).all()
    assert res.empty_rows[0, 2] and not res.empty_rows[1].any()
    assert (res.matrix[0, 2] == 0).all()
    assert (np.triu(res.matrix[1], 1) == 0).all()
    rows = res.matrix.sum(-1)
    np.testing.assert_allclose(rows[~res.empty_rows], 1.0, rtol=1e-6)
    dS = sinkhorn_attention_vjp(S, np.ones_like(S), mask=mask, causal=True, max_iter=3)
    assert dS.dtype == np.float32 and np.isfinite(dS).all() and (dS[0, 2] == 0).all()
    S_before = S.copy()
    sinkhorn_attention(S, max_iter=2)
    np.testing.assert_array_equal(S, S_before)


def test_tol_warning_on_causal_and_errors():
    S = np.random.RandomState(3).randn(4, 4)
    with pytest.warns(ConvergenceWarning, match="did not reach"):
        res = sinkhorn_attention(S, causal=True, max_iter=20, tol=1e-10)
    assert not res.converged
    with pytest.raises(ValueError, match="NaN"):
        sinkhorn_attention(np.full((2, 2), np.nan))
    with pytest.raises(TypeError, match="boolean"):
        sinkhorn_attention(S, mask=np.ones((4, 4)))
    with pytest.raises(ValueError, match="broadcast"):
        sinkhorn_attention(S, mask=np.ones((3, 4), dtype=bool))
    with pytest.raises(ValueError, match="shape"):
        sinkhorn_attention(np.ones(3))
    with pytest.raises(ValueError, match="grad must have the shape"):
        sinkhorn_attention_vjp(S, np.ones((4, 3)))
    with pytest.raises(TypeError, match="real numbers"):
        sinkhorn_attention(S.astype(complex))
