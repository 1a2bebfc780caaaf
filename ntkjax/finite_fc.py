"""The finite fully connected network of Eq. 3 (Flax, NTK parameterisation) and its empirical NTK.

    f_Z(W) = A (c/sqrt(k)) phi(W_d (c/sqrt(k)) phi( ... W_2 (c/sqrt(k)) phi(B Z))),

with B (k x p), W_l (k x k), A (m x k) all N(0, 1) and Z's columns unit-norm; ``depth`` is
the number of nonlinearities. Its output is the whole m x n matrix, and the empirical NTK
between indicator matrices M_ij, M_i'j' is <d f_ij / dW, d f_i'j' / dW>, which tends to
Theorem 1's kernel as the width k grows.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ntkjax.dual import Activation, parse_activation

__all__ = ["FCNetwork", "empirical_ntk"]

_normal = nn.initializers.normal(stddev=1.0)


class FCNetwork(nn.Module):
    """Eq. 3 with ``depth`` hidden nonlinearities of width ``width`` and ``rows`` outputs."""

    rows: int
    width: int
    depth: int = 1
    activation: Activation = Activation(0.0)

    @nn.compact
    def __call__(self, Z):  # Z: (p, n) -> (rows, n)
        act = self.activation
        scale = act.c / jnp.sqrt(self.width)
        h = self.param("B", _normal, (self.width, Z.shape[0])) @ Z
        for layer in range(2, self.depth + 1):
            h = self.param(f"W{layer}", _normal, (self.width, self.width)) @ (scale * act.phi(h))
        return self.param("A", _normal, (self.rows, self.width)) @ (scale * act.phi(h))


def empirical_ntk(model: FCNetwork, params, Z) -> jnp.ndarray:
    """Empirical NTK over all entries: (m, n, m, n) array <df_ij/dW, df_i'j'/dW>."""
    jac = jax.jacrev(lambda p: model.apply(p, Z))(params)
    m, n = model.rows, Z.shape[1]
    total = jnp.zeros((m * n, m * n))
    for leaf in jax.tree_util.tree_leaves(jac):
        J = leaf.reshape(m * n, -1)
        total = total + J @ J.T
    return total.reshape(m, n, m, n)


def make(rows: int, width: int, depth: int = 1, activation: str | Activation = "relu") -> FCNetwork:
    """Convenience constructor accepting an activation spec string."""
    return FCNetwork(rows=rows, width=width, depth=depth, activation=parse_activation(activation))
