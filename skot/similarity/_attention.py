"""Sinkhorn attention (Sinkformers): batched, masked, log-domain, with its backward pass.

:func:`sinkhorn_attention` turns attention scores into (approximately) doubly
stochastic attention matrices; :func:`sinkhorn_attention_vjp` gives the
gradient of a loss with respect to the scores from the gradient with respect
to the attention matrix, so a deep-learning framework can use skot's forward
and backward (e.g. in a ``torch.autograd.Function``).
"""

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._numba import numba_threads, select
from ..utils._validation import check_memory

__all__ = ["SinkhornAttentionResult", "sinkhorn_attention", "sinkhorn_attention_vjp"]


class SinkhornAttentionResult(NamedTuple):
    """What :func:`sinkhorn_attention` returns.

    Attributes
    ----------
    matrix : ndarray of shape (..., n, m)
        The attention matrices ``P = exp(S + f_i + g_j)`` (dtype of the
        scores); masked entries exactly 0, every row with an allowed entry
        summing to 1.
    row_potential : ndarray of shape (..., n)
        ``f`` (float64; 0 on empty rows).
    col_potential : ndarray of shape (..., m)
        ``g`` (float64; 0 on empty columns).
    n_iter : ndarray of shape (...)
        Column normalisations done per matrix.
    error : ndarray of shape (...)
        Largest relative column-sum error per matrix (rows are exact);
        ``-1`` for the plain softmax (``max_iter=0``).
    empty_rows : ndarray of bool of shape (..., n)
        Rows with no allowed entry (all masked): their attention is 0.
    empty_cols : ndarray of bool of shape (..., m)
        Columns with no allowed entry.
    converged : bool
        Every matrix reached ``tol`` (always True with ``tol=None``).
    """

    matrix: np.ndarray
    row_potential: np.ndarray
    col_potential: np.ndarray
    n_iter: np.ndarray
    error: np.ndarray
    empty_rows: np.ndarray
    empty_cols: np.ndarray
    converged: bool


def _prepare(scores, mask, causal):
    S = np.asarray(scores)
    if not np.issubdtype(S.dtype, np.number) or np.iscomplexobj(S):
        raise TypeError(f"scores must hold real numbers, got dtype {S.dtype}.")
    dtype = S.dtype if S.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if S.ndim < 2:
        raise ValueError(f"scores must have shape (..., n, m), got shape {S.shape}.")
    shape = S.shape
    n, m = shape[-2:]
    if n == 0 or m == 0 or S.size == 0:
        raise ValueError(f"scores is empty (shape {shape}).")
    check_memory(S.size * 8 * 3, f"the float64 work arrays for scores of shape {shape}")
    S = np.array(S, dtype=np.float64, order="C").reshape(-1, n, m)  # a copy
    if np.isnan(S).any() or np.isposinf(S).any():
        raise ValueError("scores contains NaN or +infinity (use mask or -inf to mask entries).")
    if mask is not None:
        M = np.asarray(mask)
        if M.dtype != np.bool_:
            raise TypeError(f"mask must be boolean (True = allowed), got dtype {M.dtype}.")
        try:
            M = np.broadcast_to(M, shape).reshape(-1, n, m)
        except ValueError:
            raise ValueError(
                f"mask of shape {np.shape(mask)} does not broadcast to scores' shape {shape}."
            ) from None
        S[~M] = -np.inf
    if causal:
        S[:, np.triu_indices(n, 1, m)[0], np.triu_indices(n, 1, m)[1]] = -np.inf
    allowed = S > -np.inf
    rows = allowed.any(axis=2)
    cols = allowed.any(axis=1)
    nr = rows.sum(axis=1)
    nc = np.maximum(cols.sum(axis=1), 1)
    with np.errstate(divide="ignore"):
        loga = np.where(rows, 0.0, -np.inf)
        b = np.where(cols, (nr / nc)[:, None], 0.0)
        logb = np.log(b)
    return S, shape, dtype, loga, logb, b, rows, cols


def _forward(S, loga, logb, b, max_iter, tol, n_jobs):
    from . import _attention_kernels as k

    B, n, m = S.shape
    F = np.zeros((B, max_iter + 1, n))
    G = np.zeros((B, max(max_iter, 1), m))
    P = np.empty_like(S)
    n_iter = np.zeros(B, dtype=np.int64)
    error = np.empty(B)
    with numba_threads(n_jobs) as n_threads:
        work = S.size * (2 * max_iter + 1)
        select(k.attention_forward, work, n_threads, "matvec")(
            S, loga, logb, b, int(max_iter), -1.0 if tol is None else float(tol), F, G, P, n_iter,
            error,
        )  # fmt: skip
    return F, G, P, n_iter, error


_COMMON = {
    "scores": ["array-like"],
    "mask": ["array-like", None],
    "causal": ["boolean"],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "n_jobs": [Integral, None],
}


@validate_params(_COMMON, prefer_skip_nested_validation=True)
def sinkhorn_attention(scores, *, mask=None, causal=False, max_iter=3, tol=None, n_jobs=None):
    r"""Doubly stochastic attention (Sinkformer) from attention scores.

    Each matrix ``S`` of the batch (e.g. ``Q K^T / sqrt(d)`` per head) is
    normalised in the log domain, alternately over rows and columns, starting
    and ending with the rows:

    .. math::

       f \leftarrow \log a - \operatorname{lse}_j(S_{ij} + g_j), \quad
       g \leftarrow \log b - \operatorname{lse}_i(S_{ij} + f_i), \quad
       P = \exp(S_{ij} + f_i + g_j),

    with ``a = 1`` on rows and ``b = n_rows / n_cols`` on columns that have an
    allowed entry. ``max_iter=0`` is the masked softmax; a few iterations give
    Sinkformers' attention; many (with ``tol``) the doubly stochastic limit.
    Masked entries stay exactly 0 and never produce NaN.

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    scores : array-like of shape (..., n, m)
        Attention scores (float32 kept in the output; computed in float64);
        ``-inf`` masks an entry.
    mask : array-like of bool, default=None
        Broadcastable to ``scores``' shape; True where attention is allowed
        (the convention of PyTorch's ``scaled_dot_product_attention``), e.g.
        a padding mask of shape ``(batch, 1, 1, m)``.
    causal : bool, default=False
        Also mask ``j > i`` (query ``i`` attends to keys ``0..i``).
    max_iter : int, default=3
        Column normalisations (each followed by a row normalisation).
    tol : float, default=None
        Stop a matrix early when every column sum is within a relative
        ``tol`` of its target (rows are always exact). ``None``: exactly
        ``max_iter`` iterations (the usual choice in a network).
    n_jobs : int, default=None
        Threads over the matrices of the batch.

    Returns
    -------
    result : SinkhornAttentionResult
        ``matrix``, ``row_potential``, ``col_potential``, ``n_iter``,
        ``error``, ``empty_rows``, ``empty_cols``, ``converged``.

    Warns
    -----
    ConvergenceWarning
        With ``tol``, when some matrix did not reach it in ``max_iter``
        iterations (a causal mask has no doubly stochastic scaling: its
        iterates tend to the identity).

    See Also
    --------
    sinkhorn_attention_vjp : The backward pass.
    sinkhorn_normalize : Doubly stochastic scaling of one matrix or a batch.

    References
    ----------
    .. [1] M. E. Sander, P. Ablin, M. Blondel, G. Peyré. "Sinkformers:
       Transformers with doubly stochastic attention." AISTATS (2022).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import sinkhorn_attention
    >>> S = np.random.RandomState(0).randn(2, 4, 4)
    >>> res = sinkhorn_attention(S, max_iter=50, tol=1e-12)
    >>> bool(np.allclose(res.matrix.sum(-1), 1) and np.allclose(res.matrix.sum(-2), 1))
    True
    """
    S, shape, dtype, loga, logb, b, rows, cols = _prepare(scores, mask, causal)
    F, G, P, n_iter, error = _forward(S, loga, logb, b, max_iter, tol, n_jobs)
    B = S.shape[0]
    idx = np.arange(B)
    f = F[idx, n_iter]
    g = np.where(n_iter[:, None] > 0, G[idx, np.maximum(n_iter - 1, 0)], 0.0)
    converged = True
    if tol is not None:
        converged = bool((error <= tol).all())
        if not converged:
            warnings.warn(
                f"sinkhorn_attention: {int((error > tol).sum())} of {B} matrices did not reach "
                f"tol={tol:g} in max_iter={max_iter} iterations (largest column error "
                f"{error.max():.3e}).",
                ConvergenceWarning,
                stacklevel=2,
            )
    lead = shape[:-2]
    n, m = shape[-2:]
    return SinkhornAttentionResult(
        matrix=P.reshape(shape).astype(dtype, copy=False),
        row_potential=f.reshape(lead + (n,)),
        col_potential=g.reshape(lead + (m,)),
        n_iter=n_iter.reshape(lead),
        error=error.reshape(lead),
        empty_rows=~rows.reshape(lead + (n,)),
        empty_cols=~cols.reshape(lead + (m,)),
        converged=converged,
    )


def _implicit_vjp(P, Pbar, max_cg):
    """VJP of the doubly stochastic limit: ``Sbar = P o (Pbar - alpha_i - beta_j)`` with
    ``[diag(P1) P; P^T diag(P^T 1)] [alpha; beta] = [(P o Pbar) 1; (P o Pbar)^T 1]``
    (symmetric positive semi-definite, consistent), solved by batched CG."""
    W = P * Pbar
    rs, cs = P.sum(axis=2), P.sum(axis=1)
    r, c = W.sum(axis=2), W.sum(axis=1)

    def matvec(u, v):
        return rs * u + np.einsum("bij,bj->bi", P, v), np.einsum("bij,bi->bj", P, u) + cs * v

    u = np.zeros_like(r)
    v = np.zeros_like(c)
    ru, rv = r.copy(), c.copy()
    pu, pv = ru.copy(), rv.copy()
    rho = (ru * ru).sum(axis=1) + (rv * rv).sum(axis=1)
    norm0 = np.sqrt(rho)
    for _ in range(max_cg):
        if (np.sqrt(rho) <= 1e-13 * np.maximum(norm0, 1e-300)).all():
            break
        qu, qv = matvec(pu, pv)
        den = (pu * qu).sum(axis=1) + (pv * qv).sum(axis=1)
        alpha = np.where(den > 0, rho / np.where(den > 0, den, 1.0), 0.0)
        u += alpha[:, None] * pu
        v += alpha[:, None] * pv
        ru -= alpha[:, None] * qu
        rv -= alpha[:, None] * qv
        rho_new = (ru * ru).sum(axis=1) + (rv * rv).sum(axis=1)
        beta = np.where(rho > 0, rho_new / np.where(rho > 0, rho, 1.0), 0.0)
        pu = ru + beta[:, None] * pu
        pv = rv + beta[:, None] * pv
        rho = rho_new
    return P * (Pbar - u[:, :, None] - v[:, None, :])


@validate_params(
    {**_COMMON, "grad": ["array-like"], "method": [StrOptions({"unrolled", "implicit"})]},
    prefer_skip_nested_validation=True,
)
def sinkhorn_attention_vjp(
    scores,
    grad,
    *,
    mask=None,
    causal=False,
    max_iter=3,
    tol=None,
    method="unrolled",
    n_jobs=None,
):
    r"""Gradient with respect to the scores of :func:`sinkhorn_attention` (backward pass).

    Given ``grad`` :math:`= \partial L / \partial P` returns
    :math:`\partial L / \partial S`, the vector-Jacobian product.

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    scores : array-like of shape (..., n, m)
        The scores given to :func:`sinkhorn_attention`.
    grad : array-like of shape (..., n, m)
        Gradient of the loss with respect to the attention matrix.
    mask : array-like of bool, default=None
        As for :func:`sinkhorn_attention`.
    causal : bool, default=False
        As for :func:`sinkhorn_attention`.
    max_iter : int, default=3
        As for :func:`sinkhorn_attention`.
    tol : float, default=None
        As for :func:`sinkhorn_attention`.
    method : {"unrolled", "implicit"}, default="unrolled"
        ``"unrolled"``: the exact derivative of the iterations the forward
        pass ran (reverse mode through every normalisation; memory
        ``O(max_iter (n + m))`` per matrix besides the scores).
        ``"implicit"``: the derivative of the doubly stochastic limit, by
        implicit differentiation of the fixed point (one linear solve per
        matrix, by conjugate gradients); exact when the forward pass has
        converged (use with ``tol``), independent of the iteration count.
    n_jobs : int, default=None
        Threads over the matrices of the batch.

    Returns
    -------
    grad_scores : ndarray of shape (..., n, m)
        :math:`\partial L / \partial S` (dtype of the scores); 0 on masked
        entries.

    See Also
    --------
    sinkhorn_attention : The forward pass.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import sinkhorn_attention, sinkhorn_attention_vjp
    >>> S = np.random.RandomState(0).randn(3, 3)
    >>> G = np.random.RandomState(1).randn(3, 3)
    >>> dS = sinkhorn_attention_vjp(S, G, max_iter=2)
    >>> E = np.zeros((3, 3)); E[0, 1] = 1e-6
    >>> up = sinkhorn_attention(S + E, max_iter=2).matrix
    >>> down = sinkhorn_attention(S - E, max_iter=2).matrix
    >>> bool(np.isclose(((up - down) * G).sum() / 2e-6, dS[0, 1]))
    True
    """
    from . import _attention_kernels as k

    S, shape, dtype, loga, logb, b, _, _ = _prepare(scores, mask, causal)
    Pbar = np.asarray(grad)
    if Pbar.shape != shape:
        raise ValueError(f"grad must have the shape of scores {shape}, got {Pbar.shape}.")
    if not np.issubdtype(Pbar.dtype, np.number) or np.iscomplexobj(Pbar):
        raise TypeError(f"grad must hold real numbers, got dtype {Pbar.dtype}.")
    Pbar = np.ascontiguousarray(Pbar, dtype=np.float64).reshape(S.shape)
    if not np.isfinite(Pbar).all():
        raise ValueError("grad must be finite.")
    F, G, P, n_iter, error = _forward(S, loga, logb, b, max_iter, tol, n_jobs)
    if method == "implicit":
        out = _implicit_vjp(P, Pbar, max_cg=2 * (S.shape[1] + S.shape[2]) + 10)
        out[np.isneginf(S)] = 0.0
    else:
        out = np.empty_like(S)
        with numba_threads(n_jobs) as n_threads:
            work = S.size * (2 * max_iter + 2)
            select(k.attention_backward, work, n_threads, "matvec")(
                S, logb, F, G, n_iter, P, Pbar, out
            )
    return out.reshape(shape).astype(dtype, copy=False)
