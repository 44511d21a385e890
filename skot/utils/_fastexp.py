"""A vectorisable ``exp`` for numba kernels.

Without SVML, numba lowers ``math.exp`` to a call into the C library, one
element at a time (about 5 ns each), and a loop containing it cannot be
vectorised. :func:`fexp` computes the same function in plain arithmetic, so
LLVM turns a loop over independent arguments into SIMD code (four to six
times faster per element on AVX-512). It is exact to about one unit in the
last place (measured: at most 1.01 ulp, relative error below 1.6e-16) and
keeps the special values of ``exp``:

- range reduction ``x = k ln 2 + r`` with ``k = round(x / ln 2)`` (found by
  adding and subtracting ``1.5 * 2**52``, which rounds to the nearest
  integer) and ``r = x - k ln 2`` by a two-constant Cody-Waite split (the
  high part of ``ln 2`` has enough trailing zero bits that ``k * ln2_hi`` is
  exact for every ``|k| < 2**11``), so ``|r| <= ln(2) / 2`` (up to one
  rounding);
- ``exp(r)`` by its Taylor polynomial of degree 13, evaluated in Estrin's
  form (short dependency chains): on ``|r| <= 0.35`` the truncation error
  is below ``5e-18`` relative, far under the rounding of the evaluation;
- ``2**k`` as two factors ``2**(k // 2)`` and ``2**(k - k // 2)`` whose bit
  patterns are built with integer arithmetic (``(e + 1023) << 52``). Both
  are normal numbers for every ``|k| <= 1100``, so the product overflows to
  ``inf`` and underflows through the subnormals to ``0`` exactly where
  ``exp`` does;
- arguments are clamped to ``[-750, 750]`` first (``exp`` is ``0`` below
  ``-745.2`` and ``inf`` above ``709.8`` in float64), so ``-inf`` gives
  ``0.0``, ``inf`` gives ``inf``, and ``nan`` gives ``nan``.

:func:`fexp_lse` is the cheaper variant for the terms of a log-sum-exp
(arguments clamped to ``[-708, 709]``, one scaling factor).

All operations are additions, multiplications, integer shifts and bit
reinterpretations, with no branch (the clamps and the ``nan`` test compile
to selects). The only relaxation of IEEE semantics is LLVM's ``contract``
flag on these functions' own instructions (see ``_FLAGS``).
"""

import math

import numpy as np

from ._numba import jit

_LOG2E = 1.4426950408889634
# fdlibm's split of ln 2: the high part has 21 trailing zero bits
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: x + _SHIFT rounds x to an integer
_SHIFT_BITS = 4843621399236968448  # the bit pattern of _SHIFT
_CLAMP = 750.0
_LSE_MIN = -708.0
_LSE_MAX = 709.0

# 1 / k! for k = 2..13
_C2 = 1.0 / 2.0
_C3 = 1.0 / 6.0
_C4 = 1.0 / 24.0
_C5 = 1.0 / 120.0
_C6 = 1.0 / 720.0
_C7 = 1.0 / 5040.0
_C8 = 1.0 / 40320.0
_C9 = 1.0 / 362880.0
_C10 = 1.0 / 3628800.0
_C11 = 1.0 / 39916800.0
_C12 = 1.0 / 479001600.0
_C13 = 1.0 / 6227020800.0


# Multiply-adds may be fused (LLVM's ``contract`` flag, and only it): a fused
# ``a * b + c`` is rounded once instead of twice, which can only make the
# results more accurate; no flag assuming finite or non-nan values is set, so
# inf and nan go through every operation exactly as written. The flag is
# carried by these functions' own instructions: the callers' arithmetic is
# compiled as written even where these functions are inlined.
_FLAGS = {"contract"}


@jit(fastmath=_FLAGS, inline="always")
def _reduced_exp(xc):
    """``(p, k)`` with ``exp(xc) = p * 2**k`` for a clamped, non-nan ``xc``.

    Range reduction ``xc = k ln 2 + r``, ``|r| <= ln(2) / 2``, then ``p =
    exp(r)`` by a degree-13 Taylor polynomial in Estrin's form. Shared by
    :func:`fexp` and :func:`fexp_lse` (inlined: one function to compile).
    """
    # range reduction: x = k ln 2 + r, |r| <= ln(2) / 2
    t = xc * _LOG2E + _SHIFT
    kf = t - _SHIFT
    k = np.float64(t).view(np.int64) - _SHIFT_BITS
    r = (xc - kf * _LN2_HI) - kf * _LN2_LO
    # exp(r): Taylor polynomial of degree 13 in Estrin's form
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    a0 = _C2 + r * _C3
    a1 = _C4 + r * _C5
    a2 = _C6 + r * _C7
    a3 = _C8 + r * _C9
    a4 = _C10 + r * _C11
    a5 = _C12 + r * _C13
    q = ((a0 + r2 * a1) + r4 * (a2 + r2 * a3)) + r8 * (a4 + r2 * a5)
    p = 1.0 + (r + r2 * q)
    return p, k


@jit(fastmath=_FLAGS)
def fexp(x):
    """``exp(x)`` for a float64 ``x`` in vectorisable arithmetic (about 1 ulp).

    Same special values as ``exp``: ``-inf`` and anything below ``-745.2``
    give ``0.0``, subnormal results are rounded from the exact value, values
    above ``709.8`` and ``inf`` give ``inf``, ``nan`` gives ``nan``.
    """
    # explicit selects, not min/max: a nan argument must take the bound here
    xc = x if x > -_CLAMP else -_CLAMP  # noqa: FURB136 (nan -> -_CLAMP, restored below)
    xc = xc if xc < _CLAMP else _CLAMP  # noqa: FURB136
    p, k = _reduced_exp(xc)
    k1 = k >> 1
    k2 = k - k1
    s1 = np.int64((k1 + 1023) << 52).view(np.float64)
    s2 = np.int64((k2 + 1023) << 52).view(np.float64)
    y = (p * s1) * s2
    return x if math.isnan(x) else y


@jit(fastmath=_FLAGS)
def fexp_lse(x):
    """Cheaper :func:`fexp` for the terms of a shifted log-sum-exp.

    Exact (about 1 ulp) for ``-708 <= x <= 709``, which covers every normal
    result. Arguments are clamped to that interval: below ``-708`` (``-inf``
    included) the result is ``exp(-708) = 3.3e-308`` instead of the tiny or
    subnormal ``exp(x)``, negligible in a sum holding a term ``exp(0) = 1``
    as after subtracting the maximum (or in a sum checked to be large
    enough); above ``709`` (``inf`` included) it saturates at ``exp(709) =
    8.2e307``, finite, so callers detect it by the size of their sums.
    ``nan`` gives ``nan``. One scaling factor instead of two: about a third
    cheaper than :func:`fexp`.
    """
    xc = x if x > _LSE_MIN else _LSE_MIN  # noqa: FURB136 (nan -> _LSE_MIN, restored below)
    xc = xc if xc < _LSE_MAX else _LSE_MAX  # noqa: FURB136
    p, k = _reduced_exp(xc)
    y = p * np.int64((k + 1023) << 52).view(np.float64)
    return x if math.isnan(x) else y


@jit
def exp_into(x, out):
    """``out[i] = fexp(x[i])`` for 1-d arrays (float32 ``x`` is widened)."""
    for i in range(x.shape[0]):
        out[i] = fexp(np.float64(x[i]))


@jit
def exp_lse_into(x, out):
    """``out[i] = fexp_lse(x[i])`` for 1-d arrays (float32 ``x`` is widened)."""
    for i in range(x.shape[0]):
        out[i] = fexp_lse(np.float64(x[i]))
