"""
=====================================================
Digits with a domain shift: the shallow DA catalogue
=====================================================

scikit-learn's 8x8 digits are the source domain; the target domain is the
same kind of images taken with another "camera": shifted by one pixel,
with lower contrast and a brighter background. Target labels are unknown. A
classifier trained on the source alone loses accuracy on the target. The
feature-alignment methods (CORAL, Subspace Alignment) and JDOT adapt to the
target without its labels; importance weighting (KMM) assumes a covariate
shift (same images, other proportions), which this is not, and does not
help: the right method depends on the kind of shift. The bars show the
target accuracy of each (computed with the hidden target labels).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skot.da._jdot import JDOTClassifier
from skot.da._reweight import KMMReweight
from skot.da._subspace import CORAL, SubspaceAlignment

digits = load_digits()
rng = np.random.RandomState(0)
idx = rng.permutation(len(digits.target))
half = len(idx) // 2
src, tgt = idx[:half][:500], idx[half:][:500]
Xs, ys = digits.data[src], digits.target[src]
images = digits.images[tgt]
shifted = np.roll(images, 1, axis=2)  # one pixel to the right
shifted[:, :, 0] = 0
Xt = (0.6 * shifted + 4.0).reshape(len(tgt), -1)  # low contrast, bright background
yt = digits.target[tgt]

# skada's convention: stacked rows, y = -1 on the (unlabelled) target rows
X = np.vstack([Xs, Xt])
y = np.concatenate([ys, -np.ones(len(yt), dtype=int)])
sd = np.concatenate([np.ones(len(ys), dtype=int), -2 * np.ones(len(yt), dtype=int)])


def clf():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


scores = {}
scores["no adaptation"] = clf().fit(Xs, ys).score(Xt, yt)

for name, tr in [("CORAL", CORAL()), ("Subspace Alignment", SubspaceAlignment(20))]:
    Z = tr.fit_transform(X, y, sample_domain=sd)
    model = clf().fit(Z[sd >= 0], ys)
    scores[name] = model.score(tr.transform(Xt), yt)

w = KMMReweight(gamma=1e-3).fit_weights(X, sample_domain=sd)[sd >= 0]
model = clf().fit(Xs, ys, logisticregression__sample_weight=w)
scores["KMM reweighting"] = model.score(Xt, yt)

Zc = CORAL().fit_transform(X, y, sample_domain=sd)
jdot = JDOTClassifier(LogisticRegression(max_iter=500), alpha=0.3, max_iter=5)
scores["CORAL + JDOT"] = jdot.fit(Zc, y, sample_domain=sd).score(Zc[sd < 0], yt)

for name, s in scores.items():
    print(f"{name:20s} target accuracy {s:.3f}")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.5), width_ratios=[1, 2])
ax0.imshow(np.hstack([digits.images[src[0]], Xt[0].reshape(8, 8)]), cmap="gray_r")
ax0.set_title("source | target image")
ax0.axis("off")
ax1.barh(list(scores), list(scores.values()), color="tab:blue")
ax1.set_xlim(0, 1)
ax1.set_xlabel("target accuracy")
ax1.invert_yaxis()
fig.tight_layout()
plt.show()
