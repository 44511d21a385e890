"""Target (label) shift: JCPOT, multi-source OT with unknown target class proportions.

Under target shift the class-conditional distributions agree across domains
but the class proportions differ. JCPOT (Redko et al. 2019) couples every
source ``k`` to the target with an entropic plan :math:`P_k` whose target
marginal is uniform and whose source marginal spreads, within each class
``c``, a mass :math:`h_c` shared by all sources: :math:`h` is the estimate
of the target class proportions. Iterated Bregman (KL) projections onto the
three constraint sets converge to it; the label of a target row is the
class that sends it the most mass.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets

from ..utils._pairwise import METRICS
from ._base import apply_domains, fit_domains
from ._domain import labelled_rows
from ._jdot import _LabelledScore

__all__ = ["JCPOTLabelPropagation", "jcpot", "label_constrained_cost"]


def jcpot(costs, labels, n_classes, reg, *, max_iter=1000, tol=1e-9):
    """Bregman projections of JCPOT (plain numpy; each plan is ``n_k x n_t``).

    Parameters
    ----------
    costs : list of ndarray of shape (n_k, n_target)
        Cost between the rows of source ``k`` and the target rows.
    labels : list of ndarray of int of shape (n_k,)
        Class codes (``0 .. n_classes - 1``) of the rows of source ``k``.
    n_classes : int
        Number of classes.
    reg : float
        Entropic regularisation (in cost units).
    max_iter : int, default=1000
        Maximum number of projection rounds.
    tol : float, default=1e-9
        Stop when the proportions change by less than ``tol`` (L1).

    Returns
    -------
    proportions : ndarray of shape (n_classes,)
        Estimated target class proportions.
    plans : list of ndarray
        The plans :math:`P_k`.
    n_iter : int
        Rounds run.
    converged : bool
        Whether ``tol`` was met.
    """
    nt = costs[0].shape[1]
    b = np.full(nt, 1.0 / nt)
    n_total = sum(c.shape[0] for c in costs)
    plans, onehots, spread, weights = [], [], [], []
    for M, codes in zip(costs, labels):
        K = np.exp(-(M - M.min()) / reg)
        if not np.all(K.sum(axis=0) > 0) or not np.all(K.sum(axis=1) > 0):
            raise ValueError(
                f"JCPOT: reg={reg} is too small for the cost scale (max cost {M.max():.3g}): "
                "the Gibbs kernel underflows. Increase reg or normalise the cost (norm)."
            )
        D1 = np.zeros((n_classes, M.shape[0]))
        D1[codes, np.arange(M.shape[0])] = 1.0
        counts = D1.sum(axis=1, keepdims=True)
        plans.append(K)
        onehots.append(D1)
        spread.append(D1 / np.where(counts > 0, counts, 1.0))
        weights.append(M.shape[0] / n_total)
    h_old = None
    tiny = np.finfo(np.float64).tiny
    for it in range(1, max_iter + 1):
        plans = [P * (b / P.sum(axis=0))[None, :] for P in plans]
        log_h = sum(
            w * np.log(np.maximum(D1 @ P.sum(axis=1), tiny))
            for w, D1, P in zip(weights, onehots, plans)
        )
        h = np.exp(log_h)
        plans = [P * ((D2.T @ h) / P.sum(axis=1))[:, None] for D2, P in zip(spread, plans)]
        if h_old is not None and np.abs(h - h_old).sum() < tol:
            return h / h.sum(), plans, it, True
        h_old = h
    return h / h.sum(), plans, max_iter, False


class JCPOTLabelPropagation(_LabelledScore, ClassifierMixin, BaseEstimator):
    """Label target rows under target shift with JCPOT (one or several sources).

    Every source domain (each distinct ``sample_domain >= 0``) is coupled to
    the target rows by :func:`jcpot`; the fitted target rows take the class
    distribution of the mass they receive, new rows that of their nearest
    fitted target row. ``proportions_`` estimates the target class
    proportions.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    reg : float, default=1.0
        Entropic regularisation, in units of the (normalised) cost.
    metric : str, default="sqeuclidean"
        Ground cost (:func:`skot.ot.cost_matrix`).
    norm : {"max", "median"} or None, default=None
        Divide each cost matrix by its max or median.
    max_iter : int, default=1000
        Maximum number of projection rounds.
    tol : float, default=1e-9
        Stop when the proportions change by less than ``tol`` (L1).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Classes of the source labels.
    proportions_ : ndarray of shape (n_classes,)
        Estimated class proportions of the target domain.
    couplings_ : list of ndarray
        One plan per source domain (rows: its labelled rows; columns: the
        target rows).
    label_distributions_ : ndarray of shape (n_target, n_classes)
        Class distribution of the mass each fitted target row receives.
    transduction_ : ndarray of shape (n_target,)
        Label of each fitted target row.
    n_iter_ : int
        Projection rounds run.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    OTLabelPropagation : One source, no proportion estimate.

    References
    ----------
    .. [1] I. Redko, N. Courty, R. Flamary, D. Tuia. "Optimal transport for
       multi-source domain adaptation under target shift." AISTATS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._label_shift import JCPOTLabelPropagation
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.0], [1.05], [0.95]])
    >>> y = np.array([0, 0, 1, 1, -1, -1, -1, -1])
    >>> clf = JCPOTLabelPropagation(reg=0.1).fit(X, y)
    >>> clf.predict([[0.0], [1.0]])
    array([0, 1])
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__predict = {"sample_domain": True}
    __metadata_request__predict_proba = {"sample_domain": True}

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "metric": [StrOptions(set(METRICS))],
        "norm": [StrOptions({"max", "median"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, reg=1.0, *, metric="sqeuclidean", norm=None, max_iter=1000, tol=1e-9):
        self.reg = reg
        self.metric = metric
        self.norm = norm
        self.max_iter = max_iter
        self.tol = tol

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, sample_domain=None):
        """Couple each source domain to the target rows; label the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,)
            Labels of the source rows (target rows: ``-1``, ignored when
            ``sample_domain`` is given).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: each value ``>= 0`` is one source, ``< 0``
            target.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        from sklearn.neighbors import NearestNeighbors

        from ..ot import cost_matrix, cost_scale

        if y is None:
            raise ValueError(
                "JCPOTLabelPropagation requires y to be passed, but the target y is None "
                "(y holds the labels of the source rows)."
            )
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        lab = labelled_rows(y, sd)
        check_classification_targets(y[lab])
        self.classes_, codes_all = np.unique(y[lab], return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"JCPOTLabelPropagation needs at least 2 classes, got {self.classes_.tolist()}."
            )
        X64 = np.asarray(X, dtype=np.float64)
        Xt = X64[~source]
        codes = np.full(X.shape[0], -1)
        codes[lab] = codes_all
        costs, labels = [], []
        for d in np.unique(sd[lab]):
            rows = lab & (sd == d)
            M = cost_matrix(X64[rows], Xt, metric=self.metric)
            if self.norm is not None:
                M = M / cost_scale(M, self.norm)
            costs.append(M)
            labels.append(codes[rows])
        k = self.classes_.shape[0]
        h, plans, self.n_iter_, converged = jcpot(
            costs, labels, k, float(self.reg), max_iter=self.max_iter, tol=self.tol
        )
        if not converged:
            warnings.warn(
                f"JCPOTLabelPropagation did not converge in max_iter={self.max_iter} rounds.",
                ConvergenceWarning,
                stacklevel=3,
            )
        mass = sum(P.T @ np.eye(k)[c] for P, c in zip(plans, labels))
        total = mass.sum(axis=1, keepdims=True)
        self.label_distributions_ = mass / np.where(total > 0, total, 1.0)
        self.transduction_ = self.classes_[np.argmax(self.label_distributions_, axis=1)]
        self.proportions_ = h
        self.couplings_ = plans
        self._nn = NearestNeighbors(n_neighbors=1).fit(Xt)
        self.domains_ = np.unique(sd)
        return self

    def predict_proba(self, X, sample_domain=None):
        """Class distribution of the nearest fitted target row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (validated; every row is treated as target).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        X, _ = apply_domains(self, X, sample_domain)
        idx = self._nn.kneighbors(np.asarray(X, dtype=np.float64), return_distance=False)[:, 0]
        return self.label_distributions_[idx]

    def predict(self, X, sample_domain=None):
        """Label of the nearest fitted target row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (validated; every row is treated as target).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        proba = self.predict_proba(X, sample_domain)
        return self.classes_[np.argmax(proba, axis=1)]


def label_constrained_cost(cost, y_source, y_target, *, penalty=None):
    """Forbid transport between rows with different known labels.

    Semi-supervised domain adaptation: some target rows are labelled. Entries
    ``cost[i, j]`` whose source label ``y_source[i]`` and target label
    ``y_target[j]`` are both known and differ get ``penalty`` (POT's
    ``ot.da`` convention with ``yt``: ``limit_max * max(cost)``), so that no
    mass (exact transport) or a vanishing mass (entropic transport) flows
    between different classes. Unknown labels are ``NaN`` (or ``None``); for
    integer labels ``-1`` is unknown too.

    Parameters
    ----------
    cost : ndarray of shape (n_source, n_target)
        Ground cost (not modified).
    y_source : array-like of shape (n_source,)
        Labels of the source rows.
    y_target : array-like of shape (n_target,)
        Labels of the target rows, unknown ones masked.
    penalty : float, default=None
        Cost of a forbidden pair; ``None`` means ``10 * max(cost)`` (and
        ``np.inf`` is allowed for exact transport).

    Returns
    -------
    cost : ndarray of shape (n_source, n_target)
        A new cost matrix with the forbidden pairs penalised.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._label_shift import label_constrained_cost
    >>> label_constrained_cost(np.ones((2, 2)), [0, 1], [1, -1])
    array([[10.,  1.],
           [ 1.,  1.]])
    """
    from ._domain import masked_labels

    M = np.array(cost, dtype=np.float64, copy=True)
    ys, yt = np.asarray(y_source), np.asarray(y_target)
    if M.ndim != 2 or ys.shape != (M.shape[0],) or yt.shape != (M.shape[1],):
        raise ValueError(
            f"cost must have shape (len(y_source), len(y_target)) = ({ys.shape[0]}, "
            f"{yt.shape[0]}), got {M.shape}."
        )
    ks, kt = ~masked_labels(ys), ~masked_labels(yt)
    if penalty is None:
        penalty = 10.0 * float(M.max()) if M.size else 0.0
    differ = ks[:, None] & kt[None, :] & (ys[:, None] != yt[None, :])
    M[differ] = penalty
    return M
