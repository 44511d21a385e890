"""
==============================================
Regression under a domain shift: NaN targets
==============================================

A sensor is replaced: the new one (target) reads every input shifted and
slightly stretched, while the quantity to predict depends on the underlying
signal exactly as before. The source rows are labelled; the target rows are
not (``y = NaN``, the regression mask). A regressor trained on the source
alone mispredicts the target. :class:`skot.da.DomainAdaptationRegressor`
transports the labelled source rows onto the target rows with
:class:`skot.da.SinkhornTransport` and trains the regressor on them; the same
model is built by :func:`skot.da.make_da_pipeline` from any transformer and
regressor. ``score`` is the R² of the labelled rows only, so the target
labels, kept aside here, measure the gain.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.kernel_ridge import KernelRidge

from skot.da import DomainAdaptationRegressor, SinkhornTransport, make_da_pipeline

rng = np.random.RandomState(0)
n = 200
signal_s = rng.uniform(-3, 3, n)
signal_t = rng.uniform(-3, 3, n)
ys = np.sin(signal_s) + 0.1 * rng.randn(n)
yt = np.sin(signal_t) + 0.1 * rng.randn(n)
Xs = signal_s[:, None]
Xt = 1.2 * signal_t[:, None] + 1.5  # the new sensor's reading

# stacked rows, NaN on the unlabelled target rows
X = np.vstack([Xs, Xt])
y = np.concatenate([ys, np.full(n, np.nan)])


def model():
    return KernelRidge(alpha=0.1, kernel="rbf", gamma=1.0)


source_only = model().fit(Xs, ys)
transport = SinkhornTransport(reg=0.1, norm="median")
adapted = DomainAdaptationRegressor(model(), transport).fit(X, y)
pipe = make_da_pipeline(transport, model()).fit(X, y)

print(f"R2 on the target, source only: {source_only.score(Xt, yt):.3f}")
print(f"R2 on the target, adapted:     {adapted.score(Xt, yt):.3f}")
print(f"R2 on the target, pipeline:    {pipe.score(Xt, yt):.3f}")

grid = np.linspace(Xt.min(), Xt.max(), 300)[:, None]
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(Xs[:, 0], ys, s=8, c="tab:blue", alpha=0.5, label="source (labelled)")
ax.scatter(Xt[:, 0], yt, s=8, c="tab:orange", alpha=0.5, label="target (labels unknown)")
ax.plot(grid[:, 0], source_only.predict(grid), c="tab:blue", label="trained on source")
ax.plot(grid[:, 0], adapted.predict(grid), c="tab:red", label="adapted")
ax.set_xlabel("sensor reading")
ax.set_ylabel("y")
ax.legend(loc="lower left", fontsize=8)
ax.set_title("DomainAdaptationRegressor on a sensor change")
plt.tight_layout()
plt.show()
