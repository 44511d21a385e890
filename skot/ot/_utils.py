"""Result type and input validation shared by every OT solver (no kernels)."""

import numbers
import os
import sys
import warnings
from typing import NamedTuple

import numpy as np
from scipy import sparse

from ..utils._validation import check_memory

__all__ = ["OTResult", "warn_convergence"]

_SKOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

# Relative tolerance on the difference between the totals of ``a`` and ``b``.
_MASS_RTOL = 1e-6


class OTResult(NamedTuple):
    """Result of every optimal-transport solver in :mod:`skot.ot`.

    Attributes
    ----------
    plan : ndarray of shape (n, m) or scipy.sparse.csr_matrix
        The transport plan; a CSR matrix when the caller asked for a sparse
        plan (``sparse_plan=True``).
    cost : float
        Transport cost ``<plan, M>``, without any regularisation term.
    f : ndarray of shape (n,)
        Dual potential of the source points, in cost units. For entropic
        solvers ``plan[i, j] = exp((f[i] + g[j] - M[i, j]) / reg)``; for
        :func:`emd`, ``f[i] + g[j] <= M[i, j]`` with equality on the support
        of the plan. Zero-mass rows get ``-inf`` (entropic solvers) or the
        c-transform ``min_j M[i, j] - g[j]`` (:func:`emd`).
    g : ndarray of shape (m,)
        Dual potential of the target points (same conventions as ``f``).
    n_iter : int
        Iterations run (Sinkhorn iterations, Newton steps included, or
        network-simplex pivots).
    converged : bool
        False when ``max_iter`` stopped the solver before its tolerance (or
        optimality, for :func:`emd`) was reached.
    marginal_error : float
        L1 error of both marginals of the plan, ``|plan 1 - a|_1 +
        |plan^T 1 - b|_1``.
    objective : float or None
        The value of the regularised objective that the solver minimised
        (set by :func:`solve` and :func:`solve_sample`; ``None`` otherwise,
        where :attr:`value` falls back to ``cost``).
    method : str or None
        The solver that ran (set by :func:`solve` and :func:`solve_sample`,
        and by the batched solvers).

    Notes
    -----
    The names POT users know are properties: :attr:`plan` (a field),
    :attr:`value` (the objective), :attr:`value_linear` (``cost``),
    :attr:`potentials` (``(f, g)``) and :attr:`status`.

    **Batches.** A solver given a stack of ``B`` problems (``M`` of shape
    ``(B, n, m)``) returns one ``OTResult`` whose entries have a leading
    axis: ``plan`` (B, n, m), ``cost`` (B,), ``f`` (B, n), ``g`` (B, m),
    ``n_iter`` (B,) int, ``converged`` (B,) bool, ``marginal_error`` (B,),
    ``objective`` (B,) or None; :attr:`is_batch` is then True and
    :meth:`problem` gives problem ``k`` as a single-problem result.
    """

    plan: object
    cost: float
    f: np.ndarray
    g: np.ndarray
    n_iter: int
    converged: bool
    marginal_error: float
    objective: object = None
    method: object = None

    @property
    def value(self):
        """The objective value (POT's ``value``): ``objective``, else ``cost``."""
        return self.cost if self.objective is None else self.objective

    @property
    def value_linear(self):
        """The linear part ``<plan, M>`` of the objective (POT's ``value_linear``)."""
        return self.cost

    @property
    def potentials(self):
        """The dual potentials ``(f, g)`` in cost units (POT's ``potentials``)."""
        return self.f, self.g

    @property
    def status(self):
        """``"converged"`` or ``"max_iter"`` (an array of them for a batch)."""
        if self.is_batch:
            return np.where(np.asarray(self.converged), "converged", "max_iter")
        return "converged" if self.converged else "max_iter"

    @property
    def is_batch(self):
        """Whether this result holds a stack of problems (leading axis)."""
        return np.ndim(self.cost) == 1

    def problem(self, k):
        """The result of problem ``k`` of a batch, as a single-problem result.

        Parameters
        ----------
        k : int
            Index of the problem in the batch.

        Returns
        -------
        result : OTResult
            The entries of problem ``k``.
        """
        if not self.is_batch:
            raise ValueError("problem(k) needs a batched result (is_batch is False).")
        obj = None if self.objective is None else float(self.objective[k])
        return OTResult(
            None if self.plan is None else self.plan[k],
            float(self.cost[k]),
            self.f[k],
            self.g[k],
            int(self.n_iter[k]),
            bool(self.converged[k]),
            float(self.marginal_error[k]),
            obj,
            self.method,
        )


def warn_convergence(message, category=None):
    """Warn (``ConvergenceWarning`` by default), pointing at the caller's line.

    The warning is attributed to the first frame outside skot and outside
    scikit-learn's parameter validation, so it names the user's file and line
    whatever the depth of the call inside skot.

    Parameters
    ----------
    message : str
        The warning text.
    category : type or None, default=None
        Warning class; ``None`` means :class:`~sklearn.exceptions.ConvergenceWarning`.
    """
    if category is None:
        from sklearn.exceptions import ConvergenceWarning as category
    frame = sys._getframe(1)
    level = 2  # 1 would be this function's own line
    while frame is not None:
        fn = frame.f_code.co_filename
        if not (
            fn.startswith(_SKOT_DIR)
            or fn.endswith(os.path.join("sklearn", "utils", "_param_validation.py"))
            or fn.endswith("contextlib.py")
        ):
            break
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _is_empty(w):
    if w is None:
        return True
    return isinstance(w, (list, tuple)) and len(w) == 0


def check_masses(w, size, name):
    """Return the masses ``w`` as float64 of length ``size`` (uniform when empty)."""
    if _is_empty(w):
        return np.full(size, 1.0 / size)
    if sparse.issparse(w):
        raise TypeError(f"{name} must be a dense 1-D array of masses, got a sparse matrix.")
    if isinstance(w, numbers.Number):
        raise TypeError(f"{name} must be a 1-D array of masses, got the scalar {w!r}.")
    arr = np.asarray(w)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real masses, got the complex dtype {arr.dtype}.")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    if arr.ndim != 1 or arr.shape[0] != size:
        raise ValueError(f"{name} must have shape ({size},) to match M, got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative, got min {arr.min()!r}.")
    if arr.sum() <= 0:
        raise ValueError(f"{name} has zero total mass: at least one mass must be positive.")
    return arr


def check_dense_2d(X, name, what):
    """Return ``X`` as a C-contiguous finite float32/float64 2-D array, non-empty.

    ``what`` names the expected object in the messages (e.g. "cost matrix").
    """
    if sparse.issparse(X):
        raise TypeError(
            f"{name} must be a dense {what}, got a sparse matrix; convert it with {name}.toarray()."
        )
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise TypeError(f"{name} must hold real numbers, got the complex dtype {X.dtype}.")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {X.dtype}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D {what}, got shape {X.shape}.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}).")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return np.ascontiguousarray(X)


def check_cost(M, name="M"):
    """Return ``M`` as a C-contiguous float32/float64 2-D finite array."""
    return check_dense_2d(M, name, "(n, m) cost matrix")


def check_problem(a, b, M, *, balanced=True):
    """Validate ``(a, b, M)``; ``b`` is rescaled to the total of ``a`` when balanced."""
    M = check_cost(M)
    n, m = M.shape
    a = check_masses(a, n, "a")
    b = check_masses(b, m, "b")
    if balanced:
        sa, sb = a.sum(), b.sum()
        if abs(sa - sb) > _MASS_RTOL * max(sa, sb):
            raise ValueError(
                f"a and b must have the same total mass, got a.sum()={sa!r} and "
                f"b.sum()={sb!r}; normalise them or use sinkhorn_unbalanced."
            )
        if sa != sb:
            b = b * (sa / sb)
    return a, b, M


def check_reg(reg, name="reg"):
    if isinstance(reg, bool) or not isinstance(reg, numbers.Real):
        raise TypeError(f"{name} must be a positive real number, got {reg!r}.")
    reg = float(reg)
    if not np.isfinite(reg) or reg <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {reg!r}.")
    return reg


def check_init(init, n, m):
    """Validate a warm start ``(f, g)``; return float64 copies."""
    if init is None:
        return None
    try:
        f, g = init
    except (TypeError, ValueError):
        raise ValueError(
            f"init must be None or a pair (f, g) of potentials, got {type(init).__name__}."
        ) from None
    f = np.array(f, dtype=np.float64)
    g = np.array(g, dtype=np.float64)
    if f.shape != (n,) or g.shape != (m,):
        raise ValueError(
            f"init potentials must have shapes ({n},) and ({m},), got {f.shape} and {g.shape}."
        )
    if np.isnan(f).any() or np.isnan(g).any() or (f == np.inf).any() or (g == np.inf).any():
        raise ValueError("init potentials contain NaN or +infinity.")
    return f, g


def check_init_support(f, g):
    """Warm-start potentials restricted to the positive masses must be finite."""
    if not (np.isfinite(f).all() and np.isfinite(g).all()):
        raise ValueError(
            "init potentials must be finite where the masses are positive (-inf is only "
            "allowed for zero masses)."
        )
    return f, g


def support(a, b):
    """Indices of the positive masses and whether any mass is zero."""
    ia = np.flatnonzero(a > 0)
    ib = np.flatnonzero(b > 0)
    return ia, ib, ia.shape[0] < a.shape[0] or ib.shape[0] < b.shape[0]


def restrict(M, ia, ib):
    check_memory(
        ia.shape[0] * ib.shape[0] * M.itemsize,
        f"a {ia.shape[0]} x {ib.shape[0]} copy of the cost on the support",
    )
    return np.ascontiguousarray(M[np.ix_(ia, ib)])


def expand_plan(P, ia, ib, n, m, sparse_plan):
    """Put the plan of the support back into an (n, m) plan."""
    if sparse_plan:
        P = sparse.csr_matrix(P) if not sparse.issparse(P) else P.tocoo()
        P = P.tocoo()
        out = sparse.csr_matrix((P.data, (ia[P.row], ib[P.col])), shape=(n, m))
        out.eliminate_zeros()
        return out
    out = np.zeros((n, m), dtype=np.float64)
    out[np.ix_(ia, ib)] = P
    return out


def marginal_error(P, a, b):
    """L1 error of both marginals of a dense or sparse plan."""
    r = np.asarray(P.sum(axis=1)).ravel()
    c = np.asarray(P.sum(axis=0)).ravel()
    return float(np.abs(r - a).sum() + np.abs(c - b).sum())


def plan_cost(P, M):
    if sparse.issparse(P):
        P = P.tocoo()
        return float(np.dot(P.data, M[P.row, P.col]))
    return float(
        np.vdot(P, M.astype(np.float64, copy=False)) if M.dtype != np.float64 else np.vdot(P, M)
    )
