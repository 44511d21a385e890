"""Shared test configuration."""

import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("MPLBACKEND", "Agg")
# Tests run with pytest -n 2 on 2 cores, so parallel kernels share the cores with
# another process: OpenMP threads that spin while waiting would starve each
# other. Read by libgomp when numba first launches a parallel region (after this).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# numba compiles on first call: the first example of a property test can be
# slow, so no per-example deadline; CI keeps the example count modest.
settings.register_profile(
    "skot",
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("skot")


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    """Both floating dtypes every kernel must support."""
    import numpy as np

    return np.dtype(request.param)
