"""Domain-adaptation classifiers built on the transporters."""

import time
import warnings
from inspect import signature

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from ._base import (
    apply_domains,
    check_da_labels,
    check_single_class_mask,
    domain_weights,
    fit_domains,
    source_labels,
)
from ._domain import labelled_rows, score_rows

__all__ = ["DomainAdaptationClassifier", "OTLabelPropagation"]

_PREDICT_REQUESTS = {"sample_domain": True}

# the default transport of the estimators: costs divided by their median make
# ``reg`` scale-free; 0.1 keeps the classes apart (reg=1 on max-normalised costs
# blurs every source row towards the target mean: 0.30 accuracy on 30-degree
# rotated digits, where no adaptation gives 0.48 and this default 0.64)
DEFAULT_TRANSPORT_PARAMS = {"reg": 0.1, "norm": "median"}


def _default_estimator():
    from sklearn.svm import SVC

    return SVC()


def _estimator_has(attr):
    def check(self):
        if hasattr(self, "estimator_"):
            return self.estimator_ is None or hasattr(self.estimator_, attr)
        est = self.estimator if self.estimator is not None else _default_estimator()
        return hasattr(est, attr)

    return check


def _propagation_has(attr):
    def check(self):
        est = getattr(self, "estimator_", _propagation_roles(self.estimator, self.transport)[0])
        return est is None or hasattr(est, attr)

    return check


def _is_transporter(obj):
    return hasattr(obj, "transform_labels") and not hasattr(obj, "predict")


def _propagation_roles(estimator, transport):
    """``(estimator, transport, moved)`` of OTLabelPropagation's two arguments.

    Before skot 0.2 the transport came first; a transporter found in
    ``estimator`` (e.g. ``OTLabelPropagation(EMDTransport())``) is taken as
    the transport, with ``moved=True`` (the caller warns).
    """
    if _is_transporter(estimator) and (transport is None or not _is_transporter(transport)):
        return transport, estimator, True
    return estimator, transport, False


def _accepts_weight(method):
    try:
        return "sample_weight" in signature(method).parameters
    except (TypeError, ValueError):
        return False


def _verbose_transport(transport, verbose):
    """Raise the clone's ``verbose`` to the classifier's (never lower it)."""
    params = transport.get_params(deep=False)
    if verbose and "verbose" in params and (params["verbose"] or 0) < verbose:
        transport.set_params(verbose=verbose)
    return transport


def _fit_weighted(estimator, X, y, sample_weight):
    if sample_weight is not None and has_fit_parameter(estimator, "sample_weight"):
        return estimator.fit(X, y, sample_weight=sample_weight)
    return estimator.fit(X, y)


def _rows(X, mask):
    return X.iloc[np.flatnonzero(mask)] if hasattr(X, "iloc") else np.asarray(X)[mask]


def labelled_score(est, X, y, sample_weight, sample_domain, *, regression=False):
    """The ``score`` of the domain-adaptation estimators (the contract of the guide).

    Accuracy (``r2_score`` for regressors) on the labelled rows of ``y`` only;
    rows are predicted as the domain they belong to: ``sample_domain`` when
    given, else, when ``y`` holds masked rows (stacked data, e.g. a
    cross-validation fold), the labelled rows are source rows (as in fit),
    else every row is a target row.
    """
    check_is_fitted(est)
    name = type(est).__name__
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    y = check_da_labels(y, n, name)
    classes = None if regression else getattr(est, "classes_", None)
    labelled, sd = score_rows(y, sample_domain, classes, regression=regression)
    if not labelled.any():
        raise ValueError(
            f"{name}.score needs labelled rows, but every entry of y is the mask "
            f"({'NaN' if regression else '-1 or NaN'}): the target labels are unknown. "
            "To select a model without target labels, use an unsupervised scorer: "
            "scoring=skot.da.PredictionEntropyScorer() or CircularValidationScorer()."
        )
    pred = est._predict_domains(_rows(X, labelled), sd[labelled])
    w = None if sample_weight is None else np.asarray(sample_weight)[labelled]
    if regression:
        from sklearn.metrics import r2_score

        return float(r2_score(y[labelled], pred, sample_weight=w))
    return float(accuracy_score(y[labelled], pred, sample_weight=w))


def _transport_rows(transport, X, source):
    """Map the rows of ``X`` marked ``source`` into the target domain."""
    if not source.any():
        return X
    if hasattr(transport, "_apply"):
        return transport._apply(X, source)
    return transport.transform(X, sample_domain=np.where(source, 1, -2))


class _TransportThenEstimate(BaseEstimator):
    """Shared fit/predict of DomainAdaptationClassifier and DomainAdaptationRegressor."""

    _regression = False
    # subclasses define _check_targets(ys, y, derived)

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "transport": [HasMethods(["fit", "transform"]), None],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator=None, transport=None, *, verbose=0):
        self.estimator = estimator
        self.transport = transport
        self.verbose = verbose

    def _fit_transport_then_estimator(self, X, y, sample_weight, sample_domain):
        name = type(self).__name__
        if y is None:
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None (y holds "
                "the labels of the source rows)."
            )
        if sample_domain is None and self._regression:
            yy = check_da_labels(y, X.shape[0] if hasattr(X, "shape") else len(X), name)
            if yy.dtype.kind not in "fiubc":
                raise ValueError(f"{name} needs numeric targets y, got dtype {yy.dtype}.")
            # complex targets pass here so that X's validation speaks first
            sample_domain = np.where(np.isnan(yy), -2, 1)
            derived = True
        else:
            derived = sample_domain is None
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        labelled = labelled_rows(y, sd)
        if not labelled.any():
            raise ValueError(f"{name} found no labelled source rows: every source row has y = NaN.")
        ys = y[labelled]
        self._check_targets(ys, y, None if not derived else "derived")
        from ._transport import SinkhornTransport

        transport = self.transport
        if transport is None:
            transport = SinkhornTransport(**DEFAULT_TRANSPORT_PARAMS)
        if not hasattr(transport, "fit_transform"):
            raise TypeError(f"transport must have fit_transform, got {transport!r}.")
        domain_weights(sample_weight, source, name)  # validated before any work
        self.transport_ = _verbose_transport(clone(transport), self.verbose)
        start = time.perf_counter()
        kw = {}
        if sample_weight is not None:
            if not _accepts_weight(self.transport_.fit_transform):
                raise TypeError(
                    f"{name}: sample_weight was given but the transport "
                    f"{type(self.transport_).__name__}.fit_transform does not accept it."
                )
            kw["sample_weight"] = sample_weight
        Xm = self.transport_.fit_transform(X, y, sample_domain=sd, **kw)
        if self.verbose:
            print(
                f"{name}: transport {type(self.transport_).__name__} fitted "
                f"({time.perf_counter() - start:.3f} s)"
            )
        start = time.perf_counter()
        est = self.estimator if self.estimator is not None else self._default_estimator()
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[labelled]
        self.estimator_ = _fit_weighted(clone(est), np.asarray(Xm)[labelled], ys, w)
        if self.verbose:
            print(
                f"{name}: estimator {type(self.estimator_).__name__} fitted on "
                f"{int(labelled.sum())} transported source rows "
                f"({time.perf_counter() - start:.3f} s)"
            )
        self.domains_ = np.unique(sd)
        return ys

    def _adapted(self, X, sample_domain):
        X, sd = apply_domains(self, X, sample_domain)
        if sample_domain is None:
            return X
        return _transport_rows(self.transport_, X, sd >= 0)

    def _predict_domains(self, X, sd):
        """Predict rows whose domains are known (``score``): no seen-in-fit check."""
        X, _ = apply_domains(self, X, None)
        return self.estimator_.predict(_transport_rows(self.transport_, X, sd >= 0))


class DomainAdaptationClassifier(ClassifierMixin, _TransportThenEstimate):
    """Train a classifier on source rows transported into the target domain.

    ``fit`` learns ``transport`` on the stacked rows, maps the labelled source
    rows into the target domain and trains ``estimator`` on them; ``predict``
    applies the estimator to target rows as they are (source rows, when marked
    by ``sample_domain``, are transported first).

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier trained on the transported source rows; ``None`` means
        ``sklearn.svm.SVC()``.
    transport : transporter, default=None
        A skot transporter (e.g. :class:`SinkhornTransport`); ``None`` means
        ``SinkhornTransport(reg=0.1, norm="median")``.

        .. versionchanged:: 0.2
           The default was ``SinkhornTransport()`` (``reg=1`` on raw costs,
           which depends on the scale of the data).
    verbose : int, default=0
        ``> 0``: print the steps of fit with their times, and raise the
        transport's ``verbose`` to this value (its solver's progress).

    Attributes
    ----------
    transport_ : transporter
        The fitted clone of ``transport``.
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Classes of the source labels.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    OTLabelPropagation : Labels target rows through the coupling itself.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy. "Optimal
       Transport for Domain Adaptation." IEEE TPAMI 39(9), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skot.da import DomainAdaptationClassifier, EMDTransport
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> clf = DomainAdaptationClassifier(KNeighborsClassifier(1), EMDTransport())
    >>> clf.fit(X, y).predict([[10.2], [10.9]])
    array([0, 1])
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__predict = _PREDICT_REQUESTS
    __metadata_request__predict_proba = _PREDICT_REQUESTS
    __metadata_request__predict_log_proba = _PREDICT_REQUESTS
    __metadata_request__decision_function = _PREDICT_REQUESTS
    __metadata_request__score = _PREDICT_REQUESTS

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_weight=None, sample_domain=None):
        """Fit the transport, then the estimator on the transported source rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows: passed to the transport (the
            masses of each domain) and, for the labelled source rows, to the
            estimator when its ``fit`` accepts ``sample_weight``.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target. ``None``
            derives it from the label mask of ``y``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        ys = self._fit_transport_then_estimator(X, y, sample_weight, sample_domain)
        self.classes_ = getattr(self.estimator_, "classes_", np.unique(ys))
        return self

    def _default_estimator(self):
        return _default_estimator()

    def _check_targets(self, ys, y, derived):
        check_classification_targets(ys)
        if derived:
            check_single_class_mask(np.unique(ys), y, None, type(self).__name__)

    def predict(self, X, sample_domain=None):
        """Predict the classes of rows (target rows unless marked otherwise).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.
            Source rows are transported before classification.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self)
        return self.estimator_.predict(self._adapted(X, sample_domain))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X, sample_domain=None):
        """Class probabilities of the estimator on the (adapted) rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(self._adapted(X, sample_domain))

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X, sample_domain=None):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(self._adapted(X, sample_domain))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X, sample_domain=None):
        """Decision function of the estimator on the (adapted) rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The estimator's decision values.
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(self._adapted(X, sample_domain))

    def score(self, X, y, sample_weight=None, sample_domain=None):
        """Accuracy on the labelled rows of ``(X, y)`` (never against the mask).

        Rows whose label is the mask (``-1`` unless ``-1`` is in ``classes_``,
        or ``NaN``) are ignored. Each row is predicted as the domain it
        belongs to: ``sample_domain`` when given; otherwise, when ``y`` holds
        masked rows (stacked source and target rows, e.g. a
        cross-validation fold), the labelled rows are source rows, as in
        ``fit`` (the score is then the accuracy on held-out *source* rows);
        otherwise (``clf.score(X_target, y_target)``) every row is a target
        row. To rate the target predictions without target labels use
        :class:`PredictionEntropyScorer` or :class:`CircularValidationScorer`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        y : array-like of shape (n_samples,)
            True labels, ``-1``/``NaN`` on unlabelled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (see above).

        Returns
        -------
        score : float
            Accuracy on the labelled rows.

        Raises
        ------
        ValueError
            When no row of ``y`` is labelled.
        """
        return labelled_score(self, X, y, sample_weight, sample_domain)


class OTLabelPropagation(ClassifierMixin, BaseEstimator):
    """Label target rows by propagating source labels through a coupling.

    The transport's coupling between the fitted source and target rows gives
    each target row the share of its mass received from each source class
    (Solomon et al.; Redko et al.): its label distribution, whose argmax is
    its label. New rows take the distribution of their nearest fitted target
    row, or, with ``estimator``, the prediction of that estimator trained on
    the target rows and their propagated labels.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier trained on the fitted target rows with their propagated
        labels and used for prediction; ``None`` predicts from the nearest
        fitted target row.
    transport : transporter with a coupling, default=None
        E.g. :class:`EMDTransport` (``None``), :class:`SinkhornTransport`,
        :class:`UnbalancedSinkhornTransport`, :class:`ClassRegularizedTransport`.

        .. versionchanged:: 0.2
           ``estimator`` comes first, as in :class:`DomainAdaptationClassifier`
           and scikit-learn's meta-estimators. A transporter passed first
           (the former order, ``OTLabelPropagation(EMDTransport())``) is
           still used as the transport, with a ``FutureWarning``; pass
           ``transport=`` instead.
    verbose : int, default=0
        ``> 0``: print the steps of fit with their times, and raise the
        transport's ``verbose`` to this value (its solver's progress).

    Attributes
    ----------
    transport_ : transporter
        The fitted clone of ``transport``.
    estimator_ : estimator object or None
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Classes of the source labels.
    label_distributions_ : ndarray of shape (n_target, n_classes)
        Propagated label distribution of each fitted target row (uniform for
        a row that received no mass).
    unassigned_ : ndarray of bool of shape (n_target,)
        Fitted target rows that received no mass from the transport
        (unbalanced transport, zero weight); fit and predict warn about them.
    transduction_ : ndarray of shape (n_target,)
        Propagated label of each fitted target row.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    DomainAdaptationClassifier : Trains a classifier on transported sources.

    References
    ----------
    .. [1] J. Solomon, R. Rustamov, L. Guibas, A. Butscher. "Wasserstein
       propagation for semi-supervised learning." ICML 2014.
    .. [2] I. Redko, N. Courty, R. Flamary, D. Tuia. "Optimal transport for
       multi-source domain adaptation under target shift." AISTATS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import EMDTransport, OTLabelPropagation
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> OTLabelPropagation(transport=EMDTransport()).fit(X, y).transduction_
    array([0, 1])
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__predict = _PREDICT_REQUESTS
    __metadata_request__predict_proba = _PREDICT_REQUESTS
    __metadata_request__score = _PREDICT_REQUESTS

    _parameter_constraints: dict = {
        # a transporter in ``estimator``: the former argument order (FutureWarning)
        "estimator": [
            HasMethods(["fit", "predict"]),
            HasMethods(["fit", "transform_labels"]),
            None,
        ],
        "transport": [HasMethods(["fit", "transform_labels"]), None],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator=None, transport=None, *, verbose=0):
        self.estimator = estimator
        self.transport = transport
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_weight=None, sample_domain=None):
        """Fit the transport and propagate the source labels to the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,)
            Labels of every source row; ``-1`` (or ``NaN``) marks unlabelled
            target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows: passed to the transport (the
            masses of each domain) and, for the target rows, to
            ``estimator`` when its ``fit`` accepts ``sample_weight``.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target. ``None``
            derives it from the label mask of ``y``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        name = type(self).__name__
        if y is None:
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None (y holds "
                "the labels of the source rows)."
            )
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        ys = source_labels(y, source, name, required=True)
        check_classification_targets(ys)
        if sample_domain is None:
            check_single_class_mask(np.unique(ys), y, None, name)
        from ._transport import EMDTransport

        estimator, transport, moved = _propagation_roles(self.estimator, self.transport)
        if moved:
            warnings.warn(
                f"{name}: the transporter {type(transport).__name__} was passed as the "
                "first argument, which is now `estimator`; it is used as the transport. "
                f"Pass it as {name}(transport=...): from skot 0.4 the first argument "
                "is always the estimator.",
                FutureWarning,
                stacklevel=3,
            )
        if estimator is not None and not hasattr(estimator, "predict"):
            raise TypeError(
                f"{name}: estimator must have fit and predict, got {type(estimator).__name__}."
            )
        transport = transport if transport is not None else EMDTransport()
        domain_weights(sample_weight, source, name)  # validated before any work
        self.transport_ = _verbose_transport(clone(transport), self.verbose)
        kw = {}
        if sample_weight is not None:
            if not _accepts_weight(self.transport_.fit):
                raise TypeError(
                    f"{name}: sample_weight was given but the transport "
                    f"{type(self.transport_).__name__}.fit does not accept it."
                )
            kw["sample_weight"] = sample_weight
        start = time.perf_counter()
        self.transport_.fit(X, y, sample_domain=sd, **kw)
        if self.verbose:
            print(
                f"{name}: transport {type(self.transport_).__name__} fitted "
                f"({time.perf_counter() - start:.3f} s)"
            )
        proba = np.array(self.transport_.transform_labels(ys), dtype=np.float64)
        self.classes_ = np.unique(ys)
        # target rows that received no mass (unbalanced transport, zero weight,
        # an outlier): no label reaches them; they get the uniform distribution
        # (maximal entropy: no scorer takes them for confident) and a warning
        unassigned = ~(proba.sum(axis=1) > 0.5)
        self.unassigned_ = unassigned
        if unassigned.any():
            proba[unassigned] = 1.0 / self.classes_.shape[0]
            warnings.warn(
                f"{name}: {int(unassigned.sum())} of {unassigned.shape[0]} target rows "
                f"received no mass from {type(self.transport_).__name__}, so no source "
                "label reaches them: their label distribution is uniform and their "
                "predicted class arbitrary (see unassigned_). A balanced transport, or a "
                "larger reg_m for UnbalancedSinkhornTransport, assigns every row.",
                UserWarning,
                stacklevel=3,
            )
        self.label_distributions_ = proba
        self.transduction_ = self.classes_[np.argmax(proba, axis=1)]
        self._xt = np.ascontiguousarray(X[~source])
        if estimator is not None:
            keep = ~unassigned
            if not keep.any():
                raise ValueError(
                    f"{name}: no target row received mass from the transport, so "
                    "estimator has no propagated label to learn from."
                )
            w = None
            if sample_weight is not None:
                w = np.asarray(sample_weight, dtype=float)[~source][keep]
            self.estimator_ = _fit_weighted(
                clone(estimator), self._xt[keep], self.transduction_[keep], w
            )
        else:
            self.estimator_ = None
        self.domains_ = np.unique(sd)
        return self

    def _nearest_distribution(self, X):
        from . import _nearest_kernels as K

        X = np.ascontiguousarray(X, dtype=self._xt.dtype)
        idx = np.empty(X.shape[0], dtype=np.int64)
        K.nearest_rows.serial(X, self._xt, idx)
        hit = self.unassigned_[idx]
        if hit.any():
            warnings.warn(
                f"{type(self).__name__}: {int(hit.sum())} of {X.shape[0]} rows are nearest "
                "to a fitted target row that received no transported mass: their "
                "probabilities are uniform and their class arbitrary, not a propagated "
                "label.",
                UserWarning,
                stacklevel=3,
            )
        return self.label_distributions_[idx]

    def _predict_domains(self, X, sd):
        return self.predict(X)

    @available_if(_propagation_has("predict_proba"))
    def predict_proba(self, X, sample_domain=None):
        """Label distributions of rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (checked against those seen in fit); rows are
            treated alike.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Label distributions, columns in the order of ``classes_``.
        """
        X, _ = apply_domains(self, X, sample_domain)
        if self.estimator_ is not None:
            return self.estimator_.predict_proba(X)
        return self._nearest_distribution(X)

    def predict(self, X, sample_domain=None):
        """Propagated labels of rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (checked against those seen in fit).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        X, _ = apply_domains(self, X, sample_domain)
        if self.estimator_ is not None:
            return self.estimator_.predict(X)
        return self.classes_[np.argmax(self._nearest_distribution(X), axis=1)]

    def score(self, X, y, sample_weight=None, sample_domain=None):
        """Accuracy on the labelled rows of ``(X, y)`` (never against the mask).

        Rows whose label is the mask (``-1`` unless ``-1`` is in ``classes_``,
        or ``NaN``) are ignored. Each row is predicted as the domain it
        belongs to: ``sample_domain`` when given; otherwise, when ``y`` holds
        masked rows (stacked source and target rows, e.g. a
        cross-validation fold), the labelled rows are source rows, as in
        ``fit`` (the score is then the accuracy on held-out *source* rows);
        otherwise (``clf.score(X_target, y_target)``) every row is a target
        row. To rate the target predictions without target labels use
        :class:`PredictionEntropyScorer` or :class:`CircularValidationScorer`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        y : array-like of shape (n_samples,)
            True labels, ``-1``/``NaN`` on unlabelled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (see above).

        Returns
        -------
        score : float
            Accuracy on the labelled rows.

        Raises
        ------
        ValueError
            When no row of ``y`` is labelled.
        """
        return labelled_score(self, X, y, sample_weight, sample_domain)
