"""Numba kernels of exact 1-D optimal transport (line and circle) and sliced OT.

Contract (no validation here; :mod:`skot.ot._sliced` checks everything):

- A 1-D measure is given by its support ``x`` sorted in increasing order and
  its cumulative masses ``cu`` (``cu[i] = w[0] + ... + w[i]``), both float64
  and contiguous; the two measures of a problem have the same total mass (up
  to rounding: the last breakpoint is ``max(cu[-1], cv[-1])``).
- The ground cost is ``h(x - y) = |x - y| ** p`` with ``p >= 1``; ``p`` 1
  and 2 are special-cased (no ``pow``).
- The optimal plan on the line is the monotone (quantile) coupling: the
  breakpoints of both cumulative masses are merged in one pass, the interval
  ``(q_prev, q]`` coupling the first atoms with ``cu[i] >= q`` and
  ``cv[j] >= q``. Cost of one problem: ``O(n + m)`` after sorting.
- On the circle (``x, y`` in ``[0, 1)``, total mass 1, ``cu[-1] = cv[-1] =
  1``) the cost of the shift ``theta``, ``C(theta) = int_0^1 h(F_u^{-1}(q) -
  F_v^{-1}(q + theta)) dq`` (``F_v^{-1}`` extended by ``F_v^{-1}(s + 1) =
  F_v^{-1}(s) + 1``), is convex in ``theta`` (Delon, Salomon and
  Sobolevski, 2010); ``_circle_eval`` computes it and its right derivative
  in one ``O(n + m)`` merge, and ``circle_costs`` bisects on the sign of the
  derivative down to adjacent floating-point numbers (the minimiser lies in
  ``[-1, 1]``).
- Batched kernels (``line_costs``, ``circle_costs``) take ``(K, n)`` rows,
  one problem per row, and write ``out[k]``; their ``.parallel`` variant runs
  ``prange`` over the problems (each writes its own entry, so results do not
  depend on the thread count). A cumulative-mass array with one row is shared
  by every problem.
"""

import math

from numba import prange

from ..utils._numba import jit, twin


@jit
def _h(d, p):
    d = abs(d)
    if p == 1.0:
        return d
    if p == 2.0:
        return d * d
    return d**p


@jit
def merge_cost(x, cu, y, cv, p):
    """Cost of the monotone coupling of ``(x, cu)`` and ``(y, cv)``."""
    n = x.shape[0]
    m = y.shape[0]
    i = 0
    j = 0
    prev = 0.0
    total = 0.0
    while True:
        ci = cu[i]
        cj = cv[j]
        if i == n - 1 and j == m - 1:
            q = max(ci, cj)
            if q > prev:
                total += (q - prev) * _h(x[i] - y[j], p)
            return total
        adv_i = (ci <= cj and i < n - 1) or j == m - 1
        q = ci if adv_i else cj
        if q > prev:
            total += (q - prev) * _h(x[i] - y[j], p)
            prev = q
        if adv_i:
            i += 1
        else:
            j += 1


@jit
def merge_plan(x, cu, y, cv, p, rows, cols, vals, f, g):
    """The monotone coupling as ``n + m - 1`` arcs, and dual potentials.

    Arc ``k`` couples ``x[rows[k]]`` and ``y[cols[k]]`` with mass
    ``vals[k]`` (zero on degenerate arcs); consecutive arcs differ in one
    index, so they form a spanning tree (the north-west corner basis of the
    sorted problem). ``f``, ``g`` solve ``f[i] + g[j] = h(x[i] - y[j])`` on
    the arcs (``f[0] = 0``). Returns the cost.
    """
    n = x.shape[0]
    m = y.shape[0]
    i = 0
    j = 0
    prev = 0.0
    total = 0.0
    f[0] = 0.0
    g[0] = _h(x[0] - y[0], p)
    for k in range(n + m - 1):
        rows[k] = i
        cols[k] = j
        ci = cu[i]
        cj = cv[j]
        last = k == n + m - 2
        adv_i = (ci <= cj and i < n - 1) or j == m - 1
        q = max(ci, cj) if last else (ci if adv_i else cj)
        dq = 0.0
        if q > prev:
            dq = q - prev
            prev = q
        vals[k] = dq
        total += dq * _h(x[i] - y[j], p)
        if last:
            break
        if adv_i:
            i += 1
            f[i] = _h(x[i] - y[j], p) - g[j]
        else:
            j += 1
            g[j] = _h(x[i] - y[j], p) - f[i]
    return total


@twin
def line_costs(X, CU, Y, CV, p, out):
    """``out[k]`` = cost of problem ``k`` (rows of ``X``, ``CU``, ``Y``, ``CV``)."""
    su = 1 if CU.shape[0] > 1 else 0
    sv = 1 if CV.shape[0] > 1 else 0
    for k in prange(X.shape[0]):
        out[k] = merge_cost(X[k], CU[k * su], Y[k], CV[k * sv], p)


@jit
def _first_above(c, t):
    """First index ``j`` with ``c[j] > t`` (``c`` non-decreasing, ``c[-1] > t``)."""
    lo = 0
    hi = c.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if c[mid] > t:
            hi = mid
        else:
            lo = mid + 1
    return lo


@jit
def _circle_eval(x, cu, y, cv, theta, p):
    """``(C(theta), right derivative of C at theta)`` on the circle."""
    n = x.shape[0]
    m = y.shape[0]
    k0 = math.floor(theta)
    t = theta - k0
    j0 = _first_above(cv, t)
    i = 0
    r = 0
    prev = 0.0
    cost = 0.0
    der = 0.0
    # segment r of the shifted target: atom j = (j0 + r) % m, one turn later
    # after the wrap; it ends at bq in the q variable
    j = j0
    wrap = 0.0
    while i < n:
        vy = y[j] + wrap + k0
        bq = cv[j] + wrap - t
        ci = cu[i]
        q = bq if bq < ci else ci
        if q > prev:
            cost += (q - prev) * _h(x[i] - vy, p)
            prev = q
        if bq <= ci:
            # the breakpoint bq moves left as theta grows: the next segment
            # gains what this one loses, next to x[i]
            jn = j + 1
            wn = wrap
            if jn == m:
                jn = 0
                wn = wrap + 1.0
            der += _h(x[i] - (y[jn] + wn + k0), p) - _h(x[i] - vy, p)
            j = jn
            wrap = wn
            r += 1
            if r > 2 * m + 2:  # pragma: no cover - unreachable with cv[-1] == 1
                break
        else:
            i += 1
    return cost, der


@jit
def circle_solve(x, cu, y, cv, p):
    """``(min_theta C(theta), argmin)`` by bisection on the sign of ``C'``."""
    lo = -1.0
    hi = 1.0
    if _circle_eval(x, cu, y, cv, lo, p)[1] >= 0.0:
        return _circle_eval(x, cu, y, cv, lo, p)[0], lo
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if _circle_eval(x, cu, y, cv, mid, p)[1] >= 0.0:
            hi = mid
        else:
            lo = mid
    c_lo = _circle_eval(x, cu, y, cv, lo, p)[0]
    c_hi = _circle_eval(x, cu, y, cv, hi, p)[0]
    if c_lo < c_hi:
        return c_lo, lo
    return c_hi, hi


@twin
def circle_costs(X, CU, Y, CV, p, out, thetas):
    """``out[k]``, ``thetas[k]``: optimal cost and shift of circle problem ``k``."""
    su = 1 if CU.shape[0] > 1 else 0
    sv = 1 if CV.shape[0] > 1 else 0
    for k in prange(X.shape[0]):
        c, th = circle_solve(X[k], CU[k * su], Y[k], CV[k * sv], p)
        out[k] = c
        thetas[k] = th
