"""Sinkhorn-normalised (doubly stochastic) affinities.

:func:`sinkhorn_normalize` scales a non-negative matrix (dense, sparse, or a
batch of log-kernels) to a doubly stochastic one; :class:`SinkhornAffinity`
builds a Gaussian kernel from data and scales it, as a scikit-learn
transformer.
"""

from ._affinity import SinkhornAffinity
from ._sinkhorn_normalize import SinkhornNormalizeResult, sinkhorn_normalize

__all__ = ["SinkhornAffinity", "SinkhornNormalizeResult", "sinkhorn_normalize"]
