"""Domain adaptation with optimal transport, as scikit-learn estimators.

Data follow skada's convention: one ``X`` with source and target rows
stacked, one ``y`` (``-1``, or ``NaN`` for regression, on unlabelled target
rows) and an integer ``sample_domain`` (``>= 0`` source, ``< 0`` target).
Without ``sample_domain``, ``fit`` takes the unlabelled rows as target and
``transform``/``predict`` take every row as target, so the estimators work in
a plain ``Pipeline``/``GridSearchCV`` with ``fit(X, y)``.
"""

from ._classifier import DomainAdaptationClassifier, OTLabelPropagation
from ._domain import source_target_merge, source_target_split
from ._linear import LinearTransport
from ._scorer import CircularValidationScorer, PredictionEntropyScorer
from ._transport import (
    ClassRegularizedTransport,
    EMDTransport,
    SinkhornTransport,
    UnbalancedSinkhornTransport,
)

__all__ = [
    "CircularValidationScorer",
    "ClassRegularizedTransport",
    "DomainAdaptationClassifier",
    "EMDTransport",
    "LinearTransport",
    "OTLabelPropagation",
    "PredictionEntropyScorer",
    "SinkhornTransport",
    "UnbalancedSinkhornTransport",
    "source_target_merge",
    "source_target_split",
]
