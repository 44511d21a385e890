"""Utilities: estimator discovery and shared validation helpers."""

from .discovery import all_estimators, all_functions

__all__ = ["all_estimators", "all_functions"]
