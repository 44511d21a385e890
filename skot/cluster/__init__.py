"""Clustering: k-medoids (FasterPAM family)."""

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

__all__ = [
    "KMedoids",
    "KMedoidsResult",
    "alternate",
    "build",
    "fastclara",
    "fasterpam",
    "fastpam1",
    "lab",
    "pam",
]
