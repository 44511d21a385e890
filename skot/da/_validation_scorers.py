"""Unsupervised scorers for domain-adaptation model selection (no target labels).

Target rows are ``sample_domain < 0`` when given, else the masked rows of
``y`` (``-1``/``NaN``), else every row (:func:`skot.da._domain.target_rows`),
so the scorers work in ``GridSearchCV(scoring=...)`` with a plain
``fit(X, y)`` and with metadata routing (they request ``sample_domain``).
"""

import numpy as np
from sklearn.utils._metadata_requests import _MetadataRequester

from ._domain import masked_labels, target_rows

__all__ = ["ImportanceWeightedScorer", "SoftNeighborhoodDensity"]


def _rows(X, mask):
    return X.iloc[np.flatnonzero(mask)] if hasattr(X, "iloc") else np.asarray(X)[mask]


def _proba(name, estimator, X, sample_domain=None):
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"{name} needs an estimator with predict_proba, got {type(estimator).__name__}."
        )
    return np.asarray(estimator.predict_proba(X), dtype=np.float64)


class SoftNeighborhoodDensity(_MetadataRequester):
    r"""Soft neighbourhood density of the target predictions (Saito et al. 2021).

    With :math:`p_j` the predicted class probabilities of target row ``j``,
    normalised to unit norm, the similarities :math:`s_{jk} = p_j^\top p_k`
    (``k != j``) are turned into a distribution by a softmax at temperature
    ``T``; the score is the mean entropy of these distributions. A model
    whose target predictions form dense, consistent clusters scores higher.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    T : float, default=0.05
        Temperature of the softmax.

    References
    ----------
    .. [1] K. Saito, D. Kim, P. Teterwak, S. Sclaroff, T. Darrell, K. Saenko.
       "Tune it the right way: unsupervised validation of domain adaptation
       via soft neighborhood density." ICCV 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skot.da._validation_scorers import SoftNeighborhoodDensity
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]])
    >>> clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> bool(SoftNeighborhoodDensity()(clf, X) > 0)
    True
    """

    __metadata_request__score = {"sample_domain": True}

    def __init__(self, T=0.05):
        self.T = T

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
            Mean entropy of the soft neighbourhoods (higher is better).
        """
        if not self.T > 0:
            raise ValueError(f"T must be > 0, got {self.T!r}.")
        target = target_rows(len(X), y, sample_domain)
        if target.sum() < 2:
            raise ValueError("SoftNeighborhoodDensity needs at least 2 target rows.")
        P = _proba("SoftNeighborhoodDensity", estimator, _rows(X, target))
        P = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-300)
        S = P @ P.T / self.T
        np.fill_diagonal(S, -np.inf)
        S -= S.max(axis=1, keepdims=True)
        E = np.exp(S)
        E /= E.sum(axis=1, keepdims=True)
        logE = np.log(np.where(E > 0, E, 1.0))
        return float(np.mean(-np.sum(E * logE, axis=1)))

    def __repr__(self):
        return f"SoftNeighborhoodDensity(T={self.T!r})"


class ImportanceWeightedScorer(_MetadataRequester):
    r"""Importance-weighted accuracy on the labelled source rows (Sugiyama et al. 2007).

    A weighter (default :class:`~skot.da._reweight.DiscriminatorReweight`)
    estimates :math:`w(x) = p_t(x)/p_s(x)` from the rows of the fold; the
    score is :math:`\sum_i w_i 1[f(x_i) = y_i] / \sum_i w_i` over the
    labelled source rows, an estimate of the target accuracy under covariate
    shift.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    weighter : skot weighter, default=None
        Estimator with ``fit_weights(X, y, sample_domain=...)``; ``None``
        means ``DiscriminatorReweight()``.

    References
    ----------
    .. [1] M. Sugiyama, M. Krauledat, K.-R. Müller. "Covariate shift
       adaptation by importance weighted cross validation." JMLR 8, 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skot.da._validation_scorers import ImportanceWeightedScorer
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.2], [0.9]])
    >>> y = np.array([0, 0, 1, 1, -1, -1])
    >>> clf = LogisticRegression().fit(X[:4], y[:4])
    >>> ImportanceWeightedScorer()(clf, X, y)
    1.0
    """

    __metadata_request__score = {"sample_domain": True}

    def __init__(self, weighter=None):
        self.weighter = weighter

    def __call__(self, estimator, X, y, sample_domain=None):
        """Score ``estimator`` by its weighted accuracy on the labelled source rows.

        Parameters
        ----------
        estimator : fitted classifier
            The model to rate.
        X : array-like of shape (n_samples, n_features)
            Source and target rows of the fold.
        y : array-like of shape (n_samples,)
            Labels; target rows are masked (or marked by ``sample_domain``).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row.

        Returns
        -------
        score : float
            Weighted accuracy (higher is better).
        """
        from sklearn.base import clone

        from ._reweight import DiscriminatorReweight

        y = np.asarray(y)
        n = len(X)
        target = target_rows(n, y, sample_domain)
        labelled = ~target & ~masked_labels(y)
        if not labelled.any() or not target.any():
            raise ValueError(
                "ImportanceWeightedScorer needs labelled source rows and target rows in "
                f"the fold, got {int(labelled.sum())} and {int(target.sum())}."
            )
        sd = np.where(target, -2, 1)
        w = clone(self.weighter if self.weighter is not None else DiscriminatorReweight())
        weights = w.fit_weights(np.asarray(X), sample_domain=sd)
        Xl = _rows(X, labelled)
        kw = {"sample_domain": np.ones(int(labelled.sum()), dtype=np.int64)}
        try:
            pred = estimator.predict(Xl, **kw)
        except (TypeError, ValueError):
            pred = estimator.predict(Xl)
        correct = (np.asarray(pred) == y[labelled]).astype(float)
        wl = weights[labelled]
        return float(np.sum(wl * correct) / np.sum(wl))

    def __repr__(self):
        return f"ImportanceWeightedScorer(weighter={self.weighter!r})"
