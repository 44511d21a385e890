"""Optimal-transport solvers: exact (network simplex), entropic (Sinkhorn), 1-D and sliced,
partial, barycenters and Gromov-Wasserstein, behind one front door (:func:`solve`).

Every solver returns an :class:`OTResult` (plan, cost, dual potentials in cost
units, iterations, convergence flag, marginal error), whatever the options.
"""

from ._barycenter import BarycenterResult, barycenter, free_support_barycenter
from ._class_regularized import sinkhorn_l1l2_gl, sinkhorn_lpl1_mm
from ._cost import cost_matrix, cost_scale
from ._divergence import sinkhorn_divergence
from ._emd import emd, emd2, emd_sample
from ._gromov import (
    entropic_fused_gromov_wasserstein,
    entropic_fused_gromov_wasserstein2,
    entropic_gromov_wasserstein,
    entropic_gromov_wasserstein2,
    fused_gromov_wasserstein,
    fused_gromov_wasserstein2,
    gromov_wasserstein,
    gromov_wasserstein2,
)
from ._online import online_plan_rows, sinkhorn_online
from ._partial import entropic_partial_wasserstein, partial_wasserstein, partial_wasserstein2
from ._sinkhorn import (
    sinkhorn,
    sinkhorn2,
    sinkhorn_newton_sparse,
    sinkhorn_unbalanced,
    sinkhorn_unbalanced2,
)
from ._sliced import (
    max_sliced_wasserstein,
    sliced_wasserstein,
    wasserstein_1d,
    wasserstein_circle,
)
from ._solve import solve, solve_sample
from ._sparse import sparsity_constrained_ot
from ._utils import OTResult

__all__ = [
    "BarycenterResult",
    "OTResult",
    "barycenter",
    "cost_matrix",
    "cost_scale",
    "emd",
    "emd2",
    "emd_sample",
    "entropic_fused_gromov_wasserstein",
    "entropic_fused_gromov_wasserstein2",
    "entropic_gromov_wasserstein",
    "entropic_gromov_wasserstein2",
    "entropic_partial_wasserstein",
    "free_support_barycenter",
    "fused_gromov_wasserstein",
    "fused_gromov_wasserstein2",
    "gromov_wasserstein",
    "gromov_wasserstein2",
    "max_sliced_wasserstein",
    "online_plan_rows",
    "partial_wasserstein",
    "partial_wasserstein2",
    "sinkhorn",
    "sinkhorn2",
    "sinkhorn_divergence",
    "sinkhorn_l1l2_gl",
    "sinkhorn_lpl1_mm",
    "sinkhorn_newton_sparse",
    "sinkhorn_online",
    "sinkhorn_unbalanced",
    "sinkhorn_unbalanced2",
    "sliced_wasserstein",
    "solve",
    "solve_sample",
    "sparsity_constrained_ot",
    "wasserstein_1d",
    "wasserstein_circle",
]
