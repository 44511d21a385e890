"""Validation helpers shared by every family (kernels imported lazily).

The one symmetry rule
---------------------
A square matrix is *symmetric* when ``max |K[i, j] - K[j, i]| <=
SYMMETRY_RTOL * max |K|``: symmetric up to rounding, as the BLAS-based
``sklearn.metrics.pairwise_distances(X)``, ``rbf_kernel(X)``,
``np.exp(-pairwise_distances(X, squared=True) / h)`` or ``1 - V @ V.T`` give.
Its *diagonal is zero* when ``max |K[i, i]| <= SYMMETRY_RTOL * max |K|``.
Every family decides both with :func:`scan_matrix` (dense) or
:func:`is_symmetric` (dense or sparse), and a matrix found symmetric is used
as symmetric (solvers read one triangle, or use ``(K + K.T) / 2``); nowhere is
exact equality required.
"""

import numbers
import os
from typing import NamedTuple

import numpy as np
from scipy import sparse

__all__ = [
    "SYMMETRY_RTOL",
    "MatrixScan",
    "available_memory",
    "check_memory",
    "check_square_matrix",
    "check_nonnegative_weights",
    "is_symmetric",
    "scan_matrix",
]

SYMMETRY_RTOL = 1e-10


class MatrixScan(NamedTuple):
    """What one pass over a dense matrix found (see :func:`scan_matrix`)."""

    finite: bool
    min: float
    max_abs: float
    asymmetry: float
    min_diagonal: float
    max_diagonal: float
    n_zero_offdiag: int

    @property
    def symmetric(self):
        """Square and symmetric up to rounding (the one symmetry rule)."""
        return bool(self.finite and self.asymmetry <= SYMMETRY_RTOL * self.max_abs)

    @property
    def exactly_symmetric(self):
        return bool(self.finite and self.asymmetry == 0)

    @property
    def zero_diagonal(self):
        """Every diagonal entry is zero up to rounding (same tolerance)."""
        big = max(abs(self.min_diagonal), abs(self.max_diagonal))
        return bool(self.finite and big <= SYMMETRY_RTOL * self.max_abs)

    @property
    def largest_diagonal(self):
        """The diagonal entry of largest magnitude (for error messages)."""
        d0, d1 = self.min_diagonal, self.max_diagonal
        return d1 if abs(d1) >= abs(d0) else d0


def scan_matrix(K):
    """Scan a dense 2-D float32/float64 matrix in one pass (any layout, no copy).

    Returns a :class:`MatrixScan`: finiteness, minimum, largest magnitude,
    largest asymmetry, diagonal range, number of zero off-diagonal entries,
    and the symmetry and zero-diagonal decisions of the one rule.
    """
    from ._matrix_kernels import scan_matrix_kernel

    return MatrixScan(*scan_matrix_kernel(K))


def is_symmetric(K):
    """The one symmetry rule for a dense or sparse 2-D matrix (no copy when dense)."""
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        return False
    if sparse.issparse(K):
        if K.nnz == 0:
            return True
        diff = abs(K - K.T)
        gap = diff.max() if diff.nnz else 0.0
        return bool(np.isfinite(gap) and gap <= SYMMETRY_RTOL * abs(K).max())
    return scan_matrix(K).symmetric


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


def check_square_matrix(
    D, name="X", *, nonnegative=True, check_values=True, dtypes=(np.float64, np.float32)
):
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


def check_nonnegative_weights(
    sample_weight, n_samples, dtype=np.float64, name="sample_weight", allow_all_zero=False
):
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
        raise ValueError(f"{name} must have shape ({n_samples},), got {np.shape(sample_weight)}.")
    if not np.isfinite(w).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative, got min {w.min()!r}.")
    if not allow_all_zero and n_samples and not w.any():
        raise ValueError(f"{name} is all zero: at least one weight must be positive.")
    return w
