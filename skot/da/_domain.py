"""The ``(X, y, sample_domain)`` convention of domain adaptation (skada's).

All domains are stacked in one ``X`` and one ``y``; an integer
``sample_domain`` per row says where it comes from: ``>= 0`` source, ``< 0``
target. Unlabelled target rows carry ``y = -1`` (classification) or ``NaN``
(regression).

The contract (stated once in the user guide, followed by every estimator):

- ``sample_domain`` given: it alone decides source and target. The labels of
  the source rows are taken literally (``-1`` is then a real class); ``NaN``
  always means "no label".
- In ``fit``, ``sample_domain=None`` is derived from the label mask: masked
  rows are target (domain ``-2``), labelled rows source (domain ``1``). The
  mask is ``-1`` for integer/string labels, ``NaN`` for float labels (``-1.0``
  only when ``y`` holds no ``NaN``, so a float ``y`` masked with ``NaN`` may
  hold ``-1`` as a class or a value).
- In ``transform`` / ``predict``, ``sample_domain=None`` means every row is a
  target row.
- ``score`` rates the labelled rows only (:func:`score_rows`).

Nothing here writes into the caller's arrays.
"""

import numbers

import numpy as np

__all__ = [
    "DEFAULT_SOURCE_DOMAIN",
    "DEFAULT_TARGET_DOMAIN",
    "check_sample_domain",
    "fit_accepts_sample_domain",
    "labelled_rows",
    "mask_value",
    "masked_labels",
    "score_rows",
    "source_target_merge",
    "source_target_split",
    "target_rows",
]

DEFAULT_SOURCE_DOMAIN = 1
DEFAULT_TARGET_DOMAIN = -2

_HOW = (
    "Mark target rows with a negative sample_domain, or, without sample_domain, "
    "with the label -1 (NaN for regression) in y."
)


def masked_labels(y):
    """Boolean mask of the unlabelled entries of ``y`` (``-1`` or ``NaN``).

    Integer labels: ``-1``. Float labels: ``NaN`` when ``y`` holds any, else
    ``-1`` (so ``-1.0`` is a class or a regression value next to a ``NaN``
    mask). Object labels: ``None``, ``NaN``, ``-1`` or ``"-1"``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels, numeric or not.

    Returns
    -------
    mask : ndarray of bool of shape (n_samples,)
        True where the label is missing.
    """
    y = np.asarray(y)
    if y.dtype.kind in "biu":
        return y == -1
    if y.dtype.kind in "fc":
        nan = np.isnan(y)
        return nan if nan.any() else y == -1
    mask = np.zeros(y.shape[0], dtype=bool)
    for i, v in enumerate(y.ravel() if y.ndim == 1 else y[:, 0]):
        if v is None:
            mask[i] = True
        elif isinstance(v, numbers.Number) and not isinstance(v, bool):
            mask[i] = bool(np.isnan(v)) or v == -1
        elif isinstance(v, str):
            mask[i] = v == "-1"
    return mask


def check_sample_domain(sample_domain, n_samples, *, y=None, fit=True):
    """Validate ``sample_domain`` (or derive it) as an int64 array.

    Parameters
    ----------
    sample_domain : None, int or array-like of shape (n_samples,)
        Domain of each row; a scalar applies to every row.
    n_samples : int
        Number of rows of ``X``.
    y : array-like of shape (n_samples,), default=None
        Labels; in fit, ``sample_domain=None`` is derived from their mask.
    fit : bool, default=True
        Whether this is a fit (derive from ``y``) or a transform/predict
        (``None`` means "all target").

    Returns
    -------
    sample_domain : ndarray of int64 of shape (n_samples,)
        A fresh array (never the caller's).
    """
    if sample_domain is None:
        if fit and y is not None:
            mask = masked_labels(y)
            return np.where(mask, DEFAULT_TARGET_DOMAIN, DEFAULT_SOURCE_DOMAIN).astype(np.int64)
        # no labels and no domains: every row is a target row (as skada)
        return np.full(n_samples, DEFAULT_TARGET_DOMAIN, dtype=np.int64)
    if isinstance(sample_domain, (numbers.Integral, np.integer)) and not isinstance(
        sample_domain, bool
    ):
        return np.full(n_samples, int(sample_domain), dtype=np.int64)
    sd = np.asarray(sample_domain)
    if sd.ndim != 1 or sd.shape[0] != n_samples:
        raise ValueError(
            f"sample_domain must be an int or have shape ({n_samples},) like X, "
            f"got shape {sd.shape}."
        )
    if sd.dtype.kind in "iu":
        return sd.astype(np.int64, copy=True)
    if sd.dtype.kind == "f" and np.isfinite(sd).all() and np.all(sd == np.round(sd)):
        return sd.astype(np.int64)
    raise ValueError(
        f"sample_domain must hold integers (>= 0 source, < 0 target), got dtype {sd.dtype}."
    )


def split_fit_domains(sample_domain, *, estimator, min_rows=2):
    """Source and target masks for fit, with errors when a side has too few rows.

    Each side needs ``min_rows`` rows (2: one row is no distribution to
    transport to or from).
    """
    source = sample_domain >= 0
    n_source = int(source.sum())
    n_target = source.shape[0] - n_source
    if n_target == 0:
        raise ValueError(
            f"{estimator} found no target rows in fit ({n_source} source rows). " + _HOW
        )
    if n_source == 0:
        raise ValueError(
            f"{estimator} found no source rows in fit ({n_target} target rows). "
            "Source rows have sample_domain >= 0 or, without sample_domain, a label in y."
        )
    for side, count in (("target", n_target), ("source", n_source)):
        if count < min_rows:
            raise ValueError(
                f"{estimator} needs at least {min_rows} {side} rows in fit, got {count}: "
                f"a single {side} row is no distribution to adapt "
                f"{'to' if side == 'target' else 'from'}. " + _HOW
            )
    return source, ~source


def mask_value(y):
    """The value marking unlabelled rows in ``y``: ``NaN`` for float ``y``, else ``-1``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.

    Returns
    -------
    value : float or int
        ``np.nan`` or ``-1``.
    """
    return np.nan if np.asarray(y).dtype.kind in "fc" else -1


def _is_nan(y):
    y = np.asarray(y)
    if y.dtype.kind in "fc":
        return np.isnan(y)
    if y.dtype.kind == "O":
        return np.array(
            [v is None or (isinstance(v, float) and np.isnan(v)) for v in y], dtype=bool
        )
    return np.zeros(y.shape[0], dtype=bool)


def labelled_rows(y, sample_domain):
    """Rows a supervised model is trained on: the source rows that have a label.

    Under the contract, ``sample_domain`` decides the domains, so the label of
    a source row is taken literally (``-1`` is a class); only ``NaN`` (or
    ``None``) means "no label".

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.
    sample_domain : ndarray of shape (n_samples,)
        Validated domains (see :func:`check_sample_domain`).

    Returns
    -------
    mask : ndarray of bool of shape (n_samples,)
        True on the labelled source rows.
    """
    return (np.asarray(sample_domain) >= 0) & ~_is_nan(y)


def score_rows(y, sample_domain, classes=None, *, regression=False):
    """Rows ``score`` rates and the domains they are predicted as.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels; masked entries (``-1`` unless ``-1`` is in ``classes``,
        ``NaN``) are never scored.
    sample_domain : None, int or array-like of shape (n_samples,)
        Domains as given by the caller. ``None``: if ``y`` holds masked rows
        (stacked domain-adaptation data, e.g. a cross-validation fold), the
        domains are derived as in fit (the labelled rows are source rows);
        otherwise every row is a target row.
    classes : array-like, default=None
        Classes of the fitted classifier.
    regression : bool, default=False
        Regression targets: only ``NaN`` is a mask.

    Returns
    -------
    labelled : ndarray of bool of shape (n_samples,)
        Rows to score.
    sample_domain : ndarray of int64 of shape (n_samples,)
        Domain of every row.
    """
    y = np.asarray(y)
    n = y.shape[0]
    minus_one_is_class = classes is not None and np.any(
        np.asarray(classes, dtype=object) == np.asarray(-1, dtype=object)
    )
    masked = _is_nan(y) if (regression or minus_one_is_class) else masked_labels(y)
    if sample_domain is None:
        if masked.any():
            sd = np.where(masked, DEFAULT_TARGET_DOMAIN, DEFAULT_SOURCE_DOMAIN).astype(np.int64)
        else:
            sd = np.full(n, DEFAULT_TARGET_DOMAIN, dtype=np.int64)
    else:
        sd = check_sample_domain(sample_domain, n, fit=False)
    return ~masked, sd


def target_rows(n_samples, y=None, sample_domain=None):
    """Target rows for a scorer or splitter.

    Parameters
    ----------
    n_samples : int
        Number of rows.
    y : array-like of shape (n_samples,), default=None
        Labels; used only when ``sample_domain`` is ``None``.
    sample_domain : None, int or array-like of shape (n_samples,), default=None
        Domains.

    Returns
    -------
    mask : ndarray of bool of shape (n_samples,)
        ``sample_domain < 0`` when given, else the masked rows of ``y`` if
        any, else every row.
    """
    if sample_domain is not None:
        return check_sample_domain(sample_domain, n_samples, fit=False) < 0
    if y is not None:
        mask = masked_labels(np.asarray(y))
        if mask.any():
            return mask
    return np.ones(n_samples, dtype=bool)


def fit_accepts_sample_domain(estimator):
    """Whether ``estimator.fit`` takes a ``sample_domain`` keyword.

    True when the signature names it, or when the estimator is a
    :class:`~sklearn.pipeline.Pipeline` that routes it (a skot
    ``DAPipeline``, or any pipeline with scikit-learn's metadata routing
    enabled and a step requesting it).

    Parameters
    ----------
    estimator : estimator object
        The estimator.

    Returns
    -------
    accepts : bool
        Whether ``estimator.fit(X, y, sample_domain=...)`` is valid.
    """
    from inspect import signature

    try:
        params = signature(estimator.fit).parameters
    except (TypeError, ValueError, AttributeError):
        return False
    if "sample_domain" in params:
        return True
    import sklearn

    if sklearn.get_config().get("enable_metadata_routing", False):
        try:
            routing = estimator.get_metadata_routing()
            return "sample_domain" in routing.consumes("fit", ["sample_domain"])
        except (AttributeError, TypeError, ValueError):
            return False
    return False


def check_known_domains(sample_domain, known, *, estimator):
    """Raise ValueError when ``sample_domain`` holds a domain not seen in fit."""
    unknown = np.setdiff1d(np.unique(sample_domain), known)
    if unknown.size:
        raise ValueError(
            f"{estimator} got sample_domain values {unknown.tolist()} that were not "
            f"seen in fit (fitted domains: {np.asarray(known).tolist()})."
        )


def source_target_split(*arrays, sample_domain):
    """Split stacked arrays into their source and target rows.

    Parameters
    ----------
    *arrays : array-like of shape (n_samples, ...)
        Arrays to split (``None`` entries give ``None`` halves).
    sample_domain : array-like of shape (n_samples,)
        Domain of each row (``>= 0`` source, ``< 0`` target).

    Returns
    -------
    splits : list
        ``[a_source, a_target, b_source, b_target, ...]`` (copies by row
        selection, in the order of the input).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import source_target_split
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> Xs, Xt = source_target_split(X, sample_domain=[1, 1, -2, -2])
    >>> Xt
    array([[4., 5.],
           [6., 7.]])
    """
    if not arrays:
        raise ValueError("source_target_split needs at least one array.")
    if sample_domain is None:
        raise ValueError(
            "source_target_split needs sample_domain (one integer per row, >= 0 source, "
            "< 0 target), got None. Without domains, split on the label mask: "
            "sample_domain=np.where(y == -1, -2, 1) (np.isnan(y) for float labels)."
        )
    sd = np.asarray(sample_domain)
    if sd.ndim == 0:
        raise ValueError(
            "source_target_split needs one sample_domain per row (an array of the length "
            f"of the arrays), got the scalar {sample_domain!r}."
        )
    if sd.ndim != 1:
        raise ValueError(f"sample_domain must be 1-D, got shape {sd.shape}.")
    source = sd >= 0
    out = []
    for a in arrays:
        if a is None:
            out.extend([None, None])
            continue
        if len(a) != sd.shape[0]:
            raise ValueError(
                f"Every array must have {sd.shape[0]} rows like sample_domain, got {len(a)}."
            )
        a = a if hasattr(a, "iloc") else np.asarray(a)
        if hasattr(a, "iloc"):
            out.extend([a.iloc[np.flatnonzero(source)], a.iloc[np.flatnonzero(~source)]])
        else:
            out.extend([a[source], a[~source]])
    return out


def source_target_merge(X_source, X_target, *, y_source=None, y_target=None):
    """Stack source and target rows and build their ``sample_domain``.

    Parameters
    ----------
    X_source : array-like of shape (n_source, n_features)
        Source rows.
    X_target : array-like of shape (n_target, n_features)
        Target rows.
    y_source : array-like of shape (n_source,), default=None
        Source labels.
    y_target : array-like of shape (n_target,), default=None
        Target labels; ``None`` marks every target row unlabelled (``-1``, or
        ``NaN`` when the source labels are floats).

    Returns
    -------
    X : ndarray of shape (n_source + n_target, n_features)
        Source rows, then target rows.
    y : ndarray of shape (n_source + n_target,) or None
        Stacked labels (``None`` when ``y_source`` is ``None``).
    sample_domain : ndarray of shape (n_source + n_target,)
        ``1`` for source rows, ``-2`` for target rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.da import source_target_merge
    >>> X, y, sd = source_target_merge(np.zeros((2, 1)), np.ones((1, 1)), y_source=[0, 1])
    >>> y, sd
    (array([ 0,  1, -1]), array([ 1,  1, -2]))
    """
    Xs = np.asarray(X_source)
    Xt = np.asarray(X_target)
    if Xs.ndim != 2 or Xt.ndim != 2 or Xs.shape[1] != Xt.shape[1]:
        raise ValueError(
            f"X_source and X_target must be 2-D with the same number of columns, got "
            f"shapes {Xs.shape} and {Xt.shape}."
        )
    X = np.concatenate([Xs, Xt], axis=0)
    sd = np.concatenate(
        [
            np.full(Xs.shape[0], DEFAULT_SOURCE_DOMAIN, dtype=np.int64),
            np.full(Xt.shape[0], DEFAULT_TARGET_DOMAIN, dtype=np.int64),
        ]
    )
    if y_source is None:
        return X, None, sd
    ys = np.asarray(y_source)
    if ys.shape != (Xs.shape[0],):
        raise ValueError(f"y_source must have shape ({Xs.shape[0]},), got {ys.shape}.")
    if y_target is None:
        fill = np.nan if ys.dtype.kind == "f" else -1
        yt = np.full(Xt.shape[0], fill, dtype=ys.dtype if ys.dtype.kind in "iuf" else object)
    else:
        yt = np.asarray(y_target)
        if yt.shape != (Xt.shape[0],):
            raise ValueError(f"y_target must have shape ({Xt.shape[0]},), got {yt.shape}.")
    return X, np.concatenate([ys, yt]), sd
