"""Shared data for the skot.da tests: small shifted two-domain problems."""

import numpy as np
import pytest


def make_da(n_source=30, n_target=24, n_features=2, seed=0, shift=(3.0, 1.0)):
    """Two Gaussian blobs per domain; target rotated/shifted; y masked on target."""
    rng = np.random.RandomState(seed)
    ys = np.arange(n_source) % 2
    Xs = rng.randn(n_source, n_features) * 0.6
    Xs[:, 0] += 2.0 * ys
    yt = np.arange(n_target) % 2
    Xt = rng.randn(n_target, n_features) * 0.6
    Xt[:, 0] += 2.0 * yt
    Xt = Xt * 0.8 + np.resize(np.asarray(shift, dtype=float), n_features)
    X = np.vstack([Xs, Xt])
    y = np.concatenate([ys, -np.ones(n_target, dtype=int)])
    sd = np.concatenate([np.ones(n_source, dtype=int), -2 * np.ones(n_target, dtype=int)])
    return X, y, sd, ys, yt


@pytest.fixture
def da_data():
    return make_da()


@pytest.fixture
def skada_module():
    """Import skada without leaving metadata routing switched on globally.

    skada enables scikit-learn's metadata routing for the whole process on
    import; the tests that need it enable it in a ``config_context``.
    """
    import sklearn

    old = sklearn.get_config()["enable_metadata_routing"]
    try:
        skada = pytest.importorskip("skada")
    finally:
        sklearn.set_config(enable_metadata_routing=old)
    yield skada
    sklearn.set_config(enable_metadata_routing=old)
