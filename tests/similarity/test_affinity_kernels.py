"""The numba kernels of skot.similarity (order statistics) against numpy.

CI runs them once more with NUMBA_BOUNDSCHECK=1.
"""

import numpy as np
import pytest

from skot.similarity._affinity import _upper_order_stats

pytestmark = pytest.mark.kernel


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def test_upper_order_stats(rng):
    for n in (2, 3, 10, 51):
        D = rng.rand(n, n)
        D = np.round(D + D.T, 2)  # ties
        vals = np.sort(D[np.triu_indices(n, 1)])
        for k1, k2 in (
            (0, 0),
            (len(vals) // 2 - (len(vals) > 1), len(vals) // 2),
            (len(vals) - 1, len(vals) - 1),
        ):
            assert _upper_order_stats(D, k1, k2, 0.0, 0.0) == (vals[k1], vals[k2])
    assert _upper_order_stats(np.ones((4, 4)), 2, 3, 0.0, 0.0) == (1.0, 1.0)


@pytest.mark.parametrize("rng_", [(0.0, 2.0), (-5.0, 100.0), (0.5, 1.0), (0.0, 1e-9)])
def test_upper_order_stats_given_range(rng, rng_):
    # Any given range gives the exact order statistics: a loose one has wider
    # bins, one narrower than the data clamps values into the end bins.
    D = rng.rand(40, 40)
    D = np.round(D + D.T, 3)
    vals = np.sort(D[np.triu_indices(40, 1)])
    for k1, k2 in ((0, 1), (389, 390), (779, 779)):
        assert _upper_order_stats(D, k1, k2, *rng_) == (vals[k1], vals[k2])


def test_sq_diameter_bound(rng):
    from skot.similarity._affinity import _sq_diameter_bound

    X = rng.randn(50, 3) * [1.0, 10.0, 0.1]
    D2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    b = _sq_diameter_bound(X)
    assert D2.max() <= b <= 4.0001 * D2.max()
