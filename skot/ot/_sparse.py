"""Sparsity-constrained optimal transport (semi-dual, L-BFGS-B)."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, validate_params

from ._utils import OTResult, check_problem, check_reg, marginal_error

__all__ = ["sparsity_constrained_ot"]


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like"],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "max_nnz": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "sparse_plan": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def sparsity_constrained_ot(a, b, M, reg, max_nnz, *, max_iter=500, tol=1e-9, sparse_plan=False):
    r"""Quadratically regularised OT with at most ``max_nnz`` nonzeros per column.

    Solves :math:`\min_{T \in U(a, b)} \langle T, M\rangle + \frac{\gamma}{2}
    \|T\|^2` subject to every column of :math:`T` having at most ``max_nnz``
    nonzeros (Liu, Puigcerver & Blondel, 2023), with ``reg`` :math:`=\gamma`,
    through its semi-dual

    .. math::

        \max_\alpha \langle \alpha, a\rangle - \sum_j b_j \max_{\Omega}(\alpha - M_{:, j}),

    where :math:`\max_\Omega` is evaluated with the ``max_nnz``-sparse
    projection onto the simplex (keep the largest entries, then project),
    maximised by scipy's L-BFGS-B. The plan is
    :math:`T_{:, j} = b_j\, \mathrm{proj}_k((\alpha - M_{:, j}) / (b_j\gamma))`;
    its columns sum exactly to ``b``, its rows to ``a`` at the optimum.

    Read more in the :ref:`User Guide <ot>`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses; ``None`` or ``[]`` means uniform.
    b : array-like of shape (m,) or None
        Target masses with the same total; ``None`` or ``[]`` means uniform.
    M : array-like of shape (n, m)
        Cost matrix.
    reg : float
        Quadratic regularisation :math:`\gamma`, > 0.
    max_nnz : int
        Maximum number of nonzeros per column of the plan (at most ``n``).
    max_iter : int, default=500
        Maximum number of L-BFGS-B iterations.
    tol : float, default=1e-9
        Tolerance passed to L-BFGS-B.
    sparse_plan : bool, default=False
        Return the plan as a ``scipy.sparse.csr_matrix``.

    Returns
    -------
    result : OTResult
        ``f`` is the semi-dual potential :math:`\alpha`, ``g`` the implied
        :math:`-\max_\Omega(\alpha - M_{:, j})` (so that
        :math:`\langle a, f\rangle + \langle b, g\rangle` is the semi-dual
        objective), ``n_iter`` the L-BFGS-B iterations.

    Warns
    -----
    ConvergenceWarning
        When L-BFGS-B stops without convergence.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.ot import sparsity_constrained_ot
    >>> M = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    >>> res = sparsity_constrained_ot(None, None, M, reg=1.0, max_nnz=1)
    >>> int((res.plan > 0).sum(axis=0).max())
    1
    """
    from . import _sparse_kernels as K

    reg = check_reg(reg)
    a, b, M = check_problem(a, b, M)
    n, m = M.shape
    if max_nnz > n:
        raise ValueError(f"max_nnz={max_nnz} must be at most the number of rows of M, {n}.")
    ib = np.flatnonzero(b > 0)
    bs = b[ib]
    MT = np.ascontiguousarray(M[:, ib].T, dtype=np.float64)
    k = int(max_nnz)
    idx = np.zeros((ib.size, k), dtype=np.int64)
    G = np.zeros((ib.size, k))

    def fun(alpha):
        obj, grad = K.semi_dual(MT, alpha, a, bs, reg, k, idx, G)
        return -obj, -grad

    opt = minimize(
        fun, np.zeros(n), jac=True, method="L-BFGS-B", tol=tol, options={"maxiter": max_iter}
    )
    alpha = opt.x
    K.semi_dual(MT, alpha, a, bs, reg, k, idx, G)
    vals = (G * bs[:, None]).ravel()
    rows = idx.ravel()
    cols = np.repeat(ib, k)
    keep = vals > 0
    P = sparse.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n, m))
    cost = float(np.dot(vals[keep], M[rows[keep], cols[keep]]))
    # implied column potentials: <a, f> + <b, g> equals the semi-dual objective
    g = np.zeros(m)
    xs = alpha[idx] - MT[np.arange(ib.size)[:, None], idx]
    g[ib] = -((xs * G).sum(1) - 0.5 * reg * bs * (G * G).sum(1))
    err = marginal_error(P, a, b)
    converged = bool(opt.success)
    if not converged:
        warnings.warn(
            f"sparsity_constrained_ot: L-BFGS-B stopped without convergence after "
            f"{opt.nit} iterations ({opt.message}); increase max_iter.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return OTResult(P if sparse_plan else P.toarray(), cost, alpha, g, int(opt.nit), converged, err)
