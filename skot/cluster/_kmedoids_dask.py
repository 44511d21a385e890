"""KMedoids on Dask arrays: FastCLARA whose full passes run on the chunks where they live.

``KMedoids(method="fastclara").fit(X)`` with a ``dask.array`` ``X`` (chunked
by rows) draws the same samples as the in-memory path from the same
``random_state``, gathers only the sampled rows (``n_sampling_iter`` samples
of ``n_sampling`` rows), runs FasterPAM on each sample through joblib (so
``joblib.parallel_backend("dask")`` sends them to the cluster), then scores
every sample's medoids on all rows in one block-wise pass and assigns the
rows to the best medoids in a second one: each task reads one chunk of ``X``
and returns a few numbers (and its labels). ``predict`` and ``transform``
return lazy Dask arrays computed chunk by chunk. Dask is imported only here,
only for Dask input.
"""

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning

from ._kmedoids_solvers import (
    KMedoidsResult,
    assign_rows,
    check_k,
    check_loss,
    clara_fit,
    clara_samples,
    warn_at_caller,
)


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (without importing dask)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def as_row_chunked(X, name="X"):
    """A 2-D float Dask array chunked by rows only (one chunk across the features)."""
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got a dask array of shape {X.shape}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _block_offsets(X):
    ends = np.cumsum((0,) + X.chunks[0])
    return list(zip(ends[:-1], ends[1:]))


def _check_finite(block, lo):
    if not np.isfinite(block).all():
        raise ValueError(f"X contains NaN or infinity (in the chunk starting at row {lo}).")


def _block_losses(block, lo, w, all_centers, metric, metric_params):
    block = np.asarray(block)
    _check_finite(block, lo)
    return np.array(
        [assign_rows(block, C, metric, metric_params, w, False, None)[1] for C in all_centers]
    )


def _block_assign(block, w, centers, metric, metric_params):
    return assign_rows(np.asarray(block), centers, metric, metric_params, w, False, None)


def dask_fastclara(
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
    """FastCLARA on a row-chunked Dask array; returns a result and the medoid rows."""
    import dask

    n = X.shape[0]
    check_k(n_clusters, n)
    samples, seeds = clara_samples(
        n, n_clusters, n_sampling, n_sampling_iter, init, w, random_state
    )
    rows_idx = np.unique(np.concatenate(samples))
    rows = np.asarray(X[rows_idx].compute())  # the sampled rows only
    if not np.isfinite(rows).all():
        raise ValueError("X contains NaN or infinity.")
    fits = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(clara_fit)(
            rows[np.searchsorted(rows_idx, idx)],
            idx,
            n_clusters,
            metric,
            metric_params,
            w,
            init,
            max_iter,
            int(s),
            False,
        )
        for idx, s in zip(samples, seeds)
    )
    all_centers = [rows[np.searchsorted(rows_idx, f[0])] for f in fits]
    blocks = X.to_delayed().ravel()
    offsets = _block_offsets(X)
    part = dask.compute(
        *[
            dask.delayed(_block_losses)(b, lo, w[lo:hi], all_centers, metric, metric_params)
            for b, (lo, hi) in zip(blocks, offsets)
        ]
    )
    losses = np.zeros(len(fits))
    for p in part:  # block order: the same sums whatever the scheduler
        losses += p
    best = min(range(len(fits)), key=lambda i: (losses[i], i))
    if verbose > 0:
        for i, loss in enumerate(losses):
            print(f"[fastclara, dask] sample {i + 1}/{len(fits)}: loss={loss:.10g}")
    med, n_iter, n_swaps, converged = fits[best]
    centers = all_centers[best]
    out = dask.compute(
        *[
            dask.delayed(_block_assign)(b, w[lo:hi], centers, metric, metric_params)
            for b, (lo, hi) in zip(blocks, offsets)
        ]
    )
    labels = np.concatenate([o[0] for o in out]).astype(np.int64)
    loss = 0.0
    for o in out:
        loss += o[1]
    check_loss(loss)
    if not converged and max_iter > 0:
        warn_at_caller(
            f"fastclara: FasterPAM stopped at max_iter={max_iter} on the best sample "
            "before converging; increase max_iter.",
            ConvergenceWarning,
        )
    res = KMedoidsResult(
        np.asarray(med, dtype=np.int64),
        labels,
        float(loss),
        int(n_iter),
        int(n_swaps),
        bool(converged),
    )
    return res, centers.copy()


def dask_distances(X, fn, n_out, dtype):
    """``fn`` applied chunk by chunk: a lazy (n, n_out) Dask array."""
    return X.map_blocks(fn, dtype=dtype, chunks=(X.chunks[0], (n_out,)))


def dask_labels(X, fn):
    """Nearest medoid of every row, chunk by chunk: a lazy (n,) Dask array."""
    return X.map_blocks(
        lambda b: np.argmin(fn(b), axis=1), dtype=np.int64, drop_axis=1, chunks=(X.chunks[0],)
    )
