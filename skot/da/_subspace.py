"""Feature-level domain adaptation baselines: CORAL, Subspace Alignment, TCA.

Each is a transformer fitted on stacked source and target rows (the
``(X, y, sample_domain)`` convention of :mod:`skot.da._domain`). ``transform``
maps source rows (``sample_domain >= 0``) and target rows (``< 0``, or every
row when ``sample_domain`` is ``None``) into a common representation, so a
classifier trained on the mapped source rows applies to the mapped target
rows. Dense linear algebra only (no kernels to compile).
"""

from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import check_memory
from ._base import apply_domains, fit_domains

__all__ = ["CORAL", "SubspaceAlignment", "TransferComponentAnalysis"]

_DOMAIN_REQUEST = {"sample_domain": True}


def _covariance(X, reg):
    """Covariance of the rows of ``X`` (float64), shrunk as ``reg`` says."""
    from sklearn.covariance import empirical_covariance, ledoit_wolf, shrunk_covariance

    if reg is None:
        return empirical_covariance(X)
    if reg == "auto":
        # Ledoit-Wolf on standardised columns, scaled back (scale-equivariant)
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        C = ledoit_wolf((X - X.mean(axis=0)) / scale)[0]
        return scale[:, None] * C * scale[None, :]
    return shrunk_covariance(empirical_covariance(X), shrinkage=float(reg))


def _spd_power(C, power):
    """``C ** power`` for a symmetric positive semi-definite ``C`` (eigh)."""
    w, V = linalg.eigh(C)
    floor = max(float(w.max()), 0.0) * C.shape[0] * np.finfo(np.float64).eps
    if power < 0 and w.min() <= floor:
        raise ValueError(
            "CORAL: the source covariance is singular (smallest eigenvalue "
            f"{w.min():.3g}); use reg='auto' or a shrinkage reg > 0."
        )
    w = np.maximum(w, 0.0)
    return (V * w**power) @ V.T


class _DomainTransformer(TransformerMixin, BaseEstimator):
    """Transformers whose fit and transform route ``sample_domain``.

    Subclasses define ``_fit(X, y, sample_domain)`` and ``_map(X, source)``.
    """

    __metadata_request__fit = _DOMAIN_REQUEST
    __metadata_request__transform = _DOMAIN_REQUEST

    def _mapped(self, X, sd):
        X64 = np.asarray(X, dtype=np.float64)
        source = sd >= 0
        out = self._map(X64, source)
        return out.astype(X.dtype, copy=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit, then map the fitted rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows. Only
            used to find the target rows when ``sample_domain`` is ``None``.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Source and target rows mapped, in the input order.
        """
        X, sd = self._fit(X, y, sample_domain)
        return self._mapped(X, sd)

    def transform(self, X, sample_domain=None):
        """Map rows into the common representation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (``>= 0`` source, ``< 0`` target); ``None``
            means every row is a target row.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The mapped rows.
        """
        X, sd = apply_domains(self, X, sample_domain)
        return self._mapped(X, sd)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class CORAL(OneToOneFeatureMixin, _DomainTransformer):
    r"""Correlation alignment: recolour source rows with the target covariance.

    With :math:`C_s`, :math:`C_t` the (shrunk) covariances and
    :math:`\mu_s`, :math:`\mu_t` the means of the source and target rows,
    source rows map to :math:`(x - \mu_s) C_s^{-1/2} C_t^{1/2}` and target
    rows to :math:`x - \mu_t` (Sun et al. 2016), so both have mean zero and
    covariance :math:`C_t`.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    reg : "auto", float in [0, 1] or None, default="auto"
        Covariance shrinkage: ``"auto"`` is Ledoit-Wolf on standardised
        columns, a float the shrinkage coefficient, ``None`` the empirical
        covariance (the source covariance must then be invertible).

    Attributes
    ----------
    mean_source_ : ndarray of shape (n_features,)
        Mean of the source rows.
    mean_target_ : ndarray of shape (n_features,)
        Mean of the target rows.
    cov_source_inv_sqrt_ : ndarray of shape (n_features, n_features)
        :math:`C_s^{-1/2}`.
    cov_target_sqrt_ : ndarray of shape (n_features, n_features)
        :math:`C_t^{1/2}`.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    SubspaceAlignment : Aligns principal subspaces instead of covariances.

    References
    ----------
    .. [1] B. Sun, J. Feng, K. Saenko. "Return of frustratingly easy domain
       adaptation." AAAI 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._subspace import CORAL
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(50, 2)), 3 * rng.normal(size=(50, 2))])
    >>> sd = np.repeat([1, -2], 50)
    >>> Xa = CORAL(reg=None).fit_transform(X, sample_domain=sd)
    >>> np.allclose(np.cov(Xa[:50].T), np.cov(Xa[50:].T))
    True
    """

    _parameter_constraints: dict = {
        "reg": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both"), None],
    }

    def __init__(self, reg="auto"):
        self.reg = reg

    def _fit(self, X, y, sample_domain):
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        X64 = np.asarray(X, dtype=np.float64)
        Xs, Xt = X64[source], X64[~source]
        self.mean_source_ = Xs.mean(axis=0)
        self.mean_target_ = Xt.mean(axis=0)
        self.cov_source_inv_sqrt_ = _spd_power(_covariance(Xs, self.reg), -0.5)
        self.cov_target_sqrt_ = _spd_power(_covariance(Xt, self.reg), 0.5)
        self.domains_ = np.unique(sd)
        return X, sd

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Learn the means and covariances of the source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows. Only
            used to find the target rows when ``sample_domain`` is ``None``.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._fit(X, y, sample_domain)
        return self

    def _map(self, X, source):
        out = X - self.mean_target_
        if source.any():
            out[source] = (
                (X[source] - self.mean_source_) @ self.cov_source_inv_sqrt_
            ) @ self.cov_target_sqrt_
        return out


class SubspaceAlignment(ClassNamePrefixFeaturesOutMixin, _DomainTransformer):
    r"""Subspace alignment: align the source PCA basis with the target's.

    With :math:`P_s`, :math:`P_t` the ``n_components`` principal axes (rows)
    of the source and target rows, source rows map to
    :math:`(x - \mu_s) P_s^\top P_s P_t^\top` and target rows to
    :math:`(x - \mu_t) P_t^\top` (Fernando et al. 2013).

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the subspaces; ``None`` means
        ``min(n_source, n_target, n_features)``.
    random_state : int, RandomState instance or None, default=None
        Seed of the randomised PCA solver (used on large inputs).

    Attributes
    ----------
    pca_source_ : sklearn.decomposition.PCA
        PCA fitted on the source rows.
    pca_target_ : sklearn.decomposition.PCA
        PCA fitted on the target rows.
    alignment_ : ndarray of shape (n_components, n_components)
        :math:`M = P_s P_t^\top`.
    n_components_ : int
        Dimension used.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    CORAL : Aligns second-order statistics in the full space.

    References
    ----------
    .. [1] B. Fernando, A. Habrard, M. Sebban, T. Tuytelaars. "Unsupervised
       visual domain adaptation using subspace alignment." ICCV 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._subspace import SubspaceAlignment
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> sd = np.repeat([1, -2], 20)
    >>> SubspaceAlignment(n_components=2).fit_transform(X, sample_domain=sd).shape
    (40, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=None, random_state=None):
        self.n_components = n_components
        self.random_state = random_state

    def _fit(self, X, y, sample_domain):
        from sklearn.decomposition import PCA

        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        X64 = np.asarray(X, dtype=np.float64)
        Xs, Xt = X64[source], X64[~source]
        k_max = min(Xs.shape[0], Xt.shape[0], X.shape[1])
        k = k_max if self.n_components is None else self.n_components
        if k > k_max:
            raise ValueError(
                f"n_components={k} must be <= min(n_source, n_target, n_features) = {k_max}."
            )
        self.pca_source_ = PCA(k, random_state=self.random_state).fit(Xs)
        self.pca_target_ = PCA(k, random_state=self.random_state).fit(Xt)
        self.alignment_ = self.pca_source_.components_ @ self.pca_target_.components_.T
        self.n_components_ = k
        self._n_features_out = k
        self.domains_ = np.unique(sd)
        return X, sd

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Learn the principal subspaces of the source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows. Only
            used to find the target rows when ``sample_domain`` is ``None``.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._fit(X, y, sample_domain)
        return self

    def _map(self, X, source):
        out = np.empty((X.shape[0], self.n_components_))
        if (~source).any():
            out[~source] = self.pca_target_.transform(X[~source])
        if source.any():
            out[source] = self.pca_source_.transform(X[source]) @ self.alignment_
        return out


class TransferComponentAnalysis(ClassNamePrefixFeaturesOutMixin, _DomainTransformer):
    r"""Transfer component analysis: a kernel embedding that matches the domains.

    With :math:`K` the kernel matrix of the ``n`` fitted rows, :math:`L` the
    MMD matrix (:math:`1/n_s^2` within the source, :math:`1/n_t^2` within
    the target, :math:`-1/(n_s n_t)` across) and :math:`H` the centring
    matrix, the embedding :math:`W` maximises the embedded variance
    :math:`\mathrm{tr}(W^\top K H K W)` at fixed
    :math:`W^\top (I + \mu K L K) W`: the leading ``n_components``
    generalised eigenvectors of :math:`(KHK, I + \mu KLK)` (Pan et al.
    2011). A row maps to :math:`k(x, X_{fit}) W`, whatever its domain.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    n_components : int, default=None
        Embedding dimension; ``None`` means ``min(n_samples, n_features)``.
    kernel : {"rbf", "linear", "poly", "sigmoid", "laplacian", "cosine"}, default="rbf"
        Kernel (:func:`sklearn.metrics.pairwise.pairwise_kernels`).
    gamma : float, default=None
        Kernel coefficient (``None``: scikit-learn's default, ``1 /
        n_features``).
    mu : float, default=0.1
        Weight of the MMD term: larger values match the domains more
        tightly.

    Attributes
    ----------
    X_fit_ : ndarray of shape (n_fit, n_features)
        The fitted rows (source, then target).
    components_ : ndarray of shape (n_fit, n_components)
        The embedding :math:`W`.
    eigenvalues_ : ndarray of shape (n_components,)
        Generalised eigenvalues of the kept components, decreasing.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    SubspaceAlignment : A linear, non-kernel alternative.

    References
    ----------
    .. [1] S. J. Pan, I. W. Tsang, J. T. Kwok, Q. Yang. "Domain adaptation
       via transfer component analysis." IEEE TNN 22(2), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._subspace import TransferComponentAnalysis
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> sd = np.repeat([1, -2], 20)
    >>> tca = TransferComponentAnalysis(n_components=2)
    >>> tca.fit_transform(X, sample_domain=sd).shape
    (40, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "kernel": [StrOptions({"rbf", "linear", "poly", "sigmoid", "laplacian", "cosine"})],
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "mu": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, n_components=None, *, kernel="rbf", gamma=None, mu=0.1):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.mu = mu

    def _kernel(self, A, B):
        from sklearn.metrics.pairwise import pairwise_kernels

        return pairwise_kernels(A, B, metric=self.kernel, filter_params=True, gamma=self.gamma)

    def _fit(self, X, y, sample_domain):
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        n = X.shape[0]
        check_memory(
            5 * n * n * 8,
            f"the {n} x {n} kernel matrices of {type(self).__name__}",
            hint="Fit on fewer rows (subsample source or target).",
        )
        k = min(n, X.shape[1]) if self.n_components is None else self.n_components
        if k > n:
            raise ValueError(f"n_components={k} must be <= the number of rows ({n}).")
        X64 = np.asarray(X, dtype=np.float64)
        order = np.concatenate([np.flatnonzero(source), np.flatnonzero(~source)])
        Xf = X64[order]
        ns = int(source.sum())
        nt = n - ns
        K = self._kernel(Xf, Xf)
        e = np.concatenate([np.full(ns, 1.0 / ns), np.full(nt, -1.0 / nt)])
        Ke = K @ e
        A = np.eye(n) + self.mu * np.outer(Ke, Ke)  # I + mu K L K, L = e e^T
        KH = K - K.mean(axis=1, keepdims=True)
        B = KH @ KH.T  # K H K (H idempotent)
        B = 0.5 * (B + B.T)
        w, V = linalg.eigh(B, A, subset_by_index=[n - k, n - 1])
        self.eigenvalues_ = w[::-1]
        self.components_ = V[:, ::-1]
        self.X_fit_ = Xf
        self._n_features_out = k
        self.domains_ = np.unique(sd)
        return X, sd

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Learn the embedding from the source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows. Only
            used to find the target rows when ``sample_domain`` is ``None``.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._fit(X, y, sample_domain)
        return self

    def _map(self, X, source):
        check_is_fitted(self)
        return self._kernel(X, self.X_fit_) @ self.components_
