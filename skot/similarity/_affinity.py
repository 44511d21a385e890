"""SinkhornAffinity: a doubly stochastic Gaussian affinity as a transformer."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._pairwise import pairwise_distances
from ..utils._validation import check_memory
from ._sinkhorn_normalize import _normalize_kernel

__all__ = ["SinkhornAffinity"]

KERNELS = ("rbf", "precomputed")


def _sq_diameter_bound(X):
    """An upper bound of the largest squared distance between rows of ``X``,
    at most 4 times too large: ``4 max_i ||x_i - mean||²`` (O(n p))."""
    Xc = np.asarray(X, dtype=np.float64)
    Xc = Xc - Xc.mean(axis=0)
    r2 = float(np.einsum("ij,ij->i", Xc, Xc).max()) if Xc.size else 0.0
    # a relative margin for the rounding of the computed distances
    return 4.0 * r2 * (1.0 + 1e-6)


def _median_distance(D2, bound=0.0):
    """Median of the off-diagonal distances, from squared distances ``D2``.

    ``bound`` (> 0): an upper bound of ``D2``, which saves a pass.
    """
    n = D2.shape[0]
    npairs = n * (n - 1) // 2
    if npairs == 0:
        return 0.0
    hi = npairs // 2
    lo = hi if npairs % 2 else hi - 1
    a, b = _upper_order_stats(D2, lo, hi, 0.0, float(bound))
    return 0.5 * (float(np.sqrt(a)) + float(np.sqrt(b)))


def _upper_order_stats(D, k1, k2, lo=0.0, hi=0.0):
    """The ``k1``-th and ``k2``-th smallest (0-based, ``k1 <= k2``) entries of the
    strict upper triangle of square ``D``, exactly, without copying it.

    ``lo < hi``: a range for the histogram (any range gives the exact result; a
    tight one gives small bins); otherwise the range is scanned first.
    """
    from . import _affinity_kernels as k

    if not hi > lo:
        lo, hi = k.upper_range(D)
        if not hi > lo:
            return lo, lo
    values, before = k.gather_rank_bins(D, k1, k2, lo, hi)
    values.sort()
    return values[k1 - before], values[k2 - before]


def _median_of_squares(sq):
    """Median of ``sqrt(sq)`` (the two middle values averaged), in float64."""
    k = sq.shape[0]
    if k == 0:
        return 0.0
    hi = k // 2
    sq.partition(hi)  # in place: sq is a scratch copy
    upper = float(np.sqrt(np.float64(sq[hi])))
    if k % 2:
        return upper
    lower = float(np.sqrt(np.float64(sq[:hi].max())))
    return 0.5 * (lower + upper)


_FNV_PRIME = np.uint64(0x100000001B3)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def _feature_row_hashes(X):
    """A 64-bit FNV-1a hash per row of dense ``X``, from its float64 values
    (``-0.0`` taken as ``0.0``); equal hashes are compared exactly afterwards."""
    X = np.ascontiguousarray(X, dtype=np.float64) + 0.0
    words = X.view(np.uint64)
    h = np.full(X.shape[0], 0xCBF29CE484222325, dtype=np.uint64)
    for j in range(words.shape[1]):
        h ^= words[:, j]
        h *= _FNV_PRIME
    return h


def _mix(bits, cols, mult):
    w = (bits ^ (cols * _FNV_PRIME)) * mult
    return w ^ (w >> np.uint64(29))


def _kernel_row_hashes(X):
    """Two independent 64-bit hashes (128 bits) per row of a kernel matrix.

    Each is a sum over the row's non-zero entries of a mix of the value's
    float64 bits and its column, so a row has the same hashes dense or sparse,
    with or without explicit zeros, in float32 or float64.
    """
    n = X.shape[0]
    out = np.zeros((n, 2), dtype=np.uint64)
    with np.errstate(over="ignore"):
        if sparse.issparse(X):
            X = sparse.csr_matrix(X, dtype=np.float64, copy=True)
            X.data += 0.0
            X.eliminate_zeros()
            row = np.repeat(np.arange(n), np.diff(X.indptr))
            bits = X.data.view(np.uint64)
            cols = X.indices.astype(np.uint64)
            for t, mult in enumerate(_MIX):
                np.add.at(out[:, t], row, _mix(bits, cols, mult))
            return out
        X = np.asarray(X)
        step = max(1, (1 << 20) // max(X.shape[1], 1))
        cols = np.arange(X.shape[1], dtype=np.uint64)[None, :]
        for i in range(0, n, step):
            block = np.asarray(X[i : i + step], dtype=np.float64) + 0.0
            bits = block.view(np.uint64)
            nz = block != 0
            for t, mult in enumerate(_MIX):
                out[i : i + step, t] = np.where(nz, _mix(bits, cols, mult), 0).sum(
                    axis=1, dtype=np.uint64
                )
    return out


def _check_non_negative(X):
    values = X.data if sparse.issparse(X) else X
    if values.size and values.min() < 0:
        raise ValueError(
            "Negative values in data passed to SinkhornAffinity: a precomputed kernel "
            f"must be non-negative, got a minimum entry of {values.min()!r}."
        )


class _RowIndex:
    """The training rows, found again by value (the transform contract).

    ``lookup(X)`` returns, for each row of ``X``, the training rows equal to it
    (an array of indices, empty when none): feature rows are compared exactly
    (hash, then the values); kernel rows by a 128-bit hash of their values.
    """

    def __init__(self, X, kernel_rows):
        self.kernel_rows = kernel_rows
        h = _kernel_row_hashes(X) if kernel_rows else _feature_row_hashes(X)[:, None]
        self.order = np.lexsort(h.T[::-1])
        self.hashes = h[self.order]
        # equal hashes: possibly duplicate rows (then fit_transform goes through transform)
        self.maybe_duplicates = bool((self.hashes[1:] == self.hashes[:-1]).all(axis=1).any())

    def _hash(self, X):
        return _kernel_row_hashes(X) if self.kernel_rows else _feature_row_hashes(X)[:, None]

    def lookup(self, X, X_fit=None):
        q = self._hash(X)
        key = self.hashes[:, 0]
        lo = np.searchsorted(key, q[:, 0], side="left")
        hi = np.searchsorted(key, q[:, 0], side="right")
        found = []
        for i in np.flatnonzero(hi > lo):
            cand = self.order[lo[i] : hi[i]]
            same = (self.hashes[lo[i] : hi[i]] == q[i]).all(axis=1)
            cand = cand[same]
            if X_fit is not None:
                row = np.asarray(X[i], dtype=np.float64)
                cand = cand[(X_fit[cand].astype(np.float64) == row).all(axis=1)]
            if cand.size:
                found.append((i, cand))
        return found


def _gamma_from_sigma(sigma, n_features):
    if sigma > 0 and np.isfinite(sigma):
        return 1.0 / (2.0 * sigma * sigma)
    return 1.0 / max(n_features, 1)


def _exp_neg(D2, gamma):
    """``exp(-gamma * D2)`` in place (numpy's vectorised exp)."""
    np.multiply(D2, -gamma, out=D2)
    np.exp(D2, out=D2)
    return D2


class SinkhornAffinity(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Doubly stochastic (Sinkhorn-normalised) Gaussian affinity.

    ``fit(X)`` builds the Gaussian kernel ``K_ij = exp(-gamma ||x_i - x_j||²)``
    of the training rows -- dense, or a symmetrised sparse k-nearest-neighbour
    kernel when ``n_neighbors`` is set -- and the symmetric scaling
    ``d`` such that ``P = diag(d) K diag(d)`` has every row and column sum
    equal to 1 (see :func:`sinkhorn_normalize`). Unlike the row-stochastic
    random-walk normalisation, ``P`` stays symmetric, and with
    ``zero_diagonal=True`` it is robust to heteroskedastic noise (Landa et
    al. 2021): a good affinity for spectral clustering and embeddings.

    ``transform(X_new)`` gives each row its affinities to the training
    points, by one rule applied row by row (so the result of a row never
    depends on the other rows passed with it):

    - a row equal to a training row (same values; for
      ``kernel="precomputed"``, the same kernel row) gets that row of
      ``affinity_matrix_`` -- the mean of those rows if several training
      rows are equal;
    - any other row is extended out of sample: ``k(x, x_j) d_j`` over the
      training points ``j`` (its ``n_neighbors`` nearest ones when set),
      normalised to sum to 1.

    So ``fit(X).transform(X)`` equals ``fit_transform(X)`` for every
    parameter combination, and a :class:`~sklearn.pipeline.Pipeline` sees the
    same features at fit and predict time on the same rows. (Without
    ``zero_diagonal`` and ``n_neighbors`` both rules agree on training rows
    to ``tol``; with them the extension of a training point would count its
    own diagonal, or a different neighbourhood, hence the first rule.)

    Read more in the :ref:`User Guide <similarity>`.

    Parameters
    ----------
    kernel : {"rbf", "precomputed"}, default="rbf"
        ``"rbf"``: Gaussian kernel of the rows of ``X``. ``"precomputed"``:
        ``X`` is a square, symmetric, non-negative kernel matrix (dense or
        sparse) at fit time, and the kernel values between new and training
        points, of shape (n_new, n_train), at transform time. It goes through
        the validation and solvers of :func:`sinkhorn_normalize` (identical
        results): a kernel symmetric up to rounding (``|K - K.T| <= 1e-10
        max|K|``, as ``sklearn.metrics.pairwise.rbf_kernel(X)`` gives) is
        replaced by ``(K + K.T) / 2`` on a copy; a more asymmetric one is
        refused.
    gamma : float, default=None
        Kernel coefficient. ``None`` sets ``gamma_ = 1 / (2 sigma²)`` with
        ``sigma`` the median distance between training points (of the
        k-nearest-neighbour distances when ``n_neighbors`` is set); when that
        median is 0, ``gamma_ = 1 / n_features``.
    n_neighbors : int, default=None
        If set, the kernel keeps only the pairs where one point is among the
        other's ``n_neighbors`` nearest neighbours (symmetrised union) plus
        the diagonal: a sparse CSR affinity in O(n k) memory.
        ``transform`` then uses the ``n_neighbors`` nearest training points.
    zero_diagonal : bool, default=False
        Set ``K_ii = 0`` before scaling (Landa, Coifman & Kluger 2021); with
        the diagonal a point's own noise level inflates its self-affinity.
        For a sparse kNN kernel this may leave the graph without a doubly
        stochastic scaling (reported by an error).
    method : {"auto", "fixed_point", "newton"}, default="auto"
        Scaling iteration: the over-relaxed symmetric fixed point
        ``d <- d (d K d)^(-2/3)`` (20 to 30 products to ``1e-10``) or
        Knight-Ruiz Newton-CG (10 to 12 on a dense kernel).
        ``"auto"``: Newton for a dense kernel (1.3 to 2.5 times as fast),
        the fixed point for a sparse one (where both take about the same
        time).
    tol : float, default=1e-10
        Stop when every row sum of ``P`` is within a relative ``tol`` of its
        target 1 (the meaning of ``tol`` in :func:`sinkhorn_normalize`).
    max_iter : int, default=1000
        Maximum iterations of the scaling.
    n_jobs : int, default=None
        Threads for the distances, the neighbour search and the kernels.
        Results do not depend on it.
    verbose : int, default=0
        Print the scaling error after each iteration.

    Attributes
    ----------
    affinity_matrix_ : ndarray of shape (n_samples, n_samples) or sparse matrix
        The doubly stochastic affinity ``P`` of the training rows (CSR when
        ``n_neighbors`` is set or ``X`` was a sparse precomputed kernel).
    scaling_ : ndarray of shape (n_samples,)
        The scaling ``d`` (0 for points left out: see ``support_``).
    support_ : ndarray of bool of shape (n_samples,)
        Training points taking part in the scaling; a point whose kernel row
        is zero (possible with ``zero_diagonal=True`` when every other point
        is too far for the bandwidth) is left out, with a warning, and its
        row and column of ``affinity_matrix_`` are zero.
    gamma_ : float or None
        The kernel coefficient used (None for ``kernel="precomputed"``).
    n_iter_ : int
        Iterations of the scaling.
    n_matvec_ : int
        Matrix-vector products with the kernel.
    scaling_error_ : float
        Final largest ``|row sum - 1|`` of ``affinity_matrix_`` (float64).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen during fit (only when ``X`` has string column names).

    See Also
    --------
    sinkhorn_normalize : The function layer, on a kernel matrix.
    sklearn.cluster.SpectralClustering : Use with ``affinity="precomputed"``.

    References
    ----------
    .. [1] R. Zass, A. Shashua. "Doubly stochastic normalization for spectral
       clustering." NIPS (2006).
    .. [2] B. Landa, R. R. Coifman, Y. Kluger. "Doubly stochastic normalization
       of the Gaussian kernel is robust to heteroskedastic noise." SIAM J.
       Math. Data Sci. 3 (2021).
    .. [3] P. A. Knight, D. Ruiz. "A fast algorithm for matrix balancing."
       IMA J. Numer. Anal. 33 (2013).

    Examples
    --------
    >>> import numpy as np
    >>> from skot.similarity import SinkhornAffinity
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> P = SinkhornAffinity().fit_transform(X)
    >>> np.allclose(P.sum(axis=0), 1.0) and np.allclose(P.sum(axis=1), 1.0)
    True
    >>> bool(np.array_equal(P, P.T))
    True
    """

    _parameter_constraints: dict = {
        "kernel": [StrOptions(set(KERNELS))],
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "zero_diagonal": ["boolean"],
        "method": [StrOptions({"auto", "fixed_point", "newton"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        kernel="rbf",
        *,
        gamma=None,
        n_neighbors=None,
        zero_diagonal=False,
        method="auto",
        tol=1e-10,
        max_iter=1000,
        n_jobs=None,
        verbose=0,
    ):
        self.kernel = kernel
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.zero_diagonal = zero_diagonal
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        precomputed = self.kernel == "precomputed"
        tags.input_tags.pairwise = precomputed
        tags.input_tags.sparse = precomputed
        tags.input_tags.positive_only = precomputed
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------- kernels

    def _dense_kernel(self, X):
        n = X.shape[0]
        check_memory(
            n * n * X.dtype.itemsize,
            f"the {n} x {n} {X.dtype.name} kernel matrix",
            hint="Set n_neighbors for a sparse k-nearest-neighbour kernel.",
        )
        D2 = pairwise_distances(X, metric="sqeuclidean", n_jobs=self.n_jobs)
        bound = _sq_diameter_bound(X)
        if self.gamma is None:
            gamma = _gamma_from_sigma(_median_distance(D2, bound), X.shape[1])
        else:
            gamma = float(self.gamma)
        # exp(-gamma d^2) underflows to 0 only beyond ~745 (float64) / ~103
        # (float32); count the zeros only then (the existence check needs
        # them). The bound spares a pass over D2 in the common case.
        limit = 100.0 if D2.dtype == np.float32 else 700.0
        big = bound * gamma > limit and float(D2.max()) * gamma > limit
        K = _exp_neg(D2, gamma)
        nzero = int(n * n - np.count_nonzero(K)) if big else 0
        return K, gamma, nzero

    def _knn_kernel(self, X):
        from sklearn.neighbors import NearestNeighbors

        n = X.shape[0]
        k = self.n_neighbors
        if k >= n:
            raise ValueError(
                f"n_neighbors={k} must be smaller than the number of samples, n_samples={n}."
            )
        nn = NearestNeighbors(n_neighbors=k, n_jobs=self.n_jobs).fit(X)
        A = nn.kneighbors_graph(None, mode="distance").tocsr()
        if self.gamma is None:
            sq = np.asarray(A.data, dtype=np.float64) ** 2
            gamma = _gamma_from_sigma(_median_of_squares(sq), X.shape[1])
        else:
            gamma = float(self.gamma)
        data = np.exp(-gamma * np.asarray(A.data, dtype=np.float64) ** 2)
        W = sparse.csr_matrix((data.astype(X.dtype), A.indices, A.indptr), shape=A.shape)
        # Union of the neighbourhoods; max() of the two directions makes the
        # kernel exactly symmetric even if the two distances differ in the last bit.
        W = W.maximum(W.T).tocsr()
        if not self.zero_diagonal:
            W = (W + sparse.identity(n, dtype=X.dtype, format="csr")).tocsr()
        W.sort_indices()
        self._nn = nn
        return W, gamma

    # ----------------------------------------------------------------- fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the kernel of ``X`` and its doubly stochastic scaling.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or \
                (n_samples, n_samples)
            Training rows, or a symmetric kernel matrix when
            ``kernel="precomputed"``.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : SinkhornAffinity
            The fitted estimator.
        """
        precomputed = self.kernel == "precomputed"
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], accept_sparse="csr" if precomputed else False
        )
        if self.zero_diagonal and X.shape[0] == 1:
            raise ValueError(
                "zero_diagonal=True needs at least 2 samples: with n_samples=1 the "
                "kernel is the single zero entry, which has no doubly stochastic scaling."
            )
        if precomputed:
            _check_non_negative(X)
            if X.shape[0] != X.shape[1]:
                raise ValueError(
                    f"kernel='precomputed' needs a square kernel matrix X, got shape {X.shape}."
                )
            if self.n_neighbors is not None:
                raise ValueError(
                    "n_neighbors applies to kernel='rbf'; with kernel='precomputed' "
                    "pass a sparse kernel matrix instead."
                )
            K = X
            if self.zero_diagonal:
                K = X.copy()
                if sparse.issparse(K):
                    K = K.tolil()
                    K.setdiag(0)
                    K = K.tocsr()
                else:
                    np.fill_diagonal(K, 0)
            gamma = None
        elif self.n_neighbors is not None:
            K, gamma = self._knn_kernel(X)
        else:
            K, gamma, nzero = self._dense_kernel(X)
            if self.zero_diagonal:
                np.fill_diagonal(K, 0)
        own_dense = not precomputed and self.n_neighbors is None
        res = _normalize_kernel(
            K,
            symmetric=True,
            tol=self.tol,
            max_iter=self.max_iter,
            method=self.method,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            name="X" if precomputed else "the kernel matrix",
            trusted_nzero=nzero if own_dense else None,
            inplace=own_dense,
        )
        if not precomputed:
            self._X_fit = X
        self._row_index = _RowIndex(X, kernel_rows=precomputed)
        self.gamma_ = gamma
        self.affinity_matrix_ = res.matrix
        self.scaling_ = res.row_scaling
        self.support_ = res.row_support
        self.n_iter_ = res.n_iter
        self.n_matvec_ = res.n_matvec
        self.scaling_error_ = res.error
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the doubly stochastic affinity of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or \
                (n_samples, n_samples)
            Training rows, or a symmetric kernel matrix when
            ``kernel="precomputed"``.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        P : ndarray of shape (n_samples, n_samples) or sparse matrix
            ``affinity_matrix_``: symmetric, every row and column summing to 1
            (the rows of duplicate samples averaged, as :meth:`transform`
            gives them).
        """
        self.fit(X, y)
        if self._row_index.maybe_duplicates:  # their rows are averaged, as transform does
            return self.transform(X)
        return self.affinity_matrix_

    # ----------------------------------------------------------- transform

    def transform(self, X):
        """Affinities of new rows to the training rows, each row summing to 1.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_new, n_features) or \
                (n_new, n_train)
            New rows, or their kernel values to the training points when
            ``kernel="precomputed"``.

        Returns
        -------
        A : ndarray of shape (n_new, n_train) or sparse matrix
            The training row of ``affinity_matrix_`` for a row equal to a
            training row, otherwise
            ``A_ij = k(x_i, x_j) d_j / sum_l k(x_i, x_l) d_l``; CSR when
            ``n_neighbors`` is set or ``X`` is sparse. A row with no positive
            kernel value to any training point in the support is all zero
            (with a warning), never NaN.
        """
        check_is_fitted(self)
        precomputed = self.kernel == "precomputed"
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            reset=False,
            accept_sparse="csr" if precomputed else False,
        )
        n_train = self.scaling_.shape[0]
        if precomputed and X.shape[1] != n_train:  # pragma: no cover - validate_data checks it
            raise ValueError(f"X must have {n_train} columns, got {X.shape[1]}.")
        if precomputed:
            _check_non_negative(X)
        found = self._row_index.lookup(X, None if precomputed else self._X_fit)
        m = X.shape[0]
        if not found:
            return self._extend(X)
        matched = np.zeros(m, dtype=bool)
        matched[[i for i, _ in found]] = True
        rest = np.flatnonzero(~matched)
        A_rest = self._extend(X[rest]) if rest.size else None
        P = self.affinity_matrix_

        def training_row(cand):
            row = P[cand[0]] if cand.size == 1 else P[cand].mean(axis=0)
            return sparse.csr_matrix(row) if sparse.issparse(P) else np.asarray(row)

        if sparse.issparse(A_rest) or (A_rest is None and self._sparse_output(X)):
            blocks = [training_row(cand) for _, cand in found]
            blocks = [sparse.csr_matrix(b, dtype=np.float64) for b in blocks]
            if A_rest is not None:
                blocks.append(sparse.csr_matrix(A_rest, dtype=np.float64))
            stacked = sparse.vstack(blocks, format="csr")
            pos = np.empty(m, dtype=np.int64)
            pos[[i for i, _ in found]] = np.arange(len(found))
            pos[rest] = len(found) + np.arange(rest.size)
            out = stacked[pos]
            out.sort_indices()
            return out.astype(X.dtype)
        out = np.empty((m, n_train), dtype=np.float64)
        if A_rest is not None:
            out[rest] = A_rest
        for i, cand in found:
            row = training_row(cand)
            out[i] = row.toarray().ravel() if sparse.issparse(row) else row
        return out.astype(X.dtype, copy=False)

    def _sparse_output(self, X):
        return self.n_neighbors is not None or sparse.issparse(X)

    def _extend(self, X):
        """The out-of-sample rule for rows that are not training rows."""
        precomputed = self.kernel == "precomputed"
        d = self.scaling_
        n_train = d.shape[0]
        if precomputed:
            if sparse.issparse(X):
                return self._normalize_sparse_rows(X.tocsr(), X.dtype)
            return self._normalize_dense_rows(np.array(X, dtype=np.float64), X.dtype)
        if self.n_neighbors is not None:
            dist, ind = self._nn.kneighbors(X)
            data = np.exp(-self.gamma_ * np.asarray(dist, dtype=np.float64) ** 2)
            m = X.shape[0]
            k = ind.shape[1]
            A = sparse.csr_matrix(
                (data.ravel(), ind.ravel(), np.arange(0, m * k + 1, k)), shape=(m, n_train)
            )
            A.sort_indices()
            return self._normalize_sparse_rows(A, X.dtype)
        m = X.shape[0]
        check_memory(m * n_train * 8, f"the {m} x {n_train} affinity to the training data")
        D2 = pairwise_distances(
            X, self._X_fit.astype(X.dtype, copy=False), metric="sqeuclidean", n_jobs=self.n_jobs
        )
        K = _exp_neg(np.asarray(D2, dtype=np.float64), self.gamma_)
        return self._normalize_dense_rows(K, X.dtype)

    def _warn_empty(self, empty):
        if empty.any():
            idx = np.flatnonzero(empty)
            warnings.warn(
                f"{idx.size} rows of X have no positive affinity to the training "
                f"points (e.g. rows {idx[:10].tolist()}): their affinities are 0.",
                UserWarning,
                stacklevel=3,
            )

    def _normalize_dense_rows(self, K, dtype):
        K *= self.scaling_[None, :]
        s = K.sum(axis=1)
        empty = ~(s > 0)
        s[empty] = 1.0
        K /= s[:, None]
        self._warn_empty(empty)
        return K.astype(dtype, copy=False)

    def _normalize_sparse_rows(self, A, dtype):
        A = sparse.csr_matrix(A, dtype=np.float64, copy=True)
        A.data *= self.scaling_[A.indices]
        s = np.asarray(A.sum(axis=1)).ravel()
        empty = ~(s > 0)
        s[empty] = 1.0
        A.data /= np.repeat(s, np.diff(A.indptr))
        self._warn_empty(empty)
        return A.astype(dtype)

    @property
    def _n_features_out(self):
        return self.scaling_.shape[0]
