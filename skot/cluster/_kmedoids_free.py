"""Exact FasterPAM without the n x n matrix: distances computed on the fly, in blocks.

``KMedoids(method="fasterpam", precompute=False)`` (or ``"auto"`` when the
matrix would not fit in memory) runs :func:`free_fasterpam`: the same swaps,
medoids and loss as the matrix path for skot's exact metrics (every distance
is the same bits as the matrix entry), in O(n k + block) memory instead of
O(n^2). A pass computes the distance rows of a block of candidates (in
parallel), then evaluates them one by one with FasterPAM's eager rule; the
distances of every point to the current medoids are kept (n x k). The
initialisations that do not need the matrix (LAB, k-medoids++, random, given
indices) read rows through :class:`FreeOps`, which makes the same choices as
the matrix path from the same random draws. Kernels:
``_kmedoids_free_kernels.py``.
"""

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ..utils._numba import n_chunks, numba_threads, use_parallel
from ..utils._pairwise import EXACT_METRICS
from ..utils._validation import available_memory
from ._kmedoids_solvers import (
    KMedoidsResult,
    _kpp_medoids,
    check_init_medoids,
    check_k,
    check_loss,
    lab_medoids,
    warn_at_caller,
)

FREE_INITS = ("lab", "random", "k-medoids++")
# distance rows per block: about 8 MB per block whatever n (16 to 1024 rows)
_BLOCK_BYTES = 1 << 23


def _kk():
    from . import _kmedoids_free_kernels

    return _kmedoids_free_kernels


def needs_matrix_free(n, dtype, precompute):
    """Whether to run matrix-free: ``precompute=False``, or ``"auto"`` and the matrix
    would take more than half the available memory."""
    if precompute == "auto":
        avail = available_memory()
        return avail is not None and n * n * np.dtype(dtype).itemsize > 0.5 * avail
    return not precompute


class FreeOps:
    """Rows of the distance matrix of feature rows, computed when asked."""

    def __init__(self, X, metric, n_threads):
        self.X = X
        self.code = EXACT_METRICS[metric]
        self.n = X.shape[0]
        self.n_threads = n_threads

    def rows(self, cand, out=None):
        """``out[t] = d(X[cand[t]], X)`` (dtype of ``X``)."""
        cand = np.asarray(cand, dtype=np.int64)
        if out is None:
            out = np.empty((cand.shape[0], self.n), dtype=self.X.dtype)
        work = cand.shape[0] * self.n * self.X.shape[1]
        kernel = _kk().block_rows
        if use_parallel(work, self.n_threads, "rows"):
            kernel.parallel(self.X, cand, self.code, out, n_chunks(self.n_threads))
        else:
            kernel.serial(self.X, cand, self.code, out, 1)
        return out

    def row(self, m):
        return self.rows([m])[0]

    def lab_step(self, sample, w, near_d):
        from . import _build_kernels

        Ds = np.ascontiguousarray(self.rows(sample)[:, sample])
        pos = _build_kernels.lab_step(
            Ds, np.arange(sample.shape[0], dtype=np.int64), w[sample], near_d[sample]
        )
        return int(sample[pos])

    def potential(self, c, w, near_d):
        return _kk().free_potential(self.row(c), c, w, near_d)


def _single(ops, w, current):
    """The exact 1-medoid (``medoid_of_members``' rule: current first, strict ``<``)."""
    n = ops.n
    block = _block_rows(n, ops.X.dtype)
    sums = np.empty(n, dtype=np.float64)
    B = np.empty((block, n), dtype=ops.X.dtype)
    for lo in range(0, n, block):
        cand = np.arange(lo, min(n, lo + block), dtype=np.int64)
        _kk().weighted_sums(ops.rows(cand, B[: cand.shape[0]]), cand, w, sums)
    best, best_s = current, sums[current]
    for j in range(n):
        if j != current and sums[j] < best_s:
            best, best_s = j, sums[j]
    return best


def _block_rows(n, dtype):
    return int(np.clip(_BLOCK_BYTES // max(1, n * np.dtype(dtype).itemsize), 16, 1024))


def free_fasterpam(X, metric, w, n_clusters, init, max_iter, random_state, n_jobs, verbose):
    """FasterPAM from ``init`` on feature rows with an exact metric, matrix-free."""
    K = _kk()
    n = X.shape[0]
    check_k(n_clusters, n)
    X = np.ascontiguousarray(X)
    rng = check_random_state(random_state)
    with numba_threads(n_jobs) as n_threads:
        ops = FreeOps(X, metric, n_threads)
        if not isinstance(init, str):
            med = check_init_medoids(init, n_clusters, n)
        elif init == "lab":
            med = lab_medoids(None, w, n_clusters, rng, ops)
        elif init == "k-medoids++":
            med = _kpp_medoids(None, w, n_clusters, rng, ops)
        elif init == "random":
            med = rng.choice(n, n_clusters, replace=False).astype(np.int64)
        else:
            raise ValueError(
                f"init={init!r} needs the full distance matrix (O(k n^2)); without it "
                f"(precompute=False, or a matrix too large for memory) use one of "
                f"{FREE_INITS} or an array of indices."
            )
        med = np.array(med, dtype=np.int64)
        order = (
            np.arange(n, dtype=np.int64)
            if random_state is None
            else rng.permutation(n).astype(np.int64)
        )
        k = n_clusters
        DM = np.ascontiguousarray(ops.rows(med).T)
        near_i = np.empty(n, dtype=np.int64)
        seco_i = np.empty(n, dtype=np.int64)
        near_d = np.empty(n, dtype=np.float64)
        seco_d = np.empty(n, dtype=np.float64)
        removal_loss = np.empty(k, dtype=np.float64)
        it, n_swaps, converged = 0, 0, False
        if k == 1:
            best = _single(ops, w, int(med[0]))
            n_swaps = int(best != med[0])
            med[0] = best
            DM = np.ascontiguousarray(ops.rows(med).T)
            it, converged = 1, True
        else:
            state = (near_i, near_d, seco_i, seco_d, removal_loss)
            loss = K.free_assign(DM, med, w, *state, True)
            ploss = np.empty(k, dtype=np.float64)
            block = _block_rows(n, X.dtype)
            B = np.empty((block, n), dtype=X.dtype)
            lastswap = -1
            while it < max_iter:
                it += 1
                lastloss, swaps = loss, 0
                for lo in range(0, n, block):
                    cand = order[lo : lo + block]
                    rows = ops.rows(cand, B[: cand.shape[0]])
                    sw, lastswap, loss, stop = K.free_pass_block(
                        rows, cand, w, med, *state, ploss, DM, lastswap, loss
                    )
                    swaps += sw
                    if stop:
                        break
                n_swaps += swaps
                if verbose > 0:
                    print(
                        f"[fasterpam, matrix-free] iteration {it}: loss={loss:.10g}, swaps={swaps}"
                    )
                if swaps == 0 or loss >= lastloss:
                    converged = True
                    break
    if not converged and max_iter > 0:
        warn_at_caller(
            f"fasterpam stopped at max_iter={max_iter} before converging; increase max_iter.",
            ConvergenceWarning,
        )
    labels = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=np.float64)
    loss = K.free_assign(
        DM, med, w, labels, dist, np.empty(n, np.int64), np.empty(n), np.empty(k), False
    )
    check_loss(float(loss))
    return KMedoidsResult(med, labels, float(loss), int(it), int(n_swaps), bool(converged))
