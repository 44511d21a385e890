"""k-medoids clustering: FasterPAM and its family (Schubert & Rousseeuw).

The function layer (:func:`fasterpam`, :func:`fastpam1`, :func:`pam`,
:func:`alternate`, :func:`build`, :func:`lab`, :func:`fastclara`) works on a
dissimilarity matrix (or, for :func:`fastclara`, on feature rows) and returns a
:class:`KMedoidsResult`. :class:`KMedoids` is the scikit-learn estimator on top.
"""

import math
import time
import warnings
from numbers import Integral
from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import _VALID_METRICS
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._numba import numba_threads
from ..utils._pairwise import pairwise_distances
from ..utils._validation import (
    check_memory,
    check_nonnegative_weights,
    check_square_matrix,
)

__all__ = [
    "KMedoids",
    "KMedoidsResult",
    "alternate",
    "build",
    "fastclara",
    "fasterpam",
    "fastpam1",
    "lab",
    "pam",
]

METHODS = ("fasterpam", "fastpam1", "pam", "alternate", "fastclara")
INITS = ("build", "lab", "random", "k-medoids++")
# Below this many points the parallel kernels cost more than they save.
_PARALLEL_MIN_N = 5000


class KMedoidsResult(NamedTuple):
    """Result of every k-medoids function.

    Attributes
    ----------
    medoids : ndarray of shape (n_clusters,)
        Indices of the medoids (rows of the input), in the algorithm's order.
    labels : ndarray of shape (n_samples,)
        Index into ``medoids`` of each point's nearest medoid (the first one on
        ties).
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


# ------------------------------------------------------------- validation


def _kernels():
    # Imported on first use: compiling numba kernels is the caller's cost only.
    from . import _fasterpam

    return _fasterpam


def _prepare(D, name="D", check=True):
    """Validate a dissimilarity matrix; return ``(DT, symmetric)``.

    ``DT[j, o] = d(o, j)`` is C-contiguous. A matrix symmetric up to rounding
    (``SYMMETRY_RTOL``) is used as symmetric, without a copy.

    A symmetric C-ordered matrix is used as it is (no copy); an F-ordered one
    through its transpose (no copy); only an asymmetric C-ordered matrix is
    copied once, transposed.
    """
    D = check_square_matrix(D, name, check_values=False)
    if check:
        from ..utils._matrix_kernels import SYMMETRY_RTOL, max_asymmetry, scan_matrix

        finite, vmin, symmetric, dmin, dmax, _ = scan_matrix(D)
        if finite and not symmetric and D.flags.c_contiguous:
            gap, scale = max_asymmetry(D)
            symmetric = gap <= SYMMETRY_RTOL * scale
        diag = dmax if dmax > -dmin else dmin
        if not finite:
            raise ValueError(f"{name} contains NaN or infinity.")
        if vmin < 0:
            raise ValueError(f"{name} contains negative dissimilarities (min {vmin!r}).")
        if diag != 0:
            raise ValueError(
                f"{name} must have a zero diagonal (the dissimilarity of a point to "
                f"itself), got an entry of {diag!r}."
            )
    else:
        symmetric = True
    if D.flags.c_contiguous and symmetric:
        return D, True
    if D.flags.f_contiguous:
        return D.T, symmetric
    check_memory(D.nbytes, f"a transposed copy of the {D.shape} asymmetric matrix {name}")
    return np.ascontiguousarray(D.T), symmetric


def _check_k(n_clusters, n):
    if n_clusters > n:
        raise ValueError(
            f"n_clusters={n_clusters} must be at most the number of samples, "
            f"n_samples={n}."
        )


def _check_init_medoids(init, n_clusters, n):
    med = np.asarray(init)
    if med.ndim != 1 or not (np.issubdtype(med.dtype, np.integer) or med.size == 0):
        raise ValueError(f"init as an array must be 1-D integer medoid indices, got {init!r}.")
    if med.shape[0] != n_clusters:
        raise ValueError(
            f"init has {med.shape[0]} medoid indices but n_clusters={n_clusters}."
        )
    if med.size and (med.min() < 0 or med.max() >= n):
        raise ValueError(f"init medoid indices must be in [0, {n - 1}], got {med.tolist()}.")
    if np.unique(med).shape[0] != med.shape[0]:
        raise ValueError(f"init medoid indices must be distinct, got {med.tolist()}.")
    return med.astype(np.int64)


def _n_chunks(n_threads):
    return 4 * n_threads


# ---------------------------------------------------------- initialisation


def _build_medoids(DT, w, k, n_threads, symmetric=False):
    K = _kernels()
    n = DT.shape[0]
    parallel = n_threads > 1 and n >= _PARALLEL_MIN_N
    chunks = _n_chunks(n_threads)
    sums = np.empty(n, dtype=np.float64)
    is_med = np.zeros(n, dtype=np.bool_)
    med = np.empty(k, dtype=np.int64)
    near_d = np.full(n, np.inf)
    # step one: the point with the smallest (weighted) distance sum
    if parallel:
        K.build_sums_par(DT, w, near_d, is_med, sums, True, chunks)
    else:
        K.build_sums(DT, w, near_d, is_med, sums, True)
    m = K.first_argmin(sums)
    med[0] = m
    is_med[m] = True
    near_d[:] = DT[m]
    near_d[m] = 0.0
    if k == 1:
        return med
    if parallel:
        K.build_sums_par(DT, w, near_d, is_med, sums, False, chunks)
    else:
        K.build_sums(DT, w, near_d, is_med, sums, False)
    # The incremental update needs column j == row j (a symmetric matrix);
    # otherwise every step recomputes all gains directly.
    margin = 1e-9 * float(np.dot(w, near_d)) * max(1.0, n / 1e4)
    for step in range(1, k):
        if symmetric:
            m = K.build_pick(DT, w, near_d, is_med, sums, margin)
        else:
            if step > 1:
                if parallel:
                    K.build_sums_par(DT, w, near_d, is_med, sums, False, chunks)
                else:
                    K.build_sums(DT, w, near_d, is_med, sums, False)
            m = K.first_argmin(sums)
        med[step] = m
        is_med[m] = True
        if symmetric and step < k - 1:
            row = DT[m].astype(np.float64)
            row[m] = 0.0
            S = np.flatnonzero(row < near_d).astype(np.int64)
            old, new = near_d[S].copy(), row[S]
            if parallel:
                K.build_update_par(DT, w, S, old, new, sums, chunks)
            else:
                K.build_update(DT, w, S, old, new, sums)
            near_d[S] = new
        else:
            K.update_nearest(DT, m, near_d)
    return med


def _lab_medoids(DT, w, k, rng):
    K = _kernels()
    n = DT.shape[0]
    s = min(n, 10 + math.ceil(math.sqrt(n)))
    sample = np.sort(rng.choice(n, s, replace=False)).astype(np.int64)
    first = K.lab_first(DT, sample, w)
    med = [first]
    near_d = DT[first].astype(np.float64)
    near_d[first] = 0.0
    available = np.ones(n, dtype=bool)
    available[first] = False
    for _ in range(1, k):
        pool = np.flatnonzero(available)
        size = min(s, pool.shape[0])
        sample = np.sort(rng.choice(pool, size, replace=False)).astype(np.int64)
        m = K.lab_step(DT, sample, w, near_d)
        med.append(m)
        available[m] = False
        K.update_nearest(DT, m, near_d)
    return np.asarray(med, dtype=np.int64)


def _kpp_medoids(DT, w, k, rng):
    """Greedy k-medoids++: D-weighted sampling with 2 + log k local trials."""
    K = _kernels()
    n = DT.shape[0]
    n_trials = 2 + int(np.log(k))
    total_w = w.sum()
    first = rng.choice(n, p=w / total_w) if total_w > 0 else rng.randint(n)
    med = [int(first)]
    near_d = DT[first].astype(np.float64)
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
        costs = [K.potential_with(DT, int(c), w, near_d) for c in cands]
        m = int(cands[int(np.argmin(costs))])
        med.append(m)
        is_med[m] = True
        K.update_nearest(DT, m, near_d)
    return np.asarray(med, dtype=np.int64)


def _init_medoids(DT, w, k, init, rng, n_threads, symmetric):
    n = DT.shape[0]
    if not isinstance(init, str):
        return _check_init_medoids(init, k, n)
    if init == "build":
        return _build_medoids(DT, w, k, n_threads, symmetric)
    if init == "lab":
        return _lab_medoids(DT, w, k, rng)
    if init == "random":
        return rng.choice(n, k, replace=False).astype(np.int64)
    return _kpp_medoids(DT, w, k, rng)


# ------------------------------------------------------------ optimisation


def _result(DT, w, med, n_iter, n_swaps, converged):
    K = _kernels()
    labels = np.empty(DT.shape[0], dtype=np.int64)
    dist = np.empty(DT.shape[0], dtype=np.float64)
    loss = K.final_assignment(DT, med, w, labels, dist)
    return KMedoidsResult(med, labels, float(loss), int(n_iter), int(n_swaps), bool(converged))


def _log(verbose, method, it, loss, swaps):
    if verbose:
        print(f"[{method}] iteration {it}: loss={loss:.10g}, swaps={swaps}")


def _single_medoid(DT, w, med):
    best, _ = _kernels().medoid_of_members(DT, np.arange(DT.shape[0]), w, int(med[0]))
    swapped = int(best != med[0])
    med[0] = best
    return med, 1, swapped, True


def _state(DT, w, med):
    n = DT.shape[0]
    near_i = np.empty(n, dtype=np.int64)
    seco_i = np.empty(n, dtype=np.int64)
    near_d = np.empty(n, dtype=np.float64)
    seco_d = np.empty(n, dtype=np.float64)
    loss = _kernels().initial_assignment(DT, med, w, near_i, near_d, seco_i, seco_d)
    return near_i, near_d, seco_i, seco_d, loss


def _run_fasterpam(DT, w, med, max_iter, order, n_threads, verbose):
    K = _kernels()
    n, k = DT.shape[0], med.shape[0]
    if k == 1:
        return _single_medoid(DT, w, med)
    near_i, near_d, seco_i, seco_d, loss = _state(DT, w, med)
    removal_loss = np.empty(k, dtype=np.float64)
    K.update_removal_loss(w, near_i, near_d, seco_d, removal_loss)
    parallel = n_threads > 1 and n >= _PARALLEL_MIN_N
    scratch = np.empty((16 * n_threads if parallel else 1, k), dtype=np.float64)
    lastswap, n_swaps, it, converged = -1, 0, 0, False
    while it < max_iter:
        it += 1
        lastloss = loss
        args = (DT, w, med, near_i, near_d, seco_i, seco_d, removal_loss)
        if parallel:
            swaps, lastswap, loss = K.fasterpam_pass_par(*args, scratch, order, lastswap, loss,
                                                         2 * n_threads)
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
    K = _kernels()
    n, k = DT.shape[0], med.shape[0]
    if k == 1:
        return _single_medoid(DT, w, med)
    near_i, near_d, seco_i, seco_d, loss = _state(DT, w, med)
    removal_loss = np.empty(k, dtype=np.float64)
    changes = np.empty(n, dtype=np.float64)
    bs = np.empty(n, dtype=np.int64)
    parallel = n_threads > 1 and n >= _PARALLEL_MIN_N // 4
    n_swaps, it, converged = 0, 0, False
    while it < max_iter:
        it += 1
        if method == "fastpam1":
            K.update_removal_loss(w, near_i, near_d, seco_d, removal_loss)
            if parallel:
                K.fastpam1_evaluate_par(DT, w, med, near_i, near_d, seco_d, removal_loss,
                                        changes, bs, _n_chunks(n_threads))
            else:
                K.fastpam1_evaluate(DT, w, med, near_i, near_d, seco_d, removal_loss,
                                    changes, bs)
        elif parallel:
            K.pam_evaluate_par(DT, w, med, near_i, near_d, seco_d, changes, bs,
                               _n_chunks(n_threads))
        else:
            K.pam_evaluate(DT, w, med, near_i, near_d, seco_d, changes, bs)
        j = K.pick_best_swap(changes, bs)
        if j < 0:
            converged = True
            _log(verbose, method, it, loss, 0)
            break
        n_swaps += 1
        newloss = K.do_swap(DT, med, w, near_i, near_d, seco_i, seco_d, bs[j], j)
        _log(verbose, method, it, newloss, 1)
        if newloss >= loss:  # no progress: numerically stuck
            converged = True
            break
        loss = newloss
    return med, it, n_swaps, converged


def _run_alternate(DT, w, med, max_iter, verbose):
    K = _kernels()
    n, k = DT.shape[0], med.shape[0]
    labels = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=np.float64)
    loss = K.assign_nearest(DT, med, w, labels, dist)
    it, n_swaps, converged = 0, 0, False
    while it < max_iter:
        it += 1
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(k + 1))
        changed = 0
        for m in range(k):
            members = order[bounds[m]:bounds[m + 1]]
            best, _ = K.medoid_of_members(DT, members, w, int(med[m]))
            if best != med[m]:
                med[m] = best
                changed += 1
        n_swaps += changed
        if not changed:
            converged = True
            _log(verbose, "alternate", it, loss, 0)
            break
        loss = K.assign_nearest(DT, med, w, labels, dist)
        _log(verbose, "alternate", it, loss, changed)
    return med, it, n_swaps, converged


def _optimize(DT, w, med, method, max_iter, order, n_threads, verbose):
    """Run ``method`` from medoids ``med`` (modified in place); return the result."""
    if method == "fasterpam":
        out = _run_fasterpam(DT, w, med, max_iter, order, n_threads, verbose)
    elif method in ("fastpam1", "pam"):
        out = _run_best_swap(DT, w, med, max_iter, n_threads, verbose, method)
    else:
        out = _run_alternate(DT, w, med, max_iter, verbose)
    med, n_iter, n_swaps, converged = out
    if not converged and max_iter > 0:
        warnings.warn(
            f"{method} stopped at max_iter={max_iter} before converging; "
            "increase max_iter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return _result(DT, w, med, n_iter, n_swaps, converged)


def _fit_medoids(DT, symmetric, w, n_clusters, method, init, max_iter, random_state, n_threads,
                 verbose):
    """Initialise and optimise once on a prepared matrix (the shared core)."""
    _check_k(n_clusters, DT.shape[0])
    rng = check_random_state(random_state)
    med = _init_medoids(DT, w, n_clusters, init, rng, n_threads, symmetric)
    if random_state is None:
        order = np.arange(DT.shape[0], dtype=np.int64)
    else:
        order = rng.permutation(DT.shape[0]).astype(np.int64)
    return _optimize(DT, w, med, method, max_iter, order, n_threads, verbose)


# ----------------------------------------------------------- function API

_COMMON_PARAMS = {
    "D": ["array-like"],
    "medoids": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "init": [StrOptions(set(INITS))],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "sample_weight": ["array-like", None],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


def _function(method, D, medoids, init, max_iter, sample_weight, random_state, n_jobs,
              verbose):
    DT, symmetric = _prepare(D, "D")
    w = check_nonnegative_weights(sample_weight, DT.shape[0])
    if isinstance(medoids, Integral):
        n_clusters, init_ = int(medoids), init
    else:
        init_ = np.asarray(medoids)
        n_clusters = init_.shape[0] if init_.ndim == 1 else -1
        if n_clusters < 1:
            raise ValueError(f"medoids must be an int or 1-D indices, got {medoids!r}.")
    with numba_threads(n_jobs) as n_threads:
        return _fit_medoids(DT, symmetric, w, n_clusters, method, init_, max_iter,
                            random_state, n_threads, verbose)


_FUNCTION_DOC = """{summary}

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_samples)
        Dissimilarities, float32 or float64 (used without a copy when C-ordered
        and symmetric), non-negative, finite, zero diagonal. ``D[o, m]`` is the
        dissimilarity of point ``o`` to medoid ``m``.
    medoids : int or array-like of shape (n_clusters,)
        Number of clusters (initialised by ``init``) or initial medoid indices.
    init : {{"build", "lab", "random", "k-medoids++"}}, default="build"
        Initialisation when ``medoids`` is an int.
    max_iter : int, default=300
        Maximum number of iterations{iter_note}.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point in the loss.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomised initialisations{order_note}.
    n_jobs : int, default=None
        Threads for the kernels (``-1``: all cores). Results do not depend on it.
    verbose : int, default=0
        Print the loss after each iteration.

    Returns
    -------
    result : KMedoidsResult
        Medoids, labels, loss, ``n_iter``, ``n_swaps`` and ``converged``.
    """


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def fasterpam(D, medoids, *, init="build", max_iter=300, sample_weight=None,
              random_state=None, n_jobs=None, verbose=0):
    return _function("fasterpam", D, medoids, init, max_iter, sample_weight,
                     random_state, n_jobs, verbose)


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def fastpam1(D, medoids, *, init="build", max_iter=300, sample_weight=None,
             random_state=None, n_jobs=None, verbose=0):
    return _function("fastpam1", D, medoids, init, max_iter, sample_weight,
                     random_state, n_jobs, verbose)


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def pam(D, medoids, *, init="build", max_iter=300, sample_weight=None,
        random_state=None, n_jobs=None, verbose=0):
    return _function("pam", D, medoids, init, max_iter, sample_weight,
                     random_state, n_jobs, verbose)


@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def alternate(D, medoids, *, init="build", max_iter=300, sample_weight=None,
              random_state=None, n_jobs=None, verbose=0):
    return _function("alternate", D, medoids, init, max_iter, sample_weight,
                     random_state, n_jobs, verbose)


fasterpam.__doc__ = _FUNCTION_DOC.format(
    summary="""FasterPAM k-medoids: eager swaps, O(n²) per pass.

    Each candidate point is evaluated against all medoids at once in O(n + k)
    and the first improving swap is applied at once (Schubert & Rousseeuw
    2021). With ``random_state=None`` candidates are visited in index order,
    as the reference implementation does; a seed shuffles the order once.""",
    iter_note=" (passes over the candidates)",
    order_note=" and, when not None, shuffles the order in which candidates are visited",
)
fastpam1.__doc__ = _FUNCTION_DOC.format(
    summary="""FastPAM1 k-medoids: exactly PAM's swaps, O(n²) per iteration.

    Every (medoid, candidate) pair is evaluated with the O(k)-faster FastPAM1
    trick and the single best swap is applied per iteration.""",
    iter_note=" (one swap each)", order_note="",
)
pam.__doc__ = _FUNCTION_DOC.format(
    summary="""Classic PAM k-medoids SWAP (Kaufman & Rousseeuw), O(k n²) per iteration.

    Provided as a reference: FastPAM1 makes the same swaps much faster.""",
    iter_note=" (one swap each)", order_note="",
)
alternate.__doc__ = _FUNCTION_DOC.format(
    summary="""Alternating (Voronoi) k-medoids iteration.

    Assign every point to its nearest medoid, then move each medoid to the
    member with the smallest distance sum to its cluster; repeat until no
    medoid moves. Fast but prone to worse local optima than swap methods.""",
    iter_note=" (reassignment rounds)", order_note="",
)


@validate_params(
    {
        "D": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def build(D, n_clusters, *, sample_weight=None, n_jobs=None):
    """PAM's BUILD initialisation, O(k n²), reading contiguous rows.

    The first medoid minimises the distance sum; each next one is the point
    that lowers the loss most.

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_samples)
        Dissimilarities (see :func:`fasterpam`).
    n_clusters : int
        Number of medoids.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point.
    n_jobs : int, default=None
        Threads for the kernels. Results do not depend on it.

    Returns
    -------
    result : KMedoidsResult
        The BUILD medoids with their labels and loss (``n_iter=0``).
    """
    DT, symmetric = _prepare(D, "D")
    w = check_nonnegative_weights(sample_weight, DT.shape[0])
    _check_k(n_clusters, DT.shape[0])
    with numba_threads(n_jobs) as n_threads:
        med = _build_medoids(DT, w, n_clusters, n_threads, symmetric)
    return _result(DT, w, med, 0, 0, True)


@validate_params(
    {
        "D": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def lab(D, n_clusters, *, sample_weight=None, random_state=None):
    """Linear Approximative BUILD (LAB): BUILD on small random samples, O(k n).

    Each medoid is chosen by BUILD's rule among a fresh sample of
    ``10 + ceil(sqrt(n))`` points, evaluated on that sample only (Schubert &
    Rousseeuw 2021).

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_samples)
        Dissimilarities (see :func:`fasterpam`).
    n_clusters : int
        Number of medoids.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point.
    random_state : int, RandomState instance or None, default=None
        Seeds the samples.

    Returns
    -------
    result : KMedoidsResult
        The LAB medoids with their labels and loss (``n_iter=0``).
    """
    DT, _ = _prepare(D, "D")
    w = check_nonnegative_weights(sample_weight, DT.shape[0])
    _check_k(n_clusters, DT.shape[0])
    med = _lab_medoids(DT, w, n_clusters, check_random_state(random_state))
    return _result(DT, w, med, 0, 0, True)


# --------------------------------------------------------------- CLARA


def _assign_rows(X, centers, metric, metric_params, w, precomputed, med, chunk=65536):
    """Nearest of ``centers`` for every row, in chunks; returns labels and loss."""
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int64)
    loss = 0.0
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        if precomputed:
            Dc = np.asarray(X[lo:hi][:, med], dtype=np.float64)
        else:
            Dc = pairwise_distances(X[lo:hi], centers, metric=metric, n_jobs=1,
                                    metric_params=metric_params)
        lab_ = np.argmin(Dc, axis=1)
        labels[lo:hi] = lab_
        loss += float(np.dot(w[lo:hi], Dc[np.arange(hi - lo), lab_].astype(np.float64)))
    return labels, loss


def _clara_one(X, idx, n_clusters, metric, metric_params, w, init, max_iter, seed,
               precomputed):
    if precomputed:
        Dsub = np.ascontiguousarray(X[np.ix_(idx, idx)])
    else:
        Dsub = pairwise_distances(X[idx], metric=metric, n_jobs=1, metric_params=metric_params)
    DT, symmetric = _prepare(Dsub, "the sampled dissimilarities")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = _fit_medoids(DT, symmetric, w[idx], n_clusters, "fasterpam", init, max_iter,
                           seed, 1, 0)
    med = idx[res.medoids]
    centers = None if precomputed else X[med]
    _, loss = _assign_rows(X, centers, metric, metric_params, w, precomputed, med)
    return loss, med, res.n_iter, res.n_swaps, res.converged


def _fastclara(X, n_clusters, metric, metric_params, n_sampling, n_sampling_iter, init,
               max_iter, w, random_state, n_jobs, verbose):
    n = X.shape[0]
    _check_k(n_clusters, n)
    precomputed = metric == "precomputed"
    size = min(n, n_sampling if n_sampling is not None else 80 + 4 * n_clusters)
    if size < n_clusters:
        raise ValueError(
            f"n_sampling={n_sampling} must be at least n_clusters={n_clusters}."
        )
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_sampling_iter)
    samples = [np.sort(np.random.RandomState(s).choice(n, size, replace=False)) for s in seeds]
    t0 = time.perf_counter()
    runs = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_clara_one)(X, idx, n_clusters, metric, metric_params, w, init, max_iter,
                            int(s), precomputed)
        for idx, s in zip(samples, seeds)
    )
    best = min(range(len(runs)), key=lambda i: (runs[i][0], i))
    if verbose:
        for i, r in enumerate(runs):
            print(f"[fastclara] sample {i + 1}/{len(runs)}: loss={r[0]:.10g}")
        print(f"[fastclara] best sample {best + 1}, {time.perf_counter() - t0:.2f} s")
    loss, med, n_iter, n_swaps, converged = runs[best]
    centers = None if precomputed else X[med]
    labels, loss = _assign_rows(X, centers, metric, metric_params, w, precomputed, med)
    if not converged and max_iter > 0:
        warnings.warn(
            f"fastclara: FasterPAM stopped at max_iter={max_iter} on the best sample "
            "before converging; increase max_iter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return KMedoidsResult(med.astype(np.int64), labels, float(loss), int(n_iter),
                          int(n_swaps), bool(converged))


def _metric_options():
    return set(_VALID_METRICS) | {"sqeuclidean", "precomputed"}


@validate_params(
    {
        "X": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(_metric_options()), callable],
        "metric_params": [dict, None],
        "n_sampling": [Interval(Integral, 1, None, closed="left"), None],
        "n_sampling_iter": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITS))],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "sample_weight": ["array-like", None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fastclara(X, n_clusters, *, metric="euclidean", metric_params=None, n_sampling=None,
              n_sampling_iter=5, init="build", max_iter=300, sample_weight=None,
              random_state=None, n_jobs=None, verbose=0):
    """FastCLARA: FasterPAM on random samples, every point assigned, best kept.

    Never builds the full distance matrix: each of the ``n_sampling_iter``
    samples of ``n_sampling`` points gets its own small matrix, the medoids
    found on it are scored on all points (in chunks), and the best sample wins.
    Samples run through joblib (threads by default), so under
    ``joblib.parallel_backend("dask")`` a Dask cluster runs them; every sample's
    seed is drawn up front, so the result does not depend on the backend or
    ``n_jobs``.

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        Feature rows, or dissimilarities when ``metric="precomputed"``.
    n_clusters : int
        Number of medoids.
    metric : str or callable, default="euclidean"
        Any scikit-learn pairwise metric, a callable, or ``"precomputed"``.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    n_sampling : int, default=None
        Sample size; ``None`` means ``80 + 4 * n_clusters`` (FastCLARA's rule).
    n_sampling_iter : int, default=5
        Number of samples.
    init : {"build", "lab", "random", "k-medoids++"}, default="build"
        Initialisation of FasterPAM on each sample.
    max_iter : int, default=300
        Maximum FasterPAM passes per sample.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point.
    random_state : int, RandomState instance or None, default=None
        Seeds the samples.
    n_jobs : int, default=None
        Samples run in parallel through joblib.
    verbose : int, default=0
        Print each sample's loss.

    Returns
    -------
    result : KMedoidsResult
        Medoids (indices into ``X``), labels of all points and their loss.
    """
    X = _check_features(X, metric)
    w = check_nonnegative_weights(sample_weight, X.shape[0])
    return _fastclara(X, n_clusters, metric, metric_params, n_sampling, n_sampling_iter,
                      init, max_iter, w, random_state, n_jobs, verbose)


def _check_features(X, metric):
    from sklearn.utils import check_array

    X = check_array(X, dtype=[np.float64, np.float32])
    if metric == "precomputed":
        X = check_square_matrix(X, "X")
    return X


# -------------------------------------------------------------- estimator


class KMedoids(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """Medoid-based clustering (k-medoids): FasterPAM and its family, any metric.

    The medoids are actual data points minimising the sum of (weighted)
    dissimilarities of every point to its nearest medoid. The default,
    FasterPAM (Schubert & Rousseeuw 2021), evaluates each candidate against
    all medoids at once and applies improving swaps eagerly: O(n²) per pass,
    as good as PAM in practice, orders of magnitude faster.

    Read more in the :ref:`User Guide <kmedoids>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (medoids).
    metric : str or callable, default="euclidean"
        Any scikit-learn pairwise metric name, a callable, or
        ``"precomputed"`` (``X`` is then a dense n×n dissimilarity matrix,
        float32 or float64, used without a copy when C-ordered and symmetric).
        ``"euclidean"``, ``"sqeuclidean"``, ``"manhattan"`` and
        ``"chebyshev"`` use exact kernels, so ``predict`` on the training data
        reproduces ``labels_`` to the bit.
    metric_params : dict, default=None
        Extra keyword arguments for the metric.
    method : {"fasterpam", "fastpam1", "pam", "alternate", "fastclara"}, \
            default="fasterpam"
        ``"fasterpam"``: eager swaps; ``"fastpam1"``: PAM's swaps, O(k) faster;
        ``"pam"``: classic BUILD+SWAP; ``"alternate"``: Voronoi iteration;
        ``"fastclara"``: FasterPAM on ``n_sampling_iter`` random samples, every
        point assigned, the best kept (no full distance matrix).
    init : {"build", "lab", "random", "k-medoids++"} or array-like of shape \
            (n_clusters,), default="build"
        Initial medoids: PAM's BUILD, its linear approximation LAB, a random
        choice, greedy k-medoids++, or the indices themselves.
    n_init : "auto" or int, default="auto"
        Independent restarts (joblib threads), the lowest loss kept. ``"auto"``
        is 10 for ``init="random"`` and 1 otherwise; deterministic inits
        (``"build"``, an array) always run once.
    max_iter : int, default=300
        Maximum iterations of the swap (or alternate) phase.
    n_sampling : int, default=None
        ``method="fastclara"`` only: sample size, ``None`` for ``80 + 4 k``.
    n_sampling_iter : int, default=5
        ``method="fastclara"`` only: number of samples.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomised inits, the restarts and the CLARA samples. With a
        seed, FasterPAM also visits the candidates in a shuffled order; with
        ``None`` it visits them in index order (as the reference does).
    n_jobs : int, default=None
        Threads for the distance computation and the kernels, or for the
        restarts/samples when there are several. Results do not depend on it.
    verbose : int, default=0
        Print progress (loss per iteration).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features) or None
        The medoids' feature rows; None when ``metric="precomputed"``.
    medoid_indices_ : ndarray of shape (n_clusters,)
        Row indices of the medoids in the training data.
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training point (its nearest medoid, the first on ties).
    inertia_ : float
        Sum of (weighted) dissimilarities of the points to their medoid.
    n_iter_ : int
        Iterations run by the optimisation.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (only when ``X`` has string column names).

    See Also
    --------
    fasterpam : The function layer, on a dissimilarity matrix.
    sklearn.cluster.KMeans : Centroids instead of medoids, squared Euclidean only.

    References
    ----------
    .. [1] E. Schubert, P. J. Rousseeuw. "Fast and eager k-medoids clustering:
       O(k) runtime improvement of the PAM, CLARA, and CLARANS algorithms."
       Information Systems 101 (2021).
    .. [2] L. Kaufman, P. J. Rousseeuw. "Clustering by means of medoids." (1987).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.cluster import KMedoids
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMedoids(n_clusters=2).fit(X)
    >>> km.labels_
    array([0, 0, 0, 1, 1, 1])
    >>> km.cluster_centers_
    array([[ 1.,  2.],
           [10.,  2.]])
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(_metric_options()), callable],
        "metric_params": [dict, None],
        "method": [StrOptions(set(METHODS))],
        "init": [StrOptions(set(INITS)), "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_sampling": [Interval(Integral, 1, None, closed="left"), None],
        "n_sampling_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, n_clusters=8, *, metric="euclidean", metric_params=None,
                 method="fasterpam", init="build", n_init="auto", max_iter=300,
                 n_sampling=None, n_sampling_iter=5, random_state=None, n_jobs=None,
                 verbose=0):
        self.n_clusters = n_clusters
        self.metric = metric
        self.metric_params = metric_params
        self.method = method
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.n_sampling = n_sampling
        self.n_sampling_iter = n_sampling_iter
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _n_init(self):
        if self.n_init == "auto":
            return 10 if isinstance(self.init, str) and self.init == "random" else 1
        if self.n_init > 1 and (not isinstance(self.init, str) or self.init == "build"):
            warnings.warn(
                f"n_init={self.n_init} has no effect with a deterministic init "
                f"({'an array of medoids' if not isinstance(self.init, str) else 'build'}): "
                "running once.",
                RuntimeWarning,
                stacklevel=3,
            )
            return 1
        return self.n_init

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Find the medoids.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
            Training rows, or dissimilarities when ``metric="precomputed"``.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each point in the loss.

        Returns
        -------
        self : KMedoids
            The fitted estimator.
        """
        precomputed = self.metric == "precomputed"
        X = validate_data(self, X, dtype=[np.float64, np.float32],
                          ensure_all_finite=not precomputed)
        if precomputed:
            X = check_square_matrix(X, "X", check_values=False)
        n = X.shape[0]
        _check_k(self.n_clusters, n)
        w = check_nonnegative_weights(sample_weight, n)
        if not isinstance(self.init, str):
            _check_init_medoids(self.init, self.n_clusters, n)
        if self.method == "fastclara":
            if precomputed:
                X = check_square_matrix(X, "X")
            res = _fastclara(X, self.n_clusters, self.metric, self.metric_params,
                             self.n_sampling, self.n_sampling_iter, self.init,
                             self.max_iter, w, self.random_state, self.n_jobs, self.verbose)
        else:
            if precomputed:
                DT, symmetric = _prepare(X, "X")
            else:
                D = pairwise_distances(X, metric=self.metric, n_jobs=self.n_jobs,
                                       metric_params=self.metric_params)
                DT, symmetric = _prepare(D, "the computed distance matrix")
            res = self._fit_restarts(DT, symmetric, w)
        self.medoid_indices_ = res.medoids
        self.labels_ = res.labels
        self.inertia_ = res.loss
        if precomputed and self.method != "fastclara":
            # exactly what predict(X) computes, also for a matrix that is
            # symmetric only up to rounding (the kernels read its rows)
            Dm = np.asarray(X[:, res.medoids], dtype=np.float64)
            self.labels_ = np.argmin(Dm, axis=1)
            self.inertia_ = float(np.dot(w, Dm[np.arange(n), self.labels_]))
        self.n_iter_ = res.n_iter
        self.cluster_centers_ = None if precomputed else X[res.medoids].copy()
        return self

    def _fit_restarts(self, DT, symmetric, w):
        n_init = self._n_init()
        init = self.init if isinstance(self.init, str) else np.asarray(self.init)
        if n_init == 1:
            with numba_threads(self.n_jobs) as n_threads:
                return _fit_medoids(DT, symmetric, w, self.n_clusters, self.method, init,
                                    self.max_iter, self.random_state, n_threads, self.verbose)
        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=n_init)
        # Restarts run in joblib threads (the kernels release the GIL); each runs
        # serial kernels, so the result does not depend on n_jobs.
        runs = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_medoids)(DT, symmetric, w, self.n_clusters, self.method, init,
                                  self.max_iter, int(s), 1, 0)
            for s in seeds
        )
        best = min(range(n_init), key=lambda i: (runs[i].loss, i))
        if self.verbose:
            for i, r in enumerate(runs):
                print(f"[KMedoids] restart {i + 1}/{n_init}: loss={r.loss:.10g}")
        return runs[best]

    def _distances(self, X):
        check_is_fitted(self)
        precomputed = self.metric == "precomputed"
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        if precomputed:
            if (X < 0).any():
                raise ValueError("X contains negative dissimilarities.")
            return np.ascontiguousarray(X[:, self.medoid_indices_])
        return pairwise_distances(X, self.cluster_centers_.astype(X.dtype, copy=False),
                                  metric=self.metric, n_jobs=self.n_jobs,
                                  metric_params=self.metric_params)

    def predict(self, X):
        """Index of the nearest medoid of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_train)
            Rows, or their dissimilarities to the training points when
            ``metric="precomputed"``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each row (the first nearest medoid on ties).
        """
        return np.argmin(self._distances(X), axis=1)

    def transform(self, X):
        """Dissimilarities of each row to every medoid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_train)
            Rows, or their dissimilarities to the training points when
            ``metric="precomputed"``.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
            Same dtype as ``X`` (float32 or float64).
        """
        return self._distances(X)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return ``labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
            Training rows, or dissimilarities when ``metric="precomputed"``.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each point in the loss.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each training point.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def score(self, X, y=None, sample_weight=None):
        """Negative (weighted) sum of dissimilarities to the nearest medoid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_train)
            Rows, or their dissimilarities to the training points when
            ``metric="precomputed"``.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row.

        Returns
        -------
        score : float
            Opposite of the loss of ``X`` (larger is better).
        """
        D = self._distances(X)
        w = check_nonnegative_weights(sample_weight, D.shape[0])
        return -float(np.dot(w, D.min(axis=1).astype(np.float64)))

    @property
    def _n_features_out(self):
        return self.medoid_indices_.shape[0]
