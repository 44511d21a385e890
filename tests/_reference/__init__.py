"""Slow, obviously-correct reference implementations, one module per family.

Kernels are tested against these (and against the peers, imported with
``pytest.importorskip``). They favour clarity over speed: use them on tiny
problems only.
"""
