"""The kernel state carried through a network: NNGP ``sigma`` and NTK ``k`` of the current feature map.

The paper writes the CNTK recursion with the triple (Sigma, Sigma_dot, K) (Appendices J-L).
ntkjax carries the pair (Sigma, K) of the *current* feature map, exactly as
neural-tangents does: an activation layer maps (Sigma, K) to (dual(Sigma), Sigma_dot * K),
i.e. it applies Sigma_dot at once. For convolutions and nearest resampling this is
algebraically the paper's recursion. For bilinear upsampling it is the correct one:
the tangent kernel of the upsampled features is B (Sigma_dot * K) B^T, whereas
resampling Sigma_dot and K separately (Corollary 1 of Appendix L read literally) would
give (B Sigma_dot B^T) * (B K B^T), which is not the NTK of the finite network.

Two layouts:

* :class:`FullState` -- absolute pixel pairs, arrays of shape (H, W, H, W):
  ``sigma[i, j, k, l] = Sigma((i, j), (k, l))``. Works for any prior and layer.
* :class:`CompactState` -- phase/offset layout of shape (P, P, H, W):
  ``T((i, j), (k, l)) = F[i % P, j % P, (k - i) % H, (l - j) % W]``. Exact when the prior
  is shift invariant (iid channels) and the net uses circular convolutions, downsampling
  and nearest upsampling: the state is shift invariant before the first upsampling and
  2^u-periodic after u of them (the argument in the proof of Appendix M's theorem).
  P = 2^u; the size is P^2 H W instead of (H W)^2.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["FullState", "CompactState", "compact_to_full", "compact_to_full_numpy"]


class FullState(NamedTuple):
    """NNGP and NTK in the absolute (H, W, H, W) layout."""

    sigma: jax.Array
    k: jax.Array

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.sigma.shape[:2])


class CompactState(NamedTuple):
    """NNGP and NTK in the compact (P, P, H, W) phase/offset layout."""

    sigma: jax.Array
    k: jax.Array

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.sigma.shape[2:])

    @property
    def phases(self) -> int:
        return int(self.sigma.shape[0])


def compact_to_full(F: jax.Array) -> jax.Array:
    """Expand a compact (P, P, H, W) array to the full (H, W, H, W) layout (JAX gather)."""
    P, _, H, W = F.shape
    i = jnp.arange(H)[:, None, None, None]
    j = jnp.arange(W)[None, :, None, None]
    k = jnp.arange(H)[None, None, :, None]
    l = jnp.arange(W)[None, None, None, :]
    return F[i % P, j % P, (k - i) % H, (l - j) % W]


def compact_to_full_numpy(F, out: np.ndarray | None = None) -> np.ndarray:
    """Same as :func:`compact_to_full`, in NumPy with slice copies (no index arrays).

    For each row pixel (i, j) the (H, W) slice is F[i % P, j % P] rolled by (i, j); the
    rolls are contiguous windows of a copy of F doubled along both offset axes, so the
    work is H*W memcpy-like slice writes into the output.
    """
    F = np.asarray(F)
    P, _, H, W = F.shape
    if out is None:
        out = np.empty((H, W, H, W), dtype=F.dtype)
    D = np.concatenate([F, F], axis=3)
    D = np.concatenate([D, D], axis=2)  # (P, P, 2H, 2W)
    for i in range(H):
        a, r0 = i % P, H - i
        for j in range(W):
            c0 = W - j
            out[i, j] = D[a, j % P, r0 : r0 + H, c0 : c0 + W]
    return out
