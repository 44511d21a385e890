"""The metric names the cluster family accepts, derived from the one list.

:data:`skot.utils._pairwise.METRICS` is the one list of feature metrics
(skot's exact kernels plus every scikit-learn ``pairwise_distances`` name).
k-medoids accepts exactly those (plus ``"precomputed"``); BottomUpClustering
those plus ``"precomputed"`` and ``"adjacency"``, and ``"jensenshannon"``,
which scipy's ``pdist`` computes but scikit-learn does not name.

linkage computes feature distances with :func:`scipy.spatial.distance.pdist`
for the names it knows (:data:`PDIST_METRICS`, results as scipy's), with the
exact Euclidean kernel for ``"euclidean"``, and with
:func:`skot.utils._pairwise.pairwise_distances` for the other names of the
list (``"haversine"``, ``"nan_euclidean"``, ...).
"""

from ..utils._pairwise import METRICS

# Accepted by linkage beyond METRICS: computed by pdist, unknown to scikit-learn.
PDIST_ONLY = frozenset({"jensenshannon"})
# Names linkage hands to scipy's pdist (scikit-learn's aliases resolved first);
# a routing table, not a list of accepted names.
PDIST_METRICS = frozenset(
    {
        "braycurtis",
        "canberra",
        "chebyshev",
        "cityblock",
        "correlation",
        "cosine",
        "dice",
        "euclidean",
        "hamming",
        "jaccard",
        "jensenshannon",
        "mahalanobis",
        "minkowski",
        "rogerstanimoto",
        "russellrao",
        "seuclidean",
        "sokalsneath",
        "sqeuclidean",
        "yule",
    }
)
# scikit-learn's aliases of pdist names
PDIST_ALIASES = {"manhattan": "cityblock", "l1": "cityblock", "l2": "euclidean"}


def pairwise_metrics():
    """Feature metric names of k-medoids: the one list (not "precomputed")."""
    return METRICS


def linkage_metrics():
    """Feature metric names of BottomUpClustering: the one list and ``PDIST_ONLY``."""
    return METRICS | PDIST_ONLY


def pdist_name(metric):
    """scipy's name for a linkage metric (aliases resolved); callables unchanged."""
    return PDIST_ALIASES.get(metric, metric) if isinstance(metric, str) else metric


def computed_by_pdist(metric):
    """Whether linkage computes ``metric`` (after :func:`pdist_name`) with pdist.

    Callables and names outside the one list go to pdist too (scipy then
    accepts or refuses them, as :func:`scipy.cluster.hierarchy.linkage` does).
    """
    return not isinstance(metric, str) or metric in PDIST_METRICS or metric not in METRICS
