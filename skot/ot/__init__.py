"""Optimal-transport solvers: exact (network simplex) and entropic (Sinkhorn) transport.

Every solver returns an :class:`OTResult` (plan, cost, dual potentials in cost
units, iterations, convergence flag, marginal error), whatever the options.
"""

from ._class_regularized import sinkhorn_l1l2_gl, sinkhorn_lpl1_mm
from ._cost import cost_matrix, cost_scale
from ._divergence import sinkhorn_divergence
from ._emd import emd, emd2
from ._online import online_plan_rows, sinkhorn_online
from ._sinkhorn import (
    sinkhorn,
    sinkhorn2,
    sinkhorn_newton_sparse,
    sinkhorn_unbalanced,
    sinkhorn_unbalanced2,
)
from ._sparse import sparsity_constrained_ot
from ._utils import OTResult

__all__ = [
    "OTResult",
    "cost_matrix",
    "cost_scale",
    "emd",
    "emd2",
    "online_plan_rows",
    "sinkhorn",
    "sinkhorn2",
    "sinkhorn_divergence",
    "sinkhorn_l1l2_gl",
    "sinkhorn_lpl1_mm",
    "sinkhorn_newton_sparse",
    "sinkhorn_online",
    "sinkhorn_unbalanced",
    "sinkhorn_unbalanced2",
    "sparsity_constrained_ot",
]
