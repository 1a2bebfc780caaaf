"""Theorem 1: the NTK of a fully connected network for matrix completion.

For a feature prior Z (p x n) with unit-norm columns z_j and a depth-d network
f_Z(W) = W^(d) C_d phi(... W^(2) C_2 phi(W^(1) Z)) (Eq. 3, NTK parameterisation,
c normalised as in Eq. 6), as the widths grow

    K(M_ij, M_i'j') = kappa_d(z_j . z_j')   if i == i',   0 otherwise,

    kappa_d(xi) = dual^(d)(xi) + kappa_{d-1}(xi) * dual'(dual^(d-1)(xi)),   kappa_0(xi) = xi,

where dual^(h) is the h-fold composition of the dual activation (Appendix A/B).
So every row of Y is its own kernel regression over the columns, with the n x n
"column kernel" kappa_d(Z^T Z).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ntkjax._x64 import enable_x64
from ntkjax.dual import Activation, parse_activation
from ntkjax.errors import NtkjaxInputError

__all__ = ["kappa", "column_kernel", "cross_kernel", "ntk", "normalize_columns"]


def kappa(xi, depth: int = 1, activation: str | Activation = "relu"):
    """kappa_d(xi) of Theorem 1 for a depth-``depth`` network (``depth >= 1``).

    ``depth`` counts the hidden layers' nonlinearities: depth 1 is A phi(B Z),
    whose kernel is dual(xi) + xi dual'(xi) (kappa_1(1) = 2, kappa_1(0) = 1/pi for ReLU).
    Concrete inputs are evaluated in float64 and returned as NumPy; traced inputs stay in JAX.
    """
    depth = _check_depth(depth)
    act = parse_activation(activation)
    if isinstance(xi, jax.core.Tracer):  # inside jit/vmap: stay in JAX, caller's dtype
        return _kappa(xi, depth, act)
    with enable_x64():
        return np.asarray(_kappa(jnp.asarray(xi, dtype=jnp.float64), depth, act))


def _kappa(xi, depth: int, act: Activation):
    k = xi  # kappa_0
    s = xi  # dual^(h)(xi)
    for _ in range(depth):
        k = act.dual(s) + k * act.dual_derivative(s)
        s = act.dual(s)
    return k


def normalize_columns(Z, *, what: str = "prior") -> np.ndarray:
    """Return Z (p x n) with unit-norm columns; a zero-norm or non-finite column is an error."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2:
        raise NtkjaxInputError(f"{what} must be a 2-D array (p x n), got shape {Z.shape}")
    if not np.all(np.isfinite(Z)):
        raise NtkjaxInputError(f"{what} contains NaN or infinite values")
    norms = np.linalg.norm(Z, axis=0)
    bad = np.flatnonzero(norms == 0)
    if bad.size:
        raise NtkjaxInputError(
            f"{what} column(s) {bad[:10].tolist()} have zero norm; Theorem 1 needs every column "
            "normalisable (give each matrix column a non-zero feature vector)"
        )
    return Z / norms


def cross_kernel(Z_a, Z_b, depth: int = 1, activation: str | Activation = "relu", *, normalize: bool = True):
    """kappa_d(z_a . z_b) for all column pairs: an (n_a, n_b) NumPy array (float64)."""
    depth = _check_depth(depth)
    act = parse_activation(activation)
    if normalize:
        Z_a = normalize_columns(Z_a)
        Z_b = normalize_columns(Z_b)
    gram = np.asarray(Z_a, dtype=np.float64).T @ np.asarray(Z_b, dtype=np.float64)
    with enable_x64():
        out = _kappa_jit(jnp.asarray(gram, dtype=jnp.float64), depth, act)
        return np.asarray(out)


def column_kernel(Z, depth: int = 1, activation: str | Activation = "relu"):
    """The n x n column kernel kappa_d(Z^T Z) of Theorem 1 (Z's columns normalised)."""
    Zn = normalize_columns(Z)
    return cross_kernel(Zn, Zn, depth, activation, normalize=False)


_kappa_jit = jax.jit(_kappa, static_argnums=(1, 2))


def _check_depth(depth) -> int:
    if int(depth) != depth or depth < 1:
        raise NtkjaxInputError(f"depth must be an integer >= 1, got {depth!r}")
    return int(depth)


def ntk(Z, entries_a, entries_b=None, depth: int = 1, activation: str | Activation = "relu") -> np.ndarray:
    """Theorem 1 entry by entry: K(M_ij, M_i'j') = kappa_d(z_j . z_j') if i == i' else 0.

    ``entries_a`` / ``entries_b`` are sequences of (row, column) pairs; returns an
    (len(a), len(b)) array. Useful to see the block structure (Appendix B example).
    """
    a = np.asarray(entries_a, dtype=int).reshape(-1, 2)
    b = a if entries_b is None else np.asarray(entries_b, dtype=int).reshape(-1, 2)
    Kcol = column_kernel(Z, depth, activation)
    same_row = a[:, 0][:, None] == b[:, 0][None, :]
    return np.where(same_row, Kcol[np.ix_(a[:, 1], b[:, 1])], 0.0)
