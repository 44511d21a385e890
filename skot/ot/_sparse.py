"""Sparsity-constrained optimal transport (semi-dual, L-BFGS-B)."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from sklearn.utils._param_validation import Interval, validate_params

from ._utils import OTResult, check_problem, check_reg, marginal_error, warn_convergence

__all__ = ["sparsity_constrained_ot"]


# largest n for the dense Newton polish (an n x n solve per step)
_POLISH_MAX_N = 2000


def _newton_polish(K, MT, alpha, a, b, reg, k, idx, G, tol, max_steps=30):
    """Newton steps on the semi-dual from L-BFGS-B's point, until the marginals meet ``tol``.

    On a fixed support the semi-dual is quadratic: column ``j`` adds
    ``(I - 1 1^T / s_j) / reg`` on its ``s_j`` active rows to the Hessian of
    the row marginals (the gradient is ``a - T 1``, orthogonal to ``1``). A
    step is kept only when it lowers the L1 row error (halved up to ten
    times), so the polish never makes L-BFGS-B's answer worse. Skipped for
    ``n > _POLISH_MAX_N``.
    """
    n = alpha.shape[0]
    if n > _POLISH_MAX_N:
        return alpha

    def err_of(x):
        _, grad = K.semi_dual(MT, x, a, b, reg, k, idx, G)
        return float(np.abs(grad).sum()), grad

    err, grad = err_of(alpha)
    for _ in range(max_steps):
        if err <= tol:
            break
        H = np.zeros((n, n))
        for j in range(MT.shape[0]):
            act = idx[j][G[j] > 0]
            s = act.size
            if s == 0:
                continue
            H[act, act] += 1.0 / reg
            H[np.ix_(act, act)] -= 1.0 / (reg * s)
        H += 1.0 / n  # the constant direction (grad is orthogonal to it)
        try:
            d = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            d = np.linalg.lstsq(H, grad, rcond=None)[0]
        step, improved = 1.0, False
        for _ in range(10):
            x = alpha + step * d
            e, gr = err_of(x)
            if e < err:
                alpha, err, grad, improved = x, e, gr, True
                break
            step *= 0.5
        if not improved:
            break
    return alpha


@validate_params(
    {
        "a": ["array-like", None],
        "b": ["array-like", None],
        "M": ["array-like", "sparse matrix"],
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
    maximised by scipy's L-BFGS-B on the problem scaled to unit mass and unit
    largest cost (the result does not change when ``a``, ``b`` or ``M`` and
    ``reg`` are multiplied by a constant). The plan is
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
        Every row of positive mass needs a nonzero, so ``max_nnz`` times
        the number of columns of positive mass must be at least the number
        of rows of positive mass (otherwise no plan exists: ValueError).
    max_iter : int, default=500
        Maximum number of L-BFGS-B iterations.
    tol : float, default=1e-9
        Converged when the L1 marginal error of the plan divided by the total
        mass is below ``tol`` (the columns are exact; the rows are the
        semi-dual gradient). The constraint makes the semi-dual non-smooth:
        small ``max_nnz`` may need a larger ``tol``.
    sparse_plan : bool, default=False
        Return the plan as a ``scipy.sparse.csr_matrix``.

    Returns
    -------
    result : OTResult
        ``f`` is the semi-dual potential :math:`\alpha`, ``g`` the implied
        :math:`-\max_\Omega(\alpha - M_{:, j})` (so that
        :math:`\langle a, f\rangle + \langle b, g\rangle` is the semi-dual
        objective), ``n_iter`` the L-BFGS-B iterations.

    Raises
    ------
    ValueError
        When ``max_nnz`` exceeds ``n`` or no plan with ``max_nnz`` nonzeros
        per column can cover every row of positive mass.

    Warns
    -----
    ConvergenceWarning
        When L-BFGS-B stops before the marginal error reaches ``tol``
        (``converged`` is then False).

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
    n_rows = int((a > 0).sum())
    if max_nnz * ib.size < n_rows:
        raise ValueError(
            f"max_nnz={max_nnz} is infeasible: {ib.size} columns of positive mass with at most "
            f"{max_nnz} nonzeros each cannot cover the {n_rows} rows of positive mass; "
            f"max_nnz must be at least {-(-n_rows // ib.size)}."
        )
    # solve the problem scaled to unit mass and unit largest |cost|: the plan
    # scales with the mass, the potentials with the cost
    mass = float(a.sum())
    cscale = float(np.abs(M).max())
    cscale = cscale if cscale > 0 else 1.0
    an = a / mass
    bs = b[ib] / mass
    regn = reg * mass / cscale
    MT = np.ascontiguousarray(M[:, ib].T, dtype=np.float64) / cscale
    k = int(max_nnz)
    idx = np.zeros((ib.size, k), dtype=np.int64)
    G = np.zeros((ib.size, k))

    def fun(alpha):
        obj, grad = K.semi_dual(MT, alpha, an, bs, regn, k, idx, G)
        return -obj, -grad

    # stop on the gradient (the row-marginal error): |grad|_inf <= tol / n
    # bounds the relative L1 error by tol; ftol=0 leaves that test alone
    opt = minimize(
        fun,
        np.zeros(n),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "ftol": 0.0, "gtol": tol / n},
    )
    alpha = _newton_polish(K, MT, opt.x, an, bs, regn, k, idx, G, tol)
    K.semi_dual(MT, alpha, an, bs, regn, k, idx, G)
    alpha = alpha * cscale
    bs = b[ib]
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
    converged = bool(err <= tol * mass)
    if not converged:
        warn_convergence(
            f"sparsity_constrained_ot stopped after {opt.nit} L-BFGS-B iterations "
            f"({opt.message}) with a marginal error of {err / mass:.3e} relative to the "
            f"mass, above tol={tol:g}; increase max_iter or tol (or max_nnz)."
        )
    return OTResult(P if sparse_plan else P.toarray(), cost, alpha, g, int(opt.nit), converged, err)
