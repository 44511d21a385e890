"""Validation helpers shared by every family (no numba, no kernels)."""

import numbers
import os

import numpy as np
from scipy import sparse

__all__ = [
    "available_memory",
    "check_memory",
    "check_square_matrix",
    "check_nonnegative_weights",
]


def available_memory():
    """Bytes of memory available to this process (best effort)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - non-Linux
        pass
    try:  # pragma: no cover - non-Linux
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def check_memory(nbytes, what, hint="", limit=None):
    """Refuse an allocation of ``nbytes`` that would not fit in memory.

    Parameters
    ----------
    nbytes : int
        Size of the planned allocation in bytes.
    what : str
        What would be allocated, e.g. ``"a 200000 x 200000 float64 distance matrix"``.
    hint : str, default=""
        How to avoid it (appended to the message).
    limit : int or None, default=None
        Upper bound in bytes; defaults to 90% of the available memory.

    Raises
    ------
    MemoryError
        With the requested and the available size in the message.
    """
    if limit is None:
        avail = available_memory()
        if avail is None:  # pragma: no cover
            return
        limit = int(0.9 * avail)
    if nbytes > limit:
        msg = (
            f"Refusing to allocate {what}: it needs {_fmt_bytes(nbytes)} but only "
            f"{_fmt_bytes(limit)} is available."
        )
        if hint:
            msg += " " + hint
        raise MemoryError(msg)


def check_square_matrix(D, name="X", *, nonnegative=True, check_values=True,
                        dtypes=(np.float64, np.float32)):
    """Validate a dense square dissimilarity matrix without copying it.

    float32 and float64 arrays are returned as they are (no copy, read-only
    allowed); other numeric dtypes are converted to float64.

    With ``check_values=False`` only the type and shape are checked (the
    caller scans the values itself, e.g. in one pass with a kernel).

    Raises
    ------
    TypeError
        If ``D`` is sparse.
    ValueError
        If ``D`` is not 2-D and square, is empty, holds NaN or inf, or holds
        negative values while ``nonnegative`` is set.
    """
    if sparse.issparse(D):
        raise TypeError(
            f"{name} must be a dense square dissimilarity matrix, got a sparse matrix; "
            f"convert it with {name}.toarray()."
        )
    D = np.asarray(D)
    if D.dtype not in dtypes:
        if not (np.issubdtype(D.dtype, np.number) or D.dtype == bool):
            raise ValueError(f"{name} must hold numbers, got dtype {D.dtype}.")
        D = D.astype(np.float64)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(
            f"{name} must be a square (n_samples, n_samples) dissimilarity matrix, "
            f"got shape {D.shape}."
        )
    if D.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one sample.")
    if not check_values:
        return D
    if not np.isfinite(D).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if nonnegative and (D < 0).any():
        raise ValueError(f"{name} contains negative dissimilarities (min {D.min()!r}).")
    return D


def check_nonnegative_weights(sample_weight, n_samples, dtype=np.float64, name="sample_weight",
                              allow_all_zero=False):
    """Return ``sample_weight`` as a float array of length ``n_samples``.

    ``None`` gives ones. Negative, non-finite or wrongly sized weights, and
    (unless ``allow_all_zero``) weights that are all zero, raise
    ``ValueError`` naming the parameter.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if isinstance(sample_weight, numbers.Number):
        w = np.full(n_samples, sample_weight, dtype=dtype)
    else:
        w = np.asarray(sample_weight, dtype=dtype)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have shape ({n_samples},), got {np.shape(sample_weight)}."
        )
    if not np.isfinite(w).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative, got min {w.min()!r}.")
    if not allow_all_zero and n_samples and not w.any():
        raise ValueError(f"{name} is all zero: at least one weight must be positive.")
    return w
