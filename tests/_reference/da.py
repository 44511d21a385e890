"""Slow, obviously-correct references for skot.da (loops, no tricks)."""

import numpy as np
from scipy.linalg import sqrtm


def sqeuclidean(A, B):
    out = np.empty((A.shape[0], B.shape[0]))
    for i in range(A.shape[0]):
        for j in range(B.shape[0]):
            out[i, j] = sum((float(a) - float(b)) ** 2 for a, b in zip(A[i], B[j]))
    return out


def barycentric_map(P, Y):
    """Row i of the result: sum_j P_ij Y_j / sum_j P_ij."""
    out = np.zeros((P.shape[0], Y.shape[1]))
    for i in range(P.shape[0]):
        mass = 0.0
        for j in range(P.shape[1]):
            out[i] += P[i, j] * Y[j]
            mass += P[i, j]
        out[i] /= mass
    return out


def nearest_displacement(X_new, X_fit, X_fit_mapped):
    """T(x) = T(x_nn) + x - x_nn with x_nn the nearest fitted row (first on ties)."""
    out = np.empty((X_new.shape[0], X_new.shape[1]))
    for i, x in enumerate(X_new):
        best, arg = np.inf, -1
        for k, z in enumerate(X_fit):
            d = float(np.sum((x.astype(float) - z.astype(float)) ** 2))
            if d < best:
                best, arg = d, k
        out[i] = X_fit_mapped[arg] + x - X_fit[arg]
    return out


def entropic_map(X_new, Y, g, reg):
    """sum_j softmax_j((g_j - |x - y_j|^2) / reg) y_j, with a stable log-sum-exp."""
    out = np.empty((X_new.shape[0], Y.shape[1]))
    for i, x in enumerate(X_new):
        logits = np.array([(g[j] - np.sum((x - Y[j]) ** 2)) / reg for j in range(Y.shape[0])])
        logits -= logits.max()
        w = np.exp(logits)
        out[i] = (w[:, None] * Y).sum(0) / w.sum()
    return out


def sinkhorn(a, b, M, reg, n_iter=20000, tol=1e-14):
    """Plain Sinkhorn-Knopp matrix scaling (small reg-free problems only)."""
    K = np.exp(-M / reg)
    u = np.ones_like(a)
    v = np.ones_like(b)
    for _ in range(n_iter):
        u = a / (K @ v)
        v = b / (K.T @ u)
        P = u[:, None] * K * v[None, :]
        if np.abs(P.sum(1) - a).sum() < tol:
            break
    return u[:, None] * K * v[None, :]


def lpl1_transport(a, b, M, labels, reg, eta, n_outer, p=0.5, eps=1e-3):
    """Majorisation-minimisation of the lp-l1 class regulariser, with loops."""
    W = np.zeros_like(M)
    classes = np.unique(labels)
    P = None
    for _ in range(n_outer):
        P = sinkhorn(a, b, M + eta * W, reg)
        for c in classes:
            rows = labels == c
            for j in range(M.shape[1]):
                s = P[rows, j].sum()
                W[rows, j] = p * (s + eps) ** (p - 1)
    return P


def propagate_labels(P, y):
    """Soft labels of the columns of P from the labels y of its rows."""
    classes = np.unique(y)
    out = np.zeros((P.shape[1], classes.shape[0]))
    for j in range(P.shape[1]):
        col = P[:, j].sum()
        for c_idx, c in enumerate(classes):
            out[j, c_idx] = P[y == c, j].sum() / col
    return out


def bures_map(Xs, Xt, reg=1e-8):
    """Gaussian OT map x -> (x - ms) A + mt with scipy's matrix square root."""
    ms, mt = Xs.mean(0), Xt.mean(0)
    d = Xs.shape[1]
    Cs = np.cov(Xs.T, bias=True).reshape(d, d) + reg * np.eye(d)
    Ct = np.cov(Xt.T, bias=True).reshape(d, d) + reg * np.eye(d)
    Cs12 = np.real(sqrtm(Cs))
    Cs_12 = np.linalg.inv(Cs12)
    A = Cs_12 @ np.real(sqrtm(Cs12 @ Ct @ Cs12)) @ Cs_12
    return A, mt - ms @ A


def weighted_bures_map(Xs, Xt, ws, wt, reg=1e-8):
    """Gaussian OT map between the weighted Gaussians (weights normalised here)."""
    ws = np.asarray(ws, float) / np.sum(ws)
    wt = np.asarray(wt, float) / np.sum(wt)
    d = Xs.shape[1]
    ms = sum(w * x for w, x in zip(ws, Xs))
    mt = sum(w * x for w, x in zip(wt, Xt))
    Cs = sum(w * np.outer(x - ms, x - ms) for w, x in zip(ws, Xs)) + reg * np.eye(d)
    Ct = sum(w * np.outer(x - mt, x - mt) for w, x in zip(wt, Xt)) + reg * np.eye(d)
    Cs12 = np.real(sqrtm(Cs))
    Cs_12 = np.linalg.inv(Cs12)
    A = Cs_12 @ np.real(sqrtm(Cs12 @ Ct @ Cs12)) @ Cs_12
    return A, mt - ms @ A
