"""The ``(X, y, sample_domain)`` convention of domain adaptation (skada's).

All domains are stacked in one ``X`` and one ``y``; an integer
``sample_domain`` per row says where it comes from: ``>= 0`` source, ``< 0``
target. Unlabelled target rows carry ``y = -1`` (classification) or ``NaN``
(regression).

- In ``fit``, ``sample_domain=None`` is derived from the label mask: masked
  rows are target (domain ``-2``), labelled rows source (domain ``1``).
- In ``transform`` / ``predict``, ``sample_domain=None`` means every row is a
  target row.

Nothing here writes into the caller's arrays.
"""

import numbers

import numpy as np

__all__ = [
    "DEFAULT_SOURCE_DOMAIN",
    "DEFAULT_TARGET_DOMAIN",
    "check_sample_domain",
    "masked_labels",
    "source_target_merge",
    "source_target_split",
]

DEFAULT_SOURCE_DOMAIN = 1
DEFAULT_TARGET_DOMAIN = -2

_HOW = (
    "Mark target rows with a negative sample_domain, or, without sample_domain, "
    "with the label -1 (NaN for regression) in y."
)


def masked_labels(y):
    """Boolean mask of the unlabelled entries of ``y`` (``-1`` or ``NaN``).

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
        return np.isnan(y) | (y == -1)
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


def split_fit_domains(sample_domain, *, estimator):
    """Source and target masks for fit, with errors when one side is empty."""
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
    return source, ~source


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
    sd = np.asarray(sample_domain)
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
