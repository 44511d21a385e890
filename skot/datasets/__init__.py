"""Data generators: graphs with a known hierarchy of communities."""

from ._hsbm import make_hierarchical_sbm

__all__ = ["make_hierarchical_sbm"]
