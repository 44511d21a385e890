"""Domain-adaptation pipelines: transporters followed by an ordinary estimator.

scikit-learn's :class:`~sklearn.pipeline.Pipeline` hands the same ``y`` to
every step, so a transporter followed by an ordinary classifier would train
that classifier on the target rows and their ``-1`` mask. ``DAPipeline``
(built by :func:`make_da_pipeline`) follows the domain-adaptation contract of
the user guide instead:

- every step whose ``fit`` takes ``sample_domain`` (skot's transporters and
  domain-adaptation estimators) receives it; other transformers are fitted on
  all rows;
- the final estimator, when it is a classifier or regressor that does not
  take ``sample_domain``, is fitted on the labelled source rows only (with
  the weights of a reweighting step, ``sample_weight_``, when there is one);
- ``predict`` and friends pass ``sample_domain`` (``None``: every row is a
  target row) to the steps that take it;
- ``score`` rates the labelled rows only.

No metadata routing is needed: ``sample_domain`` is an ordinary keyword of
``fit``/``predict``/``score``; with scikit-learn's routing enabled the
pipeline requests it like its steps.
"""

import time
from inspect import signature

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._base import check_da_labels, check_single_class_mask
from ._domain import (
    check_sample_domain,
    labelled_rows,
    masked_labels,
    score_rows,
)

__all__ = ["DAPipeline", "make_da_pipeline"]


def _takes(method, name):
    try:
        params = signature(method).parameters
    except (TypeError, ValueError):
        return False
    return name in params


def _accepts(step, method, name):
    """Whether ``step.<method>`` takes ``name`` (by name, or by ``**kwargs`` that
    ``step.fit`` names, as ``fit_transform(X, y, **fit_params)``)."""
    fn = getattr(step, method)
    if _takes(fn, name):
        return True
    try:
        var_kw = any(p.kind == p.VAR_KEYWORD for p in signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    return var_kw and method != "fit" and _takes(step.fit, name)


def _final_has(attr):
    def check(self):
        getattr(self._final_estimator, attr)
        return True

    return check


def _supervised(est):
    return is_classifier(est) or is_regressor(est)


def _rows(X, mask):
    return X.iloc[np.flatnonzero(mask)] if hasattr(X, "iloc") else np.asarray(X)[mask]


class DAPipeline(Pipeline):
    """A pipeline that follows the domain-adaptation contract.

    Use :func:`make_da_pipeline` to build one. Steps whose methods take
    ``sample_domain`` receive it; the final classifier or regressor is
    trained on the labelled source rows only (after the transporters have
    moved them into the target domain), so that a plain estimator never
    learns the ``-1``/``NaN`` mask of the target rows. Parameters, step
    access, ``set_params`` and grid-search keys (``"svc__C"``) are those of
    :class:`~sklearn.pipeline.Pipeline`.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        The steps, the last one an estimator (or ``"passthrough"``).
    transform_input : None
        Not supported (must be ``None``); kept for the signature of
        :class:`~sklearn.pipeline.Pipeline`.
    memory : None
        Caching is not supported (must be ``None``).
    verbose : bool, default=False
        Print the time each step takes to fit.

    Attributes
    ----------
    named_steps : Bunch
        The steps by name.
    classes_ : ndarray of shape (n_classes,)
        Classes of the final classifier.
    domains_ : ndarray
        Domain labels seen in fit.
    n_features_in_ : int
        Number of features seen by the first step.

    See Also
    --------
    make_da_pipeline : Build a DAPipeline from estimators, names generated.
    DomainAdaptationClassifier : One transport and one classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skot.da import EMDTransport, make_da_pipeline
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> pipe = make_da_pipeline(EMDTransport(), KNeighborsClassifier(1)).fit(X, y)
    >>> pipe.classes_, pipe.predict([[10.2], [10.9]])
    (array([0, 1]), array([0, 1]))
    """

    _skot_da_pipeline = True

    # ------------------------------------------------------------------ fit

    def _check_options(self):
        if self.memory is not None:
            raise ValueError(
                f"{type(self).__name__} does not cache its steps: memory must be None, "
                f"got {self.memory!r}."
            )
        if getattr(self, "transform_input", None) is not None:
            raise ValueError(f"{type(self).__name__} does not support transform_input.")

    def _domains_for_fit(self, X, y, sample_domain):
        n = _num_samples(X)
        final = self._final_estimator
        if y is not None:
            if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
                import warnings

                from sklearn.exceptions import DataConversionWarning

                warnings.warn(
                    "A column-vector y was passed when a 1d array was expected; it is ravelled.",
                    DataConversionWarning,
                    stacklevel=3,
                )
            y = check_da_labels(y, n, type(self).__name__)
        self._derived_domains = sample_domain is None
        if sample_domain is not None:
            return y, check_sample_domain(sample_domain, n, fit=True)
        if y is None:
            return y, check_sample_domain(None, n, fit=True)
        if is_regressor(final) and y.dtype.kind in "fc":
            mask = np.isnan(y)
        else:
            mask = masked_labels(y)
        return y, np.where(mask, -2, 1).astype(np.int64)

    @staticmethod
    def _check_weight(sample_weight, X):
        if sample_weight is None:
            return None
        w = np.asarray(sample_weight, dtype=np.float64)
        n = _num_samples(X)
        if w.ndim == 0:
            return np.full(n, float(w))
        if w.shape != (n,):
            raise ValueError(
                f"sample_weight must have shape ({n},) like the rows of X, got {w.shape}."
            )
        return w

    def _step_params(self, params):
        out = {name: {} for name, _ in self.steps}
        for key, value in params.items():
            step, sep, param = key.partition("__")
            if not sep or step not in out:
                raise ValueError(
                    f"{type(self).__name__}.fit got the parameter {key!r}: pass step "
                    "parameters as <step name>__<parameter>, e.g. svc__sample_weight, "
                    "and sample_domain / sample_weight by name."
                )
            out[step][param] = value
        return out

    def _fit_transformers(self, X, y, sd, sample_weight, params):
        """Fit every step but the last; return the transformed rows and row weights."""
        self._validate_steps()
        self._check_options()
        step_params = self._step_params(params)
        Xt = X
        row_weight = None
        for idx, (name, step) in enumerate(self.steps[:-1]):
            if step is None or step == "passthrough":
                continue
            start = time.perf_counter()
            kw = dict(step_params[name])
            method = "fit_transform" if hasattr(step, "fit_transform") else "fit"
            if _accepts(step, method, "sample_domain"):
                kw["sample_domain"] = sd
            if sample_weight is not None and _accepts(step, method, "sample_weight"):
                kw.setdefault("sample_weight", sample_weight)
            if hasattr(step, "fit_transform"):
                Xt = step.fit_transform(Xt, y, **kw)
            else:
                step.fit(Xt, y, **kw)
                Xt = self._transform_step(step, Xt, sd)
            w = getattr(step, "sample_weight_", None)
            if w is not None:
                w = np.asarray(w, dtype=np.float64)
                row_weight = w if row_weight is None else row_weight * w
            if self.verbose:
                print(
                    f"[{type(self).__name__}] step {idx + 1} of {len(self.steps)} ({name}) "
                    f"fitted in {time.perf_counter() - start:.3f} s"
                )
        return Xt, row_weight, step_params[self.steps[-1][0]]

    def _fit_final(self, Xt, y, sd, sample_weight, row_weight, kw, method="fit"):
        final = self._final_estimator
        name = type(self).__name__
        fit = getattr(final, method)
        kw = dict(kw)
        if _takes(fit, "sample_domain"):
            # a domain-adaptation estimator: it reads the domains itself
            kw["sample_domain"] = sd
            w = sample_weight
            if row_weight is not None:
                w = row_weight if w is None else np.asarray(w, dtype=np.float64) * row_weight
            if w is not None:
                kw.setdefault("sample_weight", w)
            return fit(Xt, y, **kw)
        if not _supervised(final):
            if sample_weight is not None and _takes(fit, "sample_weight"):
                kw.setdefault("sample_weight", sample_weight)
            return fit(Xt, y, **kw)
        if y is None:
            raise ValueError(
                f"{name}: the final estimator {type(final).__name__} is supervised and "
                "needs y (the labels of the source rows)."
            )
        rows = labelled_rows(y, sd)
        if is_classifier(final) and self._derived_domains and rows.any():
            check_single_class_mask(np.unique(y[rows]), y, None, name)
        if not rows.any():
            raise ValueError(
                f"{name} found no labelled source rows to train {type(final).__name__} "
                "on: every source row has y = NaN, or there is no source row "
                "(sample_domain >= 0, or a label other than the -1/NaN mask)."
            )
        w = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)[rows]
        if row_weight is not None:
            w = row_weight[rows] if w is None else w * row_weight[rows]
        if w is not None:
            if not _takes(fit, "sample_weight"):
                raise ValueError(
                    f"{name}: the final estimator {type(final).__name__} does not accept "
                    "sample_weight, but the rows carry weights (sample_weight, or those "
                    "of a reweighting step)."
                )
            kw.setdefault("sample_weight", w)
        return fit(_rows(Xt, rows), y[rows], **kw)

    def fit(self, X, y=None, *, sample_domain=None, sample_weight=None, **params):
        """Fit the steps, then the final estimator on the labelled source rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (``NaN`` for float labels and regression) marks the
            unlabelled target rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (``>= 0`` source, ``< 0`` target); ``None``
            derives it from the mask of ``y``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to every step whose ``fit`` accepts them (the
            final estimator receives those of its training rows).
        **params : dict
            Parameters of the steps' ``fit``, as ``<step>__<parameter>``.

        Returns
        -------
        self : DAPipeline
            The fitted pipeline.
        """
        self._validate_params()
        sample_weight = self._check_weight(sample_weight, X)
        y, sd = self._domains_for_fit(X, y, sample_domain)
        Xt, row_weight, final_kw = self._fit_transformers(X, y, sd, sample_weight, params)
        if self._final_estimator != "passthrough":
            start = time.perf_counter()
            self._fit_final(Xt, y, sd, sample_weight, row_weight, final_kw)
            if self.verbose:
                print(
                    f"[{type(self).__name__}] final step fitted in "
                    f"{time.perf_counter() - start:.3f} s"
                )
        self.domains_ = np.unique(sd)
        return self

    @available_if(_final_has("fit_transform"))
    def fit_transform(self, X, y=None, *, sample_domain=None, sample_weight=None, **params):
        """Fit every step and return the output of the last one on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels (``-1``/``NaN`` on unlabelled target rows).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` derives it from the mask of ``y``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (see :meth:`fit`).
        **params : dict
            Parameters of the steps' ``fit``, as ``<step>__<parameter>``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The transformed rows.
        """
        self._validate_params()
        sample_weight = self._check_weight(sample_weight, X)
        y, sd = self._domains_for_fit(X, y, sample_domain)
        Xt, row_weight, final_kw = self._fit_transformers(X, y, sd, sample_weight, params)
        final = self._final_estimator
        self.domains_ = np.unique(sd)
        if final == "passthrough":
            return Xt
        kw = dict(final_kw)
        if _takes(final.fit_transform, "sample_domain"):
            kw["sample_domain"] = sd
        if sample_weight is not None and _takes(final.fit_transform, "sample_weight"):
            kw.setdefault("sample_weight", sample_weight)
        return final.fit_transform(Xt, y, **kw)

    # ------------------------------------------------------------- predict

    @staticmethod
    def _transform_step(step, Xt, sd):
        if sd is not None and _takes(step.transform, "sample_domain"):
            return step.transform(Xt, sample_domain=sd)
        return step.transform(Xt)

    def _transform_rows(self, X, sample_domain, *, with_final=False, check=True):
        check_is_fitted(self, "domains_")
        sd = None
        if sample_domain is not None:
            sd = check_sample_domain(sample_domain, _num_samples(X), fit=False)
        Xt = X
        steps = self.steps if with_final else self.steps[:-1]
        for _, step in steps:
            if step is None or step == "passthrough":
                continue
            if sd is not None and not check and hasattr(step, "_apply"):
                from sklearn.utils.validation import validate_data

                Xv = validate_data(step, Xt, dtype=[np.float64, np.float32], reset=False)
                Xt = step._apply(Xv, sd >= 0)
            elif sd is not None and _takes(step.transform, "sample_domain"):
                Xt = step.transform(Xt, sample_domain=sample_domain if check else sd)
            else:
                Xt = step.transform(Xt)
        return Xt

    def _final_call(self, method, X, sample_domain, **kw):
        Xt = self._transform_rows(X, sample_domain)
        fn = getattr(self._final_estimator, method)
        if sample_domain is not None and _takes(fn, "sample_domain"):
            kw["sample_domain"] = sample_domain
        return fn(Xt, **kw)

    @available_if(_final_has("predict"))
    def predict(self, X, sample_domain=None, **params):
        """Predict rows (target rows unless ``sample_domain`` marks them source).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row
            (passed unchanged by the transporters).
        **params : dict
            Parameters of the final estimator's ``predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions.
        """
        return self._final_call("predict", X, sample_domain, **params)

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X, sample_domain=None, **params):
        """Class probabilities of rows (target rows unless marked otherwise).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.
        **params : dict
            Parameters of the final estimator's ``predict_proba``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return self._final_call("predict_proba", X, sample_domain, **params)

    @available_if(_final_has("predict_log_proba"))
    def predict_log_proba(self, X, sample_domain=None, **params):
        """Log class probabilities of rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.
        **params : dict
            Parameters of the final estimator's ``predict_log_proba``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        return self._final_call("predict_log_proba", X, sample_domain, **params)

    @available_if(_final_has("decision_function"))
    def decision_function(self, X, sample_domain=None, **params):
        """Decision function of the final estimator on the transformed rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.
        **params : dict
            Parameters of the final estimator's ``decision_function``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values.
        """
        return self._final_call("decision_function", X, sample_domain, **params)

    @available_if(_final_has("transform"))
    def transform(self, X, sample_domain=None, **params):
        """Apply every step's ``transform`` (the final one included).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to transform.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row.
        **params : dict
            Unused; for compatibility with :class:`~sklearn.pipeline.Pipeline`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The transformed rows.
        """
        return self._transform_rows(X, sample_domain, with_final=True)

    @available_if(_final_has("fit_predict"))
    def fit_predict(self, X, y=None, *, sample_domain=None, sample_weight=None, **params):
        """Fit, then predict the rows of ``X`` as :meth:`predict` does.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels (``-1``/``NaN`` on unlabelled target rows).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` derives it from the mask of ``y`` in
            fit and takes every row as a target row in predict.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (see :meth:`fit`).
        **params : dict
            Parameters of the steps' ``fit``, as ``<step>__<parameter>``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions.
        """
        self.fit(X, y, sample_domain=sample_domain, sample_weight=sample_weight, **params)
        return self.predict(X, sample_domain=sample_domain)

    @available_if(_final_has("score"))
    def score(self, X, y=None, sample_weight=None, sample_domain=None, **params):
        """Accuracy (R² for a regressor) on the labelled rows of ``y``.

        The contract of the domain-adaptation estimators: masked rows
        (``-1``/``NaN``) are never scored; rows are transformed as the domain
        they belong to: ``sample_domain`` when given, else, when ``y`` holds
        masked rows (stacked data, e.g. a cross-validation fold), the
        labelled rows are source rows, else every row is a target row. A final
        estimator that is not a classifier or regressor uses its own
        ``score`` on the transformed rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,), default=None
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (see above).
        **params : dict
            Unused; for compatibility with :class:`~sklearn.pipeline.Pipeline`.

        Returns
        -------
        score : float
            The score on the labelled rows.
        """
        final = self._final_estimator
        if not _supervised(final) or y is None:
            Xt = self._transform_rows(X, sample_domain)
            kw = {} if sample_weight is None else {"sample_weight": sample_weight}
            return final.score(Xt, y, **kw)
        regression = is_regressor(final)
        n = _num_samples(X)
        y = check_da_labels(y, n, type(self).__name__)
        labelled, sd = score_rows(
            y, sample_domain, getattr(final, "classes_", None), regression=regression
        )
        if not labelled.any():
            raise ValueError(
                f"{type(self).__name__}.score needs labelled rows, but every entry of y is "
                "the mask: the target labels are unknown. To select a model without "
                "target labels, use an unsupervised scorer: "
                "scoring=skot.da.PredictionEntropyScorer() or CircularValidationScorer()."
            )
        sd_l = sd[labelled]
        Xt = self._transform_rows(_rows(X, labelled), sd_l, check=False)
        if hasattr(final, "_predict_domains"):
            pred = final._predict_domains(Xt, sd_l)
        else:
            pred = final.predict(Xt)
        w = None if sample_weight is None else np.asarray(sample_weight)[labelled]
        if regression:
            from sklearn.metrics import r2_score

            return float(r2_score(y[labelled], pred, sample_weight=w))
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y[labelled], pred, sample_weight=w))


def _auto_names(estimators):
    names = [est if isinstance(est, str) else type(est).__name__.lower() for est in estimators]
    counts = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    seen = {}
    out = []
    for n in names:
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            out.append(f"{n}-{seen[n]}")
        else:
            out.append(n)
    return out


def make_da_pipeline(*steps, verbose=False):
    """Build a domain-adaptation pipeline from estimators, naming the steps.

    The domain-adaptation counterpart of :func:`sklearn.pipeline.make_pipeline`:
    transporters and other transformers first, an ordinary estimator last.
    The transporters are fitted on all rows with ``sample_domain``; the final
    classifier or regressor on the labelled source rows only (moved into the
    target domain); ``predict`` takes rows as target rows unless
    ``sample_domain`` says otherwise. No metadata routing is needed.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    *steps : list of estimators
        The steps; names are the lowercased class names (``"sinkhorntransport"``,
        ``"svc"``), numbered when repeated, as with ``make_pipeline``.
    verbose : bool, default=False
        Print the time each step takes to fit.

    Returns
    -------
    pipeline : DAPipeline
        The (unfitted) pipeline, a :class:`~sklearn.pipeline.Pipeline`
        subclass.

    See Also
    --------
    DomainAdaptationClassifier : One transport and one classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> from skot.da import SinkhornTransport, make_da_pipeline
    >>> pipe = make_da_pipeline(SinkhornTransport(reg=0.1, norm="median"), SVC())
    >>> [name for name, _ in pipe.steps]
    ['sinkhorntransport', 'svc']
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> pipe.fit(X, [0, 1, -1, -1]).classes_
    array([0, 1])
    """
    if not steps:
        raise ValueError("make_da_pipeline needs at least one step.")
    flat = []
    for est in steps:
        if isinstance(est, DAPipeline):
            flat.extend(step for _, step in est.steps)
        else:
            flat.append(est)
    return DAPipeline(list(zip(_auto_names(flat), flat)), verbose=verbose)
