"""FaLRTC: fast low-rank tensor completion (Liu, Musialski, Wonka & Ye, TPAMI 2013), in JAX.

Problem: min_X sum_i alpha_i ||X_(i)||_*  s.t.  X_Omega = T_Omega, with the nuclear norm of
each mode-i unfolding X_(i) replaced by its smoothed version

    ||M||_{*,mu} = max_{||W||_2 <= 1} <M, W> - mu/2 ||W||_F^2
                 = sum_j h(sigma_j),  h(s) = s^2 / (2 mu) if s <= mu else s - mu/2.

With tau_i = mu_i / alpha_i the objective is F(X) = sum_i alpha_i^2 / (2 mu_i) *
[sum sigma^2 - sum (sigma - tau_i)_+^2] (singular values of X_(i)), whose gradient is
sum_i alpha_i^2 / mu_i * fold_i(U min(Sigma, tau_i) V^T). Minimisation is Nesterov's
accelerated gradient with backtracking on the Lipschitz constant (L <- L / C until
L (F(X) - F(Y)) >= ||grad||^2, Y = X - grad / L, gradient zero on Omega) and a
continuation on mu (decreasing from 0.3 alpha_i sigma_max(X_(i)) to mu_i over the first
``max_iter - 15`` iterations, exponent 1.15), as in the authors' reference implementation.

Defaults are the hyper-parameters Hodos et al. (2018) used on CMap (drugs x genes x cells):
alpha = [1, 0.01, 1] / 2.01, mu_i = 0.01 alpha_i / sqrt(n_i), C = 0.5, L0 = 1e-5, 20
iterations, stopping when ||Y_k - Y_{k-1}|| / ||T_Omega|| < 0.1. Missing entries start at
the mean of the observed ones.

Cost: every gradient or objective evaluation needs the singular values of the three
unfoldings; each is obtained from the smaller Gram matrix (n_i x n_i; 2130^2, 978^2, 71^2 on
CMap) with ``eigh``, so one evaluation is ~2 sum_i n_i^2 prod(n) flops (~1.4e12 on CMap, plus
~0.5e12 for F(Y)). That is the price of the math: FaLRTC touches the full dense tensor.
"""

from __future__ import annotations

import dataclasses
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ntkjax._x64 import enable_x64
from ntkjax.drugscreen.fold import FoldProblem
from ntkjax.errors import NtkjaxInputError
from ntkjax.memory import check_fits

__all__ = ["FalrtcResult", "falrtc", "predict_falrtc", "HODOS_ALPHA"]

HODOS_ALPHA = (1.0, 1e-2, 1.0)


@dataclasses.dataclass
class FalrtcResult:
    X: np.ndarray
    iterations: int
    errors: list
    stopped: str


def _unfold(X, i):
    return jnp.moveaxis(X, i, 0).reshape(X.shape[i], -1)


def _mode_product(X, M, i):
    """fold_i(M @ X_(i)) for a square M acting on mode i."""
    return jnp.moveaxis(jnp.tensordot(M, X, axes=(1, i)), 0, i)


def _spectrum(X, i):
    A = _unfold(X, i)
    G = A @ A.T
    lam, U = jnp.linalg.eigh(G)
    return jnp.sqrt(jnp.maximum(lam, 0.0)), U


@partial(jax.jit, static_argnums=())
def _grad_f(X, mask, tau, a2m):
    """Gradient (zero on the observed entries) and 2 F(X)."""
    G = jnp.zeros_like(X)
    fx = jnp.zeros((), X.dtype)
    for i in range(X.ndim):
        s, U = _spectrum(X, i)
        tol = max(X.shape) * jnp.finfo(X.dtype).eps * jnp.max(s)
        keep = s > jnp.maximum(tol, tau[i])
        mid = jnp.where(keep, (s - tau[i]) / jnp.where(keep, s, 1.0), 0.0)
        shrink = (U * mid[None, :]) @ U.T
        G = G + a2m[i] * (X - _mode_product(X, shrink, i))
        fx = fx + a2m[i] * (jnp.sum(s * s) - jnp.sum(jnp.maximum(s - tau[i], 0.0) ** 2))
    return jnp.where(mask, 0.0, G), fx


@jax.jit
def _f(X, tau, a2m):
    fx = jnp.zeros((), X.dtype)
    for i in range(X.ndim):
        A = _unfold(X, i)
        s = jnp.sqrt(jnp.maximum(jnp.linalg.eigvalsh(A @ A.T), 0.0))
        fx = fx + a2m[i] * (jnp.sum(s * s) - jnp.sum(jnp.maximum(s - tau[i], 0.0) ** 2))
    return fx


@jax.jit
def _sigma_max(X):
    return jnp.stack([jnp.sqrt(jnp.max(jnp.linalg.eigvalsh(_unfold(X, i) @ _unfold(X, i).T))) for i in range(X.ndim)])


def falrtc(T, mask=None, *, alpha=HODOS_ALPHA, mu=None, L0: float = 1e-5, C: float = 0.5, max_iter: int = 20,
           epsilon: float = 1e-1, dtype=np.float32, progress=None) -> FalrtcResult:
    """Complete tensor ``T`` (NaN or ``mask == False`` = missing) with FaLRTC."""
    T = np.asarray(T, dtype=np.float64)
    if T.ndim < 2:
        raise NtkjaxInputError(f"FaLRTC needs a tensor with >= 2 modes, got shape {T.shape}")
    if mask is None:
        mask = ~np.isnan(T)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != T.shape or not mask.any():
        raise NtkjaxInputError("FaLRTC needs a mask of T's shape with at least one observed entry")
    if not 0 < C < 1 or L0 <= 0 or max_iter < 1:
        raise NtkjaxInputError("FaLRTC needs 0 < C < 1, L0 > 0 and max_iter >= 1")
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.shape != (T.ndim,) or np.any(alpha <= 0):
        raise NtkjaxInputError(f"alpha must hold {T.ndim} positive weights")
    alpha = alpha / alpha.sum()
    dims = np.asarray(T.shape, dtype=np.float64)
    mu0 = 0.01 * alpha / np.sqrt(dims) if mu is None else np.asarray(mu, dtype=np.float64)
    check_fits(T.size * np.dtype(dtype).itemsize * 8, what="FaLRTC's working tensors")
    x64 = np.dtype(dtype) == np.float64
    with enable_x64(x64):
        Tobs = np.where(mask, np.nan_to_num(T), 0.0)
        X = jnp.asarray(np.where(mask, Tobs, T[mask].mean()), dtype=dtype)
        M = jnp.asarray(mask)
        norm_obs = float(np.linalg.norm(Tobs))
        Y, Z, B, L = X, X, 0.0, float(L0)
        Lmax = 10.0 * float(np.sum(1.0 / mu0))
        smax = np.asarray(_sigma_max(X), dtype=np.float64)
        top = smax * alpha * 0.3
        P, flat = 1.15, 15
        if max_iter - flat >= 2:
            slope = (top - mu0) / (1 - (max_iter - flat) ** (-P))
            offset = (mu0 * (max_iter - flat) ** P - top) / ((max_iter - flat) ** P - 1)
        else:  # too few iterations for the continuation schedule: constant mu
            slope, offset = np.zeros_like(mu0), mu0
        errors, stopped, k = [], "max_iter", 0
        for k in range(1, max_iter + 1):
            mu_k = np.maximum(slope / k**P + offset, mu0)
            tau = jnp.asarray(mu_k / alpha, dtype=dtype)
            a2m = jnp.asarray(alpha**2 / mu_k, dtype=dtype)
            Ylast = Y
            while True:
                b = (1 + math.sqrt(1 + 4 * L * B)) / (2 * L)
                Xk = (b / (B + b)) * Z + (B / (B + b)) * Ylast
                Gx, fx = _grad_f(Xk, M, tau, a2m)
                Y = Xk - Gx / L
                fy = _f(Y, tau, a2m)
                if (float(fx) - float(fy)) * L < float(jnp.vdot(Gx, Gx)):
                    if L > Lmax:
                        stopped = "lipschitz"
                        break
                    L = L / C
                else:
                    break
            err = float(jnp.linalg.norm(Y - Ylast)) / norm_obs
            errors.append(err)
            if progress is not None:
                progress(k, err)
            if stopped == "lipschitz":
                break
            if err < epsilon:
                stopped = "tolerance"
                break
            Z = Z - b * Gx
            B = B + b
        out = np.asarray(Y, dtype=np.float64)
    return FalrtcResult(out, k, errors, stopped)


def predict_falrtc(problem: FoldProblem, **kwargs) -> np.ndarray:
    """FaLRTC on the drugs x genes x cells training tensor (MCF7 included); test profiles read off."""
    T = np.full((problem.n_drugs, problem.n_genes, problem.n_cells), np.nan, dtype=np.float32)
    T[problem.train_drug, :, problem.train_cell] = problem.train_profiles
    res = falrtc(T, **kwargs)
    problem.extras["falrtc_iterations"] = res.iterations
    return res.X[problem.test_drug, :, problem.test_cell]
