"""Every error path of the OT solvers."""

import numpy as np
import pytest

from skot.ot import (
    cost_matrix,
    cost_scale,
    emd,
    emd2,
    sinkhorn,
    sinkhorn2,
    sinkhorn_newton_sparse,
    sinkhorn_unbalanced,
)

M = np.array([[0.0, 1.0], [1.0, 0.0]])
a = np.array([0.5, 0.5])

BALANCED = [
    lambda a, b, M: emd(a, b, M),
    lambda a, b, M: emd2(a, b, M),
    lambda a, b, M: sinkhorn(a, b, M, 0.1),
    lambda a, b, M: sinkhorn(a, b, M, 0.1, method="scaling"),
    lambda a, b, M: sinkhorn2(a, b, M, 0.1),
    lambda a, b, M: sinkhorn_newton_sparse(a, b, M, 0.1),
]


@pytest.mark.parametrize("solve", BALANCED)
@pytest.mark.parametrize(
    "aa,bb,MM,exc,match",
    [
        ([-0.5, 1.5], a, M, ValueError, "a must be non-negative"),
        (a, [np.nan, 1.0], M, ValueError, "b contains NaN"),
        (a, [np.inf, 1.0], M, ValueError, "b contains NaN"),
        (a, [0.3, 0.3], M, ValueError, "same total mass"),
        ([0.0, 0.0], [0.0, 0.0], M, ValueError, "zero total mass"),
        ([1.0, 0.0, 0.0], a, M, ValueError, r"a must have shape \(2,\)"),
        (a, a, [[0.0, np.nan], [1.0, 0.0]], ValueError, "M contains NaN"),
        (a, a, [[0.0, np.inf], [1.0, 0.0]], ValueError, "M contains NaN"),
        (a, a, [0.0, 1.0], ValueError, "2-D"),
        (a, a, np.zeros((0, 2)), ValueError, "M is empty"),
        (a, a, np.array([["a", "b"], ["c", "d"]]), TypeError, "numbers"),
        (1.0, a, M, TypeError, "a. parameter|scalar"),
    ],
)
def test_bad_inputs(solve, aa, bb, MM, exc, match):
    with pytest.raises(exc, match=match):
        solve(aa, bb, MM)


@pytest.mark.parametrize("reg", [0.0, -1.0, np.nan, "x"])
def test_bad_reg(reg):
    with pytest.raises((ValueError, TypeError), match="reg"):
        sinkhorn(a, a, M, reg)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"method": "nope"}, "method"),
        ({"max_iter": -1}, "max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"init": (np.zeros(3), np.zeros(2))}, "init potentials must have shapes"),
        ({"init": (np.array([np.nan, 0.0]), np.zeros(2))}, "init potentials contain NaN"),
        ({"init": (np.array([-np.inf, 0.0]), np.zeros(2))}, "finite where the masses"),
        ({"init": [1.0, 2.0, 3.0]}, "init must be None or a pair"),
        ({"epsilon_scaling": 1.5}, "epsilon_scaling"),
    ],
)
def test_bad_sinkhorn_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sinkhorn(a, a, M, 0.1, **kwargs)


def test_bad_unbalanced():
    with pytest.raises(ValueError, match="reg_m"):
        sinkhorn_unbalanced(a, a, M, 0.1, -1.0)
    with pytest.raises(ValueError, match="reg_m"):
        sinkhorn_unbalanced(a, a, M, 0.1, (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="method"):
        sinkhorn_unbalanced(a, a, M, 0.1, 1.0, method="sns")
    # unbalanced accepts different totals
    res = sinkhorn_unbalanced(a, [1.0, 2.0], M, 0.1, 1.0)
    assert np.isfinite(res.plan).all()


def test_bad_emd_options():
    with pytest.raises(ValueError, match="max_iter"):
        emd(a, a, M, max_iter=-3)
    with pytest.raises(ValueError, match="sparse_plan"):
        emd(a, a, M, sparse_plan="yes")


def test_sparse_inputs_refused():
    from scipy import sparse

    # (emd takes a sparse cost: only the listed arcs exist; tests/ot/test_emd*.py)
    with pytest.raises(TypeError, match="sparse"):
        cost_matrix(sparse.csr_matrix(M))


def test_cost_matrix_errors():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="same number of features"):
        cost_matrix(X, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="norm"):
        cost_matrix(X, norm="mean")
    with pytest.raises(ValueError, match="norm"):
        cost_matrix(X, norm=-1.0)
    with pytest.raises(ValueError, match="X contains NaN"):
        cost_matrix(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="X is empty"):
        cost_matrix(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="2-D"):
        cost_matrix(np.zeros(3))
    with pytest.raises(ValueError, match="metric"):
        cost_matrix(X, metric="nope")
    with pytest.raises(ValueError, match="norm"):
        cost_scale(M, "log")
    with pytest.raises(ValueError, match="NaN"):
        cost_scale(np.array([[np.nan]]), "max")


# ------------------------------------------------------- issue 13, part 0
_COMPLEX_CALLS = [
    lambda M, a: sinkhorn(a, a, M, 0.1),
    lambda M, a: sinkhorn_newton_sparse(a, a, M, 0.1),
    lambda M, a: sinkhorn_unbalanced(a, a, M, 0.1, 1.0),
    lambda M, a: cost_scale(M),
]


@pytest.mark.parametrize("call", _COMPLEX_CALLS)
def test_complex_cost_is_refused(call):
    # defect: the imaginary part was silently dropped
    with pytest.raises(TypeError, match="M must hold real numbers.*complex"):
        call(M + 1j, a)


def test_complex_masses_and_sparse_solver_refused():
    from skot.ot._sparse import sparsity_constrained_ot

    with pytest.raises(TypeError, match="a must hold real masses"):
        sinkhorn(a + 0j, a, M, 0.1)
    with pytest.raises(TypeError, match="complex"):
        sparsity_constrained_ot(a, a, M + 1j, 0.1, 2)


@pytest.mark.parametrize("call", _COMPLEX_CALLS)
def test_sparse_cost_gets_a_clear_message(call):
    # defect: "must be an array-like" for a scipy.sparse cost
    from scipy import sparse

    with pytest.raises(TypeError, match=r"M must be a dense .*sparse matrix.*toarray"):
        call(sparse.csr_matrix(M), a)


def test_cost_scale_of_negative_costs():
    # defect: cost_scale(-M) returned 1.0
    C = np.array([[0.0, 2.0], [4.0, 1.0]])
    assert cost_scale(-C) == 4.0
    assert cost_scale(-C, "median") == 1.5
    assert cost_scale(C) == 4.0
    assert cost_scale(C - 10.0) == 10.0
    assert cost_scale(np.zeros((2, 2))) == 1.0
