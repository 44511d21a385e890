"""Doubly stochastic (Sinkhorn) normalisation of a kernel matrix.

:func:`sinkhorn_normalize` is the function layer: it validates a dense or
sparse non-negative matrix ``K`` (or its logarithm ``log_K``, also a batch),
picks the iteration and returns a :class:`SinkhornNormalizeResult`. The
iterations are those of skot.ot's entropic core, reached through its one
internal entry point :class:`skot.ot._symmetric.MatrixScaling`; the support
and existence checks live in :mod:`skot.similarity._support`.
"""

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..ot._symmetric import MatrixScaling
from ..utils._numba import numba_threads
from ..utils._validation import SYMMETRY_RTOL, check_memory, scan_matrix
from ._support import check_total_support, marginals, needs_existence_check, warn_no_support

__all__ = ["SinkhornNormalizeResult", "sinkhorn_normalize"]

METHODS = ("auto", "fixed_point", "newton", "alternating")


class SinkhornNormalizeResult(NamedTuple):
    """Result of :func:`sinkhorn_normalize`, whatever the input and method.

    Attributes
    ----------
    matrix : ndarray or sparse matrix
        The scaled matrix ``P = diag(row_scaling) K diag(col_scaling)``, of
        the input's shape and dtype (CSR for sparse input). Rows and columns
        outside the support are zero.
    row_scaling : ndarray of shape (n_rows,) or (n_batch, n_rows)
        Row factors ``u`` (float64; 0 outside the support). For ``log_K``
        input they are ``exp`` of the log potentials and may under- or
        overflow for extreme logits; ``matrix`` never does.
    col_scaling : ndarray of shape (n_cols,) or (n_batch, n_cols)
        Column factors ``v``; equal to ``row_scaling`` for the symmetric
        scaling ``P = D K D``.
    n_iter : int
        Iterations run (the largest over a batch).
    n_matvec : int
        Matrix-vector products with ``K`` or ``K.T`` (for ``log_K``: passes
        of log-sum-exp over the matrix), over the whole batch.
    error : float
        Largest relative deviation ``|sum - target| / target`` of a row or
        column sum of ``P`` from its target, computed in float64 at the last
        check (largest over a batch).
    converged : bool
        Whether ``error <= tol`` (always True when ``tol=None``).
    symmetric : bool
        Whether the symmetric scaling ``P = D K D`` was used.
    row_support : ndarray of bool of shape (n_rows,) or (n_batch, n_rows)
        Rows that take part in the scaling; the others (zero rows of ``K``,
        or rows whose target sum is 0) are left out and stay zero.
    col_support : ndarray of bool of shape (n_cols,) or (n_batch, n_cols)
        Columns that take part in the scaling.
    """

    matrix: object
    row_scaling: np.ndarray
    col_scaling: np.ndarray
    n_iter: int
    n_matvec: int
    error: float
    converged: bool
    symmetric: bool
    row_support: np.ndarray
    col_support: np.ndarray


# ------------------------------------------------------------ validation


def _as_float(A):
    if A.dtype in (np.float32, np.float64):
        return A
    if not (np.issubdtype(A.dtype, np.number) or A.dtype == bool):
        raise ValueError(f"K must hold numbers, got dtype {A.dtype}.")
    if np.issubdtype(A.dtype, np.complexfloating):
        raise ValueError("K must be real, got a complex matrix.")
    return A.astype(np.float64)


class _Dense(NamedTuple):
    """A validated dense kernel and what its one scan found."""

    K: np.ndarray
    symmetric: bool
    exactly_symmetric: bool
    asymmetry: float
    max_abs: float
    min_diagonal: float
    n_zero_offdiag: int


def _check_dense(K, name):
    """Validate a dense kernel in one scan (any layout, no copy)."""
    K = np.asarray(K)
    K = _as_float(K)
    if K.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got an array of shape {K.shape}.")
    if K.shape[0] == 0 or K.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {K.shape}).")
    scan = scan_matrix(K)
    if not scan.finite:
        raise ValueError(f"{name} contains NaN or infinity.")
    if scan.min < 0:
        raise ValueError(f"{name} must be non-negative, got a minimum entry of {scan.min!r}.")
    return _Dense(
        K,
        scan.symmetric,
        scan.exactly_symmetric,
        float(scan.asymmetry),
        float(scan.max_abs),
        float(scan.min_diagonal),
        int(scan.n_zero_offdiag),
    )


def _prepare_dense(dense, sym, name):
    """The matrix the solvers read: C-ordered, and exactly symmetric for the
    symmetric scaling -- a matrix symmetric only up to rounding is replaced by
    ``(K + K.T) / 2`` (one copy, in its dtype). At most one copy in all."""
    K = dense.K
    if sym and not dense.exactly_symmetric:
        check_memory(K.nbytes, f"a symmetrised copy of the {K.shape} matrix {name}")
        S = np.empty(K.shape, dtype=K.dtype)
        np.add(K, K.T, out=S)
        S *= 0.5
        return S
    if not K.flags.c_contiguous:
        check_memory(K.nbytes, f"a C-ordered copy of the {K.shape} matrix {name}")
        return np.ascontiguousarray(K)
    return K


def _check_sparse(K, name):
    K = sparse.csr_array(K) if isinstance(K, sparse.sparray) else sparse.csr_matrix(K)
    if K.ndim != 2 or K.shape[0] == 0 or K.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {K.shape}).")
    K = K.copy() if K.dtype in (np.float32, np.float64) else K.astype(np.float64)
    if np.issubdtype(K.dtype, np.complexfloating):  # pragma: no cover - astype above
        raise ValueError(f"{name} must be real.")
    K.sum_duplicates()
    K.sort_indices()
    if K.data.size:
        if not np.isfinite(K.data).all():
            raise ValueError(f"{name} contains NaN or infinity.")
        vmin = K.data.min()
        if vmin < 0:
            raise ValueError(f"{name} must be non-negative, got a minimum entry of {vmin!r}.")
    K.eliminate_zeros()
    return K


def _sparse_asymmetry(K):
    """``(symmetric, exactly, max |K - K.T|, max |K|)`` of a square CSR matrix."""
    if K.shape[0] != K.shape[1]:
        return False, False, np.inf, 0.0
    if K.nnz == 0:
        return True, True, 0.0, 0.0
    diff = abs(K - K.T)
    gap = float(diff.max()) if diff.nnz else 0.0
    big = float(abs(K).max())
    return gap <= SYMMETRY_RTOL * big, gap == 0.0, gap, big


def _symmetrize_sparse(K):
    """``(K + K.T) / 2`` for a CSR matrix symmetric up to rounding (sorted, no zeros)."""
    S = ((K + K.T) * 0.5).astype(K.dtype)
    S = sparse.csr_array(S) if isinstance(K, sparse.sparray) else sparse.csr_matrix(S)
    S.sum_duplicates()
    S.sort_indices()
    S.eliminate_zeros()
    return S


def _check_marginal(x, n, name):
    if x is None:
        return None
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got {np.shape(x)}.")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (x < 0).any():
        raise ValueError(f"{name} must be non-negative, got a minimum of {x.min()!r}.")
    return x


# ------------------------------------------------------------- drivers


def _resolve_method(method, symmetric, log_input=False, dense=False, tol=None):
    if method == "auto":
        if not symmetric:
            return "alternating"
        # Newton needs about half the products (10-12 against 20-22 to
        # 1e-10 on a dense Gaussian kernel) and was faster end to end at
        # n = 2000 and 5000 at both bandwidths (benchmarks/bench_similarity.py);
        # with tol=None the fixed point gives a fixed cost per iteration.
        return "newton" if dense and not log_input and tol is not None else "fixed_point"
    if method in ("fixed_point", "newton") and not symmetric:
        raise ValueError(
            f"method={method!r} needs the symmetric scaling (a square symmetric K with "
            "symmetric=True or 'auto', and equal row_sums and col_sums); use "
            "method='alternating'."
        )
    if method == "newton" and log_input:
        raise ValueError("method='newton' works on K, not log_K; use method='fixed_point'.")
    return method


def _decide_symmetric(symmetric, is_symmetric, shape, a, b, name, asymmetry=None):
    if symmetric is True or symmetric == "auto":
        square = shape[-1] == shape[-2]
        same = a is None and b is None or (a is not None and (b is None or np.array_equal(a, b)))
        if symmetric is True:
            if not square:
                raise ValueError(
                    f"symmetric=True needs a square {name}, got shape {shape}; use "
                    "symmetric=False for a rectangular matrix."
                )
            if not is_symmetric:
                gap = (
                    ""
                    if asymmetry is None
                    else (
                        f" (max |{name} - {name}.T| = {asymmetry[0]:.3g} > "
                        f"{SYMMETRY_RTOL:g} max |{name}| = {SYMMETRY_RTOL * asymmetry[1]:.3g})"
                    )
                )
                raise ValueError(
                    f"symmetric=True but {name} is not exactly symmetric, nor symmetric "
                    f"up to rounding{gap}; pass ({name} + {name}.T) / 2, or use "
                    "symmetric=False."
                )
            if not same:
                raise ValueError("symmetric=True needs col_sums equal to row_sums (or None).")
            return True
        return bool(square and is_symmetric and same)
    return False


def _normalize_kernel(
    K,
    *,
    symmetric="auto",
    row_sums=None,
    col_sums=None,
    tol=1e-10,
    max_iter=1000,
    method="auto",
    n_jobs=None,
    verbose=0,
    name="K",
    return_matrix=True,
    trusted_nzero=None,
    inplace=False,
):
    """Validated core shared by :func:`sinkhorn_normalize` and the estimator.

    The estimator passes its own dense kernels with ``trusted_nzero`` (the
    number of zero off-diagonal entries; the matrix is known to be C-ordered,
    finite, non-negative and exactly symmetric, so the scan is skipped) and
    ``inplace=True`` (the result overwrites ``K``). Every other input, the
    estimator's precomputed kernels included, takes the same validation.
    """
    verbose = int(verbose)
    is_sparse = sparse.issparse(K)
    dmin = None
    if is_sparse:
        K = _check_sparse(K, name)
        is_sym, exact, gap, big = _sparse_asymmetry(K)
        asym = (gap, big)
    elif trusted_nzero is not None:
        is_sym, exact, nzero, asym = True, True, int(trusted_nzero), None
    else:
        dense = _check_dense(K, name)
        is_sym, exact, nzero = dense.symmetric, dense.exactly_symmetric, dense.n_zero_offdiag
        asym = (dense.asymmetry, dense.max_abs)
    n, m = K.shape
    a = _check_marginal(row_sums, n, "row_sums")
    b = _check_marginal(col_sums, m, "col_sums")
    sym = _decide_symmetric(symmetric, is_sym, K.shape, a, b, name, asym)
    method = _resolve_method(method, sym, dense=not is_sparse, tol=tol)
    sym = sym and method != "alternating"  # method="alternating" is what it says
    if is_sparse:
        if sym and not exact:
            K = _symmetrize_sparse(K)
    elif trusted_nzero is None:
        K = _prepare_dense(dense, sym, name)
        inplace = inplace or K is not dense.K
    if return_matrix and not is_sparse and not inplace:
        check_memory(n * m * K.dtype.itemsize, f"the {n} x {m} {K.dtype.name} scaled matrix")
    with numba_threads(n_jobs) as n_threads:
        op = MatrixScaling(K, symmetric=sym, n_threads=n_threads)
        # Row and column support from K 1 and K.T 1 (exact zeros only).
        y1 = op.matvec(np.ones(m))
        rnz = y1 > 0
        cnz = rnz.copy() if sym else op.rmatvec(np.ones(n)) > 0
        rows, cols, a_, b_, uniform = marginals(rnz, cnz, a, b, sym)
        y = None
        if sym:
            # K 1 is K 1_support when only all-zero rows are left out
            y = y1 if np.array_equal(rows, rnz) else op.matvec(rows.astype(float))
        warn_no_support(rnz, cnz, sym)
        if uniform and n == m:
            diag = K.diagonal()
            dmin = diag[rows].min()
            offdiag_pos = (not is_sparse) and nzero == 0 and rows.all() and n >= 2
            if needs_existence_check(sym, dmin, offdiag_pos):
                check_total_support(K, rows, cols, name=name)
        # Divergence (no scaling for the targets) is detected and reported
        # below; numpy's overflow warnings on the way are noise.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            u, v, it, err = op.solve(
                a_, b_, rows, cols, y, method=method, tol=tol, max_iter=max_iter, verbose=verbose
            )
        if not np.isfinite(err):
            raise ValueError(_diverged_msg(name))
        P = op.scaled(u, v, inplace=inplace) if return_matrix else None
        if P is not None and not np.isfinite(P.data if is_sparse else P).all():
            raise ValueError(_diverged_msg(name))
        converged = tol is None or err <= tol
        if not converged:
            warnings.warn(
                f"sinkhorn_normalize ({method}) stopped at max_iter={max_iter} with a "
                f"row/column sum error of {err:.3e} > tol={tol:g}; increase max_iter "
                "(or use method='newton' for a symmetric K).",
                ConvergenceWarning,
                stacklevel=3,
            )
    if is_sparse and P is not None and isinstance(K, sparse.sparray):
        P = sparse.csr_array(P)
    return SinkhornNormalizeResult(
        matrix=P,
        row_scaling=u,
        col_scaling=v if not sym else u.copy(),
        n_iter=int(it),
        n_matvec=int(op.n_matvec),
        error=float(err),
        converged=bool(converged),
        symmetric=bool(sym),
        row_support=rows,
        col_support=cols,
    )


def _diverged_msg(name):
    return (
        f"{name} has no scaling to the given row and column sums: the scaling "
        "factors diverged (some entries of K must vanish in the limit). Check "
        "row_sums/col_sums against the zero pattern of K."
    )


# ------------------------------------------------------------ log domain


def _log_symmetric(L3, name):
    """Whether every matrix of the batch is symmetric: the one rule where the
    matrix is finite, exact equality (``-inf`` pattern included) otherwise."""
    if L3.shape[1] != L3.shape[2]:
        return False
    for L in L3:
        if np.isfinite(L).all():
            if not scan_matrix(L).symmetric:
                return False
        elif not np.array_equal(L, L.T):
            return False
    return True


def _normalize_log(L, *, symmetric, row_sums, col_sums, tol, max_iter, method, n_jobs, verbose):
    L = np.asarray(L)
    if L.dtype not in (np.float32, np.float64):
        if not np.issubdtype(L.dtype, np.number) or np.issubdtype(L.dtype, np.complexfloating):
            raise ValueError(f"log_K must hold real numbers, got dtype {L.dtype}.")
        L = L.astype(np.float64)
    if L.ndim not in (2, 3):
        raise ValueError(
            f"log_K must be a 2-D matrix or a 3-D batch (n_batch, n, m), got shape {L.shape}."
        )
    batched = L.ndim == 3
    L3 = L if batched else L[None]
    B, n, m = L3.shape
    if B == 0 or n == 0 or m == 0:
        raise ValueError(f"log_K is empty (shape {L.shape}).")
    if np.isnan(L3).any() or np.isposinf(L3).any():
        raise ValueError("log_K contains NaN or +infinity (-inf marks a zero entry).")
    a = _check_marginal(row_sums, n, "row_sums")
    b = _check_marginal(col_sums, m, "col_sums")
    is_sym = _log_symmetric(L3, "log_K")
    sym = _decide_symmetric(symmetric, is_sym, L.shape, a, b, "log_K")
    method = _resolve_method(method, sym, log_input=True)
    check_memory(L3.size * 8, f"the {L.shape} float64 scaled matrix")
    finite = np.isfinite(L3)
    rnz, cnz = finite.any(axis=2), finite.any(axis=1)
    rows = np.empty((B, n), dtype=bool)
    cols = np.empty((B, m), dtype=bool)
    loga = np.empty((B, n))
    logb = np.empty((B, m))
    has_zero = not finite.all()
    for bi in range(B):
        where = f"[{bi}]" if batched else ""
        r, c, a_, b_, uniform = marginals(rnz[bi], cnz[bi], a, b, sym, where)
        warn_no_support(rnz[bi], cnz[bi], sym, where)
        if uniform and n == m and has_zero and tol is not None:
            dmin = np.diagonal(L3[bi])[r].min()
            if needs_existence_check(sym, 1.0 if dmin > -np.inf else 0.0, False):
                check_total_support(finite[bi], r, c, where)
        rows[bi], cols[bi] = r, c
        with np.errstate(divide="ignore"):
            loga[bi] = np.where(r, np.log(a_), -np.inf)
            logb[bi] = np.where(c, np.log(b_), -np.inf)
    F = np.empty((B, n))
    G = np.empty((B, m))
    n_iter = np.zeros(B, dtype=np.int64)
    out = np.empty(L3.shape, dtype=np.float64)
    with numba_threads(n_jobs) as n_threads:
        for bi in range(B):
            Lb = L3[bi]
            if sym and not np.array_equal(Lb, Lb.T):
                Lb = (Lb + Lb.T) * 0.5  # symmetric up to rounding: one copy
            F[bi], G[bi], n_iter[bi], _, out[bi] = MatrixScaling.log_solve(
                Lb,
                loga[bi],
                logb[bi],
                rows[bi],
                cols[bi],
                symmetric=sym,
                tol=tol,
                max_iter=max_iter,
                n_threads=n_threads,
            )
    # Report the error of the returned matrix (rows and columns, float64).
    with np.errstate(divide="ignore", invalid="ignore"):
        re = np.where(rows, np.abs(out.sum(axis=2) - np.exp(loga)) / np.exp(loga), 0.0)
        ce = np.where(cols, np.abs(out.sum(axis=1) - np.exp(logb)) / np.exp(logb), 0.0)
    err = float(max(re.max(), ce.max()))
    if not np.isfinite(err):
        raise ValueError(
            "log_K has no scaling to the given row and column sums: the potentials diverged."
        )
    converged = tol is None or err <= tol
    if not converged:
        warnings.warn(
            f"sinkhorn_normalize (log_K, {method}) stopped at max_iter={max_iter} with "
            f"a row/column sum error of {err:.3e} > tol={tol:g}; increase max_iter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if int(verbose):
        print(
            f"[sinkhorn_normalize:log] {B} matrices, iterations {n_iter.tolist()}, error {err:.3e}"
        )
    with np.errstate(over="ignore"):
        u, v = np.exp(F), np.exp(G)
    passes = (1 if sym else 2) * int(n_iter.sum()) + (B if tol is not None else 0)
    P = out.astype(L3.dtype, copy=False)
    if not batched:
        P, u, v, rows, cols = P[0], u[0], v[0], rows[0], cols[0]
    return SinkhornNormalizeResult(
        matrix=P,
        row_scaling=u,
        col_scaling=v,
        n_iter=int(n_iter.max()),
        n_matvec=passes,
        error=err,
        converged=bool(converged),
        symmetric=bool(sym),
        row_support=rows,
        col_support=cols,
    )


# ---------------------------------------------------------- function API


@validate_params(
    {
        "K": ["array-like", "sparse matrix", None],
        "log_K": ["array-like", None],
        "symmetric": ["boolean", StrOptions({"auto"})],
        "row_sums": ["array-like", None],
        "col_sums": ["array-like", None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(METHODS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def sinkhorn_normalize(
    K=None,
    *,
    log_K=None,
    symmetric="auto",
    row_sums=None,
    col_sums=None,
    tol=1e-10,
    max_iter=1000,
    method="auto",
    n_jobs=None,
    verbose=0,
):
    r"""Scale a non-negative matrix to a doubly stochastic one (Sinkhorn-Knopp).

    Finds positive factors ``u`` and ``v`` such that
    ``P = diag(u) K diag(v)`` has the requested row and column sums (all 1 by
    default). A square symmetric ``K`` gets the symmetric scaling
    ``P = D K D`` (``u = v = d``), computed by the over-relaxed fixed point
    :math:`d \leftarrow d \, (d \, K d)^{-2/3}` -- one matrix-vector
    product per iteration, contracting by about 1/3 per product for a
    positive semi-definite kernel whatever its bandwidth (20 to 22 products
    to ``1e-10``; about 30 on a kNN kernel) -- or by a Knight-Ruiz inexact
    Newton method (10 to 12 products on a dense kernel; the default for a
    dense ``K``). Other matrices, and
    ``method="alternating"``, use alternating Sinkhorn-Knopp scaling
    :math:`u \leftarrow a / (K v),\ v \leftarrow b / (K^\top u)`.

    Rows and columns with no non-zero entry are left out of the scaling,
    reported in ``row_support``/``col_support`` and stay zero (a
    ``UserWarning`` names them). A square ``K`` whose pattern admits no
    doubly stochastic scaling (no total support) is refused with an
    explanation.

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    K : {array-like, sparse matrix} of shape (n, m), default=None
        Non-negative, finite matrix (float32 or float64 kept; other numbers
        become float64). Sparse input gives a CSR result with the same
        pattern. Give exactly one of ``K`` and ``log_K``.
    log_K : array-like of shape (n, m) or (n_batch, n, m), default=None
        Logarithm of the matrix (e.g. attention logits; ``-inf`` marks a zero
        entry), scaled in the log domain, each matrix of a batch separately
        (the Sinkformer use).
    symmetric : bool or "auto", default="auto"
        ``"auto"``: the symmetric scaling when the matrix is square and
        symmetric up to rounding -- ``max |K - K.T| <= 1e-10 max |K|``, skot's
        one symmetry rule (:func:`skot.utils._validation.is_symmetric`), met
        by ``np.exp(-pairwise_distances(X, squared=True) / h)`` or
        ``rbf_kernel(X)`` -- and the targets agree. ``True`` requires it
        (raises otherwise); ``False`` always alternates. A matrix symmetric
        only up to rounding is replaced by ``(K + K.T) / 2`` on a copy (one
        copy, in its dtype; the scaled matrix is then exactly symmetric). For
        ``log_K`` the rule applies to each finite matrix of the batch;
        one holding ``-inf`` must be exactly symmetric.
    row_sums : array-like of shape (n,), default=None
        Target row sums (non-negative). ``None``: 1 for every row with support.
    col_sums : array-like of shape (m,), default=None
        Target column sums. ``None``: ``row_sums`` for the symmetric scaling,
        otherwise equal sums with the total of the rows (1 for a square
        matrix). The totals of ``row_sums`` and ``col_sums`` must agree.
    tol : float or None, default=1e-10
        Stop when every row and column sum is within a relative ``tol`` of its
        target: ``max |sum - target| / target <= tol`` (the meaning of ``tol``
        for every matrix-scaling solver, in every method). ``None`` runs
        exactly ``max_iter`` iterations (no convergence test and no warning;
        the usual choice for attention).
    max_iter : int, default=1000
        Maximum number of iterations (outer steps for ``"newton"``).
    method : {"auto", "fixed_point", "newton", "alternating"}, default="auto"
        ``"auto"``: for the symmetric scaling ``"newton"`` on a dense ``K``
        and ``"fixed_point"`` on a sparse ``K``, on ``log_K`` or with
        ``tol=None``; otherwise ``"alternating"``. ``"newton"`` needs the
        symmetric scaling and ``K``.
    n_jobs : int, default=None
        Threads for the kernels (``-1``: all cores). Results do not depend on it.
    verbose : int, default=0
        Print the error after each iteration (1), and of each inner CG
        iteration of ``"newton"`` (2). Booleans are accepted.

    Returns
    -------
    result : SinkhornNormalizeResult
        ``matrix``, ``row_scaling``, ``col_scaling``, ``n_iter``,
        ``n_matvec``, ``error``, ``converged``, ``symmetric``,
        ``row_support`` and ``col_support``.

    See Also
    --------
    SinkhornAffinity : Builds a Gaussian kernel from data and scales it.

    References
    ----------
    .. [1] R. Sinkhorn, P. Knopp. "Concerning nonnegative matrices and doubly
       stochastic matrices." Pacific J. Math. 21 (1967).
    .. [2] P. A. Knight, D. Ruiz. "A fast algorithm for matrix balancing."
       IMA J. Numer. Anal. 33 (2013).
    .. [3] B. Landa, R. R. Coifman, Y. Kluger. "Doubly stochastic normalization
       of the Gaussian kernel is robust to heteroskedastic noise." SIAM J.
       Math. Data Sci. 3 (2021).
    .. [4] M. E. Sander, P. Ablin, M. Blondel, G. Peyré. "Sinkformers:
       Transformers with doubly stochastic attention." AISTATS (2022).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import sinkhorn_normalize
    >>> K = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> res = sinkhorn_normalize(K)
    >>> np.round(res.matrix.sum(axis=1), 8)
    array([1., 1.])
    >>> bool(np.array_equal(res.matrix, res.matrix.T))
    True
    """
    if (K is None) == (log_K is None):
        raise ValueError("Give exactly one of K and log_K.")
    if log_K is not None:
        return _normalize_log(
            log_K,
            symmetric=symmetric,
            row_sums=row_sums,
            col_sums=col_sums,
            tol=tol,
            max_iter=max_iter,
            method=method,
            n_jobs=n_jobs,
            verbose=verbose,
        )
    return _normalize_kernel(
        K,
        symmetric=symmetric,
        row_sums=row_sums,
        col_sums=col_sums,
        tol=tol,
        max_iter=max_iter,
        method=method,
        n_jobs=n_jobs,
        verbose=verbose,
    )
