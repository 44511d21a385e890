"""Importance weighting for covariate shift.

Under covariate shift the source and target share ``p(y | x)`` and differ in
``p(x)``; a model trained on source rows weighted by the density ratio
``w(x) = p_t(x) / p_s(x)`` minimises the target risk (Shimodaira 2000). The
weighters below estimate ``w`` on the source rows of a stacked
``(X, y, sample_domain)`` fit and keep them in ``sample_weight_``; in
:func:`skot.da.make_da_pipeline` they go to the final estimator's
``sample_weight`` (trained on the labelled source rows only).

Every weighter normalises its source weights to mean one (the mean of ``w``
over the source distribution is one), so the final estimator sees the same
total weight as without reweighting.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..utils._validation import check_memory
from ._base import apply_domains, fit_domains

__all__ = [
    "DiscriminatorReweight",
    "KLIEPReweight",
    "KMMReweight",
    "NearestNeighborReweight",
]

_KERNELS = {"rbf", "linear", "poly", "sigmoid", "laplacian", "cosine"}


def _gamma_value(gamma, X):
    """A positive float from ``gamma`` (``"scale"`` as scikit-learn's SVC)."""
    if gamma == "scale":
        var = float(np.asarray(X, dtype=np.float64).var())
        return 1.0 / (X.shape[1] * var) if var > 0 else 1.0
    if gamma == "auto":
        return 1.0 / X.shape[1]
    return float(gamma)


class _BaseWeighter(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Fit on stacked rows; ``sample_weight_`` holds one weight per fitted row.

    ``transform`` is the identity: in :func:`skot.da.make_da_pipeline` the
    weights of the labelled source rows go to the final estimator's
    ``sample_weight``.
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__transform = {"sample_domain": True}

    _normalise = True  # rescale the source weights to mean one

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Estimate the importance weights of the source rows.

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
            The fitted weighter; ``sample_weight_`` holds the weights.
        """
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        X64 = np.asarray(X, dtype=np.float64)
        ws = np.asarray(self._source_weights(X64[source], X64[~source]), dtype=np.float64)
        mean = ws.mean()
        if not mean > 0:
            raise ValueError(
                f"{type(self).__name__}: every source row got weight 0; the source and "
                "target rows do not overlap for this estimator's settings."
            )
        weights = np.ones(X.shape[0])
        weights[source] = ws / mean if self._normalise else ws
        self.sample_weight_ = weights
        self.domains_ = np.unique(sd)
        return self

    def transform(self, X, sample_domain=None):
        """Return the rows unchanged (the weights matter in fit only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (validated, otherwise unused).

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features)
            ``X`` as an array (a copy).
        """
        X, _ = apply_domains(self, X, sample_domain)
        return np.array(X, copy=True)

    def fit_weights(self, X, y=None, *, sample_domain=None):
        """Fit and return ``sample_weight_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Importance weight of each source row (mean one over the source
            rows); target rows get 1.
        """
        return self.fit(X, y, sample_domain=sample_domain).sample_weight_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class KMMReweight(_BaseWeighter):
    r"""Kernel mean matching: source weights whose kernel mean equals the target's.

    Solves the quadratic programme (Huang et al. 2007)

    .. math::
        \min_w \tfrac12 w^\top K w - \kappa^\top w \quad\text{s.t.}\quad
        0 \le w_i \le B,\ |\textstyle\sum_i w_i - n_s| \le n_s \epsilon,

    with :math:`K_{ii'} = k(x_i, x_{i'})` over source rows and
    :math:`\kappa_i = \frac{n_s}{n_t} \sum_j k(x_i, x^t_j)`, by accelerated
    projected gradient (FISTA with restarts; the projection onto the box and
    slab is exact, by bisection on a shift).

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    kernel : {"rbf", "linear", "poly", "sigmoid", "laplacian", "cosine"}, default="rbf"
        Kernel (:func:`sklearn.metrics.pairwise.pairwise_kernels`).
    gamma : float, "scale" or None, default=None
        Kernel coefficient; ``None`` is scikit-learn's default
        (``1 / n_features``), ``"scale"`` is ``1 / (n_features * X.var())``.
    B : float, default=1000.0
        Upper bound of each weight.
    eps : float, default=None
        Slack of the total weight; ``None`` means
        ``(sqrt(n_s) - 1) / sqrt(n_s)``.
    tol : float, default=1e-8
        Stop when the projected-gradient step changes ``w`` by less than
        ``tol * max(1, |w|_inf)``.
    max_iter : int, default=2000
        Maximum number of gradient steps.

    Attributes
    ----------
    sample_weight_ : ndarray of shape (n_samples,)
        Importance weight of each fitted row (source rows, mean one; target
        rows 1), in the order of the fitted rows.
    n_iter_ : int
        Gradient steps run.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    KLIEPReweight : A density-ratio model that also weights new rows.

    Notes
    -----
    The weights are the solution of the programme as it stands (their mean is
    within ``1 +- eps``), not rescaled to mean one. With a fast-decaying
    kernel spectrum the programme is ill-conditioned: its optimal value is
    reached to ``tol`` but weights along near-null directions of ``K`` are
    not identifiable.

    References
    ----------
    .. [1] J. Huang, A. Gretton, K. Borgwardt, B. Schölkopf, A. Smola.
       "Correcting sample selection bias by unlabeled data." NeurIPS 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._reweight import KMMReweight
    >>> X = np.array([[0.0], [1.0], [2.0], [1.9], [2.1]])
    >>> w = KMMReweight(gamma=1.0).fit_weights(X, sample_domain=[1, 1, 1, -2, -2])
    >>> bool(w[2] > w[0])
    True
    """

    _parameter_constraints: dict = {
        "kernel": [StrOptions(_KERNELS)],
        "gamma": [Interval(Real, 0, None, closed="neither"), StrOptions({"scale"}), None],
        "B": [Interval(Real, 0, None, closed="neither")],
        "eps": [Interval(Real, 0, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    _normalise = False

    def __init__(self, kernel="rbf", *, gamma=None, B=1000.0, eps=None, tol=1e-8, max_iter=2000):
        self.kernel = kernel
        self.gamma = gamma
        self.B = B
        self.eps = eps
        self.tol = tol
        self.max_iter = max_iter

    def _source_weights(self, Xs, Xt):
        from sklearn.metrics.pairwise import pairwise_kernels

        ns, nt = Xs.shape[0], Xt.shape[0]
        check_memory(
            2 * ns * ns * 8 + ns * nt * 8,
            f"the {ns} x {ns} kernel matrix of {type(self).__name__}",
            hint="Fit on fewer source rows.",
        )
        gamma = None if self.gamma is None else _gamma_value(self.gamma, np.vstack([Xs, Xt]))
        kw = {"metric": self.kernel, "filter_params": True, "gamma": gamma}
        K = pairwise_kernels(Xs, **kw)
        kappa = (ns / nt) * pairwise_kernels(Xs, Xt, **kw).sum(axis=1)
        eps = (np.sqrt(ns) - 1) / np.sqrt(ns) if self.eps is None else float(self.eps)
        w, self.n_iter_, converged = kmm_qp(
            K, kappa, float(self.B), ns * (1 - eps), ns * (1 + eps), self.tol, self.max_iter
        )
        if not converged:
            warnings.warn(
                f"KMMReweight did not converge in max_iter={self.max_iter} steps; "
                "increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return w


def _project_box_slab(v, upper, lo, hi):
    """Euclidean projection of ``v`` onto ``{0 <= w <= upper, lo <= sum w <= hi}``."""
    w = np.clip(v, 0.0, upper)
    s = w.sum()
    if lo <= s <= hi:
        return w
    target = hi if s > hi else lo
    # sum(clip(v - t, 0, upper)) is non-increasing in t: bisection on t
    t_lo, t_hi = float(v.min()) - upper, float(v.max())
    for _ in range(200):
        t = 0.5 * (t_lo + t_hi)
        if np.clip(v - t, 0.0, upper).sum() > target:
            t_lo = t
        else:
            t_hi = t
        if t_hi - t_lo <= 1e-15 * max(1.0, abs(t)):
            break
    return np.clip(v - 0.5 * (t_lo + t_hi), 0.0, upper)


def kmm_qp(K, kappa, upper, lo, hi, tol, max_iter):
    """Minimise ``w K w / 2 - kappa w`` on the box-and-slab set (FISTA).

    Returns ``(w, n_iter, converged)``.
    """
    n = K.shape[0]
    L = float(np.linalg.eigvalsh(K)[-1]) if n <= 2000 else float(np.abs(K).sum(axis=1).max())
    L = max(L, np.finfo(np.float64).tiny)
    w = _project_box_slab(np.ones(n), upper, lo, hi)
    z, t = w.copy(), 1.0
    f_old = np.inf
    for it in range(1, max_iter + 1):
        w_new = _project_box_slab(z - (K @ z - kappa) / L, upper, lo, hi)
        step = np.abs(w_new - w).max()
        if step <= tol * max(1.0, np.abs(w_new).max()):
            return w_new, it, True
        f_new = 0.5 * w_new @ (K @ w_new) - kappa @ w_new
        if f_new > f_old and t > 1.0:  # adaptive restart (O'Donoghue & Candès)
            t = 1.0
            z = w.copy()
            continue
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        z = w_new + ((t - 1) / t_new) * (w_new - w)
        w, t, f_old = w_new, t_new, f_new
    return w, max_iter, False


class KLIEPReweight(_BaseWeighter):
    r"""KLIEP: a kernel model of the density ratio fitted by maximum likelihood.

    The ratio is :math:`w(x) = \sum_l \alpha_l k(x, c_l)` with Gaussian
    kernels on ``n_centers`` target rows :math:`c_l`; :math:`\alpha \ge 0`
    maximises the target log-likelihood :math:`\sum_j \log w(x^t_j)` under
    :math:`\frac{1}{n_s}\sum_i w(x^s_i) = 1` (Sugiyama et al. 2008). The
    problem is concave; it is solved to ``tol`` by its EM fixed point
    :math:`\alpha_l \leftarrow \alpha_l \frac{1}{n_t b_l}\sum_j
    k(x^t_j, c_l) / w(x^t_j)`, :math:`b_l = \frac{1}{n_s}\sum_i k(x^s_i,
    c_l)`, which increases the likelihood at every step.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    gamma : float, "scale" or list of those, default="scale"
        Width of the Gaussian kernels, :math:`k(x, c) = \exp(-\gamma |x -
        c|^2)`; a list is searched by ``cv``-fold likelihood
        cross-validation on the target rows.
    n_centers : int, default=100
        Number of target rows used as centres (drawn without replacement).
    cv : int, default=5
        Folds of the cross-validation when ``gamma`` is a list.
    tol : float, default=1e-8
        Stop when the mean target log-likelihood gains less than ``tol``.
    max_iter : int, default=5000
        Maximum number of EM steps.
    random_state : int, RandomState instance or None, default=None
        Draw of the centres and of the folds.

    Attributes
    ----------
    sample_weight_ : ndarray of shape (n_samples,)
        Importance weight of each fitted row (source rows, mean one; target
        rows 1), in the order of the fitted rows.
    alpha_ : ndarray of shape (n_centers,)
        Coefficients of the ratio model.
    centers_ : ndarray of shape (n_centers, n_features)
        The centres.
    gamma_ : float
        The kernel width used (chosen by cross-validation for a list).
    n_iter_ : int
        EM steps run in the final fit.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    KMMReweight : Weights the fitted source rows only, by moment matching.

    References
    ----------
    .. [1] M. Sugiyama, S. Nakajima, H. Kashima, P. von Bünau, M. Kawanabe.
       "Direct importance estimation with model selection and its
       application to covariate shift adaptation." NeurIPS 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._reweight import KLIEPReweight
    >>> X = np.array([[0.0], [1.0], [2.0], [1.9], [2.1]])
    >>> w = KLIEPReweight(gamma=1.0).fit_weights(X, sample_domain=[1, 1, 1, -2, -2])
    >>> bool(w[2] > w[0])
    True
    """

    _parameter_constraints: dict = {
        "gamma": [Interval(Real, 0, None, closed="neither"), StrOptions({"scale"}), list],
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self, gamma="scale", *, n_centers=100, cv=5, tol=1e-8, max_iter=5000, random_state=None
    ):
        self.gamma = gamma
        self.n_centers = n_centers
        self.cv = cv
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _solve(self, gamma, Xs, Xt, centers):
        from sklearn.metrics.pairwise import rbf_kernel

        A = rbf_kernel(Xt, centers, gamma=gamma)
        b = rbf_kernel(Xs, centers, gamma=gamma).mean(axis=0)
        return kliep_em(A, b, self.tol, self.max_iter)

    def _source_weights(self, Xs, Xt):
        from sklearn.metrics.pairwise import rbf_kernel

        rng = check_random_state(self.random_state)
        X = np.vstack([Xs, Xt])
        gammas = self.gamma if isinstance(self.gamma, list) else [self.gamma]
        if not gammas:
            raise ValueError("gamma must not be an empty list.")
        gammas = [_gamma_value(g, X) for g in gammas]
        nt = Xt.shape[0]
        k = min(self.n_centers, nt)
        if len(gammas) > 1:
            if nt < self.cv:
                raise ValueError(
                    f"cv={self.cv} folds need at least {self.cv} target rows, got {nt}."
                )
            folds = np.array_split(rng.permutation(nt), self.cv)
            scores = []
            for g in gammas:
                ll = []
                for f in range(self.cv):
                    train = np.concatenate([folds[i] for i in range(self.cv) if i != f])
                    Xtr = Xt[train]
                    c = Xtr[rng.choice(Xtr.shape[0], min(k, Xtr.shape[0]), replace=False)]
                    alpha, _, _ = self._solve(g, Xs, Xtr, c)
                    w = rbf_kernel(Xt[folds[f]], c, gamma=g) @ alpha
                    ll.append(np.mean(np.log(np.maximum(w, np.finfo(np.float64).tiny))))
                scores.append(np.mean(ll))
            self.cv_log_likelihood_ = np.asarray(scores)
            gamma = gammas[int(np.argmax(scores))]
        else:
            gamma = gammas[0]
        centers = Xt[rng.choice(nt, k, replace=False)]
        alpha, self.n_iter_, converged = self._solve(gamma, Xs, Xt, centers)
        if not converged:
            warnings.warn(
                f"KLIEPReweight did not converge in max_iter={self.max_iter} steps; "
                "increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self.alpha_, self.centers_, self.gamma_ = alpha, centers, gamma
        return rbf_kernel(Xs, centers, gamma=gamma) @ alpha


def kliep_em(A, b, tol, max_iter):
    """Maximise ``sum_j log (A alpha)_j`` over ``alpha >= 0, b alpha = 1`` (EM).

    Returns ``(alpha, n_iter, converged)``.
    """
    nt, k = A.shape
    tiny = np.finfo(np.float64).tiny
    keep = b > tiny
    alpha = np.where(keep, 1.0 / (k * np.where(keep, b, 1.0)), 0.0)
    ll_old = np.mean(np.log(np.maximum(A @ alpha, tiny)))
    for it in range(1, max_iter + 1):
        r = 1.0 / np.maximum(A @ alpha, tiny)
        alpha = np.where(keep, alpha * (A.T @ r) / (nt * np.where(keep, b, 1.0)), 0.0)
        alpha /= b @ alpha
        ll = np.mean(np.log(np.maximum(A @ alpha, tiny)))
        if abs(ll - ll_old) <= tol:
            return alpha, it, True
        ll_old = ll
    return alpha, max_iter, False


class DiscriminatorReweight(_BaseWeighter):
    r"""Density ratio from a classifier that tells target rows from source rows.

    With :math:`p(t \mid x)` the probability that a domain classifier gives
    to "target", Bayes' rule gives :math:`w(x) = \frac{p_t(x)}{p_s(x)} =
    \frac{n_s}{n_t} \frac{p(t \mid x)}{1 - p(t \mid x)}` (Bickel et al.
    2007).

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    domain_classifier : classifier with predict_proba, default=None
        Trained to separate target (1) from source (0) rows; ``None`` means
        ``LogisticRegression()``.
    clip : float, default=1e-6
        The target probability is clipped to ``[clip, 1 - clip]``, bounding
        the weights.

    Attributes
    ----------
    sample_weight_ : ndarray of shape (n_samples,)
        Importance weight of each fitted row (source rows, mean one; target
        rows 1), in the order of the fitted rows.
    domain_classifier_ : classifier
        The fitted domain classifier.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    KLIEPReweight : A kernel density-ratio model.

    References
    ----------
    .. [1] S. Bickel, M. Brückner, T. Scheffer. "Discriminative learning for
       differing training and test distributions." ICML 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._reweight import DiscriminatorReweight
    >>> X = np.array([[0.0], [1.0], [2.0], [1.9], [2.1]])
    >>> w = DiscriminatorReweight().fit_weights(X, sample_domain=[1, 1, 1, -2, -2])
    >>> bool(w[2] > w[0])
    True
    """

    _parameter_constraints: dict = {
        "domain_classifier": [HasMethods(["fit", "predict_proba"]), None],
        "clip": [Interval(Real, 0, 0.5, closed="left")],
    }

    def __init__(self, domain_classifier=None, *, clip=1e-6):
        self.domain_classifier = domain_classifier
        self.clip = clip

    def _source_weights(self, Xs, Xt):
        from sklearn.linear_model import LogisticRegression

        est = self.domain_classifier
        est = clone(est) if est is not None else LogisticRegression()
        X = np.vstack([Xs, Xt])
        d = np.r_[np.zeros(Xs.shape[0], dtype=int), np.ones(Xt.shape[0], dtype=int)]
        est.fit(X, d)
        self.domain_classifier_ = est
        col = int(np.flatnonzero(np.asarray(est.classes_) == 1)[0])
        p = np.clip(est.predict_proba(Xs)[:, col], self.clip, 1 - self.clip)
        return (Xs.shape[0] / Xt.shape[0]) * p / (1 - p)


class NearestNeighborReweight(_BaseWeighter):
    r"""Weight each source row by the target rows it is nearest to.

    Each target row gives :math:`1/k` to each of its ``n_neighbors`` nearest
    source rows; a source row's weight is what it receives (plus
    ``laplace_smoothing``), a nearest-neighbour estimate of the density
    ratio (Loog 2012).

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    n_neighbors : int, default=1
        Number of source neighbours of each target row.
    laplace_smoothing : float, default=0.0
        Added to every count, so that no source row gets weight 0.
    metric : str, default="minkowski"
        Distance of :class:`sklearn.neighbors.NearestNeighbors`.
    n_jobs : int, default=None
        Parallel jobs of the neighbour search.

    Attributes
    ----------
    sample_weight_ : ndarray of shape (n_samples,)
        Importance weight of each fitted row (source rows, mean one; target
        rows 1), in the order of the fitted rows.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    KMMReweight : Kernel mean matching.

    References
    ----------
    .. [1] M. Loog. "Nearest neighbor-based importance weighting." IEEE
       MLSP 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._reweight import NearestNeighborReweight
    >>> X = np.array([[0.0], [1.0], [2.0], [1.9], [2.1]])
    >>> NearestNeighborReweight().fit_weights(X, sample_domain=[1, 1, 1, -2, -2])
    array([0., 0., 3., 1., 1.])
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "laplace_smoothing": [Interval(Real, 0, None, closed="left")],
        "metric": [str, callable],
        "n_jobs": [Integral, None],
    }

    def __init__(self, n_neighbors=1, *, laplace_smoothing=0.0, metric="minkowski", n_jobs=None):
        self.n_neighbors = n_neighbors
        self.laplace_smoothing = laplace_smoothing
        self.metric = metric
        self.n_jobs = n_jobs

    def _source_weights(self, Xs, Xt):
        from sklearn.neighbors import NearestNeighbors

        k = self.n_neighbors
        if k > Xs.shape[0]:
            raise ValueError(
                f"n_neighbors={k} must be <= the number of source rows ({Xs.shape[0]})."
            )
        nn = NearestNeighbors(n_neighbors=k, metric=self.metric, n_jobs=self.n_jobs).fit(Xs)
        idx = nn.kneighbors(Xt, return_distance=False)
        counts = np.bincount(idx.ravel(), minlength=Xs.shape[0]) / k
        return counts + float(self.laplace_smoothing)
