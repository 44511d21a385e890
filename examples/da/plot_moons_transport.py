"""
========================================================
Two moons: transporting the source onto a rotated target
========================================================

The target moons are the source moons rotated by 40 degrees, and their labels
are unknown. A classifier trained on the source alone misses the rotated
target; :class:`skot.da.SinkhornTransport` couples the source rows with the
target rows (the coupling is drawn on the left: each source row is joined
to the target rows holding most of its mass), moves every source row to the
barycentre of its coupled target rows (middle), and a classifier trained on
these transported, labelled rows classifies the target (right), all inside one
:class:`skot.da.DomainAdaptationClassifier`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.svm import SVC

from skot.da import DomainAdaptationClassifier, SinkhornTransport

n = 150
Xs, ys = make_moons(n, noise=0.08, random_state=0)
Xt, yt = make_moons(n, noise=0.08, random_state=1)
theta = np.deg2rad(40)
R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
Xt = (Xt - [0.5, 0.25]) @ R.T + [0.5, 0.25]

# skada's convention: stacked rows, y = -1 on the (unlabelled) target rows
X = np.vstack([Xs, Xt])
y = np.concatenate([ys, -np.ones(n, dtype=int)])

source_only = SVC().fit(Xs, ys)
clf = DomainAdaptationClassifier(SVC(), SinkhornTransport(reg=0.02, norm="max")).fit(X, y)
print(f"target accuracy, source only: {source_only.score(Xt, yt):.3f}")
print(f"target accuracy, adapted:     {clf.score(Xt, yt):.3f}")

transport = clf.transport_
P = transport.coupling_
mapped = transport.transform(Xs, sample_domain=1)

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharex=True, sharey=True)
colors = np.array(["tab:blue", "tab:red"])

ax = axes[0]
i, j = np.nonzero(P > 0.5 * P.max(axis=1, keepdims=True))  # strongest links
for a, b in zip(i, j):
    ax.plot(
        [Xs[a, 0], Xt[b, 0]],
        [Xs[a, 1], Xt[b, 1]],
        c="0.6",
        lw=0.5,
        alpha=min(1.0, P[a, b] / P[a].max()),
    )
ax.scatter(*Xs.T, c=colors[ys], s=14, label="source (labelled)")
ax.scatter(*Xt.T, c="0.3", marker="x", s=14, label="target (unlabelled)")
ax.set_title("source, target and the coupling")
ax.legend(loc="lower left", fontsize=8)

ax = axes[1]
ax.scatter(*Xt.T, c="0.8", marker="x", s=14)
ax.scatter(*mapped.T, c=colors[ys], s=14)
ax.set_title("source rows after transport")

ax = axes[2]
xx, yy = np.meshgrid(np.linspace(-2.0, 3.0, 200), np.linspace(-1.5, 2.5, 200))
zz = clf.decision_function(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
ax.contourf(xx, yy, zz > 0, alpha=0.15, colors=["tab:blue", "tab:red"])
ax.scatter(*Xt.T, c=colors[clf.predict(Xt)], marker="x", s=14)
ax.set_title(f"target predictions (accuracy {clf.score(Xt, yt):.2f})")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
