"""Entropic affinities calibrated by perplexity (the affinities of SNE and t-SNE).

:func:`calibrate_perplexity` is the function layer (squared distances in,
row-stochastic affinities out); :class:`EntropicAffinity` builds them from data
as a transformer.
"""

import math
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._numba import numba_threads, select
from ..utils._pairwise import pairwise_distances
from ..utils._validation import check_memory
from ._affinity import _RowIndex

__all__ = [
    "EntropicAffinity",
    "SymmetricEntropicAffinityResult",
    "calibrate_perplexity",
    "symmetric_entropic_affinity",
]

# scikit-learn's t-SNE stops its search at this entropy error (a C float there)
FLOOR = 1e-3
TSNE_TOLERANCE = float(np.float32(1e-5))


def _search(D, exclude_diag, perplexity, tol, max_iter, method, n_jobs, start=None):
    """Run the row search on a dense (n, k) array; returns ``P, beta, n_iter, ok``."""
    from . import _perplexity_kernels as k

    n, width = D.shape
    P = np.zeros((n, width))
    beta = np.empty(n)
    n_iter = np.empty(n, dtype=np.int64)
    ok = np.empty(n, dtype=np.bool_)
    with numba_threads(n_jobs) as n_threads:
        kernel = select(k.perplexity_search, n * width * 10, n_threads, "rows")
        kernel(
            D,
            bool(exclude_diag),
            math.log(perplexity),
            float(tol),
            int(max_iter),
            method == "newton",
            float(
                start if start is not None else max(1.0, 1.3 * (width - exclude_diag) / perplexity)
            ),
            P,
            beta,
            n_iter,
            ok,
        )
    return P, beta, n_iter, ok


def _check_distances(D):
    if sparse.issparse(D):
        D = sparse.csr_matrix(D, copy=True)
        D.sort_indices()
        values = D.data
    else:
        D = np.asarray(D)
        values = D
    if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values):
        raise TypeError(f"sq_distances must hold real numbers, got dtype {values.dtype}.")
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
        if sparse.issparse(D):
            D.data = values
        else:
            D = values
    if not np.isfinite(values).all():
        raise ValueError("sq_distances must be finite (no NaN or infinity).")
    if values.size and values.min() < 0:
        raise ValueError(
            f"sq_distances must be non-negative squared distances, got {values.min()!r}."
        )
    return D


def _calibrate(sq_distances, perplexity, *, tol, max_iter, method, n_jobs):
    """calibrate_perplexity, also returning the largest row iteration count."""
    D = _check_distances(sq_distances)
    n = D.shape[0]
    if D.ndim != 2 or D.shape[1] != n:
        raise ValueError(f"sq_distances must be square, got shape {D.shape}.")
    if sparse.issparse(D):
        counts = np.diff(D.indptr)
        if n == 0 or (counts != counts[0]).any():
            raise ValueError(
                "A sparse sq_distances must store the same number of neighbours on every "
                f"row, got between {counts.min() if n else 0} and {counts.max() if n else 0}."
            )
        width = int(counts[0])
        block, exclude = D.data.reshape(n, width), False
    else:
        width = n - 1
        block, exclude = D, True
    if not perplexity < width:
        raise ValueError(
            f"perplexity={perplexity} must be smaller than the number of neighbours of "
            f"each point ({width}): the entropy of a distribution over {width} points is "
            f"at most log({width})."
        )
    if not sparse.issparse(D):
        check_memory(n * n * 8, f"the {n} x {n} affinity matrix")
    P, beta, n_iter, ok = _search(block, exclude, perplexity, tol, max_iter, method, n_jobs)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        warnings.warn(
            f"calibrate_perplexity: {bad.size} rows (e.g. {bad[:5].tolist()}) did not reach "
            f"the entropy log({perplexity}) within tol={tol:g} in max_iter={max_iter} steps "
            "(ties among the nearest neighbours, or too small max_iter).",
            ConvergenceWarning,
            stacklevel=2,
        )
    if sparse.issparse(D):
        P = sparse.csr_matrix((P.ravel(), D.indices.copy(), D.indptr.copy()), shape=(n, n))
    return P, beta, int(n_iter.max())


@validate_params(
    {
        "sq_distances": ["array-like", "sparse matrix"],
        "perplexity": [Interval(Real, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"newton", "bisection"})],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def calibrate_perplexity(
    sq_distances, perplexity=30.0, *, tol=1e-10, max_iter=200, method="newton", n_jobs=None
):
    r"""Row-stochastic entropic affinities with a given perplexity (SNE, t-SNE).

    For every row ``i`` finds the precision :math:`\beta_i` such that the
    conditional distribution

    .. math:: p_{j|i} = \frac{\exp(-\beta_i d_{ij})}{\sum_{l} \exp(-\beta_i d_{il})}

    over the candidate neighbours :math:`j \ne i` has Shannon entropy
    :math:`H(p_{\cdot|i}) = \log(\text{perplexity})` (nats).

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    sq_distances : {array-like, sparse matrix} of shape (n_samples, n_samples)
        Squared distances. Dense: all pairs (the diagonal, the point itself,
        is left out). CSR: the same number of stored entries on every row,
        the distances to each row's neighbours (as
        ``NearestNeighbors.kneighbors_graph(mode="distance")`` squared gives).
    perplexity : float, default=30.0
        The effective number of neighbours, ``exp(entropy)``; must be smaller
        than the number of candidates per row.
    tol : float, default=1e-10
        Stop a row when its entropy is within ``tol`` (nats) of
        ``log(perplexity)``.
    max_iter : int, default=200
        Maximum steps per row.
    method : {"newton", "bisection"}, default="newton"
        ``"newton"``: safeguarded Newton on ``log(beta)`` (about 5 to 8 steps
        to ``1e-10``). ``"bisection"``: t-SNE's doubling/halving search from
        ``beta = 1``, step for step as scikit-learn's
        ``_binary_search_perplexity`` (same result with ``tol=1e-5``).
    n_jobs : int, default=None
        Threads (rows are independent). Results do not depend on it.

    Returns
    -------
    P : ndarray or sparse matrix of shape (n_samples, n_samples)
        The conditional affinities :math:`p_{j|i}` (float64), each row
        summing to 1; zero diagonal (dense) or the pattern of ``sq_distances``
        (CSR).
    beta : ndarray of shape (n_samples,)
        The precisions :math:`\beta_i`.

    Warns
    -----
    ConvergenceWarning
        When some rows did not reach ``tol`` in ``max_iter`` steps (for
        instance, more tied nearest neighbours than the perplexity).

    See Also
    --------
    EntropicAffinity : The transformer, from data.

    References
    ----------
    .. [1] G. Hinton, S. Roweis. "Stochastic neighbor embedding." NIPS (2002).
    .. [2] L. van der Maaten, G. Hinton. "Visualizing data using t-SNE." JMLR
       9 (2008).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import calibrate_perplexity
    >>> X = np.random.RandomState(0).randn(50, 3)
    >>> D = ((X[:, None] - X[None]) ** 2).sum(-1)
    >>> P, beta = calibrate_perplexity(D, perplexity=10)
    >>> H = -np.sum(P * np.log(np.where(P > 0, P, 1)), axis=1)
    >>> bool(np.allclose(np.exp(H), 10))
    True
    """
    return _calibrate(
        sq_distances, perplexity, tol=tol, max_iter=max_iter, method=method, n_jobs=n_jobs
    )[:2]


class EntropicAffinity(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Entropic affinity calibrated by perplexity (the affinity of SNE and t-SNE).

    ``fit(X)`` gives every training point ``i`` the Gaussian conditional
    distribution ``p_{j|i} ∝ exp(-beta_i ||x_i - x_j||²)`` over the other
    points (its ``n_neighbors`` nearest ones when set) whose perplexity
    ``exp(entropy)`` is ``perplexity`` -- an adaptive bandwidth per point --
    and symmetrises it (``symmetrize="mean"``): ``affinity_matrix_ = (P +
    P.T) / 2`` (rows sum to 1 on average). t-SNE's joint probabilities are
    ``affinity_matrix_ / n`` (scikit-learn's ``_joint_probabilities``, to
    rounding, with ``method="bisection", tol=1e-5`` and ``float32`` distances
    as it uses). ``symmetrize="sea"`` gives SNEkhorn's symmetric entropic
    affinity instead (:func:`symmetric_entropic_affinity`: symmetric, every
    row summing to 1 and keeping its perplexity); ``"none"`` keeps the
    row-stochastic ``P``.

    ``transform`` follows :class:`SinkhornAffinity`'s contract: a row equal to
    a training row gets its row of ``affinity_matrix_``; any other row gets its
    own conditional distribution over the training points (or their
    ``n_neighbors`` nearest), calibrated to the same perplexity.

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    perplexity : float, default=30.0
        Effective number of neighbours of each point.
    n_neighbors : int, default=None
        Candidates per point: ``None`` for all other points (dense, O(n²)
        memory), or a sparse kNN affinity (t-SNE uses ``3 * perplexity + 1``).
    symmetrize : {"mean", "sea", "none"}, default="mean"
        ``"mean"``: ``(P + P.T) / 2`` (t-SNE); ``"sea"``: the symmetric
        entropic affinity (SNEkhorn; dense only, ``n_neighbors=None``);
        ``"none"``: the conditional ``P``.
    method : {"newton", "bisection"}, default="newton"
        The row search of :func:`calibrate_perplexity`.
    tol : float, default=1e-10
        Entropy tolerance (nats) of each row (and row-sum tolerance of the
        ``"sea"`` affinity, at least ``1e-12``).
    max_iter : int, default=200
        Maximum steps per row.
    n_jobs : int, default=None
        Threads for the distances, the neighbour search and the row search.

    Attributes
    ----------
    affinity_matrix_ : ndarray of shape (n_samples, n_samples) or sparse matrix
        The affinity of the training points (CSR when ``n_neighbors`` is set).
    n_iter_ : int
        Largest number of search steps of a row (Newton iterations for
        ``"sea"``).
    beta_ : ndarray of shape (n_samples,)
        Precision of each training point's Gaussian (``1 / (2 sigma_i²)``);
        for ``"sea"``, ``1 / gamma_i``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column names).

    See Also
    --------
    calibrate_perplexity : The function layer, on squared distances.
    SinkhornAffinity : The doubly stochastic Gaussian affinity.

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import EntropicAffinity
    >>> X = np.random.RandomState(0).randn(60, 4)
    >>> P = EntropicAffinity(perplexity=10).fit_transform(X)
    >>> bool(np.allclose(P, P.T)) and bool(np.isclose(P.sum(), 60))
    True
    """

    _parameter_constraints: dict = {
        "perplexity": [Interval(Real, 1, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "symmetrize": [StrOptions({"mean", "sea", "none"})],
        "method": [StrOptions({"newton", "bisection"})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        perplexity=30.0,
        *,
        n_neighbors=None,
        symmetrize="mean",
        method="newton",
        tol=1e-10,
        max_iter=200,
        n_jobs=None,
    ):
        self.perplexity = perplexity
        self.n_neighbors = n_neighbors
        self.symmetrize = symmetrize
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _width(self, n):
        return n - 1 if self.n_neighbors is None else self.n_neighbors

    def _check_perplexity(self, n):
        width = self._width(n)
        if self.n_neighbors is not None and self.n_neighbors >= n:
            raise ValueError(f"n_neighbors={self.n_neighbors} must be smaller than n_samples={n}.")
        if not self.perplexity < width:
            raise ValueError(
                f"perplexity={self.perplexity} must be smaller than the number of "
                f"neighbours of each point ({width}; n_samples={n})."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Calibrate every training point's affinity to the perplexity.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : EntropicAffinity
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        n = X.shape[0]
        self._check_perplexity(n)
        if self.symmetrize == "sea" and self.n_neighbors is not None:
            raise ValueError(
                "symmetrize='sea' needs the dense affinity: set n_neighbors=None "
                "(or use symmetrize='mean' with n_neighbors)."
            )
        if self.n_neighbors is None:
            check_memory(n * n * 8, f"the {n} x {n} affinity matrix", hint="Set n_neighbors.")
            D = pairwise_distances(X, metric="sqeuclidean", n_jobs=self.n_jobs)
        else:
            from sklearn.neighbors import NearestNeighbors

            self._nn = NearestNeighbors(n_neighbors=self.n_neighbors, n_jobs=self.n_jobs).fit(X)
            D = self._nn.kneighbors_graph(None, mode="distance").tocsr()
            D.data = np.asarray(D.data, dtype=np.float64) ** 2
        P, beta, n_iter = _calibrate(
            D,
            self.perplexity,
            tol=self.tol,
            max_iter=self.max_iter,
            method=self.method,
            n_jobs=self.n_jobs,
        )
        if self.symmetrize == "sea":
            res = symmetric_entropic_affinity(
                D, self.perplexity, tol=max(self.tol, 1e-12), n_jobs=self.n_jobs
            )
            P, beta, n_iter = res.matrix, 1.0 / res.gamma, max(res.n_iter, 1)
        elif self.symmetrize == "mean":
            P = (P + P.T) * 0.5
            if sparse.issparse(P):
                P = P.tocsr()
                P.sort_indices()
        self._X_fit = X
        self._row_index = _RowIndex(X, kernel_rows=False)
        self.affinity_matrix_ = P.astype(X.dtype) if X.dtype == np.float32 else P
        self.beta_ = beta
        self.n_iter_ = n_iter
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the affinity of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        P : ndarray of shape (n_samples, n_samples) or sparse matrix
            ``affinity_matrix_`` (the rows of duplicate samples averaged, as
            :meth:`transform` gives them).
        """
        self.fit(X, y)
        if self._row_index.maybe_duplicates:
            return self.transform(X)
        return self.affinity_matrix_

    def transform(self, X):
        """Affinities of rows to the training points.

        Parameters
        ----------
        X : array-like of shape (n_new, n_features)
            Rows.

        Returns
        -------
        A : ndarray of shape (n_new, n_train) or sparse matrix
            The training row of ``affinity_matrix_`` for a row equal to a
            training row; otherwise the row's conditional distribution over
            the training points (its ``n_neighbors`` nearest when set),
            calibrated to ``perplexity``. CSR when ``n_neighbors`` is set.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        n_train = self._X_fit.shape[0]
        m = X.shape[0]
        found = self._row_index.lookup(X, self._X_fit)
        matched = np.zeros(m, dtype=bool)
        if found:
            matched[[i for i, _ in found]] = True
        rest = np.flatnonzero(~matched)
        P = self.affinity_matrix_
        width = self._width(n_train + 1)
        if self.n_neighbors is None:
            check_memory(m * n_train * 8, f"the {m} x {n_train} affinity to the training data")
            out = np.zeros((m, n_train))
            if rest.size:
                if not self.perplexity < n_train:
                    raise ValueError(
                        f"perplexity={self.perplexity} needs more than {n_train} training points."
                    )
                D = pairwise_distances(
                    X[rest], self._X_fit.astype(X.dtype), metric="sqeuclidean", n_jobs=self.n_jobs
                )
                out[rest] = self._rows(np.asarray(D, dtype=np.float64))
            for i, cand in found:
                out[i] = P[cand].mean(axis=0)
            return out.astype(X.dtype, copy=False)
        rows = []
        if rest.size:
            dist, ind = self._nn.kneighbors(X[rest], n_neighbors=width)
            A = self._rows(np.asarray(dist, dtype=np.float64) ** 2)
            k = ind.shape[1]
            rows.append(
                sparse.csr_matrix(
                    (A.ravel(), ind.ravel(), np.arange(0, rest.size * k + 1, k)),
                    shape=(rest.size, n_train),
                )
            )
        rows.extend(sparse.csr_matrix(P[cand].mean(axis=0)) for _, cand in found)
        stacked = sparse.vstack(rows, format="csr")
        pos = np.empty(m, dtype=np.int64)
        pos[rest] = np.arange(rest.size)
        if found:
            pos[[i for i, _ in found]] = rest.size + np.arange(len(found))
        out = stacked[pos]
        out.sort_indices()
        return out.astype(X.dtype)

    def _rows(self, D):
        P, _, _, ok = _search(
            D, False, self.perplexity, self.tol, self.max_iter, self.method, self.n_jobs
        )
        if not ok.all():
            warnings.warn(
                f"{int((~ok).sum())} rows did not reach the perplexity within tol={self.tol:g}.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return P

    @property
    def _n_features_out(self):
        return self._X_fit.shape[0]


def _sea_newton(C, gamma, lam, target, tol, max_iter, n_threads, verbose):
    """Projected Newton-CG ascent on the SNEkhorn dual; returns ``(gamma, lam, n_iter)``."""
    from . import _perplexity_kernels as k

    n = C.shape[0]
    rows = select(k.sea_rows, n * n, n_threads, "matvec")
    hvp = select(k.sea_hvp, n * n, n_threads, "matvec")
    buf = [np.empty(n) for _ in range(4)]
    out_a, out_b = np.empty(n), np.empty(n)
    floor = FLOOR * float(np.median(gamma))
    gamma = np.maximum(gamma, floor)

    def evaluate(gamma, lam):
        rows(C, gamma, lam, *buf)
        rowsum, rowent, dg, dl = (b.copy() for b in buf)
        value = target * gamma.sum() + lam.sum() - float(gamma @ rowsum)
        return value, target + rowent - rowsum, 1.0 - rowsum, dg, dl

    def errors(gamma, gg, gl):
        fixed = (gamma <= floor) & (gg < 0)
        eg = np.where(fixed, 0.0, np.abs(gg))
        return fixed, float(np.abs(gl).max()), float(eg.max())

    state = evaluate(gamma, lam)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        value, gg, gl, dg, dl = state
        fixed, merr, eerr = errors(gamma, gg, gl)
        if verbose:
            print(f"[symmetric_entropic_affinity] iter {n_iter}: row sums {merr:.3e}, "
                  f"entropies {eerr:.3e}")  # fmt: skip
        if merr <= tol and eerr <= tol:
            n_iter -= 1
            break
        ra = np.where(fixed, 0.0, gg)
        rb = gl.copy()
        gnorm = math.sqrt(float(ra @ ra + rb @ rb))
        # CG on the negated Hessian (positive semi-definite), Jacobi-preconditioned
        pa_, pb_ = np.where(fixed, 1.0, 1.0 / np.maximum(dg, 1e-300)), 1.0 / np.maximum(dl, 1e-300)
        xa, xb = np.zeros(n), np.zeros(n)
        za, zb = ra * pa_, rb * pb_
        da, db = za.copy(), zb.copy()
        rz = float(ra @ za + rb @ zb)
        eta = min(0.1, math.sqrt(gnorm)) * gnorm
        for _ in range(200):
            hvp(C, gamma, lam, da, db, out_a, out_b)
            out_a[fixed] = 0.0
            curv = float(da @ out_a + db @ out_b)
            if curv <= 0.0:
                break
            alpha = rz / curv
            xa += alpha * da
            xb += alpha * db
            ra = ra - alpha * out_a
            rb = rb - alpha * out_b
            if math.sqrt(float(ra @ ra + rb @ rb)) <= eta:
                break
            za, zb = ra * pa_, rb * pb_
            rz_new = float(ra @ za + rb @ zb)
            da = za + (rz_new / rz) * da
            db = zb + (rz_new / rz) * db
            rz = rz_new
        if not (np.abs(xa).sum() + np.abs(xb).sum() > 0):
            xa, xb = np.where(fixed, 0.0, gg), gl  # gradient step
        slope = float(np.where(fixed, 0.0, gg) @ xa + gl @ xb)
        t = 1.0
        merit = max(merr, eerr)
        for _ in range(40):
            g_new = np.maximum(gamma + t * xa, floor)
            l_new = lam + t * xb
            cand = evaluate(g_new, l_new)
            _, m_new, e_new = errors(g_new, cand[1], cand[2])
            if cand[0] >= value + 1e-4 * t * slope or max(m_new, e_new) < merit:
                break
            t *= 0.5
        gamma, lam, state = g_new, l_new, cand
    else:
        n_iter = max_iter
    return gamma, lam, n_iter


class SymmetricEntropicAffinityResult(NamedTuple):
    """What :func:`symmetric_entropic_affinity` returns.

    Attributes
    ----------
    matrix : ndarray of shape (n_samples, n_samples)
        The symmetric affinity ``P`` (zero diagonal), rows summing to 1.
    gamma : ndarray of shape (n_samples,)
        Entropy multipliers (``P_ij = exp((lam_i + lam_j - 2 d_ij) /
        (gamma_i + gamma_j))``); ``gamma_i`` > 0 where the entropy constraint
        of point ``i`` is active.
    lam : ndarray of shape (n_samples,)
        Marginal multipliers.
    n_iter : int
        Newton iterations.
    marginal_error : float
        Largest ``|row sum - 1|``.
    entropy_error : float
        Largest violation of the entropy constraints (nats).
    converged : bool
        Both errors within ``tol``.
    """

    matrix: np.ndarray
    gamma: np.ndarray
    lam: np.ndarray
    n_iter: int
    marginal_error: float
    entropy_error: float
    converged: bool


@validate_params(
    {
        "sq_distances": ["array-like", "sparse matrix"],
        "perplexity": [Interval(Real, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def symmetric_entropic_affinity(
    sq_distances, perplexity=30.0, *, tol=1e-9, max_iter=100, n_jobs=None, verbose=0
):
    r"""Symmetric entropic affinity (SNEkhorn; Van Assel et al. 2023).

    The symmetric, doubly stochastic affinity closest to the costs under a
    per-point entropy constraint:

    .. math::

       \min_{P = P^\top \ge 0,\ P \mathbf{1} = \mathbf{1}} \langle P, C \rangle
       \quad \text{s.t.} \quad H(P_{i:}) \ge \log(\xi) + 1 \ \ \forall i,

    with :math:`H(p) = -\sum_j p_j (\log p_j - 1)` and perplexity :math:`\xi`.
    Its solution is :math:`P_{ij} = \exp((\lambda_i + \lambda_j - 2 C_{ij}) /
    (\gamma_i + \gamma_j))`; the concave dual in :math:`(\gamma \ge 0,
    \lambda)` is maximised by a projected Newton method (conjugate
    gradients on Hessian-vector products, each one parallel pass over the
    pairs), started from t-SNE's entropic affinity
    (:func:`calibrate_perplexity`). The multipliers are kept above ``1e-3``
    times their median: exact when every entropy constraint is active (99% or
    more of the points at the usual perplexities); a point whose constraint
    is slack gets a row slightly smoother than the exact optimum's (objective
    within about ``1e-5`` relative in our tests), which keeps the Newton
    system well conditioned. Unlike the symmetrised ``(P + P.T) / 2`` of t-SNE,
    every row keeps its entropy (perplexity) and sums exactly to 1.

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    sq_distances : array-like of shape (n_samples, n_samples)
        Squared distances (symmetric; the diagonal is left out).
    perplexity : float, default=30.0
        Target perplexity of every row (smaller than ``n_samples - 1``).
    tol : float, default=1e-9
        Stop when every row sum is within ``tol`` of 1 and every entropy
        constraint is met within ``tol`` (nats).
    max_iter : int, default=100
        Maximum Newton iterations.
    n_jobs : int, default=None
        Threads for the passes over the pairs.
    verbose : int, default=0
        Print the errors after each Newton iteration.

    Returns
    -------
    result : SymmetricEntropicAffinityResult
        ``matrix``, ``gamma``, ``lam``, ``n_iter``, ``marginal_error``,
        ``entropy_error``, ``converged``.

    Warns
    -----
    ConvergenceWarning
        When ``tol`` is not reached in ``max_iter`` iterations.

    See Also
    --------
    calibrate_perplexity : The (asymmetric) entropic affinity of t-SNE.

    References
    ----------
    .. [1] H. Van Assel, T. Vayer, R. Flamary, N. Courty. "SNEkhorn: Dimension
       reduction with symmetric entropic affinities." NeurIPS (2023).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import symmetric_entropic_affinity
    >>> X = np.random.RandomState(0).randn(40, 3)
    >>> D = ((X[:, None] - X[None]) ** 2).sum(-1)
    >>> res = symmetric_entropic_affinity(D, perplexity=5)
    >>> P = res.matrix
    >>> bool(np.allclose(P, P.T) and np.allclose(P.sum(1), 1, atol=1e-9))
    True
    """
    from . import _perplexity_kernels as k

    C = _check_distances(sq_distances)
    if sparse.issparse(C):
        raise TypeError("symmetric_entropic_affinity needs a dense sq_distances matrix.")
    n = C.shape[0]
    if C.ndim != 2 or C.shape[1] != n:
        raise ValueError(f"sq_distances must be square, got shape {C.shape}.")
    if not perplexity < n - 1:
        raise ValueError(f"perplexity={perplexity} must be smaller than n_samples - 1 = {n - 1}.")
    check_memory(n * n * 8 * 2, f"the {n} x {n} affinity matrix")
    C = np.ascontiguousarray(C, dtype=np.float64)
    off = C[~np.eye(n, dtype=bool)]
    scale = float(np.mean(off)) if off.size and np.mean(off) > 0 else 1.0
    Cs = C / scale  # P is invariant to scaling C with (gamma, lam)
    # start: t-SNE's entropic affinity, P_ij = exp((lam_i - C_ij) / gamma_i)
    P0, beta = calibrate_perplexity(Cs, perplexity, tol=1e-8, n_jobs=n_jobs)
    gamma0 = 1.0 / beta
    with np.errstate(divide="ignore"):
        logz = np.log(np.exp(-beta[:, None] * (Cs - Cs.min())).sum(1) - 1.0) - beta * Cs.min()
    lam0 = -gamma0 * logz
    target = math.log(perplexity) + 1.0
    with numba_threads(n_jobs) as n_threads:
        gamma, lam, n_iter = _sea_newton(
            Cs, gamma0, lam0, target, float(tol), int(max_iter), n_threads, verbose
        )
        P = np.empty((n, n))
        select(k.sea_matrix, n * n, n_threads, "matvec")(Cs, gamma, lam, P)
    P = 0.5 * (P + P.T)  # exactly symmetric (the formula is, up to rounding)
    rs = P.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(P > 0, P * (np.log(np.where(P > 0, P, 1.0)) - 1.0), 0.0).sum(axis=1)
    marginal_error = float(np.abs(rs - 1.0).max())
    entropy_error = float(np.maximum(target - ent, 0.0).max())
    converged = marginal_error <= tol and entropy_error <= tol
    if not converged:
        warnings.warn(
            f"symmetric_entropic_affinity stopped after {n_iter} iterations with a row-sum "
            f"error of {marginal_error:.3e} and an entropy violation of {entropy_error:.3e} "
            f"(tol={tol:g}); increase max_iter.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SymmetricEntropicAffinityResult(
        matrix=P,
        gamma=gamma * scale,
        lam=lam * scale,
        n_iter=int(n_iter),
        marginal_error=marginal_error,
        entropy_error=entropy_error,
        converged=bool(converged),
    )
