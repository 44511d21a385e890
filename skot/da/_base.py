"""Shared machinery of the transporters: domains, validation, maps.

A transporter is a scikit-learn transformer fitted on stacked source and
target rows (see :mod:`skot.da._domain`). ``transform`` moves source rows into
the target domain and leaves target rows as they are; ``inverse_transform``
does the converse.
"""

import sys
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._numba import effective_n_threads, use_parallel
from ..utils._pairwise import METRICS
from ..utils._validation import check_memory, check_nonnegative_weights
from ._domain import (
    _is_nan,
    check_known_domains,
    check_sample_domain,
    fit_accepts_sample_domain,
    masked_labels,
    split_fit_domains,
)
from ._maps import barycentric, entropic_map, nearest_map, propagate, same_rows

# Ground-cost metrics: the one list (METRICS, that of skot.ot.cost_matrix), and the norms.
NORMS = {"max", "median", "log", "loglog"}


def check_da_labels(y, n_samples, name):
    """Return ``y`` as a 1-D array (a view or copy, never written to)."""
    if y is None:
        return None
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name}: y must be 1-D, got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{name}: X has {n_samples} rows but y has {y.shape[0]}: lengths must match."
        )
    return y


def fit_domains(estimator, X, y, sample_domain):
    """Validate a fit call; return ``X, y, sample_domain, source_mask``.

    A DA transformer (transporter, subspace method, reweighter) fitted as a step
    of a plain ``Pipeline`` ending in a supervised model is refused here, once
    for all of them (:func:`check_not_in_plain_pipeline`).
    """
    from sklearn.base import is_classifier, is_regressor

    if not (is_classifier(estimator) or is_regressor(estimator)):
        check_not_in_plain_pipeline(estimator, y)
    name = type(estimator).__name__
    X = validate_data(estimator, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
    y = check_da_labels(y, X.shape[0], name)
    sd = check_sample_domain(sample_domain, X.shape[0], y=y, fit=True)
    source, _ = split_fit_domains(sd, estimator=name)
    return X, y, sd, source


def apply_domains(estimator, X, sample_domain):
    """Validate a transform/predict call; return ``X, sample_domain``."""
    check_is_fitted(estimator)
    X = validate_data(estimator, X, dtype=[np.float64, np.float32], reset=False)
    sd = check_sample_domain(sample_domain, X.shape[0], fit=False)
    if sample_domain is not None:
        check_known_domains(sd, estimator.domains_, estimator=type(estimator).__name__)
    return X, sd


def domain_weights(sample_weight, source, name):
    """Masses of the source and target rows from ``sample_weight``.

    ``None`` gives ``(None, None)`` (uniform masses). Otherwise the weights of
    each domain are normalised to sum to one; a domain whose weights are all
    zero is an error.
    """
    if sample_weight is None:
        return None, None
    w = check_nonnegative_weights(
        sample_weight, source.shape[0], name="sample_weight", allow_all_zero=True
    )
    out = []
    for mask, side in ((source, "source"), (~source, "target")):
        wd = w[mask]
        total = float(wd.sum())
        if not total > 0:
            raise ValueError(
                f"{name}: the sample_weight of the {side} rows are all zero; at least "
                f"one {side} row needs a positive weight."
            )
        out.append(wd / total)
    return out[0], out[1]


def check_single_class_mask(classes, y, sample_domain, name):
    """Refuse one source class when the domains came from a ``-1`` mask.

    Labels ``{-1, c}`` without ``sample_domain`` leave a single source class
    (the ``-1`` rows became target rows): almost surely ``-1`` was meant as a
    class. The message says how to mark the domains.
    """
    if sample_domain is None and len(classes) == 1 and masked_labels(y).any():
        raise ValueError(
            f"{name}: the source rows hold a single class ({classes[0]!r}) because, "
            "without sample_domain, the rows labelled -1 (or NaN) are taken as the "
            "unlabelled target rows. If -1 is one of your classes, pass sample_domain "
            "(>= 0 source, < 0 target): the source labels are then taken as they are."
        )


def source_labels(y, source, name, *, required):
    """The labels of the source rows; error when missing or partly unlabelled.

    Source labels are taken literally (``-1`` is a class, the domains being
    given by ``sample_domain`` or derived from the mask); ``NaN``/``None`` mark
    an unlabelled source row.
    """
    if y is None:
        if required:
            raise ValueError(f"{name} needs the labels of the source rows: y is None.")
        return None
    ys = y[source]
    mask = _is_nan(ys)
    if mask.all():
        if required:
            raise ValueError(f"{name} found no labelled source rows: every source row has y = NaN.")
        return None
    if mask.any():
        if required:
            raise ValueError(
                f"{name} needs a label on every source row, but {int(mask.sum())} of "
                f"{mask.shape[0]} source rows are unlabelled (y = NaN)."
            )
        return None
    return ys


def _calling_pipeline(estimator, max_depth=30):
    """The scikit-learn ``Pipeline`` whose ``fit`` is calling ``estimator``, if any.

    Walks up the call stack to the first frame of another estimator's
    method; returns it when it is a ``Pipeline``, else ``None`` (called by
    the user or by a meta-estimator such as a domain-adaptation classifier).
    """
    from sklearn.pipeline import Pipeline

    frame = sys._getframe(2)
    for _ in range(max_depth):
        if frame is None:
            return None
        obj = frame.f_locals.get("self")
        if isinstance(obj, BaseEstimator) and obj is not estimator:
            return obj if isinstance(obj, Pipeline) else None
        frame = frame.f_back
    return None


def check_not_in_plain_pipeline(estimator, y):
    """Refuse a transporter inside a plain ``Pipeline`` ending in a supervised model.

    scikit-learn's ``Pipeline`` hands the same ``y`` (with its ``-1``/``NaN``
    mask on the target rows) to its final step, which would learn the mask as
    a class, or train on the target rows. A final step that takes
    ``sample_domain`` (skot's and skada's domain-adaptation estimators) knows
    the convention; an unsupervised one ignores ``y``; skot's
    :func:`~skot.da.make_da_pipeline` and skada's pipelines route rows themselves.

    Parameters
    ----------
    estimator : estimator object
        The transporter being fitted.
    y : array-like or None
        The labels it received.
    """
    if y is None:
        return
    pipe = _calling_pipeline(estimator)
    if pipe is None or getattr(pipe, "_skot_da_pipeline", False):
        return
    final = pipe.steps[-1][1]
    if final is None or final == "passthrough":
        return
    if type(final).__module__.split(".")[0] == "skada":
        return
    from sklearn.base import is_classifier, is_regressor

    if not (is_classifier(final) or is_regressor(final)) or fit_accepts_sample_domain(final):
        return
    name = type(estimator).__name__
    raise ValueError(
        f"{name} is a step of a plain scikit-learn Pipeline whose final estimator "
        f"{type(final).__name__} is supervised: the Pipeline would train it on every row, "
        "target rows and their -1/NaN mask included. Build the pipeline with "
        "skot.da.make_da_pipeline(...) (it fits the final estimator on the labelled "
        "source rows only), or use skot.da.DomainAdaptationClassifier / "
        "DomainAdaptationRegressor."
    )


class BaseTransport(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Base class of the transporters (not an estimator by itself).

    Subclasses implement ``_fit_transport(Xs, Xt, ys)``, ``_map_source(Xs)``
    and ``_map_target(Xt)``; this class handles the domains, validation,
    ``fit_transform``, ``transform`` and ``inverse_transform``.
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__transform = {"sample_domain": True}
    __metadata_request__inverse_transform = {"sample_domain": True}

    _requires_source_labels = False

    def _fit(self, X, y, sample_domain, sample_weight=None):
        X, y, sd, source = fit_domains(self, X, y, sample_domain)
        name = type(self).__name__
        ys = source_labels(y, source, name, required=self._requires_source_labels)
        ws, wt = domain_weights(sample_weight, source, name)
        # mass of one unit-weight target row: integer weights are row counts
        self._target_unit_mass = (
            None
            if sample_weight is None
            else 1.0 / float(np.asarray(sample_weight, dtype=np.float64)[~source].sum())
        )
        self._fit_transport(X[source], X[~source], ys, ws, wt)
        self.domains_ = np.unique(sd)
        return X, sd

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_weight=None, sample_domain=None):
        """Learn the transport from the source rows to the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows: the masses of the source and of
            the target distribution, each normalised to sum to one. ``None``
            gives every row of a domain the same mass.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target. ``None``
            derives it from the label mask of ``y`` (masked rows are target).

        Returns
        -------
        self : object
            The fitted transporter.
        """
        self._fit(X, y, sample_domain, sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_weight=None, sample_domain=None):
        """Fit, then return the source rows transported and the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows (masses of each domain, see
            :meth:`fit`).
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row: ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Source rows mapped into the target domain (barycentric map),
            target rows unchanged, in the input order.
        """
        check_not_in_plain_pipeline(self, y)
        X, sd = self._fit(X, y, sample_domain, sample_weight)
        out = np.array(X, dtype=np.float64)
        source = sd >= 0
        out[source] = self._map_source(X[source], fitted=True)
        return out.astype(X.dtype, copy=False)

    def transform(self, X, sample_domain=None):
        """Map source rows into the target domain; target rows pass unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row
            (returned unchanged). Domains must be among those seen in fit.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The mapped rows.
        """
        X, sd = apply_domains(self, X, sample_domain)
        return self._apply(X, sd >= 0)

    def _apply(self, X, source):
        """Map the validated rows ``X[source]``; the others pass unchanged."""
        X = np.asarray(X)
        out = np.array(X, dtype=np.float64)
        if source.any():
            out[source] = self._map_source(X[source], fitted=None)
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, X, sample_domain=None):
        """Map target rows into the source domain; source rows pass unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.
        sample_domain : int or array-like of shape (n_samples,), default=None
            Domain of each row; ``None`` means every row is a target row (all
            of them are mapped).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The mapped rows.
        """
        X, sd = apply_domains(self, X, sample_domain)
        out = np.array(X, dtype=np.float64)
        target = sd < 0
        if target.any():
            out[target] = self._map_target(X[target], fitted=None)
        return out.astype(X.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class BaseCouplingTransport(BaseTransport):
    """Transporters that learn a coupling between the fitted rows.

    Subclasses implement ``_solve(a, b, M, ys) -> OTResult``. The barycentric
    maps of the fitted rows are computed once in fit; new rows are mapped in
    batches (``batch_size``) from the nearest fitted row's displacement, or,
    for the entropic transports, from the dual potentials.
    """

    _common_constraints = {
        "metric": [StrOptions(set(METRICS)), callable],
        "norm": [StrOptions(NORMS), Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def _cost(self, A, B, divisor=None):
        """Cost between rows, normalised; return ``(M, divisor)``.

        ``norm="max"``/``"median"`` learn a divisor in fit that is reused for
        new points (``divisor``); ``"log"``/``"loglog"``/a number need none.
        """
        from ..ot import cost_matrix, cost_scale

        norm = self.norm
        if divisor is not None:
            return cost_matrix(A, B, metric=self.metric, norm=divisor, n_jobs=self.n_jobs), divisor
        if norm in ("max", "median"):
            M = cost_matrix(A, B, metric=self.metric, n_jobs=self.n_jobs)
            divisor = cost_scale(M, norm)
            M /= divisor
            return M, divisor
        return cost_matrix(A, B, metric=self.metric, norm=norm, n_jobs=self.n_jobs), None

    def _fit_transport(self, Xs, Xt, ys, ws=None, wt=None):
        ns, nt = Xs.shape[0], Xt.shape[0]
        check_memory(
            3 * ns * nt * 8,
            f"the {ns} x {nt} cost and coupling matrices of {type(self).__name__}",
            hint="Fit on fewer rows (subsample source or target).",
        )
        Xs64 = np.ascontiguousarray(Xs, dtype=np.float64)
        Xt64 = np.ascontiguousarray(Xt, dtype=np.float64)
        M, self.cost_norm_ = self._cost(Xs64, Xt64)
        a = np.full(ns, 1.0 / ns) if ws is None else np.asarray(ws, dtype=np.float64)
        b = np.full(nt, 1.0 / nt) if wt is None else np.asarray(wt, dtype=np.float64)
        start = time.perf_counter()
        res = self._solve(a, b, M, ys)
        P = np.asarray(res.plan, dtype=np.float64)
        if self.verbose:
            print(
                f"{type(self).__name__}: {ns} source x {nt} target rows, "
                f"{int(res.n_iter)} iterations, marginal error {float(res.marginal_error):.3e}, "
                f"transport cost {float(res.cost):.6g}, converged={bool(res.converged)} "
                f"({time.perf_counter() - start:.3f} s)"
            )
        self.coupling_ = P
        self.cost_ = M
        self.transport_cost_ = float(res.cost)
        self.n_iter_ = int(res.n_iter)
        self.converged_ = bool(res.converged)
        self.xs_ = Xs
        self.xt_ = Xt
        self._potentials = (res.f, res.g)
        rows = P.sum(axis=1)
        cols = P.sum(axis=0)
        self._xs_mapped = barycentric(P, rows, Xt64, Xs64)
        self._xt_mapped = barycentric(P.T, cols, Xs64, Xt64)

    # ---------------------------------------------------------------- maps

    def _out_of_sample(self):
        return "ferradans"

    def _n_threads(self, work):
        """Threads for ``work`` row-by-row operations (``PARALLEL_MIN_WORK["rows"]``)."""
        n = effective_n_threads(self.n_jobs)
        return n if use_parallel(work, n, "rows") else 1

    def _map_source(self, Xs, fitted=None):
        if fitted or (fitted is None and same_rows(Xs, self.xs_)):
            return self._xs_mapped
        return self._map_new(
            Xs, self.xs_, self._xs_mapped, self.xt_, self._potentials[1], source=True
        )

    def _map_target(self, Xt, fitted=None):
        if fitted or (fitted is None and same_rows(Xt, self.xt_)):
            return self._xt_mapped
        return self._map_new(
            Xt, self.xt_, self._xt_mapped, self.xs_, self._potentials[0], source=False
        )

    def _map_new(self, X, fit_rows, fit_mapped, other_rows, potential, source):
        """Out-of-sample map of new rows, in batches (maps computed once)."""
        if self._out_of_sample() == "continuous":
            if source:

                def cost(A, B):
                    return self._cost(A, B, self.cost_norm_)[0]
            else:

                def cost(A, B):
                    return np.ascontiguousarray(self._cost(B, A, self.cost_norm_)[0].T)

            return entropic_map(
                X,
                other_rows,
                potential,
                float(self.reg),
                batch_size=self.batch_size,
                metric=self.metric,
                divisor=self._cost_divisor(),
                log_norm=self._log_norm(),
                cost=cost,
                n_threads=self._n_threads(X.shape[0] * other_rows.shape[0]),
            )
        return nearest_map(
            X, fit_rows, fit_mapped, batch_size=self.batch_size, n_threads_of=self._n_threads
        )

    def _cost_divisor(self):
        """The number the ground cost is divided by (``None``: not divided)."""
        if self.cost_norm_ is not None:
            return float(self.cost_norm_)
        if self.norm is not None and not isinstance(self.norm, str):
            return float(self.norm)
        return None

    def _log_norm(self):
        return self.norm if self.norm in ("log", "loglog") else None

    # -------------------------------------------------------------- labels

    def _labels_of(self, y, n_fit_side, name):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}.")
        if y.shape[0] != n_fit_side:
            raise ValueError(
                f"y must hold the labels of the {n_fit_side} fitted {name} rows, got "
                f"{y.shape[0]} labels."
            )
        if _is_nan(y).any():
            raise ValueError(
                f"y holds unlabelled entries (NaN); every fitted {name} row needs a label."
            )
        return y

    def transform_labels(self, y):
        """Propagate source labels to the fitted target rows through the coupling.

        Parameters
        ----------
        y : array-like of shape (n_source_fitted,)
            Labels of the source rows seen in fit (in their order).

        Returns
        -------
        proba : ndarray of shape (n_target_fitted, n_classes)
            Soft labels of the fitted target rows: column ``c`` is the share
            of the row's mass coming from source rows of class
            ``np.unique(y)[c]``. Rows sum to 1 (0 for a row receiving no mass).
        """
        check_is_fitted(self)
        y = self._labels_of(y, self.xs_.shape[0], "source")
        return propagate(self.coupling_, y)

    def inverse_transform_labels(self, y):
        """Propagate target labels to the fitted source rows through the coupling.

        Parameters
        ----------
        y : array-like of shape (n_target_fitted,)
            Labels of the target rows seen in fit (in their order).

        Returns
        -------
        proba : ndarray of shape (n_source_fitted, n_classes)
            Soft labels of the fitted source rows, columns in the order of
            ``np.unique(y)``.
        """
        check_is_fitted(self)
        y = self._labels_of(y, self.xt_.shape[0], "target")
        return propagate(self.coupling_.T, y)
