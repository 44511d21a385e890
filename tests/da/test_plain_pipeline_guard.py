"""DA transformers of every kind are refused in a plain Pipeline ending in a supervised model."""

import numpy as np
import pytest


def _data():
    rng = np.random.RandomState(0)
    Xs = np.vstack([rng.randn(20, 2), rng.randn(20, 2) + 3])
    Xt = np.vstack([rng.randn(15, 2) + [3, 0], rng.randn(15, 2) + [0, 3]])
    X = np.vstack([Xs, Xt])
    y = np.concatenate([np.repeat([0, 1], 20), np.full(30, -1)])
    return X, y


@pytest.mark.parametrize("name", ["CORAL", "SubspaceAlignment", "KMMReweight"])
def test_every_da_transformer_refused_in_a_plain_pipeline(name):
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    import skot.da

    X, y = _data()
    params = {"n_components": 1} if name == "SubspaceAlignment" else {}
    pipe = make_pipeline(getattr(skot.da, name)(**params), SVC())
    with pytest.raises(ValueError, match="make_da_pipeline"):
        pipe.fit(X, y)
    # the DA pipeline is the way
    skot.da.make_da_pipeline(getattr(skot.da, name)(**params), SVC()).fit(X, y)
