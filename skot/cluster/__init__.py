"""Clustering: k-medoids (FasterPAM family) and bottom-up hierarchical clustering."""

from ._bottom_up import BottomUpClustering
from ._kmedoids import (
    KMedoids,
    KMedoidsResult,
    alternate,
    build,
    fastclara,
    fasterpam,
    fastpam1,
    lab,
    pam,
)
from ._linkage import linkage

__all__ = [
    "BottomUpClustering",
    "KMedoids",
    "KMedoidsResult",
    "alternate",
    "build",
    "fastclara",
    "fasterpam",
    "fastpam1",
    "lab",
    "linkage",
    "pam",
]
