"""Clustering quality scores: silhouette and medoid silhouette."""

from ._silhouette import (
    medoid_silhouette,
    medoid_silhouette_samples,
    silhouette_samples,
    silhouette_score,
)

__all__ = [
    "medoid_silhouette",
    "medoid_silhouette_samples",
    "silhouette_samples",
    "silhouette_score",
]
