"""Numba kernel for FastCLARANS (Schubert & Rousseeuw 2021): randomized eager search.

Same layout and state as ``_fasterpam_kernels.py`` (``DT[j, o] = d(o, j)``,
C-contiguous float32/float64; float64 weights; nearest and second nearest
medoid per point, removal losses; updated in place). Each draw picks a random
non-medoid ``j`` and evaluates swapping it with *every* medoid at once in
O(n + k) (FasterPAM's candidate evaluation): a swap is applied as soon as it
lowers the loss, and the search stops after ``max_neighbor`` draws in a row
without improvement. The random draws come from numba's own generator seeded
with ``seed`` at entry (per thread; numpy's global state is not touched).
"""

import numpy as np

from ..utils._numba import jit
from ._fasterpam_kernels import do_swap, find_best_swap


@jit
def clarans_search(
    DT, w, med, near_i, near_d, seco_i, seco_d, removal_loss, ploss, max_neighbor, seed, loss
):
    """Randomized eager swaps until ``max_neighbor`` failures in a row.

    Returns ``(loss, n_swaps, n_draws)``.
    """
    np.random.seed(seed)  # noqa: NPY002 (numba's per-thread generator, not numpy's)
    n = DT.shape[0]
    failures = 0
    n_swaps = 0
    n_draws = 0
    while failures < max_neighbor:
        j = np.random.randint(0, n)  # noqa: NPY002
        if j == med[near_i[j]]:
            continue  # a medoid: draw again (k < n, so a non-medoid exists)
        n_draws += 1
        change, b = find_best_swap(DT, j, w, removal_loss, near_i, near_d, seco_d, ploss)
        if change < 0.0:
            loss = do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, removal_loss, b, j)
            n_swaps += 1
            failures = 0
        else:
            failures += 1
    return loss, n_swaps, n_draws
