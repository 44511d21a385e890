"""One place for numba settings and the thread-count context.

Every kernel module uses :func:`jit` (never ``numba.njit`` directly), so the
settings below apply everywhere: compiled on first call (lazy, no eager
signatures: they would reject the read-only arrays scikit-learn's checks pass),
cached on disk, ``nogil`` so joblib threads run kernels concurrently, and no
``fastmath`` (results must match the references bit for bit where the
algorithm allows it).

Parallel kernels (``parallel=True``, ``prange``) run under
:func:`numba_threads`, which sets numba's thread count from ``n_jobs`` and
restores it afterwards. Kernels called from joblib workers must be serial
variants: numba's default threading layer does not allow nested parallelism.
"""

from contextlib import contextmanager

import numba

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}


def jit(func=None, *, parallel=False, **options):
    """``numba.njit`` with skot's settings; usable with or without arguments."""
    opts = {**JIT_OPTIONS, "parallel": parallel, **options}
    if func is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(func)


def effective_n_threads(n_jobs):
    """Number of numba threads for ``n_jobs`` (joblib semantics, capped by numba)."""
    from joblib import effective_n_jobs

    n = effective_n_jobs(n_jobs)
    return max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))


@contextmanager
def numba_threads(n_jobs):
    """Run the enclosed kernels on ``effective_n_threads(n_jobs)`` threads.

    Yields the thread count; the previous count is restored on exit, even when
    the body raises.
    """
    n = effective_n_threads(n_jobs)
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)
