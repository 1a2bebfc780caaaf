"""Kernel regression with a direct solver (Section 2, Eq. 2).

Ridgeless kernel regression predicts ``K(x, X) K(X, X)^{-1} y``. ``K(X, X)`` is often
only positive *semi*-definite: duplicate prior columns (Theorem 1) or the
nearest-upsampling CNTK on all pixels (2H-1 exact zero eigenvalues) make it singular.
The policy, applied in this order, every fallback announced with a :class:`NumericalWarning`:

1. Cholesky of ``K + ridge * I``. It is accepted when finite and
   (min/max diagonal of the factor)^2 > 1e-11 (float64) or 1e-5 (float32); an exactly
   singular matrix can otherwise "factor" through rounding into garbage.
2. Otherwise, for n <= ``PINV_MAX_N`` (20,000): the minimum-norm least-squares solution
   through a symmetric eigendecomposition of ``K + ridge I``: eigenvalues at or below
   ``1e-12 * max|eigenvalue|`` (``1e-6`` in float32), and negative ones -- rounding noise
   for a kernel matrix -- are dropped. For y in the range of K this interpolates exactly.
3. For larger n (an eigendecomposition would be too slow), jitter ``eps * mean(diag K)``
   added to the diagonal, eps = 1e-10, 1e-8, 1e-6 (float32 from 1e-6), first usable wins.

No NaN is ever returned silently: a non-finite solution raises ``FloatingPointError``.
Everything runs in JAX, so it runs unchanged on CPU and GPU.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from ntkjax._x64 import enable_x64
from ntkjax.errors import NtkjaxInputError

__all__ = ["NumericalWarning", "Factorization", "factorize", "solve", "kernel_regression"]

_JITTERS = (1e-10, 1e-8, 1e-6)
PINV_MAX_N = 20_000


class NumericalWarning(UserWarning):
    """The kernel matrix needed jitter or a pseudo-inverse to be solved."""


def _dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise NtkjaxInputError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


@dataclasses.dataclass(frozen=True)
class Factorization:
    """A factorised kernel matrix, reusable for many right-hand sides.

    ``method`` is ``"cholesky"`` (``factor`` = lower Cholesky factor, ``shift`` = total
    diagonal added) or ``"pinv"`` (``factor`` = (eigenvalues, eigenvectors)).
    """

    method: str
    factor: Any
    shift: float
    dtype: np.dtype

    def solve(self, Y) -> np.ndarray:
        """Coefficients ``alpha = K^{-1} Y`` (Y of shape (n,) or (n, m))."""
        with enable_x64(self.dtype == np.float64):
            Yj = jnp.asarray(np.asarray(Y), dtype=self.dtype)
            if self.method == "cholesky":
                alpha = jsl.cho_solve((self.factor, True), Yj)
            else:
                w, V = self.factor
                alpha = V @ ((V.T @ Yj) * (w if Yj.ndim == 1 else w[:, None]))
            out = np.asarray(alpha)
        if not np.all(np.isfinite(out)):
            raise FloatingPointError("kernel regression produced non-finite coefficients")
        return out


def _validate_square(K) -> np.ndarray:
    K = np.asarray(K)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise NtkjaxInputError(f"kernel matrix must be square (n x n), got shape {K.shape}")
    if K.shape[0] == 0:
        raise NtkjaxInputError("kernel matrix is empty: there are no training points")
    if not np.all(np.isfinite(K)):
        raise NtkjaxInputError("kernel matrix contains NaN or infinite values")
    return K


def _usable(L, dt) -> bool:
    """A Cholesky factor is usable when finite and not numerically singular.

    (min diag / max diag)^2 approximates 1 / condition number from below; an exactly
    singular matrix can still "factor" through rounding, so this guards that case.
    """
    d = jnp.abs(jnp.diagonal(L))
    if not bool(jnp.all(jnp.isfinite(L))) or float(jnp.max(d)) == 0.0:
        return False
    ratio = (float(jnp.min(d)) / float(jnp.max(d))) ** 2
    return ratio > (1e-11 if dt == np.float64 else 1e-5)


def factorize(K, *, ridge: float = 0.0, dtype: Any = np.float64) -> Factorization:
    """Factorise ``K + ridge I`` following the module's jitter / pseudo-inverse policy."""
    from ntkjax.linalg import blas_guard

    dt = _dtype(dtype)
    K = _validate_square(K)
    if not np.isfinite(ridge) or ridge < 0:
        raise NtkjaxInputError(f"ridge must be a finite number >= 0, got {ridge}")
    n = K.shape[0]
    with blas_guard(n * n * np.dtype(dt).itemsize):  # XLA's CPU Cholesky calls the same OpenBLAS
        return _factorize(K, ridge, dt, n)


def _factorize(K, ridge: float, dt, n: int) -> Factorization:
    with enable_x64(dt == np.float64):
        Kj = jnp.asarray(K, dtype=dt)
        Kj = 0.5 * (Kj + Kj.T)
        scale = float(jnp.mean(jnp.diagonal(Kj)))
        scale = scale if scale > 0 else 1.0
        eye = jnp.eye(n, dtype=dt)
        L = jnp.linalg.cholesky(Kj + ridge * eye)
        if _usable(L, dt):
            return Factorization("cholesky", L, float(ridge), dt)
        if n <= PINV_MAX_N:
            w, V = jnp.linalg.eigh(Kj + ridge * eye)
            cutoff = (1e-12 if dt == np.float64 else 1e-6) * float(jnp.max(jnp.abs(w)))
            winv = jnp.where(w > cutoff, 1.0 / jnp.where(w > cutoff, w, 1.0), 0.0)
            warnings.warn(
                f"kernel matrix ({n}x{n}) is singular or not numerically positive definite; using the "
                f"minimum-norm least-squares solution ({int(jnp.sum(w <= cutoff))} eigenvalues <= "
                f"{cutoff:.3g} dropped; pass ridge= to regularise instead)",
                NumericalWarning,
                stacklevel=3,
            )
            return Factorization("pinv", (winv, V), float(ridge), dt)
        for eps in _JITTERS:
            if dt == np.float32 and eps < 1e-6:
                continue
            shift = ridge + eps * scale
            L = jnp.linalg.cholesky(Kj + shift * eye)
            if _usable(L, dt):
                warnings.warn(
                    f"kernel matrix ({n}x{n}) is not numerically positive definite; added jitter "
                    f"{eps:g} * mean(diag) = {eps * scale:.3g} to the diagonal (pass ridge= to control this)",
                    NumericalWarning,
                    stacklevel=3,
                )
                return Factorization("cholesky", L, float(shift), dt)
        raise FloatingPointError(
            f"kernel matrix ({n}x{n}) could not be factorised even with jitter {_JITTERS[-1]:g} * mean(diag); "
            "it is far from positive semi-definite -- check the kernel, or pass a larger ridge="
        )


def solve(K, Y, *, ridge: float = 0.0, dtype: Any = np.float64) -> np.ndarray:
    """Coefficients ``alpha = (K + ridge I)^{-1} Y`` for Y of shape (n,) or (n, m)."""
    Y = np.asarray(Y)
    K = _validate_square(K)
    if Y.shape[0] != K.shape[0]:
        raise NtkjaxInputError(f"targets have {Y.shape[0]} rows but the kernel is {K.shape[0]}x{K.shape[0]}")
    if not np.all(np.isfinite(Y)):
        raise NtkjaxInputError("targets contain NaN or infinite values")
    return factorize(K, ridge=ridge, dtype=dtype).solve(Y)


def kernel_regression(K_train, Y_train, K_cross=None, *, ridge: float = 0.0, dtype: Any = np.float64):
    """Kernel regression: predictions ``K_cross @ (K_train + ridge I)^{-1} Y_train``.

    ``Y_train`` may hold many targets as columns (one factorisation serves all of them).
    With ``K_cross=None`` the coefficients ``alpha`` are returned instead.
    """
    alpha = solve(K_train, Y_train, ridge=ridge, dtype=dtype)
    if K_cross is None:
        return alpha
    K_cross = np.asarray(K_cross)
    if K_cross.ndim != 2 or K_cross.shape[1] != alpha.shape[0]:
        raise NtkjaxInputError(
            f"cross kernel must have shape (n_test, {alpha.shape[0]}), got {K_cross.shape}"
        )
    return K_cross.astype(alpha.dtype) @ alpha
