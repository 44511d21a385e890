"""The vectorisable exponential of skot.utils._fastexp against numpy / libm."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skot.utils._fastexp import exp_into, exp_lse_into

pytestmark = pytest.mark.kernel

TINY = np.finfo(np.float64).tiny  # smallest normal float64


def _fexp(x):
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    out = np.empty_like(x)
    exp_into(x, out)
    return out


def _fexp_lse(x):
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    out = np.empty_like(x)
    exp_lse_into(x, out)
    return out


def _ulps(y, x):
    """Error of ``y`` in units of the last place of the exact ``exp(x)``."""
    ref = np.exp(x.astype(np.longdouble))
    spacing = np.spacing(ref.astype(np.float64)).astype(np.longdouble)
    return np.abs(y.astype(np.longdouble) - ref) / spacing


@pytest.mark.parametrize(
    "lo, hi", [(-0.35, 0.35), (-1.0, 1.0), (-50.0, 50.0), (-708.0, 709.78), (-745.0, -700.0)]
)
def test_fexp_accuracy(lo, hi):
    x = np.random.default_rng(0).uniform(lo, hi, 200_000)
    y = _fexp(x)
    normal = y >= TINY
    if np.finfo(np.longdouble).eps < 1e-18:  # an extended type to measure ulps
        assert _ulps(y[normal], x[normal]).max() <= 1.1
    ref = np.exp(x)
    assert np.all(np.abs(y[normal] - ref[normal]) <= 2.5e-16 * ref[normal])
    # subnormal results: within one subnormal step of numpy's
    assert np.all(np.abs(y[~normal] - ref[~normal]) <= 5e-324)


def test_fexp_special_values():
    x = np.array(
        [
            0.0,
            -0.0,
            5e-324,
            -5e-324,
            1e-300,
            -1e-17,
            1.0,
            -np.inf,
            np.inf,
            -745.2,
            -746.0,
            -1e308,
            709.78,
            709.79,
            710.0,
            1e308,
        ]
    )
    with np.errstate(over="ignore"):
        ref = np.exp(x)
    y = _fexp(x)
    assert y[0] == 1.0 and y[1] == 1.0 and y[2] == 1.0 and y[3] == 1.0
    np.testing.assert_array_max_ulp(
        y[np.isfinite(ref) & (ref > 0)], ref[np.isfinite(ref) & (ref > 0)], maxulp=1
    )
    assert np.all(y[ref == 0] == 0.0)
    assert np.all(np.isposinf(y[np.isposinf(ref)]))
    assert np.isnan(_fexp(np.nan)[0])
    assert _fexp(np.nextafter(709.782712893384, 0))[0] < np.inf
    assert not np.isnan(_fexp(np.linspace(-1e300, 1e300, 1001))).any()


def test_fexp_lse_range_and_clamps():
    x = np.random.default_rng(1).uniform(-708.0, 709.0, 100_000)
    y = _fexp_lse(x)
    np.testing.assert_allclose(y, np.exp(x), rtol=2.5e-16, atol=0)
    # below -708 (and -inf): exp(-708) (to rounding), never nan
    low = np.array([-708.5, -745.0, -800.0, -1e300, -np.inf])
    yl = _fexp_lse(low)
    assert np.all((yl >= 0) & (yl <= math.exp(-708.0) * (1 + 1e-15)))
    # above 709 it saturates at exp(709): finite, detectable by the callers
    yh = _fexp_lse(np.array([709.5, 1e4, np.inf]))
    np.testing.assert_allclose(yh, math.exp(709.0), rtol=1e-15)
    assert np.isnan(_fexp_lse(np.nan)[0])


def test_float32_argument():
    x = np.linspace(-30, 5, 1001, dtype=np.float32)
    out = np.empty(x.shape[0])
    exp_into(x, out)
    np.testing.assert_allclose(out, np.exp(x.astype(np.float64)), rtol=2.5e-16)


@given(st.floats(-800.0, 800.0, allow_nan=False))
def test_fexp_property(x):
    y = _fexp(x)[0]
    ref = math.exp(x) if x < 709.78 else math.inf
    assert not math.isnan(y) and y >= 0.0
    if ref == math.inf or ref == 0.0:
        assert y == ref or (ref == 0.0 and y <= 5e-324)
    elif ref >= TINY:
        assert abs(y - ref) <= 2.5e-16 * ref
    else:
        assert abs(y - ref) <= 5e-324
    if x <= 0.0:
        assert y <= 1.0


@given(st.floats(-1000.0, 0.0, allow_nan=False), st.floats(0.0, 20.0))
def test_fexp_lse_monotone_and_bounded(x, dx):
    y0, y1 = _fexp_lse(np.array([x, min(0.0, x + dx)]))
    assert 0.0 <= y0 <= y1 <= 1.0
