"""Joint distribution optimal transport (JDOT, Courty et al. 2017).

JDOT learns a target model ``f`` and a coupling ``P`` between source rows
``(x_i, y_i)`` and target rows ``x_j`` that minimise

.. math::
    \\sum_{ij} P_{ij} \\big[(1 - \\alpha) \\tilde d(x_i, x_j)
    + \\alpha\\, L(y_i, f(x_j))\\big],

with :math:`\\tilde d` the squared Euclidean distance divided by its mean.
Block coordinate descent alternates an optimal-transport problem (``f``
fixed: :func:`skot.ot.emd`, or :func:`skot.ot.sinkhorn` when ``reg > 0``)
and a supervised fit of ``f`` on the target rows with the labels the
coupling carries (``P`` fixed). The first coupling uses the features only.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._base import apply_domains, fit_domains
from ._domain import labelled_rows, score_rows

__all__ = ["JDOTClassifier", "JDOTRegressor"]

_REQ = {"sample_domain": True}


def _coupling(M, reg):
    from ..ot import emd, sinkhorn

    a = np.full(M.shape[0], 1.0 / M.shape[0])
    b = np.full(M.shape[1], 1.0 / M.shape[1])
    res = emd(a, b, M) if reg == 0 else sinkhorn(a, b, M, reg)
    return np.asarray(res.plan, dtype=np.float64)


class _LabelledScore:
    """``score`` on the labelled rows only (the DA contract)."""

    def score(self, X, y, sample_weight=None, sample_domain=None):
        """Accuracy (R^2 for the regressor) on the labelled rows of ``(X, y)``.

        Masked rows (``-1`` unless a class, ``NaN``) are never scored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row.

        Returns
        -------
        score : float
            Accuracy or R^2 on the labelled rows.
        """
        from sklearn.metrics import accuracy_score, r2_score

        check_is_fitted(self)
        labelled, sd = score_rows(y, sample_domain, classes=getattr(self, "classes_", None))
        if not labelled.any():
            raise ValueError(
                f"{type(self).__name__}.score needs labelled rows; to rate a model "
                "without target labels use a domain-adaptation scorer."
            )
        pred = self.predict(X, sample_domain=sd)
        w = None if sample_weight is None else np.asarray(sample_weight)[labelled]
        metric = accuracy_score if hasattr(self, "classes_") else r2_score
        return float(metric(np.asarray(y)[labelled], pred[labelled], sample_weight=w))


class _BaseJDOT(BaseEstimator):
    __metadata_request__fit = _REQ
    __metadata_request__predict = _REQ
    __metadata_request__score = _REQ

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator=None, *, alpha=0.5, reg=0.0, max_iter=100, tol=1e-5, verbose=0):
        self.estimator = estimator
        self.alpha = alpha
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Alternate couplings and model fits on the source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,)
            Labels of the source rows (target rows: ``-1`` or ``NaN``,
            ignored when ``sample_domain`` is given).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target. ``None``
            derives it from the label mask of ``y``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        name = type(self).__name__
        if y is None:
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None (y holds the "
                "labels of the source rows)."
            )
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        lab = labelled_rows(y, sd)
        if not lab.any():
            raise ValueError(f"{name} found no labelled source rows (every source y is NaN).")
        X64 = np.asarray(X, dtype=np.float64)
        Xs, ys, Xt = X64[lab], y[lab], X64[~source]
        ys = self._check_targets(ys)
        from ..ot import cost_matrix

        Mf = cost_matrix(Xs, Xt)
        mean = Mf.mean()
        Mf = Mf / mean if mean > 0 else Mf
        a = float(self.alpha)
        est = clone(self.estimator if self.estimator is not None else self._default())
        self.ot_losses_, self.label_losses_ = [], []
        Ml = None
        converged = False
        for it in range(1, self.max_iter + 1):
            M = (1 - a) * Mf if Ml is None else (1 - a) * Mf + a * Ml
            P = _coupling(M, float(self.reg))
            self._fit_model(est, Xt, ys, P)
            Ml = self._label_cost(est, Xt, ys)
            self.ot_losses_.append(float(np.sum(P * ((1 - a) * Mf + a * Ml))))
            if self.verbose:
                print(f"{name}: iteration {it}, JDOT loss {self.ot_losses_[-1]:.6g}")
            if it > 1:
                prev, cur = self.ot_losses_[-2], self.ot_losses_[-1]
                if abs(prev - cur) <= self.tol * max(abs(prev), np.finfo(float).tiny):
                    converged = True
                    break
        if not converged and self.max_iter > 1:
            warnings.warn(
                f"{name} did not converge in max_iter={self.max_iter} alternations; "
                "increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.estimator_ = est
        self.coupling_ = P
        self.n_iter_ = it
        self.domains_ = np.unique(sd)
        return self

    def predict(self, X, sample_domain=None):
        """Predict with the target model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (target rows, or any rows: the model is the target model).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (validated; the same model applies to all).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions.
        """
        X, _ = apply_domains(self, X, sample_domain)
        return self.estimator_.predict(X)


class JDOTRegressor(_LabelledScore, RegressorMixin, _BaseJDOT):
    """JDOT for regression: squared loss between transported and predicted values.

    With the coupling ``P`` fixed, the model is fitted on the target rows with
    the barycentric targets :math:`\\hat y_j = n_t \\sum_i P_{ij} y_i`; the
    label cost is :math:`(y_i - f(x_j))^2` (Courty et al. 2017).

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    estimator : regressor, default=None
        Target model; ``None`` means ``Ridge()``.
    alpha : float in [0, 1], default=0.5
        Weight of the label cost against the (mean-normalised) feature cost.
    reg : float, default=0.0
        Entropic regularisation of the couplings (0: exact transport,
        :func:`skot.ot.emd`; otherwise :func:`skot.ot.sinkhorn`).
    max_iter : int, default=100
        Maximum number of alternations.
    tol : float, default=1e-5
        Stop when the JDOT loss changes by less than ``tol`` relatively.
    verbose : int, default=0
        Print the loss at each alternation.

    Attributes
    ----------
    estimator_ : regressor
        The fitted target model.
    coupling_ : ndarray of shape (n_labelled_source, n_target)
        Final coupling.
    ot_losses_ : list of float
        JDOT loss after each alternation.
    label_losses_ : list of float
        Mean squared error of the model on its transported targets.
    n_iter_ : int
        Alternations run.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    JDOTClassifier : The classification form.

    References
    ----------
    .. [1] N. Courty, R. Flamary, A. Habrard, A. Rakotomamonjy. "Joint
       distribution optimal transportation for domain adaptation."
       NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._jdot import JDOTRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [0.5], [1.5], [2.5], [3.5]])
    >>> y = np.array([0.0, 1.0, 2.0, 3.0, np.nan, np.nan, np.nan, np.nan])
    >>> JDOTRegressor().fit(X, y).predict([[1.0]]).shape
    (1,)
    """

    def _default(self):
        from sklearn.linear_model import Ridge

        return Ridge()

    def _check_targets(self, ys):
        ys = np.asarray(ys, dtype=np.float64)
        if not np.isfinite(ys).all():
            raise ValueError("JDOTRegressor: the source labels must be finite numbers.")
        return ys

    def _fit_model(self, est, Xt, ys, P):
        col = P.sum(axis=0)
        yt = (P.T @ ys) / np.where(col > 0, col, 1.0)
        est.fit(Xt, yt)
        self.label_losses_.append(float(np.mean((yt - est.predict(Xt)) ** 2)))

    def _label_cost(self, est, Xt, ys):
        pred = np.asarray(est.predict(Xt), dtype=np.float64)
        return (ys[:, None] - pred[None, :]) ** 2


class JDOTClassifier(_LabelledScore, ClassifierMixin, _BaseJDOT):
    """JDOT for classification: cross-entropy between source labels and predictions.

    With the coupling ``P`` fixed, each target row is repeated once per
    class with ``sample_weight`` :math:`n_t \\sum_{i: y_i = c} P_{ij}` (its
    mass from class ``c``) and the model fitted on these rows; the label cost
    is :math:`-\\log p_f(y_i \\mid x_j)` (Courty et al. 2017). The model must
    accept ``sample_weight`` and have ``predict_proba`` or
    ``predict_log_proba``.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Target model; ``None`` means ``LogisticRegression()``.
    alpha : float in [0, 1], default=0.5
        Weight of the label cost against the (mean-normalised) feature cost.
    reg : float, default=0.0
        Entropic regularisation of the couplings (0: exact transport).
    max_iter : int, default=100
        Maximum number of alternations.
    tol : float, default=1e-5
        Stop when the JDOT loss changes by less than ``tol`` relatively.
    verbose : int, default=0
        Print the loss at each alternation.

    Attributes
    ----------
    estimator_ : classifier
        The fitted target model.
    classes_ : ndarray of shape (n_classes,)
        Classes of the source labels.
    coupling_ : ndarray of shape (n_labelled_source, n_target)
        Final coupling.
    ot_losses_ : list of float
        JDOT loss after each alternation.
    label_losses_ : list of float
        Weighted cross-entropy of the model on its transported labels.
    n_iter_ : int
        Alternations run.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    JDOTRegressor : The regression form.

    References
    ----------
    .. [1] N. Courty, R. Flamary, A. Habrard, A. Rakotomamonjy. "Joint
       distribution optimal transportation for domain adaptation."
       NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._jdot import JDOTClassifier
    >>> X = np.array([[0.0], [0.2], [2.0], [2.2], [0.5], [0.7], [2.5], [2.7]])
    >>> sd = np.repeat([1, -2], 4)
    >>> y = np.array([0, 0, 1, 1, -1, -1, -1, -1])
    >>> JDOTClassifier().fit(X, y, sample_domain=sd).predict([[0.6], [2.6]])
    array([0, 1])
    """

    def _default(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()

    def _check_targets(self, ys):
        check_classification_targets(ys)
        self.classes_, codes = np.unique(ys, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"JDOTClassifier needs at least 2 classes in the source labels, got "
                f"{self.classes_.tolist()}."
            )
        self._onehot = np.eye(self.classes_.shape[0])[codes]
        return ys

    def _fit_model(self, est, Xt, ys, P):
        nt, k = Xt.shape[0], self.classes_.shape[0]
        W = nt * (P.T @ self._onehot)  # (nt, k): mass of class c at target j
        keep = W.ravel() > 1e-6 * W.max()
        Xh = np.repeat(Xt, k, axis=0)[keep]
        yh = np.tile(self.classes_, nt)[keep]
        wh = W.ravel()[keep]
        try:
            est.fit(Xh, yh, sample_weight=wh)
        except TypeError as exc:
            raise TypeError(
                f"JDOTClassifier: the estimator {type(est).__name__} must accept "
                "sample_weight in fit."
            ) from exc
        logp = self._log_proba(est, Xt)
        self.label_losses_.append(float(-np.sum(W * logp) / nt))

    def _log_proba(self, est, Xt):
        cols = np.searchsorted(self.classes_, est.classes_)
        out = np.full((Xt.shape[0], self.classes_.shape[0]), np.log(1e-16))
        if hasattr(est, "predict_log_proba"):
            out[:, cols] = est.predict_log_proba(Xt)
        elif hasattr(est, "predict_proba"):
            out[:, cols] = np.log(est.predict_proba(Xt) + 1e-16)
        else:
            raise TypeError(
                f"JDOTClassifier: the estimator {type(est).__name__} needs predict_proba."
            )
        return np.maximum(out, np.log(1e-16))

    def _label_cost(self, est, Xt, ys):
        return -self._onehot @ self._log_proba(est, Xt).T

    def predict_proba(self, X, sample_domain=None):
        """Class probabilities of the target model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (validated; the same model applies to all).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        X, _ = apply_domains(self, X, sample_domain)
        return np.exp(self._log_proba(self.estimator_, np.asarray(X, dtype=np.float64)))
