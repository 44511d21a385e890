"""Unsupervised scores for selecting domain-adaptation models.

Target labels are unknown in domain adaptation, so the usual accuracy cannot
choose hyper-parameters. These scorers look only at the target rows and
their predictions; they plug into ``GridSearchCV(scoring=...)`` and
``cross_val_score``.
"""

import numpy as np
from sklearn.base import clone
from sklearn.utils._metadata_requests import _MetadataRequester

from ._domain import fit_accepts_sample_domain, mask_value, target_rows

__all__ = ["CircularValidationScorer", "PredictionEntropyScorer"]


def _target_rows(X, y, sample_domain):
    return target_rows(X.shape[0], y, sample_domain)


def _rows(X, mask):
    return X.iloc[np.flatnonzero(mask)] if hasattr(X, "iloc") else np.asarray(X)[mask]


class PredictionEntropyScorer(_MetadataRequester):
    """Negative mean entropy of the predicted class probabilities on target rows.

    A confident classifier on the target domain has low-entropy predictions;
    the score ``-mean_i H(p_i)`` (``H(p) = -sum_c p_c log p_c``) is higher
    for more confident models, 0 at best (Morerio et al.). It needs
    ``predict_proba``. Target rows are the rows with a negative
    ``sample_domain`` when given, else the unlabelled rows (``y = -1`` or
    ``NaN``), else every row.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    eps : float, default=1e-15
        Probabilities are clipped to ``[eps, 1]`` before the logarithm.

    See Also
    --------
    CircularValidationScorer : Accuracy after a round trip source -> target -> source.

    References
    ----------
    .. [1] P. Morerio, J. Cavazza, V. Murino. "Minimal-entropy correlation
       alignment for unsupervised deep domain adaptation." ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skot.da import DomainAdaptationClassifier, PredictionEntropyScorer
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> clf = DomainAdaptationClassifier(LogisticRegression()).fit(X, y)
    >>> PredictionEntropyScorer()(clf, X, y) <= 0
    True
    """

    __metadata_request__score = {"sample_domain": True}

    def __init__(self, eps=1e-15):
        self.eps = eps

    def __call__(self, estimator, X, y=None, sample_domain=None):
        """Score ``estimator`` on the target rows of ``X``.

        Parameters
        ----------
        estimator : fitted classifier
            Must have ``predict_proba``.
        X : array-like of shape (n_samples, n_features)
            Rows (source rows are ignored).
        y : array-like of shape (n_samples,), default=None
            Labels; only their mask is used.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row.

        Returns
        -------
        score : float
            ``-mean entropy`` of the target predictions (higher is better).
        """
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"PredictionEntropyScorer needs an estimator with predict_proba, got "
                f"{type(estimator).__name__}."
            )
        target = _target_rows(X, y, sample_domain)
        if not target.any():
            raise ValueError("PredictionEntropyScorer found no target rows to score.")
        proba = np.asarray(estimator.predict_proba(_rows(X, target)), dtype=np.float64)
        p = np.clip(proba, self.eps, 1.0)
        return float(np.mean(np.sum(proba * np.log(p), axis=1)))

    def __repr__(self):
        return f"PredictionEntropyScorer(eps={self.eps!r})"


class CircularValidationScorer(_MetadataRequester):
    """Circular (reverse) validation: source accuracy after a round trip.

    The fitted classifier labels the target rows; a clone of it is then
    trained the other way round, on the target rows with those labels as
    sources and the source rows as targets, and scored on the source labels
    (Bruzzone & Marconcini). Good target labels survive the round trip. Rows
    split into source/target by ``sample_domain`` when given, else by the
    label mask of ``y``.

    Read more in the :ref:`User Guide <da>`.

    Parameters
    ----------
    metric : callable, default=None
        ``metric(y_true, y_pred) -> float`` on the source rows; ``None`` means
        accuracy for a classifier, ``r2_score`` for a regressor.

    See Also
    --------
    PredictionEntropyScorer : Needs no refit.

    References
    ----------
    .. [1] L. Bruzzone, M. Marconcini. "Domain adaptation problems: a DASVM
       classification technique and a circular validation strategy." IEEE
       TPAMI 32(5), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skot.da import CircularValidationScorer, DomainAdaptationClassifier
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> clf = DomainAdaptationClassifier(KNeighborsClassifier(1)).fit(X, y)
    >>> CircularValidationScorer()(clf, X, y)
    1.0
    """

    __metadata_request__score = {"sample_domain": True}

    def __init__(self, metric=None):
        self.metric = metric

    def __call__(self, estimator, X, y, sample_domain=None):
        """Score ``estimator`` by a source -> target -> source round trip.

        Parameters
        ----------
        estimator : fitted domain-adaptation classifier
            Refitted (a clone) in the reverse direction.
        X : array-like of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels of the source rows (target rows may be masked).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row.

        Returns
        -------
        score : float
            The metric of the round-trip predictions on the source rows.
        """
        from sklearn.base import is_regressor
        from sklearn.metrics import accuracy_score, r2_score

        regression = is_regressor(estimator)
        if self.metric is not None:
            metric = self.metric
        else:
            metric = r2_score if regression else accuracy_score
        y = np.asarray(y)
        n = X.shape[0] if hasattr(X, "shape") else len(X)
        target = target_rows(n, y, sample_domain)
        source = ~target
        if not source.any() or not target.any():
            raise ValueError(
                "CircularValidationScorer needs both source and target rows, got "
                f"{int(source.sum())} source and {int(target.sum())} target rows."
            )
        y_target = np.asarray(estimator.predict(_rows(X, target)))
        kind = np.result_type(y.dtype, y_target.dtype)
        if kind.kind not in "biuf":
            kind = object
        y_rev = np.array(y, dtype=kind, copy=True)
        y_rev[target] = y_target
        reverse = clone(estimator)
        if fit_accepts_sample_domain(reverse):
            reverse.fit(X, y_rev, sample_domain=np.where(target, 1, -2))
        else:
            # a plain Pipeline (no metadata routing): the reverse domains travel in
            # the label mask, which every skot estimator derives them from
            mask = mask_value(y_rev)
            if regression and y_rev.dtype.kind != "f":
                y_rev = y_rev.astype(np.float64)
                mask = np.nan
            if not regression and mask == -1 and np.any(y_target == -1):
                raise ValueError(
                    "CircularValidationScorer: -1 is one of the predicted classes, so it "
                    f"cannot mark the reverse target rows, and {type(estimator).__name__}"
                    ".fit does not take sample_domain. Use skot.da.make_da_pipeline (its "
                    "fit takes sample_domain) or a skot domain-adaptation estimator."
                )
            y_rev[source] = mask
            reverse.fit(X, y_rev)
        return float(metric(y[source], reverse.predict(_rows(X, source))))

    def __repr__(self):
        return f"CircularValidationScorer(metric={self.metric!r})"
