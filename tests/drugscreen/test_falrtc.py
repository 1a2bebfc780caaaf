import math

import numpy as np
import pytest

from ntkjax.drugscreen.falrtc import falrtc
from ntkjax.errors import NtkjaxInputError


def test_recovers_random_low_rank_tensor_from_half_its_entries():
    rng = np.random.default_rng(0)
    dims, r = (30, 25, 20), 2
    A, B, C = (rng.standard_normal((n, r)) for n in dims)
    T = np.einsum("ir,jr,kr->ijk", A, B, C)
    mask = rng.random(dims) < 0.5
    res = falrtc(np.where(mask, T, np.nan), alpha=(1, 1, 1), max_iter=200, epsilon=1e-7, dtype=np.float64)
    rel = np.linalg.norm(res.X - T) / np.linalg.norm(T)
    assert rel < 1e-2
    assert np.allclose(res.X[mask], T[mask], rtol=0, atol=1e-12)  # observed entries are kept


def _unfold(X, i):
    return np.moveaxis(X, i, 0).reshape(X.shape[i], -1)


def _fold(A, i, shape):
    rest = [n for j, n in enumerate(shape) if j != i]
    return np.moveaxis(A.reshape([shape[i]] + rest), 0, i)


def _reference_falrtc(T, mask, alpha, L0, C, max_iter, epsilon):
    """FaLRTC restated from Liu et al. (2013), Alg. 3, with SVDs of the unfoldings: no Gram
    matrices, no reuse of any quantity between trials -- the oracle for the optimised solver."""
    alpha = np.asarray(alpha, float) / np.sum(alpha)
    dims = np.asarray(T.shape, float)
    mu0 = 0.01 * alpha / np.sqrt(dims)

    def parts(X, mu):
        f, G = 0.0, np.zeros_like(X)
        for i in range(X.ndim):
            U, s, Vt = np.linalg.svd(_unfold(X, i), full_matrices=False)
            tau = mu[i] / alpha[i]
            # smoothed nuclear norm (Nesterov): alpha_i * sum h(s), h(s) = s^2/(2 tau) or s - tau/2
            h = np.where(s <= tau, s**2 / (2 * tau), s - tau / 2)
            f += alpha[i] * h.sum()
            G += alpha[i] * _fold((U * np.minimum(s / tau, 1.0)) @ Vt, i, X.shape)
        return f, np.where(mask, 0.0, G)

    X = np.where(mask, np.nan_to_num(T), T[mask].mean())
    norm_obs = np.linalg.norm(np.where(mask, np.nan_to_num(T), 0.0))
    smax = np.array([np.linalg.norm(_unfold(X, i), 2) for i in range(X.ndim)])
    top, P, flat = 0.3 * alpha * smax, 1.15, 15
    slope = (top - mu0) / (1 - (max_iter - flat) ** (-P))
    offset = (mu0 * (max_iter - flat) ** P - top) / ((max_iter - flat) ** P - 1)
    Y, Z, B, L, errors = X, X, 0.0, L0, []
    for k in range(1, max_iter + 1):
        mu = np.maximum(slope / k**P + offset, mu0)
        Ylast = Y
        while True:
            b = (1 + math.sqrt(1 + 4 * L * B)) / (2 * L)
            Xk = (b / (B + b)) * Z + (B / (B + b)) * Ylast
            fx, G = parts(Xk, mu)
            Y = Xk - G / L
            fy, _ = parts(Y, mu)
            if fy <= fx - np.vdot(G, G) / (2 * L):  # sufficient decrease for step 1/L
                break
            L = L / C
        errors.append(np.linalg.norm(Y - Ylast) / norm_obs)
        if errors[-1] < epsilon:
            break
        Z = Z - b * G
        B = B + b
    return Y, errors


@pytest.mark.parametrize("L0", [1e-5, 0.3])
def test_matches_a_plain_restatement_of_the_algorithm(L0):
    # the solver reuses gradients and Gram matrices between backtracking trials and builds
    # the trial objectives from cross-Gram updates; none of that may change an iterate
    rng = np.random.default_rng(1)
    dims = (140, 20, 8)  # n_0 > 128: early iterations take the low-rank (U_k) product
    T = np.einsum("ir,jr,kr->ijk", *(rng.standard_normal((n, 3)) for n in dims)) + 0.3 * rng.standard_normal(dims)
    fibre = rng.random((dims[0], dims[2])) < 0.4  # whole gene fibres observed, as in CMap
    mask = np.broadcast_to(fibre[:, None, :], dims)
    alpha, C, max_iter, eps = (1.0, 0.01, 1.0), 0.5, 20, 1e-4
    Yref, eref = _reference_falrtc(np.where(mask, T, np.nan), mask, alpha, L0, C, max_iter, eps)
    res = falrtc(np.where(mask, T, np.nan), alpha=alpha, L0=L0, C=C, max_iter=max_iter, epsilon=eps,
                 dtype=np.float64)
    assert res.iterations == len(eref) >= 3
    # backtracking happened (with L0 = 1e-5 a long line search on one point: the cross-Gram path)
    assert res.trials >= res.iterations + (3 if L0 < 1e-3 else 1)
    np.testing.assert_allclose(res.errors, eref, rtol=1e-7)
    np.testing.assert_allclose(res.X, Yref, rtol=0, atol=1e-8 * np.abs(Yref).max())


def test_bad_input():
    with pytest.raises(NtkjaxInputError):
        falrtc(np.full((3, 3, 3), np.nan))
    with pytest.raises(NtkjaxInputError):
        falrtc(np.ones((3, 3, 3)), alpha=(1, 1))
