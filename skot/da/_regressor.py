"""Domain-adaptation regression built on the transporters."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from ._classifier import _PREDICT_REQUESTS, _TransportThenEstimate, labelled_score

__all__ = ["DomainAdaptationRegressor"]


def _default_regressor():
    from sklearn.svm import SVR

    return SVR()


class DomainAdaptationRegressor(RegressorMixin, _TransportThenEstimate):
    """Train a regressor on source rows transported into the target domain.

    The regression counterpart of :class:`DomainAdaptationClassifier`:
    ``fit`` learns ``transport`` on the stacked rows, maps the labelled
    source rows into the target domain and trains ``estimator`` on them and
    their targets; ``predict`` applies the estimator to target rows as they
    are (source rows, when marked by ``sample_domain``, are transported
    first). Unlabelled target rows carry ``y = NaN``; without
    ``sample_domain``, the ``NaN`` rows are the target rows (``-1`` is an
    ordinary value of a regression target).

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        Regressor trained on the transported source rows; ``None`` means
        ``sklearn.svm.SVR()``.
    transport : transporter, default=None
        A skot transporter (e.g. :class:`SinkhornTransport`); ``None`` means
        ``SinkhornTransport(reg=0.1, norm="median")``.
        :class:`ClassRegularizedTransport` needs
        classes and refuses continuous targets.
    verbose : int, default=0
        ``> 0``: print the steps of fit with their times, and raise the
        transport's ``verbose`` to this value.

    Attributes
    ----------
    transport_ : transporter
        The fitted clone of ``transport``.
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    DomainAdaptationClassifier : The same for classes.
    make_da_pipeline : Transporters and any estimator in one pipeline.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy. "Optimal
       Transport for Domain Adaptation." IEEE TPAMI 39(9), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skot.da import DomainAdaptationRegressor, EMDTransport
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0.5, 2.5, np.nan, np.nan])
    >>> reg = DomainAdaptationRegressor(KNeighborsRegressor(1), EMDTransport())
    >>> reg.fit(X, y).predict([[10.2], [10.9]])
    array([0.5, 2.5])
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__predict = _PREDICT_REQUESTS
    __metadata_request__score = _PREDICT_REQUESTS

    _regression = True

    def _default_estimator(self):
        return _default_regressor()

    def _check_targets(self, ys, y, derived):
        ys = np.asarray(ys)
        if ys.dtype.kind not in "fiub":
            raise ValueError(
                f"{type(self).__name__} needs numeric targets y, got dtype {ys.dtype}."
            )
        if not np.all(np.isfinite(ys.astype(np.float64))):
            raise ValueError(f"{type(self).__name__}: the source targets must be finite.")

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_weight=None, sample_domain=None):
        """Fit the transport, then the regressor on the transported source rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,)
            Targets; ``NaN`` marks unlabelled target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows: passed to the transport (the
            masses of each domain) and, for the labelled source rows, to the
            estimator when its ``fit`` accepts ``sample_weight``.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target. ``None``
            takes the ``NaN`` rows of ``y`` as the target rows.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        self._fit_transport_then_estimator(X, y, sample_weight, sample_domain)
        return self

    def predict(self, X, sample_domain=None):
        """Predict the targets of rows (target rows unless marked otherwise).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.
            Source rows are transported before prediction.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted targets.
        """
        check_is_fitted(self)
        return self.estimator_.predict(self._adapted(X, sample_domain))

    def score(self, X, y, sample_weight=None, sample_domain=None):
        """R² on the labelled rows of ``(X, y)`` (never against the ``NaN`` mask).

        Rows with ``y = NaN`` are ignored. Each row is predicted as the domain
        it belongs to: ``sample_domain`` when given; otherwise, when ``y``
        holds ``NaN`` rows (stacked data, e.g. a cross-validation fold), the
        labelled rows are source rows, as in ``fit``; otherwise
        (``reg.score(X_target, y_target)``) every row is a target row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.
        y : array-like of shape (n_samples,)
            True targets, ``NaN`` on unlabelled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (see above).

        Returns
        -------
        score : float
            R² on the labelled rows.

        Raises
        ------
        ValueError
            When every entry of ``y`` is ``NaN``.
        """
        return labelled_score(self, X, y, sample_weight, sample_domain, regression=True)
