"""Sinkhorn-normalised (doubly stochastic) affinities.

:func:`sinkhorn_normalize` scales a non-negative matrix (dense, sparse, or a
batch of log-kernels) to a doubly stochastic one; :class:`SinkhornAffinity`
builds a Gaussian kernel from data and scales it, as a scikit-learn
transformer. :func:`calibrate_perplexity` and :class:`EntropicAffinity` give
the entropic affinities of SNE and t-SNE (one bandwidth per point, set by the
perplexity), :func:`symmetric_entropic_affinity` SNEkhorn's symmetric one.
:func:`sinkhorn_attention` and :func:`sinkhorn_attention_vjp` are
the forward and backward passes of Sinkformers' doubly stochastic attention.
"""

from ._affinity import SinkhornAffinity
from ._attention import SinkhornAttentionResult, sinkhorn_attention, sinkhorn_attention_vjp
from ._perplexity import (
    EntropicAffinity,
    SymmetricEntropicAffinityResult,
    calibrate_perplexity,
    symmetric_entropic_affinity,
)
from ._sinkhorn_normalize import SinkhornNormalizeResult, sinkhorn_normalize

__all__ = [
    "EntropicAffinity",
    "SinkhornAffinity",
    "SinkhornAttentionResult",
    "SinkhornNormalizeResult",
    "SymmetricEntropicAffinityResult",
    "calibrate_perplexity",
    "sinkhorn_attention",
    "sinkhorn_attention_vjp",
    "symmetric_entropic_affinity",
    "sinkhorn_normalize",
]
