"""Slow, obviously-correct k-medoids references (tiny problems only).

Every swap is scored by recomputing the whole loss, so these share no logic
with the O(k)-trick kernels they check. With integer-valued dissimilarities all
sums are exact, so results can be compared for equality.
"""

from itertools import combinations

import numpy as np


def loss(D, medoids, w=None):
    """Sum over points of w * (dissimilarity to the nearest medoid); D[o, m]."""
    w = np.ones(D.shape[0]) if w is None else w
    return float(np.sum(w * D[:, list(medoids)].min(axis=1)))


def brute_force(D, k, w=None):
    """Globally optimal medoids by enumeration: (loss, medoids)."""
    return min((loss(D, c, w), list(c)) for c in combinations(range(D.shape[0]), k))


def best_swap_gain(D, medoids, w=None):
    """Lowest loss change over all single swaps (medoid out, non-medoid in)."""
    base = loss(D, medoids, w)
    best = 0.0
    for b in range(len(medoids)):
        for j in range(D.shape[0]):
            if j in medoids:
                continue
            trial = list(medoids)
            trial[b] = j
            best = min(best, loss(D, trial, w) - base)
    return best


def fasterpam(D, medoids, max_iter=100):
    """FasterPAM by the book: candidates in index order, eager first improving swap.

    For each candidate the medoid to replace is the one giving the lowest loss
    (first on ties); the swap is applied if the loss strictly decreases. A pass
    stops early after a full cycle without a swap.
    """
    med = list(medoids)
    n = D.shape[0]
    cur = loss(D, med)
    lastswap = -1
    for _ in range(max_iter):
        swapped = False
        for j in range(n):
            if j == lastswap:
                break
            if j in med:
                continue
            trials = []
            for b in range(len(med)):
                t = list(med)
                t[b] = j
                trials.append(loss(D, t))
            b = int(np.argmin(trials))
            if trials[b] < cur:
                med[b] = j
                cur = trials[b]
                lastswap = j
                swapped = True
        if not swapped:
            break
    return med, cur


def build(D, k, w=None):
    """PAM BUILD: the point with the smallest distance sum, then greedy loss descent."""
    n = D.shape[0]
    w = np.ones(n) if w is None else w
    med = [int(np.argmin([np.sum(w * D[:, i]) for i in range(n)]))]
    while len(med) < k:
        cands = [i for i in range(n) if i not in med]
        med.append(min(cands, key=lambda i: (loss(D, med + [i], w), i)))
    return med


def alternate(D, medoids, max_iter=100):
    """Voronoi iteration: assign, move each medoid to its cluster's best member."""
    med = list(medoids)
    for _ in range(max_iter):
        labels = np.argmin(D[:, med], axis=1)
        for m, mm in enumerate(med):
            labels[mm] = m
        new = []
        for m in range(len(med)):
            members = np.flatnonzero(labels == m)
            costs = [D[members, c].sum() for c in members]
            best = members[int(np.argmin(costs))]
            new.append(med[m] if D[members, med[m]].sum() <= min(costs) else int(best))
        if new == med:
            break
        med = new
    return med, loss(D, med)


def integer_dissimilarities(rng, n, high=20):
    """A symmetric integer matrix with zero diagonal (exact float sums, many ties)."""
    A = rng.integers(1, high, size=(n, n)).astype(np.float64)
    D = np.triu(A, 1)
    return D + D.T
