"""Numba kernels of the log-domain entropic barycenter (iterative Bregman projections).

Contract (no validation here; :mod:`skot.ot._barycenter` checks everything):

- ``nM`` is a C-contiguous ``(n, d)`` float64 array ``-M / reg`` with finite
  entries; log-scalings are stored one histogram per row: ``L`` of shape
  ``(K, d)`` (or ``(K, n)``), float64, C-contiguous; entries may be ``-inf``
  (zero masses).
- ``lse_rows(nM, L, out)`` writes ``out[k, i] = log sum_j exp(nM[i, j] +
  L[k, j])`` for every row ``i`` of ``nM`` and every histogram ``k``
  (``out`` of shape ``(K, n)``): one pass over ``nM``, each row read once for
  all histograms, two sweeps per (row, histogram) (maximum, then the shifted
  sum with :func:`skot.utils._fastexp.fexp_lse`). Cost ``O(n d K)``
  exponentials. The ``.parallel`` twin splits the rows, every thread writing
  its own entries, in the same summation order: results do not depend on
  the thread count.
- ``plan_costs(nM, La, Lv, out)`` writes ``out[k] = sum_ij exp(nM[i, j] +
  La[k, i] + Lv[k, j]) * nM[i, j]`` (the caller multiplies by ``-reg`` to get
  ``<P_k, M>``). Serial, ``O(n d K)``.
"""

import math

import numpy as np
from numba import prange

from ..utils._fastexp import fexp, fexp_lse
from ..utils._numba import jit, twin


@twin
def lse_rows(nM, L, out):
    n, d = nM.shape
    K = L.shape[0]
    for i in prange(n):
        for k in range(K):
            mx = -np.inf
            for j in range(d):
                v = nM[i, j] + L[k, j]
                if v > mx:
                    mx = v
            if mx == -np.inf:
                out[k, i] = -np.inf
                continue
            s = 0.0
            for j in range(d):
                s += fexp_lse(nM[i, j] + L[k, j] - mx)
            out[k, i] = mx + math.log(s)


@jit
def plan_costs(nM, La, Lv, out):
    n, d = nM.shape
    K = La.shape[0]
    for k in range(K):
        s = 0.0
        for i in range(n):
            if La[k, i] == -np.inf:
                continue
            for j in range(d):
                s += fexp(nM[i, j] + La[k, i] + Lv[k, j]) * nM[i, j]
        out[k] = s
