"""Medoid-silhouette clustering: FastMSC, FasterMSC and DynMSC (Lenssen & Schubert).

The medoid silhouette of a point is ``1 - d1 / d2`` (``d1``, ``d2``: the
distances to its nearest and second-nearest medoid; 1 when either is zero);
the average medoid silhouette (AMS) is their (weighted) mean. These methods
maximise it directly by minimising ``loss = sum_o w[o] * d1(o) / d2(o)``, so
``AMS = 1 - loss / sum(w)``. Kernels: ``_msc_kernels.py``. The function layer
(:func:`fastmsc`, :func:`fastermsc`, :func:`dynmsc`) and ``KMedoids(method=
"fastmsc" | "fastermsc" | "dynmsc")`` share :func:`msc_solve`.
"""

from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import numba_threads
from ._kmedoids_solvers import (
    INITS,
    _init_medoids,
    _single_medoid,
    check_count,
    check_k,
    check_n_jobs,
    check_weights,
    prepare_matrix,
    result,
    split_medoids,
    warn_at_caller,
)

MSC_METHODS = ("fastmsc", "fastermsc", "dynmsc")


def _mk():
    from . import _msc_kernels

    return _msc_kernels


class DynMSCResult(NamedTuple):
    """Result of :func:`dynmsc`.

    Attributes
    ----------
    medoids : ndarray of shape (n_clusters,)
        Medoids of the best number of clusters.
    labels : ndarray of shape (n_samples,)
        Index into ``medoids`` of each point's nearest medoid.
    loss : float
        Medoid-silhouette loss ``sum w * d1 / d2`` of the best clustering.
    n_iter : int
        FasterMSC passes over all the numbers of clusters tried.
    n_swaps : int
        Swaps over all the numbers of clusters tried.
    converged : bool
        False when ``max_iter`` stopped some optimisation early.
    n_clusters : int
        The number of clusters with the best average medoid silhouette.
    ks : ndarray of shape (n_tried,)
        The numbers of clusters tried, increasing.
    scores : ndarray of shape (n_tried,)
        Average medoid silhouette reached for each of ``ks``.
    """

    medoids: np.ndarray
    labels: np.ndarray
    loss: float
    n_iter: int
    n_swaps: int
    converged: bool
    n_clusters: int
    ks: np.ndarray
    scores: np.ndarray


# ------------------------------------------------------------------ drivers


class _State3:
    """Nearest three medoids of every point (k >= 3)."""

    def __init__(self, DT, w, med):
        K = _mk()
        n, k = DT.shape[0], med.shape[0]
        self.ni = np.empty(n, dtype=np.int64)
        self.si = np.empty(n, dtype=np.int64)
        self.ti = np.empty(n, dtype=np.int64)
        self.nd = np.empty(n, dtype=DT.dtype)
        self.sd = np.empty(n, dtype=DT.dtype)
        self.td = np.empty(n, dtype=DT.dtype)
        self.removal = np.empty(k, dtype=np.float64)
        self.gains = np.empty(k, dtype=np.float64)
        self.loss = K.assign3(DT, med, w, self.ni, self.nd, self.si, self.sd, self.ti, self.td)
        K.removal_gains(w, self.ni, self.nd, self.si, self.sd, self.td, self.removal)


def _eager3(DT, w, med, S, max_iter, order, verbose, name):
    K = _mk()
    lastswap, n_swaps, it, converged = -1, 0, 0, False
    loss = S.loss
    while it < max_iter:
        it += 1
        lastloss = loss
        swaps, lastswap, loss = K.fastermsc_pass(
            DT, w, med, S.ni, S.nd, S.si, S.sd, S.ti, S.td, S.removal, S.gains,
            order, lastswap, loss,
        )  # fmt: skip
        n_swaps += swaps
        _log(verbose, name, it, loss, swaps)
        if swaps == 0 or loss >= lastloss:
            converged = True
            break
    S.loss = loss
    return it, n_swaps, converged


def _eager2(DT, w, med, max_iter, order, verbose, name):
    K = _mk()
    n = DT.shape[0]
    d0 = np.empty(n, dtype=DT.dtype)
    d1 = np.empty(n, dtype=DT.dtype)
    assi = np.empty(n, dtype=np.int64)
    loss = K.assign2(DT, med, w, d0, d1, assi)
    lastswap, n_swaps, it, converged = -1, 0, 0, False
    while it < max_iter:
        it += 1
        lastloss = loss
        swaps, lastswap, loss = K.fastermsc2_pass(DT, w, med, d0, d1, assi, order, lastswap, loss)
        n_swaps += swaps
        _log(verbose, name, it, loss, swaps)
        if swaps == 0 or loss >= lastloss:
            converged = True
            break
    return it, n_swaps, converged, loss


def _best_swap_loop(DT, w, med, max_iter, verbose):
    """FastMSC: the single best swap per iteration."""
    K = _mk()
    n, k = DT.shape[0], med.shape[0]
    n_swaps, it, converged = 0, 0, False
    if k == 2:
        d0 = np.empty(n, dtype=DT.dtype)
        d1 = np.empty(n, dtype=DT.dtype)
        assi = np.empty(n, dtype=np.int64)
        loss = K.assign2(DT, med, w, d0, d1, assi)
        while it < max_iter:
            it += 1
            best, b, j = K.fastmsc2_best(DT, w, med, d0, d1, assi)
            if j < 0 or not best < loss:
                converged = True
                break
            n_swaps += 1
            newloss = K.do_swap2(DT, med, w, d0, d1, assi, b, j)
            _log(verbose, "fastmsc", it, newloss, 1)
            if not newloss < loss:
                converged = True
                break
            loss = newloss
        return it, n_swaps, converged
    S = _State3(DT, w, med)
    loss = S.loss
    while it < max_iter:
        it += 1
        K.removal_gains(w, S.ni, S.nd, S.si, S.sd, S.td, S.removal)
        best, b, j = K.fastmsc_best(DT, w, med, S.ni, S.nd, S.si, S.sd, S.td, S.removal, S.gains)
        if not best > 0.0:
            converged = True
            break
        n_swaps += 1
        newloss = K.do_swap3(DT, med, w, S.ni, S.nd, S.si, S.sd, S.ti, S.td, b, j)
        _log(verbose, "fastmsc", it, newloss, 1)
        if newloss >= loss:
            converged = True
            break
        loss = newloss
    return it, n_swaps, converged


def _log(verbose, method, it, loss, swaps):
    if verbose > 0:
        print(f"[{method}] iteration {it}: loss={loss:.10g}, swaps={swaps}")


def msc_loss(P, w, med):
    """``sum w * l(d1, d2)`` of medoids ``med`` (the first nearest on ties), in index order."""
    K = _mk()
    DT = P.DT
    n = DT.shape[0]
    if med.shape[0] == 2:
        d0 = np.empty(n, dtype=DT.dtype)
        d1 = np.empty(n, dtype=DT.dtype)
        return float(K.assign2(DT, med, w, d0, d1, np.empty(n, dtype=np.int64)))
    return float(_State3(DT, w, med).loss)


def _finish(P, w, med, n_iter, n_swaps, converged, method, max_iter):
    if not converged and max_iter > 0:
        warn_at_caller(
            f"{method} stopped at max_iter={max_iter} before converging; increase max_iter.",
            ConvergenceWarning,
        )
    res = result(P, w, med, n_iter, n_swaps, converged)
    return res._replace(loss=msc_loss(P, w, med))


def _dynmsc(P, w, med, min_clusters, max_iter, order, verbose):
    DT = P.DT
    total = float(w.sum())
    it_all = swaps_all = 0
    all_converged = True
    best_score, best_med = -np.inf, None
    ks, scores = [], []
    k = med.shape[0]
    while k >= max(3, min_clusters):
        S = _State3(DT, w, med)
        it, sw, conv = _eager3(DT, w, med, S, max_iter, order, verbose, f"dynmsc k={k}")
        it_all, swaps_all, all_converged = it_all + it, swaps_all + sw, all_converged and conv
        score = 1.0 - S.loss / total
        ks.append(k)
        scores.append(score)
        if score > best_score:
            best_score, best_med = score, med.copy()
        if k == min_clusters:
            break
        # drop the medoid with the smallest removal gain (the reference's rule)
        _mk().removal_gains(w, S.ni, S.nd, S.si, S.sd, S.td, S.removal)
        r = int(np.argmin(S.removal))
        med[r] = med[k - 1]
        med = med[: k - 1].copy()
        k -= 1
    if k == 2 and min_clusters <= 2:
        it, sw, conv, loss = _eager2(DT, w, med, max_iter, order, verbose, "dynmsc k=2")
        it_all, swaps_all, all_converged = it_all + it, swaps_all + sw, all_converged and conv
        score = 1.0 - loss / total
        ks.append(2)
        scores.append(score)
        if score > best_score:
            best_score, best_med = score, med.copy()
    res = _finish(P, w, best_med, it_all, swaps_all, all_converged, "dynmsc", max_iter)
    order_k = np.argsort(ks)
    return DynMSCResult(
        *res,
        n_clusters=int(best_med.shape[0]),
        ks=np.asarray(ks, dtype=np.int64)[order_k],
        scores=np.asarray(scores, dtype=np.float64)[order_k],
    )


def msc_solve(P, w, n_clusters, method, init, max_iter, random_state, n_jobs, verbose,
              min_clusters=2):  # fmt: skip
    """The one core of the silhouette methods, on a prepared matrix."""
    DT = P.DT
    n = DT.shape[0]
    check_k(n_clusters, n)
    if method == "dynmsc" and min_clusters > n_clusters:
        raise ValueError(
            f"min_clusters={min_clusters} must be at most n_clusters={n_clusters} "
            "(the largest number of clusters tried)."
        )
    rng = check_random_state(random_state)
    with numba_threads(n_jobs) as n_threads:
        med = _init_medoids(DT, w, n_clusters, init, rng, n_threads, P.symmetric).copy()
    if random_state is None:
        order = np.arange(n, dtype=np.int64)
    else:
        order = rng.permutation(n).astype(np.int64)
    if method == "dynmsc":
        return _dynmsc(P, w, med, min_clusters, max_iter, order, verbose)
    if n_clusters == 1:
        # no second medoid: the exact 1-medoid (as the reference does), silhouette 0
        med, it, sw, conv = _single_medoid(DT, w, med)
        return result(P, w, med, it, sw, conv)._replace(loss=float(w.sum()))
    if method == "fastmsc":
        it, sw, conv = _best_swap_loop(DT, w, med, max_iter, verbose)
    elif n_clusters == 2:
        it, sw, conv, _ = _eager2(DT, w, med, max_iter, order, verbose, method)
    else:
        S = _State3(DT, w, med)
        it, sw, conv = _eager3(DT, w, med, S, max_iter, order, verbose, method)
    return _finish(P, w, med, it, sw, conv, method, max_iter)


# ------------------------------------------------------------ function API

_PARAMS = {
    "D": ["array-like"],
    "medoids": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "init": [StrOptions(set(INITS))],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "sample_weight": ["array-like", None],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


def _function(method, D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose,
              min_clusters=2):  # fmt: skip
    check_n_jobs(n_jobs)
    n_clusters, init_ = split_medoids(medoids, init)
    P = prepare_matrix(D, "D")
    w = check_weights(sample_weight, P.DT.shape[0])
    return msc_solve(
        P, w, n_clusters, method, init_, max_iter, random_state, n_jobs, verbose, min_clusters
    )


_DOC = """{summary}

    Read more in the :ref:`User Guide <kmedoids_silhouette>`.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_samples)
        Dissimilarities, as for :func:`fasterpam` (float32 or float64,
        non-negative, zero diagonal, symmetric up to rounding).
    medoids : int or array-like of shape (n_clusters,)
        {medoids_doc}
{extra}    init : {{"build", "lab", "random", "k-medoids++"}}, default="build"
        Initialisation when ``medoids`` is an int.
    max_iter : int, default=300
        Maximum number of iterations{iter_note}.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each point in the average medoid silhouette.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomised initialisations{order_note}.
    n_jobs : int, default=None
        Threads for the initialisation. Results do not depend on it.
    verbose : int, default=0
        Print the loss after each iteration.

    Returns
    -------
    result : {rtype}
        {returns_doc}
    """

_RESULT_DOC = (
    "Medoids, labels, ``loss`` (the medoid-silhouette loss ``sum w * d1 / d2``: "
    "the average medoid silhouette is ``1 - loss / sum(w)``), ``n_iter``, "
    "``n_swaps`` and ``converged``."
)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def fastermsc(
    D,
    medoids,
    *,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    return _function(
        "fastermsc", D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose
    )


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def fastmsc(
    D,
    medoids,
    *,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    return _function(
        "fastmsc", D, medoids, init, max_iter, sample_weight, random_state, n_jobs, verbose
    )


@validate_params(
    {**_PARAMS, "min_clusters": [Interval(Integral, 2, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def dynmsc(
    D,
    medoids,
    *,
    min_clusters=2,
    init="build",
    max_iter=300,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    check_count(min_clusters, "min_clusters")
    return _function(
        "dynmsc",
        D,
        medoids,
        init,
        max_iter,
        sample_weight,
        random_state,
        n_jobs,
        verbose,
        min_clusters,
    )


_K_DOC = """Number of clusters or initial medoid indices. With one cluster
        there is no second medoid: the exact 1-medoid is returned and its
        medoid silhouette is taken as 0 (``loss = sum(w)``)."""
_ORDER = " and, when not None, shuffles the order in which candidates are visited"
fastermsc.__doc__ = _DOC.format(
    summary="""FasterMSC: maximise the average medoid silhouette with eager swaps.

    Each candidate is evaluated against all medoids at once in O(n + k),
    caching the three nearest medoids of every point, and the first
    improving swap is applied at once (Lenssen & Schubert 2022, 2024).""",
    medoids_doc=_K_DOC,
    extra="",
    iter_note=" (passes over the candidates)",
    order_note=_ORDER,
    rtype="KMedoidsResult",
    returns_doc=_RESULT_DOC,
)
fastmsc.__doc__ = _DOC.format(
    summary="""FastMSC: maximise the average medoid silhouette, best swap per iteration.

    The swaps of PAMMEDSIL, found O(k^2) faster by caching the three nearest
    medoids of every point (Lenssen & Schubert 2022).""",
    medoids_doc=_K_DOC,
    extra="",
    iter_note=" (one swap each)",
    order_note="",
    rtype="KMedoidsResult",
    returns_doc=_RESULT_DOC,
)
dynmsc.__doc__ = _DOC.format(
    summary="""DynMSC: medoid-silhouette clustering that also chooses the number of clusters.

    FasterMSC runs at the largest number of clusters; then the medoid whose
    removal gains least is dropped and FasterMSC re-optimises, down to
    ``min_clusters``. The number of clusters with the best average medoid
    silhouette is kept (Lenssen & Schubert 2024).""",
    medoids_doc="Largest number of clusters, or its initial medoid indices.",
    extra="""    min_clusters : int, default=2
        Smallest number of clusters tried.
""",
    iter_note=" (passes over the candidates, per number of clusters)",
    order_note=_ORDER,
    rtype="DynMSCResult",
    returns_doc="The best clustering with ``n_clusters``, and the average medoid "
    "silhouette ``scores`` of every number of clusters ``ks`` tried.",
)
