"""Domain adaptation with optimal transport, as scikit-learn estimators.

Data follow skada's convention: one ``X`` with source and target rows
stacked, one ``y`` (``-1``, or ``NaN`` for float labels and regression, on
unlabelled target rows) and an integer ``sample_domain`` (``>= 0`` source,
``< 0`` target). Without ``sample_domain``, ``fit`` takes the unlabelled rows
as target and ``transform``/``predict`` take every row as target; with it,
source labels are taken as they are (``-1`` may be a class). ``score`` rates
labelled rows only. A transporter in front of an ordinary estimator goes in
:func:`make_da_pipeline` (a plain ``Pipeline`` would train the estimator on
the target rows, and is refused). See the user guide for the whole contract.
"""

from ._classifier import DomainAdaptationClassifier, OTLabelPropagation
from ._domain import source_target_merge, source_target_split
from ._jdot import JDOTClassifier, JDOTRegressor
from ._label_shift import JCPOTLabelPropagation, label_constrained_cost
from ._linear import LinearTransport
from ._model_selection import SourceTargetShuffleSplit
from ._pipeline import make_da_pipeline
from ._regressor import DomainAdaptationRegressor
from ._reweight import (
    DiscriminatorReweight,
    KLIEPReweight,
    KMMReweight,
    NearestNeighborReweight,
)
from ._scorer import CircularValidationScorer, PredictionEntropyScorer
from ._subspace import CORAL, SubspaceAlignment, TransferComponentAnalysis
from ._transport import (
    ClassRegularizedTransport,
    EMDTransport,
    SinkhornTransport,
    UnbalancedSinkhornTransport,
)
from ._validation_scorers import ImportanceWeightedScorer, SoftNeighborhoodDensity

__all__ = [
    "CORAL",
    "CircularValidationScorer",
    "ClassRegularizedTransport",
    "DiscriminatorReweight",
    "DomainAdaptationClassifier",
    "DomainAdaptationRegressor",
    "EMDTransport",
    "ImportanceWeightedScorer",
    "JCPOTLabelPropagation",
    "JDOTClassifier",
    "JDOTRegressor",
    "KLIEPReweight",
    "KMMReweight",
    "LinearTransport",
    "NearestNeighborReweight",
    "OTLabelPropagation",
    "PredictionEntropyScorer",
    "SinkhornTransport",
    "SoftNeighborhoodDensity",
    "SourceTargetShuffleSplit",
    "SubspaceAlignment",
    "TransferComponentAnalysis",
    "UnbalancedSinkhornTransport",
    "label_constrained_cost",
    "make_da_pipeline",
    "source_target_merge",
    "source_target_split",
]
