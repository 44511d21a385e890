r"""Gromov-Wasserstein and fused Gromov-Wasserstein transport.

Exact variants: conditional gradient (Frank-Wolfe) whose linear subproblem is
solved by :func:`skot.ot.emd`, with the exact (closed-form) line search of the
quadratic objective. Entropic variants: projected (mirror) gradient steps whose
subproblem is solved by :func:`skot.ot.sinkhorn`.

The quadratic term uses the tensor-product decomposition of Peyré, Cuturi and
Solomon (2016): for a loss :math:`L(a, b) = f_1(a) + f_2(b) - h_1(a) h_2(b)`,

.. math::

    \sum_{ijkl} L(C^1_{ik}, C^2_{jl}) T_{ij} T_{kl} = \langle c_{C^1, C^2}, T\rangle
    - \langle h_1(C^1)\, T\, h_2(C^2)^\top, T\rangle,

with :math:`c_{ij} = (f_1(C^1) p)_i + (f_2(C^2) q)_j`, so one evaluation costs
two matrix products, :math:`O(n^2 m + n m^2)`, instead of :math:`O(n^2 m^2)`.
The solver keeps :math:`A = h_1(C^1)\, T\, h_2(C^2)^\top` up to date: the plan
``G_c`` returned by the network simplex has at most ``n + m - 1`` nonzeros, so
``h_1(C^1) G_c h_2(C^2)^T`` costs one sparse and one dense product, the line
search reuses it, and the next gradient is ``A + t (A_c - A)`` (no product).
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import blas_threads, effective_n_threads
from ..utils._validation import is_symmetric
from ._utils import OTResult, check_cost, check_masses, marginal_error, warn_convergence

__all__ = [
    "entropic_fused_gromov_wasserstein",
    "entropic_fused_gromov_wasserstein2",
    "entropic_gromov_wasserstein",
    "entropic_gromov_wasserstein2",
    "fused_gromov_wasserstein",
    "fused_gromov_wasserstein2",
    "gromov_wasserstein",
    "gromov_wasserstein2",
]

_LOSSES = ("square_loss", "kl_loss")
# Offset inside the logarithms of the KL loss (the same definition as POT's).
_KL_OFFSET = 1e-18
_MASS_RTOL = 1e-6


# ----------------------------------------------------------------- validation


def _refuse_complex(X, name):
    if not hasattr(X, "tocsr") and np.iscomplexobj(np.asarray(X)):
        raise TypeError(f"{name} must hold real numbers, got a complex array.")


def _check_structure(C, name):
    from ..utils._validation import check_square_matrix

    if C is None:
        raise ValueError(f"{name} must be a square (n, n) structure matrix, got None.")
    _refuse_complex(C, name)
    C = check_square_matrix(C, name, nonnegative=False)
    return np.ascontiguousarray(C, dtype=np.float64)


class _Problem:
    """A validated (fused) Gromov-Wasserstein problem and its tensor-product terms."""

    def __init__(self, C1, C2, p, q, loss, M=None, alpha=1.0, G0=None, symmetric=None):
        self.C1 = _check_structure(C1, "C1")
        self.C2 = _check_structure(C2, "C2")
        n, m = self.C1.shape[0], self.C2.shape[0]
        self.n, self.m = n, m
        self.p = check_masses(p, n, "p")
        self.q = check_masses(q, m, "q")
        sp, sq = self.p.sum(), self.q.sum()
        if abs(sp - sq) > _MASS_RTOL * max(sp, sq):
            raise ValueError(
                f"p and q must have the same total mass, got p.sum()={sp!r} and q.sum()={sq!r}."
            )
        if sp != sq:
            self.q = self.q * (sp / sq)
        self.mass = float(sp)
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {loss!r}.")
        self.loss = loss
        if M is None:
            self.M = None
        else:
            _refuse_complex(M, "M")
            self.M = np.asarray(check_cost(M, "M"), dtype=np.float64)
            if self.M.shape != (n, m):
                raise ValueError(
                    f"M must have shape ({n}, {m}) to match C1 and C2, got {self.M.shape}."
                )
        self.alpha = float(alpha)
        if symmetric is None:
            symmetric = is_symmetric(self.C1) and is_symmetric(self.C2)
        self.symmetric = bool(symmetric)
        if loss == "square_loss":
            fC1, fC2 = self.C1**2, self.C2**2
            self.hC1, hC2 = self.C1, 2.0 * self.C2
        else:
            for C, name in ((self.C1, "C1"), (self.C2, "C2")):
                if (C < 0).any():
                    raise ValueError(
                        f"{name} must be non-negative for loss='kl_loss', got min {C.min()!r}."
                    )
            fC1 = self.C1 * np.log(self.C1 + _KL_OFFSET) - self.C1
            fC2 = self.C2
            self.hC1, hC2 = self.C1, np.log(self.C2 + _KL_OFFSET)
        self.hC2T = np.ascontiguousarray(hC2.T)
        self.cp, self.cq = fC1 @ self.p, fC2 @ self.q
        if not self.symmetric:
            self.hC1T = np.ascontiguousarray(self.hC1.T)
            self.hC2_ = np.ascontiguousarray(hC2)
            self.cpt, self.cqt = fC1.T @ self.p, fC2.T @ self.q
        self.G0 = self._check_G0(G0)

    def _check_G0(self, G0):
        if G0 is None:
            return np.outer(self.p, self.q)
        G0 = np.array(check_cost(G0, "G0"), dtype=np.float64)
        if G0.shape != (self.n, self.m):
            raise ValueError(f"G0 must have shape ({self.n}, {self.m}), got {G0.shape}.")
        if (G0 < 0).any():
            raise ValueError(f"G0 must be non-negative, got min {G0.min()!r}.")
        err = marginal_error(G0, self.p, self.q)
        if err > _MASS_RTOL * self.mass:
            raise ValueError(
                f"G0 must have the marginals p and q, got an L1 marginal error of {err:.3e} "
                f"(total mass {self.mass:.6g})."
            )
        return G0

    # ``A = h1(C1) T h2(C2)^T`` (and its transposed twin when not symmetric)
    def product(self, T):
        return _product(self.hC1, T, self.hC2T)

    def product_t(self, T):
        return _product(self.hC1T, T, self.hC2_)

    def const(self):
        """The constant matrix of the decomposition (symmetrised when needed)."""
        c = self.cp[:, None] + self.cq[None, :]
        if not self.symmetric:
            c = 0.5 * (c + self.cpt[:, None] + self.cqt[None, :])
        return c

    def gw_value(self, T, A):
        """The quadratic term ``<c, T> - <A, T>`` (``A`` = :meth:`product` of ``T``)."""
        return float(self.cp @ T.sum(axis=1) + self.cq @ T.sum(axis=0) - np.vdot(A, T))

    def gradient(self, A, At, const):
        """Gradient of the quadratic term at the plan whose products are ``A`` (and ``At``)."""
        if self.symmetric:
            return 2.0 * (const - A)
        return 2.0 * const - A - At


def _product(H1, T, H2T):
    """``H1 @ T @ H2T`` for a dense or sparse ``T``, cheapest order first."""
    n, m = T.shape
    if hasattr(T, "tocsr"):
        # T has O(n + m) nonzeros: the sparse product is cheap, one dense product left
        if n <= m:
            return H1 @ np.asarray(T @ H2T)
        return np.asarray((T.T @ H1.T).T) @ H2T
    if n <= m:
        return H1 @ (T @ H2T)
    return (H1 @ T) @ H2T


def _line_search(a, b):
    """Minimiser over [0, 1] of ``a t^2 + b t`` (closed form)."""
    if a > 0:
        return min(1.0, max(0.0, -b / (2.0 * a)))
    return 1.0 if a + b < 0 else 0.0


def _warn(what, max_iter, detail):
    warn_convergence(
        f"{what} did not converge in max_iter={max_iter} iterations ({detail}); increase max_iter.",
    )


# ------------------------------------------------------------ exact (FW) solver


def _cg(pb, max_iter, tol_rel, tol_abs, n_jobs, verbose):
    """Conditional gradient on ``(1 - alpha) <M, T> + alpha GW(T)``."""
    from ._emd import emd

    alpha = pb.alpha
    lin = (1.0 - alpha) * pb.M if pb.M is not None else None
    G = pb.G0.copy()
    n_threads = effective_n_threads(n_jobs)
    with blas_threads(n_threads):
        const = pb.const()
        A = pb.product(G)
        At = None if pb.symmetric else pb.product_t(G)
        cost = alpha * pb.gw_value(G, A)
        if lin is not None:
            cost += float(np.vdot(lin, G))
        f = g = None
        it, converged = 0, False
        while it < max_iter:
            it += 1
            old = cost
            Mi = alpha * pb.gradient(A, At, const)
            if lin is not None:
                Mi += lin
            res = emd(pb.p, pb.q, Mi, sparse_plan=True)
            f, g = res.f, res.g
            Gc = res.plan
            Ac = pb.product(Gc)
            D = Gc.toarray()
            D -= G
            dA = Ac - A
            quad = -alpha * float(np.vdot(dA, D))
            if pb.symmetric:
                slope = -2.0 * alpha * float(np.vdot(dA, G))
                dAt = None
            else:
                dAt = pb.product_t(Gc) - At
                slope = -alpha * (float(np.vdot(dA, G)) + float(np.vdot(A, D)))
            if lin is not None:
                slope += float(np.vdot(lin, D))
            t = _line_search(quad, slope)
            if t > 0:
                G += t * D
                A += t * dA
                if dAt is not None:
                    At += t * dAt
            cost = cost + quad * t * t + slope * t
            delta = abs(cost - old)
            if verbose:
                print(f"gromov cg: iteration {it}, loss {cost:.10g}, step {t:.3g}")
            if delta <= tol_rel * abs(cost) or delta < tol_abs:
                converged = True
                break
    return G, cost, f, g, it, converged


_CG_PARAMS = {
    "C1": ["array-like"],
    "C2": ["array-like"],
    "p": ["array-like", None],
    "q": ["array-like", None],
    "loss": [StrOptions(set(_LOSSES))],
    "symmetric": ["boolean", None],
    "G0": ["array-like", None],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol_rel": [Interval(Real, 0, None, closed="left")],
    "tol_abs": [Interval(Real, 0, None, closed="left")],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}

_FUSED_PARAMS = {
    **_CG_PARAMS,
    "M": ["array-like"],
    "alpha": [Interval(Real, 0, 1, closed="both")],
}


def _gw_exact(
    C1,
    C2,
    p,
    q,
    loss,
    symmetric,
    G0,
    max_iter,
    tol_rel,
    tol_abs,
    n_jobs,
    verbose,
    M=None,
    alpha=1.0,
    what="gromov_wasserstein",
):
    pb = _Problem(C1, C2, p, q, loss, M=M, alpha=alpha, G0=G0, symmetric=symmetric)
    G, cost, f, g, it, converged = _cg(pb, max_iter, tol_rel, tol_abs, n_jobs, int(verbose))
    if not converged:
        _warn(what, max_iter, f"last relative change above tol_rel={tol_rel:g}")
    return OTResult(
        plan=G,
        cost=float(cost),
        f=f,
        g=g,
        n_iter=it,
        converged=converged,
        marginal_error=marginal_error(G, pb.p, pb.q),
    )


@validate_params(_CG_PARAMS, prefer_skip_nested_validation=True)
def gromov_wasserstein(
    C1,
    C2,
    p=None,
    q=None,
    *,
    loss="square_loss",
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol_rel=1e-9,
    tol_abs=0.0,
    n_jobs=None,
    verbose=0,
):
    r"""Gromov-Wasserstein transport between two metric-measure spaces.

    Minimises :math:`\sum_{ijkl} L(C^1_{ik}, C^2_{jl}) T_{ij} T_{kl}` over the
    couplings :math:`T \ge 0,\ T 1 = p,\ T^\top 1 = q` by conditional gradient
    (Frank-Wolfe): each step solves the linearised problem exactly with
    :func:`emd` and moves along the exact (closed-form) line search. The
    objective is non-convex: the result is a stationary point that depends on
    ``G0``.

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    C1 : array-like of shape (n, n)
        Structure (distance or similarity) matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses with the same total as ``p``; ``None`` means uniform.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        :math:`L(a, b) = (a - b)^2`, or :math:`a \log(a / b) - a + b` (the
        logarithms are taken of ``C + 1e-18``; both matrices must then be
        non-negative).
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them (up to a
        relative 1e-10). Non-symmetric matrices use the symmetrised gradient.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling (marginals ``p`` and ``q``); ``None`` means
        :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of conditional-gradient iterations.
    tol_rel : float, default=1e-9
        Stop when the loss changes by less than ``tol_rel`` times its value.
    tol_abs : float, default=0.0
        Also stop when the loss changes by less than ``tol_abs`` (absolute, in
        loss units; off by default so that the result does not depend on the
        scale of ``C1`` and ``C2``).
    n_jobs : int or None, default=None
        Threads for the matrix products (joblib semantics).
    verbose : int, default=0
        Print the loss at every iteration when positive.

    Returns
    -------
    result : OTResult
        ``plan`` (dense coupling), ``cost`` (the Gromov-Wasserstein loss of the
        plan), ``f`` and ``g`` (dual potentials of the last linearised
        problem), ``n_iter``, ``converged`` and ``marginal_error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol_rel``.

    See Also
    --------
    gromov_wasserstein2 : The loss only.
    fused_gromov_wasserstein : With a feature cost between the two spaces.
    entropic_gromov_wasserstein : Entropic variant.

    References
    ----------
    .. [1] Mémoli, F. "Gromov-Wasserstein distances and the metric approach to
       object matching." Foundations of Computational Mathematics 11.4 (2011).
    .. [2] Peyré, G., Cuturi, M., Solomon, J. "Gromov-Wasserstein averaging of
       kernel and distance matrices." ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import gromov_wasserstein
    >>> x = np.array([0.0, 1.0, 3.0])
    >>> C1 = np.abs(x[:, None] - x[None, :])
    >>> C2 = C1[::-1, ::-1]
    >>> res = gromov_wasserstein(C1, C2)
    >>> bool(abs(res.cost) < 1e-12)
    True
    """
    return _gw_exact(C1, C2, p, q, loss, symmetric, G0, max_iter, tol_rel, tol_abs, n_jobs, verbose)


@validate_params(_CG_PARAMS, prefer_skip_nested_validation=True)
def gromov_wasserstein2(
    C1,
    C2,
    p=None,
    q=None,
    *,
    loss="square_loss",
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol_rel=1e-9,
    tol_abs=0.0,
    n_jobs=None,
    verbose=0,
):
    r"""Gromov-Wasserstein loss between two metric-measure spaces.

    The loss of the coupling found by :func:`gromov_wasserstein` (a local
    minimum of a non-convex problem).

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    C1 : array-like of shape (n, n)
        Structure matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        The loss between structure entries (see :func:`gromov_wasserstein`).
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling; ``None`` means :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of conditional-gradient iterations.
    tol_rel : float, default=1e-9
        Relative stopping threshold on the loss.
    tol_abs : float, default=0.0
        Absolute stopping threshold on the loss.
    n_jobs : int or None, default=None
        Threads for the matrix products.
    verbose : int, default=0
        Print the loss at every iteration when positive.

    Returns
    -------
    loss : float
        The Gromov-Wasserstein loss.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol_rel``.

    See Also
    --------
    gromov_wasserstein : The coupling and the convergence information.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import gromov_wasserstein2
    >>> C1 = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> round(gromov_wasserstein2(C1, 2 * C1), 6)
    0.5
    """
    return _gw_exact(
        C1,
        C2,
        p,
        q,
        loss,
        symmetric,
        G0,
        max_iter,
        tol_rel,
        tol_abs,
        n_jobs,
        verbose,
        what="gromov_wasserstein2",
    ).cost


@validate_params(_FUSED_PARAMS, prefer_skip_nested_validation=True)
def fused_gromov_wasserstein(
    M,
    C1,
    C2,
    p=None,
    q=None,
    *,
    alpha=0.5,
    loss="square_loss",
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol_rel=1e-9,
    tol_abs=0.0,
    n_jobs=None,
    verbose=0,
):
    r"""Fused Gromov-Wasserstein transport: features and structures together.

    Minimises :math:`(1 - \alpha) \langle M, T\rangle + \alpha \sum_{ijkl}
    L(C^1_{ik}, C^2_{jl}) T_{ij} T_{kl}` over the couplings of ``p`` and
    ``q`` by conditional gradient on :func:`emd` with the exact line search
    (Vayer et al. 2019). ``alpha=0`` is exact OT on ``M``; ``alpha=1`` is
    :func:`gromov_wasserstein`.

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    M : array-like of shape (n, m)
        Feature cost between the source and the target points.
    C1 : array-like of shape (n, n)
        Structure matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    alpha : float in [0, 1], default=0.5
        Weight of the structure term.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        The loss between structure entries (see :func:`gromov_wasserstein`).
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling; ``None`` means :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of conditional-gradient iterations.
    tol_rel : float, default=1e-9
        Relative stopping threshold on the loss.
    tol_abs : float, default=0.0
        Absolute stopping threshold on the loss.
    n_jobs : int or None, default=None
        Threads for the matrix products.
    verbose : int, default=0
        Print the loss at every iteration when positive.

    Returns
    -------
    result : OTResult
        ``plan``, ``cost`` (the fused objective above), the potentials of the
        last linearised problem, ``n_iter``, ``converged``, ``marginal_error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol_rel``.

    See Also
    --------
    fused_gromov_wasserstein2 : The loss only.
    gromov_wasserstein : Structures only.

    References
    ----------
    .. [1] Vayer, T., Chapel, L., Flamary, R., Tavenard, R., Courty, N.
       "Optimal transport for structured data with application on graphs."
       ICML 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import fused_gromov_wasserstein
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = fused_gromov_wasserstein(M, C, C, alpha=0.5)
    >>> res.plan
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    return _gw_exact(
        C1,
        C2,
        p,
        q,
        loss,
        symmetric,
        G0,
        max_iter,
        tol_rel,
        tol_abs,
        n_jobs,
        verbose,
        M=M,
        alpha=alpha,
        what="fused_gromov_wasserstein",
    )


@validate_params(_FUSED_PARAMS, prefer_skip_nested_validation=True)
def fused_gromov_wasserstein2(
    M,
    C1,
    C2,
    p=None,
    q=None,
    *,
    alpha=0.5,
    loss="square_loss",
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol_rel=1e-9,
    tol_abs=0.0,
    n_jobs=None,
    verbose=0,
):
    r"""Fused Gromov-Wasserstein loss.

    The objective of the coupling found by :func:`fused_gromov_wasserstein`.

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    M : array-like of shape (n, m)
        Feature cost between the source and the target points.
    C1 : array-like of shape (n, n)
        Structure matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    alpha : float in [0, 1], default=0.5
        Weight of the structure term.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        The loss between structure entries.
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling; ``None`` means :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of conditional-gradient iterations.
    tol_rel : float, default=1e-9
        Relative stopping threshold on the loss.
    tol_abs : float, default=0.0
        Absolute stopping threshold on the loss.
    n_jobs : int or None, default=None
        Threads for the matrix products.
    verbose : int, default=0
        Print the loss at every iteration when positive.

    Returns
    -------
    loss : float
        The fused Gromov-Wasserstein loss.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol_rel``.

    See Also
    --------
    fused_gromov_wasserstein : The coupling and the convergence information.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import fused_gromov_wasserstein2
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> fused_gromov_wasserstein2(M, C, C)
    0.0
    """
    return _gw_exact(
        C1,
        C2,
        p,
        q,
        loss,
        symmetric,
        G0,
        max_iter,
        tol_rel,
        tol_abs,
        n_jobs,
        verbose,
        M=M,
        alpha=alpha,
        what="fused_gromov_wasserstein2",
    ).cost


# ------------------------------------------------------------ entropic solver


def _entropic(pb, reg, max_iter, tol, sinkhorn_max_iter, n_jobs, verbose):
    """Mirror-descent steps ``T <- sinkhorn(p, q, grad(T), reg)`` (Peyré et al. 2016)."""
    from ._sinkhorn import sinkhorn

    alpha = pb.alpha
    lin = (1.0 - alpha) * pb.M if pb.M is not None else None
    T = pb.G0.copy()
    init = None
    n_threads = effective_n_threads(n_jobs)
    it, converged, inner_ok = 0, False, True
    with blas_threads(n_threads):
        const = pb.const()
        A = pb.product(T)
        At = None if pb.symmetric else pb.product_t(T)
        while it < max_iter:
            it += 1
            Mi = alpha * pb.gradient(A, At, const)
            if lin is not None:
                Mi += lin
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                res = sinkhorn(
                    pb.p,
                    pb.q,
                    Mi,
                    reg,
                    max_iter=sinkhorn_max_iter,
                    tol=tol,
                    init=init,
                    n_jobs=n_jobs,
                )
            inner_ok = res.converged
            init = (res.f, res.g)
            change = float(np.abs(res.plan - T).sum()) / pb.mass
            T = res.plan
            A = pb.product(T)
            if At is not None:
                At = pb.product_t(T)
            if verbose:
                print(f"entropic gromov: iteration {it}, plan change {change:.3e}")
            if change < tol:
                converged = True
                break
        cost = alpha * pb.gw_value(T, A)
        if lin is not None:
            cost += float(np.vdot(lin, T))
    return T, cost, init, it, converged, inner_ok


_ENTROPIC_PARAMS = {
    "C1": ["array-like"],
    "C2": ["array-like"],
    "p": ["array-like", None],
    "q": ["array-like", None],
    "loss": [StrOptions(set(_LOSSES))],
    "reg": [Interval(Real, 0, None, closed="neither")],
    "symmetric": ["boolean", None],
    "G0": ["array-like", None],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "sinkhorn_max_iter": [Interval(Integral, 1, None, closed="left")],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}
_ENTROPIC_FUSED_PARAMS = {
    **_ENTROPIC_PARAMS,
    "M": ["array-like"],
    "alpha": [Interval(Real, 0, 1, closed="both")],
}


def _gw_entropic(
    C1,
    C2,
    p,
    q,
    loss,
    reg,
    symmetric,
    G0,
    max_iter,
    tol,
    sinkhorn_max_iter,
    n_jobs,
    verbose,
    M=None,
    alpha=1.0,
    what="entropic_gromov_wasserstein",
):
    if not math.isfinite(reg):
        raise ValueError(f"reg must be a positive finite number, got {reg!r}.")
    pb = _Problem(C1, C2, p, q, loss, M=M, alpha=alpha, G0=G0, symmetric=symmetric)
    T, cost, (f, g), it, outer_ok, inner_ok = _entropic(
        pb, float(reg), max_iter, tol, sinkhorn_max_iter, n_jobs, int(verbose)
    )
    if not outer_ok:
        _warn(what, max_iter, f"plan change above tol={tol:g}")
    elif not inner_ok:
        warn_convergence(
            f"{what}: the last Sinkhorn solve did not reach tol={tol:g} in "
            f"sinkhorn_max_iter={sinkhorn_max_iter} iterations; increase sinkhorn_max_iter "
            "or reg."
        )
    converged = outer_ok and inner_ok
    return OTResult(
        plan=T,
        cost=float(cost),
        f=f,
        g=g,
        n_iter=it,
        converged=converged,
        marginal_error=marginal_error(T, pb.p, pb.q),
    )


@validate_params(_ENTROPIC_PARAMS, prefer_skip_nested_validation=True)
def entropic_gromov_wasserstein(
    C1,
    C2,
    p=None,
    q=None,
    *,
    loss="square_loss",
    reg=0.1,
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol=1e-9,
    sinkhorn_max_iter=1000,
    n_jobs=None,
    verbose=0,
):
    r"""Entropic Gromov-Wasserstein transport (projected gradient on Sinkhorn).

    Each iteration replaces the coupling by the entropic transport plan
    (:func:`sinkhorn`, warm-started) for the current gradient of the
    Gromov-Wasserstein objective (Peyré, Cuturi and Solomon 2016):
    :math:`T \leftarrow \arg\min_{T'} \langle \nabla \mathrm{GW}(T), T'\rangle
    + \mathrm{reg}\, H(T')`. This is POT's ``entropic_gromov_wasserstein``
    with ``solver="PGD"`` (its ``epsilon`` is ``reg`` here).

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    C1 : array-like of shape (n, n)
        Structure matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        The loss between structure entries (see :func:`gromov_wasserstein`).
    reg : float, default=0.1
        Entropic regularisation (in the units of the gradient, i.e. of the
        squared structure entries for the square loss).
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling; ``None`` means :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of outer (gradient) iterations.
    tol : float, default=1e-9
        Stop when the L1 change of the coupling, divided by the mass, is below
        ``tol``; also the relative marginal tolerance of each Sinkhorn solve.
    sinkhorn_max_iter : int, default=1000
        Maximum number of iterations of each Sinkhorn solve.
    n_jobs : int or None, default=None
        Threads for the matrix products and the Sinkhorn kernels.
    verbose : int, default=0
        Print the change of the coupling at every iteration when positive.

    Returns
    -------
    result : OTResult
        ``plan``, ``cost`` (the Gromov-Wasserstein loss of the plan, without
        the entropy), potentials of the last Sinkhorn solve, ``n_iter``,
        ``converged`` (outer and last inner tolerance met),
        ``marginal_error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    gromov_wasserstein : Exact (conditional gradient) variant.
    entropic_gromov_wasserstein2 : The loss only.

    References
    ----------
    .. [1] Peyré, G., Cuturi, M., Solomon, J. "Gromov-Wasserstein averaging of
       kernel and distance matrices." ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import entropic_gromov_wasserstein
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = entropic_gromov_wasserstein(C, C, reg=0.05, G0=[[0.3, 0.2], [0.2, 0.3]])
    >>> np.round(res.plan, 3)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    return _gw_entropic(
        C1,
        C2,
        p,
        q,
        loss,
        reg,
        symmetric,
        G0,
        max_iter,
        tol,
        sinkhorn_max_iter,
        n_jobs,
        verbose,
    )


@validate_params(_ENTROPIC_PARAMS, prefer_skip_nested_validation=True)
def entropic_gromov_wasserstein2(
    C1,
    C2,
    p=None,
    q=None,
    *,
    loss="square_loss",
    reg=0.1,
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol=1e-9,
    sinkhorn_max_iter=1000,
    n_jobs=None,
    verbose=0,
):
    r"""Entropic Gromov-Wasserstein loss.

    The Gromov-Wasserstein loss (without the entropy) of the coupling found by
    :func:`entropic_gromov_wasserstein`.

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    C1 : array-like of shape (n, n)
        Structure matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        The loss between structure entries.
    reg : float, default=0.1
        Entropic regularisation.
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling; ``None`` means :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of outer iterations.
    tol : float, default=1e-9
        Relative tolerance (see :func:`entropic_gromov_wasserstein`).
    sinkhorn_max_iter : int, default=1000
        Maximum number of iterations of each Sinkhorn solve.
    n_jobs : int or None, default=None
        Threads for the matrix products and the Sinkhorn kernels.
    verbose : int, default=0
        Print progress when positive.

    Returns
    -------
    loss : float
        The Gromov-Wasserstein loss of the entropic coupling.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    entropic_gromov_wasserstein : The coupling and the convergence information.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import entropic_gromov_wasserstein2
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> bool(entropic_gromov_wasserstein2(C, C, reg=0.05, G0=[[0.3, 0.2], [0.2, 0.3]]) < 1e-6)
    True
    """
    return _gw_entropic(
        C1,
        C2,
        p,
        q,
        loss,
        reg,
        symmetric,
        G0,
        max_iter,
        tol,
        sinkhorn_max_iter,
        n_jobs,
        verbose,
        what="entropic_gromov_wasserstein2",
    ).cost


@validate_params(_ENTROPIC_FUSED_PARAMS, prefer_skip_nested_validation=True)
def entropic_fused_gromov_wasserstein(
    M,
    C1,
    C2,
    p=None,
    q=None,
    *,
    alpha=0.5,
    loss="square_loss",
    reg=0.1,
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol=1e-9,
    sinkhorn_max_iter=1000,
    n_jobs=None,
    verbose=0,
):
    r"""Entropic fused Gromov-Wasserstein transport.

    The projected-gradient iteration of :func:`entropic_gromov_wasserstein`
    on the fused objective :math:`(1 - \alpha) \langle M, T\rangle + \alpha\,
    \mathrm{GW}(T)` (POT's ``entropic_fused_gromov_wasserstein`` with
    ``solver="PGD"``).

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    M : array-like of shape (n, m)
        Feature cost between the source and the target points.
    C1 : array-like of shape (n, n)
        Structure matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    alpha : float in [0, 1], default=0.5
        Weight of the structure term.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        The loss between structure entries.
    reg : float, default=0.1
        Entropic regularisation.
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling; ``None`` means :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of outer iterations.
    tol : float, default=1e-9
        Relative tolerance (see :func:`entropic_gromov_wasserstein`).
    sinkhorn_max_iter : int, default=1000
        Maximum number of iterations of each Sinkhorn solve.
    n_jobs : int or None, default=None
        Threads for the matrix products and the Sinkhorn kernels.
    verbose : int, default=0
        Print progress when positive.

    Returns
    -------
    result : OTResult
        ``plan``, ``cost`` (the fused objective without the entropy), the
        potentials of the last Sinkhorn solve, ``n_iter``, ``converged``,
        ``marginal_error``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    fused_gromov_wasserstein : Exact (conditional gradient) variant.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import entropic_fused_gromov_wasserstein
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = entropic_fused_gromov_wasserstein(M, C, C, reg=0.05)
    >>> np.round(res.plan, 3)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    return _gw_entropic(
        C1,
        C2,
        p,
        q,
        loss,
        reg,
        symmetric,
        G0,
        max_iter,
        tol,
        sinkhorn_max_iter,
        n_jobs,
        verbose,
        M=M,
        alpha=alpha,
        what="entropic_fused_gromov_wasserstein",
    )


@validate_params(_ENTROPIC_FUSED_PARAMS, prefer_skip_nested_validation=True)
def entropic_fused_gromov_wasserstein2(
    M,
    C1,
    C2,
    p=None,
    q=None,
    *,
    alpha=0.5,
    loss="square_loss",
    reg=0.1,
    symmetric=None,
    G0=None,
    max_iter=1000,
    tol=1e-9,
    sinkhorn_max_iter=1000,
    n_jobs=None,
    verbose=0,
):
    r"""Entropic fused Gromov-Wasserstein loss.

    The fused objective (without the entropy) of the coupling found by
    :func:`entropic_fused_gromov_wasserstein`.

    Read more in the :ref:`User Guide <ot_gromov>`.

    Parameters
    ----------
    M : array-like of shape (n, m)
        Feature cost between the source and the target points.
    C1 : array-like of shape (n, n)
        Structure matrix of the source space.
    C2 : array-like of shape (m, m)
        Structure matrix of the target space.
    p : array-like of shape (n,) or None, default=None
        Source masses; ``None`` means uniform.
    q : array-like of shape (m,) or None, default=None
        Target masses; ``None`` means uniform.
    alpha : float in [0, 1], default=0.5
        Weight of the structure term.
    loss : {"square_loss", "kl_loss"}, default="square_loss"
        The loss between structure entries.
    reg : float, default=0.1
        Entropic regularisation.
    symmetric : bool or None, default=None
        Whether ``C1`` and ``C2`` are symmetric; ``None`` tests them.
    G0 : array-like of shape (n, m) or None, default=None
        Initial coupling; ``None`` means :math:`p q^\top`.
    max_iter : int, default=1000
        Maximum number of outer iterations.
    tol : float, default=1e-9
        Relative tolerance (see :func:`entropic_gromov_wasserstein`).
    sinkhorn_max_iter : int, default=1000
        Maximum number of iterations of each Sinkhorn solve.
    n_jobs : int or None, default=None
        Threads for the matrix products and the Sinkhorn kernels.
    verbose : int, default=0
        Print progress when positive.

    Returns
    -------
    loss : float
        The fused Gromov-Wasserstein loss of the entropic coupling.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` stops the iterations before ``tol``.

    See Also
    --------
    entropic_fused_gromov_wasserstein : The coupling and the convergence information.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import entropic_fused_gromov_wasserstein2
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> bool(entropic_fused_gromov_wasserstein2(M, C, C, reg=0.05) < 1e-6)
    True
    """
    return _gw_entropic(
        C1,
        C2,
        p,
        q,
        loss,
        reg,
        symmetric,
        G0,
        max_iter,
        tol,
        sinkhorn_max_iter,
        n_jobs,
        verbose,
        M=M,
        alpha=alpha,
        what="entropic_fused_gromov_wasserstein2",
    ).cost
