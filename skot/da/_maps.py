"""The maps of the coupling transporters: barycentric, nearest-row and entropic.

The entropic (Pooladian & Niles-Weed) map runs on skot.ot's block-wise BLAS
engine (:class:`skot.ot._online.BlockEngine`, the engine of
:func:`skot.ot.sinkhorn_online`); the nearest-row displacement (Ferradans et
al.) on the numba kernel of :mod:`skot.da._nearest_kernels`.
"""

import numpy as np

from ..utils._numba import numba_threads, select


def entropic_map(
    X,
    Y,
    g,
    reg,
    *,
    batch_size=1024,
    metric="sqeuclidean",
    divisor=None,
    log_norm=None,
    cost=None,
    n_threads=1,
):
    """Entropic (Pooladian & Niles-Weed) map of the rows of ``X``.

    ``T(x) = sum_j w_j(x) Y_j / sum_j w_j(x)`` with
    ``w_j(x) = exp((g_j - c(x, Y_j)) / reg - max_k (...))``: a softmax over the
    rows of ``Y``, max-subtracted (a running maximum over column chunks) so
    that no exponential overflows whatever ``reg``. It runs on the
    block-wise engine of :func:`skot.ot.sinkhorn_online`: rows of ``X`` go by
    blocks of at most ``min(batch_size, 256)`` rows and columns by chunks, so
    that one buffer stays in cache; per block, the cost (for the squared
    Euclidean and Euclidean metrics by one matrix product on rows centred on
    a common point, which limits cancellation; otherwise by
    ``cost(block, Y_chunk)``, which must return the normalised cost), one
    vectorised exponential, then one matrix product with ``Y``. For the
    squared Euclidean cost without a log normalisation, ``|x|^2`` is constant
    along a row and cancels in the softmax, so the logits are one matrix
    product. Memory: one block buffer per thread; work ``O(n m d)``. Blocks
    are independent, so ``n_threads`` (threads over blocks, each with a
    single BLAS thread) does not change the result.

    ``divisor`` divides the cost, ``log_norm`` (``"log"``/``"loglog"``)
    applies ``log(1 + C)`` once or twice before the division (the
    normalisations of the fit); both apply to the two BLAS metrics only.
    """
    from ..ot._online import BlockEngine

    Y = np.ascontiguousarray(Y, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    if metric in ("sqeuclidean", "euclidean"):
        engine = BlockEngine.points(X, Y, metric=metric, log_norm=log_norm, n_threads=n_threads)
        sinv = 1.0 if divisor is None else 1.0 / float(divisor)
    else:
        X = np.ascontiguousarray(X, dtype=np.float64)
        engine = BlockEngine.callback(X, Y, cost, n_threads=n_threads)
        sinv = 1.0
    return engine.soft_map(g, reg, Y, sinv=sinv, block_rows=batch_size)


def nearest_map(X, fit_rows, fit_mapped, *, batch_size, n_threads_of):
    """Ferradans map: each row moves with the displacement of its nearest fitted row.

    ``n_threads_of(work)`` gives the threads of a batch of ``work``
    operations; rows go by batches of ``batch_size``.
    """
    from . import _nearest_kernels as K

    X = np.ascontiguousarray(X)
    out = np.empty((X.shape[0], X.shape[1]), dtype=np.float64)
    fit_rows = np.ascontiguousarray(fit_rows)
    for start in range(0, X.shape[0], batch_size):
        xb = X[start : start + batch_size]
        idx = np.empty(xb.shape[0], dtype=np.int64)
        xb_c = np.ascontiguousarray(xb, dtype=fit_rows.dtype)
        work = xb.shape[0] * fit_rows.shape[0] * X.shape[1]
        n_threads = n_threads_of(work)
        with numba_threads(n_threads):
            select(K.nearest_rows, work, n_threads, "rows")(xb_c, fit_rows, idx)
        out[start : start + batch_size] = (
            fit_mapped[idx] + xb.astype(np.float64) - fit_rows[idx].astype(np.float64)
        )
    return out


def same_rows(A, B):
    return A.shape == B.shape and np.array_equal(A, B)


def barycentric(P, mass, Y, X_self):
    """Rows of ``P @ Y`` divided by their mass; rows without mass stay put."""
    out = P @ Y
    pos = mass > 0
    out[pos] /= mass[pos, None]
    out[~pos] = X_self[~pos]
    return out


def propagate(P, y):
    """Soft labels of the columns of ``P`` from the labels ``y`` of its rows."""
    classes, idx = np.unique(y, return_inverse=True)
    onehot = np.zeros((y.shape[0], classes.shape[0]))
    onehot[np.arange(y.shape[0]), idx] = 1.0
    mass = P.sum(axis=0)
    out = P.T @ onehot
    pos = mass > 0
    out[pos] /= mass[pos, None]
    out[~pos] = 0.0
    return out
