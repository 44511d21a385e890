"""The validated core of k-medoids: matrix preparation and the solver drivers.

Every k-medoids entry point (the functions :func:`~skot.cluster.fasterpam` &
co. and the :class:`~skot.cluster.KMedoids` estimator) goes through
:func:`prepare_matrix` and :func:`solve` (or :func:`fastclara_solve`), so
they validate the same way and run the same code on every input.

Kernels live in ``_fasterpam_kernels.py`` (swap phase, assignment) and
``_build_kernels.py`` (initialisations); they are imported on first use, so
importing :mod:`skot.cluster` compiles nothing.
"""

import math
import os
import sys
import time
import warnings
from numbers import Integral
from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ..utils._numba import n_chunks, numba_threads, use_parallel
from ..utils._pairwise import EXACT_METRICS, pairwise_distances
from ..utils._validation import (
    SYMMETRY_RTOL,
    check_memory,
    check_nonnegative_weights,
    check_square_matrix,
    scan_matrix,
)

METHODS = ("fasterpam", "fastpam1", "pam", "alternate", "fastclara")
INITS = ("build", "lab", "random", "k-medoids++")
# BUILD recomputes every gain at each step (O(k n^2)) up to this much work
# (about 25 ms); above it, on a symmetric matrix, the incremental update is
# used. Both make the same choices; this is an algorithm choice, not a parallel
# threshold: it spares small calls the compilation of the incremental kernels.
_DIRECT_BUILD_MAX_WORK = 25_000_000


class KMedoidsResult(NamedTuple):
    """Result of every k-medoids function.

    Attributes
    ----------
    medoids : ndarray of shape (n_clusters,)
        Indices of the medoids (rows of the input), in the algorithm's order.
    labels : ndarray of shape (n_samples,)
        Index into ``medoids`` of each point's nearest medoid (the first one on
        ties), read from ``D[o, medoids]``: what ``KMedoids.predict`` gives.
    loss : float
        Sum of the (weighted) dissimilarities of the points to their medoid.
    n_iter : int
        Iterations run (passes for FasterPAM, swaps tried for FastPAM1 and
        PAM, reassignment rounds for alternate, 0 for an initialisation).
    n_swaps : int
        Medoid changes made by the optimisation.
    converged : bool
        False when ``max_iter`` stopped the optimisation early.
    """

    medoids: np.ndarray
    labels: np.ndarray
    loss: float
    n_iter: int
    n_swaps: int
    converged: bool


class PreparedMatrix(NamedTuple):
    """A validated dissimilarity matrix, laid out for the kernels.

    ``DT`` is C-contiguous with ``DT[j, o] = d(o, j)`` up to rounding.
    ``symmetric``: the one symmetry rule held (``DT`` is then the input itself
    when C-ordered). ``transposed``: ``DT`` is the exact transpose of the
    input; otherwise it is the input (symmetric up to rounding) and the final
    labels read its rows, ``D[o, medoids]``, unless it is exactly symmetric.
    """

    DT: np.ndarray
    symmetric: bool
    transposed: bool
    exact: bool


def _fk():
    # Imported on first use: compiling numba kernels is the caller's cost only.
    from . import _fasterpam_kernels

    return _fasterpam_kernels


def _bk():
    from . import _build_kernels

    return _build_kernels


# ------------------------------------------------------------- validation


def validate_matrix(D, name="D"):
    """Check a square float matrix's values by the one rule; return its scan.

    Finite; non-negative and zero on the diagonal up to ``SYMMETRY_RTOL``
    times the largest entry (one pass, any layout, no copy).
    """
    scan = scan_matrix(D)
    if not scan.finite:
        raise ValueError(f"{name} contains NaN or infinity.")
    if scan.min < -SYMMETRY_RTOL * scan.max_abs:
        raise ValueError(negative_message(name, scan.min))
    if not scan.zero_diagonal:
        raise ValueError(
            f"{name} must have a zero diagonal (the dissimilarity of a point to "
            f"itself), got an entry of {scan.largest_diagonal!r}."
        )
    return scan


def negative_message(name, value):
    """The one message for negative dissimilarities (scikit-learn's wording first)."""
    return (
        f"Negative values in data passed to {name}: dissimilarities must be "
        f"non-negative (min {value!r})."
    )


def check_weights(sample_weight, n):
    """Non-negative finite weights whose sum does not overflow (float64, length ``n``)."""
    w = check_nonnegative_weights(sample_weight, n)
    with np.errstate(over="ignore"):
        total = w.sum()
    if not np.isfinite(total):
        raise ValueError(
            "sample_weight is too large: the sum of the weights overflows float64 "
            f"(max weight {w.max()!r}); rescale sample_weight (the medoids do not "
            "depend on a common factor)."
        )
    return w


def check_loss(loss):
    """Refuse a loss that overflowed (huge weights times large dissimilarities)."""
    if not math.isfinite(loss):
        raise ValueError(
            f"The weighted loss overflows float64 ({loss!r}): sample_weight times the "
            "dissimilarities is too large; rescale sample_weight or the data."
        )
    return loss


def check_n_jobs(n_jobs):
    """``n_jobs`` as joblib reads it, refused with a message naming it when meaningless."""
    if n_jobs is not None and (isinstance(n_jobs, (bool, np.bool_)) or int(n_jobs) == 0):
        raise ValueError(
            f"n_jobs={n_jobs!r} has no meaning: use None (one thread), a positive "
            "number of threads or -1 (all cores)."
        )
    return n_jobs


def check_count(value, name):
    """Refuse a bool where a count is expected (``True`` is an ``int`` in Python)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got the bool {value!r}.")
    return value


def prepare_matrix(D, name="D"):
    """Validate a dissimilarity matrix and lay it out for the kernels, copying at most once.

    The decisions follow the one symmetry rule of
    :func:`skot.utils._validation.scan_matrix` (one pass, any layout):
    symmetric up to ``SYMMETRY_RTOL`` relative to the largest entry; the
    diagonal zero and the entries non-negative up to the same tolerance.

    * C-ordered and symmetric: used as it is (no copy).
    * F-ordered: used through its transpose, a C-ordered view (no copy).
    * Anything else (a slice or other strided view, or an asymmetric C-ordered
      matrix): one copy, straight when symmetric, transposed otherwise.
    * A diagonal that is zero only up to rounding, or entries negative only up
      to rounding (``1 - V @ V.T``), are set to zero in that one copy.

    float32 stays float32; read-only arrays and memmaps are read, not copied.
    """
    D = check_square_matrix(D, name, check_values=False)
    scan = validate_matrix(D, name)
    symmetric = scan.symmetric
    clean = scan.min < 0 or scan.min_diagonal != 0 or scan.max_diagonal != 0
    if symmetric and D.flags.c_contiguous:
        base, transposed = D, False
    elif D.flags.f_contiguous or not symmetric:
        base, transposed = D.T, True
    else:
        base, transposed = D, False
    if clean or not base.flags.c_contiguous:
        what = "cleaned" if clean else ("transposed" if transposed else "C-ordered")
        check_memory(D.nbytes, f"a {what} copy of the {D.shape} matrix {name}")
        base = np.array(base, order="C", copy=True)
        if clean:
            np.maximum(base, 0, out=base)
            np.fill_diagonal(base, 0)
    return PreparedMatrix(base, symmetric, transposed, transposed or scan.exactly_symmetric)


_SKOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _is_internal(filename):
    if filename.startswith(_SKOT_DIR):
        return True
    parts = filename.replace(os.sep, "/").split("/")
    return "sklearn" in parts or "joblib" in parts


def warn_at_caller(message, category):
    """Warn with the stack level of the first frame outside skot, sklearn and joblib."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def prepare_distances(X, metric, metric_params, n_jobs):
    """The distance matrix of feature rows, prepared for the kernels.

    skot's exact kernels (``EXACT_METRICS`` without ``metric_params``) give a
    C-ordered matrix symmetric to the bit with a zero diagonal: only its
    finiteness is checked (overflow). Other metrics go through
    :func:`prepare_matrix`, as a user's matrix does.
    """
    D = pairwise_distances(X, metric=metric, n_jobs=n_jobs, metric_params=metric_params)
    name = "the computed distance matrix"
    if isinstance(metric, str) and metric == "nan_euclidean" and np.isnan(D).any():
        i, j = np.argwhere(np.isnan(D))[0]
        raise ValueError(
            f"metric='nan_euclidean': rows {i} and {j} of X share no observed feature, "
            "so their distance is undefined (NaN); drop or impute such rows."
        )
    if isinstance(metric, str) and metric in EXACT_METRICS and not metric_params:
        if D.size and not np.isfinite(D.max()):
            raise ValueError(f"{name} contains NaN or infinity.")
        return PreparedMatrix(D, True, False, True)
    return prepare_matrix(D, name)


def check_k(n_clusters, n):
    if n_clusters > n:
        raise ValueError(
            f"n_clusters={n_clusters} must be at most the number of samples, n_samples={n}."
        )


def check_init_medoids(init, n_clusters, n):
    med = np.asarray(init)
    if med.ndim != 1 or not (np.issubdtype(med.dtype, np.integer) or med.size == 0):
        raise ValueError(f"init as an array must be 1-D integer medoid indices, got {init!r}.")
    if med.shape[0] != n_clusters:
        raise ValueError(f"init has {med.shape[0]} medoid indices but n_clusters={n_clusters}.")
    if med.size and (med.min() < 0 or med.max() >= n):
        raise ValueError(f"init medoid indices must be in [0, {n - 1}], got {med.tolist()}.")
    if np.unique(med).shape[0] != med.shape[0]:
        raise ValueError(f"init medoid indices must be distinct, got {med.tolist()}.")
    return med.astype(np.int64)


def _chunked(kernel, work, n_threads):
    """The serial (one chunk) or parallel (``n_chunks``) variant of a twin kernel."""
    if use_parallel(work, n_threads, "kmedoids"):
        return kernel.parallel, n_chunks(n_threads)
    return kernel.serial, 1


# ---------------------------------------------------------- initialisation


def _update_nearest(DT, m, near_d):
    """``near_d = min(near_d, d(., m))`` with ``near_d[m] = 0`` (numpy: O(n), no kernel)."""
    np.minimum(near_d, DT[m], out=near_d)
    near_d[m] = 0.0


def _build_sums(DT, w, near_d, is_med, sums, first, n_threads):
    n = DT.shape[0]
    kernel, chunks = _chunked(_bk().build_sums, n * n, n_threads)
    kernel(DT, w, near_d, is_med, sums, first, chunks)


def build_medoids(DT, w, k, n_threads, symmetric=False):
    """PAM's BUILD: the exact greedy choice, incremental on a symmetric matrix."""
    K = _bk()
    n = DT.shape[0]
    sums = np.empty(n, dtype=np.float64)
    is_med = np.zeros(n, dtype=np.bool_)
    med = np.empty(k, dtype=np.int64)
    near_d = np.full(n, np.inf)
    # step one: the point with the smallest (weighted) distance sum
    _build_sums(DT, w, near_d, is_med, sums, True, n_threads)
    m = int(np.argmin(sums))
    med[0] = m
    is_med[m] = True
    near_d[:] = DT[m]
    near_d[m] = 0.0
    if k == 1:
        return med
    _build_sums(DT, w, near_d, is_med, sums, False, n_threads)
    # The incremental update needs column j == row j (a symmetric matrix);
    # otherwise, or for a small problem, every step recomputes all gains.
    incremental = symmetric and k * n * n > _DIRECT_BUILD_MAX_WORK
    margin = 1e-9 * float(np.dot(w, near_d)) * max(1.0, n / 1e4)
    if incremental:
        update, chunks = _chunked(K.build_update, n * n, n_threads)
    for step in range(1, k):
        if incremental:
            m = K.build_pick(DT, w, near_d, is_med, sums, margin)
        else:
            if step > 1:
                _build_sums(DT, w, near_d, is_med, sums, False, n_threads)
            m = int(np.argmin(sums))
        med[step] = m
        is_med[m] = True
        if incremental and step < k - 1:
            row = DT[m].astype(np.float64)
            row[m] = 0.0
            S = np.flatnonzero(row < near_d).astype(np.int64)
            old, new = near_d[S].copy(), row[S]
            update(DT, w, S, old, new, sums, chunks)
            near_d[S] = new
        else:
            _update_nearest(DT, m, near_d)
    return med


class MatrixOps:
    """What the sampling initialisations read: rows, LAB steps, k-medoids++ trials.

    On a prepared matrix ``DT``; the matrix-free path supplies the same
    operations computed from feature rows (``_kmedoids_free.FreeOps``), so both
    make the same choices from the same draws.
    """

    def __init__(self, DT):
        self.DT = DT
        self.n = DT.shape[0]

    def row(self, m):
        """``d(., m)`` for every point (a view)."""
        return self.DT[m]

    def lab_step(self, sample, w, near_d):
        return _bk().lab_step(self.DT, sample, w, near_d)

    def potential(self, c, w, near_d):
        return _bk().potential_with(self.DT, c, w, near_d)


def _update_row(ops, m, near_d):
    np.minimum(near_d, ops.row(m), out=near_d)
    near_d[m] = 0.0


def lab_medoids(DT, w, k, rng, ops=None):
    """LAB: BUILD's rule on a fresh random sample per medoid."""
    ops = MatrixOps(DT) if ops is None else ops
    n = ops.n
    s = min(n, 10 + math.ceil(math.sqrt(n)))
    sample = np.sort(rng.choice(n, s, replace=False)).astype(np.int64)
    # the first step is a later step with every nearest distance infinite
    first = ops.lab_step(sample, w, np.full(n, np.inf))
    med = [first]
    near_d = ops.row(first).astype(np.float64)
    near_d[first] = 0.0
    available = np.ones(n, dtype=bool)
    available[first] = False
    for _ in range(1, k):
        pool = np.flatnonzero(available)
        size = min(s, pool.shape[0])
        sample = np.sort(rng.choice(pool, size, replace=False)).astype(np.int64)
        m = ops.lab_step(sample, w, near_d)
        med.append(m)
        available[m] = False
        _update_row(ops, m, near_d)
    return np.asarray(med, dtype=np.int64)


def _kpp_medoids(DT, w, k, rng, ops=None):
    """Greedy k-medoids++: D-weighted sampling with 2 + log k local trials."""
    ops = MatrixOps(DT) if ops is None else ops
    n = ops.n
    n_trials = 2 + int(np.log(k))
    total_w = w.sum()
    first = rng.choice(n, p=w / total_w) if total_w > 0 else rng.randint(n)
    med = [int(first)]
    near_d = ops.row(first).astype(np.float64)
    near_d[first] = 0.0
    is_med = np.zeros(n, dtype=bool)
    is_med[first] = True
    for _ in range(1, k):
        pot = w * near_d
        pot[is_med] = 0.0
        total = pot.sum()
        if total > 0:
            cum = np.cumsum(pot)
            cands = np.searchsorted(cum, rng.uniform(size=n_trials) * total, side="right")
            cands = np.minimum(cands, n - 1)
            cands = [c for c in cands if not is_med[c]] or [int(np.flatnonzero(~is_med)[0])]
        else:  # every remaining point coincides with a medoid
            cands = [int(rng.choice(np.flatnonzero(~is_med)))]
        costs = [ops.potential(int(c), w, near_d) for c in cands]
        m = int(cands[int(np.argmin(costs))])
        med.append(m)
        is_med[m] = True
        _update_row(ops, m, near_d)
    return np.asarray(med, dtype=np.int64)


def _init_medoids(DT, w, k, init, rng, n_threads, symmetric):
    n = DT.shape[0]
    if not isinstance(init, str):
        return check_init_medoids(init, k, n)
    if init == "build":
        return build_medoids(DT, w, k, n_threads, symmetric)
    if init == "lab":
        return lab_medoids(DT, w, k, rng)
    if init == "random":
        return rng.choice(n, k, replace=False).astype(np.int64)
    return _kpp_medoids(DT, w, k, rng)


# ------------------------------------------------------------ optimisation


def result(P, w, med, n_iter=0, n_swaps=0, converged=True):
    """Labels and loss of medoids ``med`` on the prepared matrix: one path for all.

    The labels read ``d(o, medoid)`` exactly as ``predict`` does: the rows of
    the transpose (or of an exactly symmetric matrix), or else the rows of
    the input itself.
    """
    K = _fk()
    n = P.DT.shape[0]
    labels = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=np.float64)
    if P.exact:
        # the kernel of the swap state (compiled once per fit), first nearest wins
        loss = K.assign(P.DT, med, w, labels, dist, *_scratch(n, med.shape[0]), False)
    else:
        loss = K.final_assignment_rows(P.DT, med, w, labels, dist)
    check_loss(float(loss))
    return KMedoidsResult(med, labels, float(loss), int(n_iter), int(n_swaps), bool(converged))


def _log(verbose, method, it, loss, swaps):
    if verbose > 0:
        print(f"[{method}] iteration {it}: loss={loss:.10g}, swaps={swaps}")


def _single_medoid(DT, w, med):
    best, _ = _fk().medoid_of_members(DT, np.arange(DT.shape[0]), w, int(med[0]))
    swapped = int(best != med[0])
    med[0] = best
    return med, 1, swapped, True


def _scratch(n, k):
    """``seco_i, seco_d, removal_loss`` arrays for :func:`assign` (unused outputs)."""
    return np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float64), np.empty(k)


def _state(DT, w, med):
    """The swap methods' state: nearest and second nearest, removal losses, loss."""
    n, k = DT.shape[0], med.shape[0]
    near_i = np.empty(n, dtype=np.int64)
    seco_i = np.empty(n, dtype=np.int64)
    near_d = np.empty(n, dtype=np.float64)
    seco_d = np.empty(n, dtype=np.float64)
    removal_loss = np.empty(k, dtype=np.float64)
    loss = _fk().assign(DT, med, w, near_i, near_d, seco_i, seco_d, removal_loss, True)
    return near_i, near_d, seco_i, seco_d, removal_loss, loss


def _run_fasterpam(DT, w, med, max_iter, order, n_threads, verbose):
    K = _fk()
    n, k = DT.shape[0], med.shape[0]
    if k == 1:
        return _single_medoid(DT, w, med)
    near_i, near_d, seco_i, seco_d, removal_loss, loss = _state(DT, w, med)
    # the parallel pass is another algorithm (speculative batches, same swaps)
    parallel = use_parallel(n * n, n_threads, "kmedoids")
    scratch = np.empty((16 * n_threads if parallel else 1, k), dtype=np.float64)
    lastswap, n_swaps, it, converged = -1, 0, 0, False
    while it < max_iter:
        it += 1
        lastloss = loss
        args = (DT, w, med, near_i, near_d, seco_i, seco_d, removal_loss)
        if parallel:
            swaps, lastswap, loss = K.fasterpam_pass_par(
                *args, scratch, order, lastswap, loss, 2 * n_threads
            )
        else:
            swaps, lastswap, loss = K.fasterpam_pass(*args, scratch[0], order, lastswap, loss)
        n_swaps += swaps
        _log(verbose, "fasterpam", it, loss, swaps)
        if swaps == 0 or loss >= lastloss:
            converged = True
            break
    return med, it, n_swaps, converged


def _run_best_swap(DT, w, med, max_iter, n_threads, verbose, method):
    """FastPAM1 and PAM: one best swap per iteration."""
    K = _fk()
    n, k = DT.shape[0], med.shape[0]
    if k == 1:
        return _single_medoid(DT, w, med)
    near_i, near_d, seco_i, seco_d, removal_loss, loss = _state(DT, w, med)
    changes = np.empty(n, dtype=np.float64)
    bs = np.empty(n, dtype=np.int64)
    # One coarse launch per O(n^2) evaluation (no speculative batches as in
    # FasterPAM): threads pay from a quarter of FasterPAM's size, 16 n^2.
    kernel = K.fastpam1_evaluate if method == "fastpam1" else K.pam_evaluate
    evaluate, chunks = _chunked(kernel, 16 * n * n, n_threads)
    n_swaps, it, converged = 0, 0, False
    while it < max_iter:
        it += 1
        if method == "fastpam1":  # removal_loss: kept up to date by assign and do_swap
            evaluate(DT, w, med, near_i, near_d, seco_d, removal_loss, changes, bs, chunks)
        else:
            evaluate(DT, w, med, near_i, near_d, seco_d, changes, bs, chunks)
        j = K.pick_best_swap(changes, bs)
        if j < 0:
            converged = True
            _log(verbose, method, it, loss, 0)
            break
        n_swaps += 1
        newloss = K.do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, removal_loss, bs[j], j)
        _log(verbose, method, it, newloss, 1)
        if newloss >= loss:  # no progress: numerically stuck
            converged = True
            break
        loss = newloss
    return med, it, n_swaps, converged


def _run_alternate(DT, w, med, max_iter, verbose):
    K = _fk()
    n, k = DT.shape[0], med.shape[0]
    labels = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=np.float64)
    scratch = _scratch(n, k)
    loss = K.assign(DT, med, w, labels, dist, *scratch, True)
    it, n_swaps, converged = 0, 0, False
    while it < max_iter:
        it += 1
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(k + 1))
        changed = 0
        for m in range(k):
            members = order[bounds[m] : bounds[m + 1]]
            best, _ = K.medoid_of_members(DT, members, w, int(med[m]))
            if best != med[m]:
                med[m] = best
                changed += 1
        n_swaps += changed
        if not changed:
            converged = True
            _log(verbose, "alternate", it, loss, 0)
            break
        loss = K.assign(DT, med, w, labels, dist, *scratch, True)
        _log(verbose, "alternate", it, loss, changed)
    return med, it, n_swaps, converged


def _optimize(P, w, med, method, max_iter, order, n_threads, verbose):
    """Run ``method`` from medoids ``med`` (modified in place); return the result."""
    DT = P.DT
    if method == "fasterpam":
        out = _run_fasterpam(DT, w, med, max_iter, order, n_threads, verbose)
    elif method in ("fastpam1", "pam"):
        out = _run_best_swap(DT, w, med, max_iter, n_threads, verbose, method)
    else:
        out = _run_alternate(DT, w, med, max_iter, verbose)
    med, n_iter, n_swaps, converged = out
    if not converged and max_iter > 0:
        warn_at_caller(
            f"{method} stopped at max_iter={max_iter} before converging; increase max_iter.",
            ConvergenceWarning,
        )
    return result(P, w, med, n_iter, n_swaps, converged)


def fit_medoids(P, w, n_clusters, method, init, max_iter, random_state, n_threads, verbose):
    """Initialise and optimise once on a prepared matrix."""
    DT = P.DT
    check_k(n_clusters, DT.shape[0])
    rng = check_random_state(random_state)
    med = _init_medoids(DT, w, n_clusters, init, rng, n_threads, P.symmetric)
    if random_state is None:
        order = np.arange(DT.shape[0], dtype=np.int64)
    else:
        order = rng.permutation(DT.shape[0]).astype(np.int64)
    return _optimize(P, w, med, method, max_iter, order, n_threads, verbose)


def split_medoids(medoids, init):
    """``(n_clusters, init)`` from the ``medoids`` argument: a count or initial indices."""
    check_count(medoids, "medoids")
    if isinstance(medoids, Integral):
        return int(medoids), init
    init_ = np.asarray(medoids)
    n_clusters = init_.shape[0] if init_.ndim == 1 else -1
    if n_clusters < 1:
        raise ValueError(f"medoids must be an int or 1-D indices, got {medoids!r}.")
    return n_clusters, init_


def solve(P, w, n_clusters, method, init, max_iter, random_state, n_jobs, verbose, n_init=1):
    """The one core of the swap methods: ``n_init`` runs on a prepared matrix, best kept.

    One run uses the kernels on ``n_jobs`` threads; several run in joblib
    threads (the kernels release the GIL), each on serial kernels with a seed
    drawn up front, so the result does not depend on ``n_jobs``.
    """
    if n_init == 1:
        with numba_threads(n_jobs) as n_threads:
            return fit_medoids(
                P, w, n_clusters, method, init, max_iter, random_state, n_threads, verbose
            )
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_init)
    runs = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(fit_medoids)(P, w, n_clusters, method, init, max_iter, int(s), 1, 0) for s in seeds
    )
    best = min(range(n_init), key=lambda i: (runs[i].loss, i))
    if verbose > 0:
        for i, r in enumerate(runs):
            print(f"[KMedoids] restart {i + 1}/{n_init}: loss={r.loss:.10g}")
    return runs[best]


# --------------------------------------------------------------- CLARA


def assign_rows(X, centers, metric, metric_params, w, precomputed, med, chunk=65536):
    """Nearest of ``centers`` for every row, in chunks; returns labels and loss."""
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int64)
    loss = 0.0
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        if precomputed:
            Dc = np.maximum(np.asarray(X[lo:hi][:, med], dtype=np.float64), 0.0)
        else:
            Dc = pairwise_distances(
                X[lo:hi], centers, metric=metric, n_jobs=1, metric_params=metric_params
            )
        lab_ = np.argmin(Dc, axis=1)
        labels[lo:hi] = lab_
        loss += float(np.dot(w[lo:hi], Dc[np.arange(hi - lo), lab_].astype(np.float64)))
    return labels, loss


def clara_sample(n, size, w, fixed, seed):
    """Sorted row indices of one FastCLARA sample of ``size`` rows.

    Equal weights: a uniform sample without replacement (the historical draw,
    unchanged). Unequal weights: rows drawn with probability proportional to
    their weight (without replacement; zero-weight rows only once the
    positive ones are exhausted), so a few heavy rows are not missed.
    ``fixed`` rows (the initial medoids given as row indices) are always in.
    """
    rs = np.random.RandomState(seed)
    uniform = w.min() == w.max()
    if fixed is None and uniform:
        return np.sort(rs.choice(n, size, replace=False))
    fixed = np.zeros(0, dtype=np.int64) if fixed is None else np.asarray(fixed, dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    keep[fixed] = False
    pool = np.flatnonzero(keep)
    m = size - fixed.shape[0]
    if uniform:
        pick = rs.choice(pool, m, replace=False)
    else:
        p = w[pool]
        positive = pool[p > 0]
        if positive.shape[0] >= m:
            pick = rs.choice(pool, m, replace=False, p=p / p.sum())
        else:
            rest = rs.choice(pool[p == 0], m - positive.shape[0], replace=False)
            pick = np.concatenate([positive, rest])
    return np.sort(np.concatenate([fixed, pick]))


def clara_fit(Xs, idx, n_clusters, metric, metric_params, w, init, max_iter, seed, precomputed):
    """FasterPAM on one sample (``Xs``: its rows, or the full matrix when precomputed).

    Returns the medoids as row indices of ``X``, and the run's counts.
    """
    if precomputed:
        Dsub = np.ascontiguousarray(Xs[np.ix_(idx, idx)])
    else:
        Dsub = pairwise_distances(Xs, metric=metric, n_jobs=1, metric_params=metric_params)
    P = prepare_matrix(Dsub, "the sampled dissimilarities")
    if not isinstance(init, str):  # row indices of X: their positions in the sample
        init = np.searchsorted(idx, init).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fit_medoids(P, w[idx], n_clusters, "fasterpam", init, max_iter, seed, 1, 0)
    return idx[res.medoids], res.n_iter, res.n_swaps, res.converged


def _clara_one(X, idx, n_clusters, metric, metric_params, w, init, max_iter, seed, precomputed):
    Xs = X if precomputed else X[idx]
    med, n_iter, n_swaps, converged = clara_fit(
        Xs, idx, n_clusters, metric, metric_params, w, init, max_iter, seed, precomputed
    )
    centers = None if precomputed else X[med]
    _, loss = assign_rows(X, centers, metric, metric_params, w, precomputed, med)
    return loss, med, n_iter, n_swaps, converged


def clara_samples(n, n_clusters, n_sampling, n_sampling_iter, init, w, random_state):
    """The samples of FastCLARA and their seeds, all drawn up front."""
    size = min(n, n_sampling if n_sampling is not None else 80 + 4 * n_clusters)
    if size < n_clusters:
        raise ValueError(f"n_sampling={n_sampling} must be at least n_clusters={n_clusters}.")
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_sampling_iter)
    fixed = None if isinstance(init, str) else check_init_medoids(init, n_clusters, n)
    return [clara_sample(n, size, w, fixed, s) for s in seeds], seeds


def fastclara_solve(
    X,
    n_clusters,
    metric,
    metric_params,
    n_sampling,
    n_sampling_iter,
    init,
    max_iter,
    w,
    random_state,
    n_jobs,
    verbose,
):
    """FastCLARA on validated rows (or a validated square matrix when precomputed)."""
    n = X.shape[0]
    check_k(n_clusters, n)
    precomputed = metric == "precomputed"
    samples, seeds = clara_samples(
        n, n_clusters, n_sampling, n_sampling_iter, init, w, random_state
    )
    t0 = time.perf_counter()
    runs = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_clara_one)(
            X, idx, n_clusters, metric, metric_params, w, init, max_iter, int(s), precomputed
        )
        for idx, s in zip(samples, seeds)
    )
    best = min(range(len(runs)), key=lambda i: (runs[i][0], i))
    if verbose > 0:
        for i, r in enumerate(runs):
            print(f"[fastclara] sample {i + 1}/{len(runs)}: loss={r[0]:.10g}")
        print(f"[fastclara] best sample {best + 1}, {time.perf_counter() - t0:.2f} s")
    loss, med, n_iter, n_swaps, converged = runs[best]
    centers = None if precomputed else X[med]
    labels, loss = assign_rows(X, centers, metric, metric_params, w, precomputed, med)
    check_loss(loss)
    if not converged and max_iter > 0:
        warn_at_caller(
            f"fastclara: FasterPAM stopped at max_iter={max_iter} on the best sample "
            "before converging; increase max_iter.",
            ConvergenceWarning,
        )
    return KMedoidsResult(
        med.astype(np.int64), labels, float(loss), int(n_iter), int(n_swaps), bool(converged)
    )
