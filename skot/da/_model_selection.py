"""Domain-aware splitters for cross-validating domain-adaptation models.

A split of stacked data must keep source **and** target rows on both sides,
or the estimator fitted on the training fold has no target rows to adapt to.
Target rows are ``sample_domain < 0`` when given (route it with metadata
routing), else the masked rows of ``y`` (``-1``/``NaN``), so the splitters
work in a plain ``GridSearchCV(...).fit(X, y)``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._domain import target_rows

__all__ = ["SourceTargetShuffleSplit"]


class SourceTargetShuffleSplit(BaseCrossValidator):
    """Random splits drawn within the source rows and within the target rows.

    Each split holds out ``test_size`` of the source rows and the same share
    of the target rows, so training and test folds both hold source and
    target rows in the proportions of the data.

    Read more in the :ref:`User Guide <da_methods>`.

    Parameters
    ----------
    n_splits : int, default=5
        Number of splits.
    test_size : float in (0, 1), default=0.2
        Share of each side held out.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffles.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da._model_selection import SourceTargetShuffleSplit
    >>> y = np.array([0, 1, 0, 1, -1, -1, -1, -1, -1, -1])
    >>> cv = SourceTargetShuffleSplit(n_splits=2, test_size=0.5, random_state=0)
    >>> [len(test) for _, test in cv.split(np.zeros((10, 1)), y)]
    [5, 5]
    """

    __metadata_request__split = {"sample_domain": True}

    @validate_params(
        {
            "n_splits": [Interval(Integral, 1, None, closed="left")],
            "test_size": [Interval(Real, 0, 1, closed="neither")],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def __init__(self, n_splits=5, *, test_size=0.2, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits.

        Parameters
        ----------
        X : object, default=None
            Ignored.
        y : object, default=None
            Ignored.
        groups : object, default=None
            Ignored.

        Returns
        -------
        n_splits : int
            ``n_splits``.
        """
        return self.n_splits

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Yield train and test indices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples,), default=None
            Labels; its masked rows are the target rows when
            ``sample_domain`` is ``None``.
        groups : object, default=None
            Ignored.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row (``< 0`` target).

        Yields
        ------
        train : ndarray
            Training indices.
        test : ndarray
            Test indices.
        """
        n = len(X)
        target = target_rows(n, y, sample_domain)
        sides = [np.flatnonzero(~target), np.flatnonzero(target)]
        for side, idx in zip(("source", "target"), sides):
            if 0 < idx.shape[0] < 4:
                raise ValueError(
                    f"SourceTargetShuffleSplit needs at least 4 {side} rows (2 in each "
                    f"fold), got {idx.shape[0]}."
                )
        rng = check_random_state(self.random_state)
        for _ in range(self.n_splits):
            train, test = [], []
            for idx in sides:
                if idx.shape[0] == 0:
                    continue
                k = min(max(int(round(self.test_size * idx.shape[0])), 2), idx.shape[0] - 2)
                perm = rng.permutation(idx)
                test.append(perm[:k])
                train.append(perm[k:])
            yield np.sort(np.concatenate(train)), np.sort(np.concatenate(test))

    def _iter_test_indices(self, X=None, y=None, groups=None):
        for _, test in self.split(X, y):
            yield test
