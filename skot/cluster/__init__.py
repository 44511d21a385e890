"""Clustering: k-medoids (FasterPAM family) and bottom-up hierarchical clustering."""

from ._bottom_up import BottomUpClustering
from ._clarans import fastclarans
from ._dendrogram import leaves_list
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
from ._linkage import linkage, optimal_leaf_ordering
from ._msc import DynMSCResult, dynmsc, fastermsc, fastmsc

__all__ = [
    "BottomUpClustering",
    "DynMSCResult",
    "KMedoids",
    "KMedoidsResult",
    "alternate",
    "build",
    "dynmsc",
    "fastclara",
    "fastclarans",
    "fastermsc",
    "fasterpam",
    "fastmsc",
    "fastpam1",
    "lab",
    "leaves_list",
    "linkage",
    "optimal_leaf_ordering",
    "pam",
]
