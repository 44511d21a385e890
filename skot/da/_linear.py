"""Closed-form linear (Gaussian / Bures-Wasserstein) transport between domains."""

import time
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import BaseTransport

__all__ = ["LinearTransport"]


class LinearTransport(BaseTransport):
    """Closed-form linear (Gaussian / Bures-Wasserstein) mapping.

    Fits a Gaussian to each domain and maps the source Gaussian onto the
    target one with the optimal-transport map between Gaussians:
    ``T(x) = (x - m_s) A + m_t`` with
    ``A = S_s^{-1/2} (S_s^{1/2} S_t S_s^{1/2})^{1/2} S_s^{-1/2}``, where
    ``m``, ``S`` are the means and (``reg``-regularised) covariances. No
    coupling and no iteration: O(n d^2 + d^3). ``inverse_transform`` uses the
    map from target to source.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    reg : float, default=1e-8
        Added to the diagonal of both covariances.
    bias : bool, default=True
        Estimate and transport the means; ``False`` assumes centred data.
    verbose : int, default=0
        ``> 0``: print the fitted domains' sizes and the time after fit.

    Attributes
    ----------
    A_ : ndarray of shape (n_features, n_features)
        Linear part of the source-to-target map (``x @ A_ + B_``).
    B_ : ndarray of shape (n_features,)
        Offset of the source-to-target map.
    A1_ : ndarray of shape (n_features, n_features)
        Linear part of the target-to-source map.
    B1_ : ndarray of shape (n_features,)
        Offset of the target-to-source map.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    SinkhornTransport : A non-linear map from an entropic coupling.

    References
    ----------
    .. [1] M. Knott, C. S. Smith. "On the optimal mapping of distributions."
       J. Optimization Theory and Applications 43(1), 1984.
    .. [2] R. Flamary, K. Lounici, A. Ferrari. "Concentration bounds for linear
       Monge mapping estimation and optimal transport domain adaptation."
       arXiv:1905.10155, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import LinearTransport
    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> LinearTransport().fit_transform(X, y).ravel().round(6)
    array([10., 14., 10., 14.])
    """

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="left")],
        "bias": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, reg=1e-8, *, bias=True, verbose=0):
        self.reg = reg
        self.bias = bias
        self.verbose = verbose

    def _fit_transport(self, Xs, Xt, ys, ws=None, wt=None):
        start = time.perf_counter()
        Xs = np.asarray(Xs, dtype=np.float64)
        Xt = np.asarray(Xt, dtype=np.float64)
        self.A_, self.B_ = _bures_map(Xs, Xt, self.reg, self.bias, ws, wt)
        self.A1_, self.B1_ = _bures_map(Xt, Xs, self.reg, self.bias, wt, ws)
        if self.verbose:
            print(
                f"LinearTransport: Gaussian maps between {Xs.shape[0]} source and "
                f"{Xt.shape[0]} target rows in {Xs.shape[1]} dimensions "
                f"({time.perf_counter() - start:.3f} s)"
            )

    def _map_source(self, Xs, fitted=None):
        return np.asarray(Xs, dtype=np.float64) @ self.A_ + self.B_

    def _map_target(self, Xt, fitted=None):
        return np.asarray(Xt, dtype=np.float64) @ self.A1_ + self.B1_


def _sym_sqrt(S, inverse=False):
    w, V = np.linalg.eigh(S)
    w = np.clip(w, 0.0, None)
    r = np.sqrt(w)
    if inverse:
        if np.any(r <= 0):
            raise ValueError(
                "LinearTransport: a domain's covariance is singular; increase reg "
                f"(reg > 0 makes it definite), smallest eigenvalue {w.min()!r}."
            )
        r = 1.0 / r
    return (V * r) @ V.T


def _bures_map(Xs, Xt, reg, bias, ws=None, wt=None):
    """Gaussian map source -> target; ``ws``/``wt``: row masses (sum 1) or None."""
    d = Xs.shape[1]
    ws = np.full(Xs.shape[0], 1.0 / Xs.shape[0]) if ws is None else ws
    wt = np.full(Xt.shape[0], 1.0 / Xt.shape[0]) if wt is None else wt
    if bias:
        ms, mt = ws @ Xs, wt @ Xt
        Xs, Xt = Xs - ms, Xt - mt
    else:
        ms = mt = np.zeros(d)
    Cs = (Xs * ws[:, None]).T @ Xs + reg * np.eye(d)
    Ct = (Xt * wt[:, None]).T @ Xt + reg * np.eye(d)
    Cs12 = _sym_sqrt(Cs)
    Cs_12 = _sym_sqrt(Cs, inverse=True)
    M0 = _sym_sqrt(Cs12 @ Ct @ Cs12)
    A = Cs_12 @ M0 @ Cs_12
    return A, mt - ms @ A
