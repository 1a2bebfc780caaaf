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
    """Same as :func:`compact_to_full`, in NumPy by strided copies (no index arrays).

    For a row pixel (i, j) the (H, W) slice is F[i % P, j % P] rolled by (i, j). With F
    doubled along the column-offset axis each column roll is a contiguous window, and for
    the P columns j = t P + j' (j' < P) of one block the window start moves by -1 per
    column: a single strided view; the row roll is two slab copies. So the work is
    2 H W / P block copies -- one pass of writes -- and the extra memory is 2x the compact
    array.
    """
    F = np.asarray(F)
    P, _, H, W = F.shape
    if out is None:
        out = np.empty((H, W, H, W), dtype=F.dtype)
    D = np.concatenate([F, F], axis=3)  # (P, P, H, 2W): column rolls become windows
    s_phase, s_row, s_col = D.strides[1], D.strides[2], D.strides[3]
    for i in range(H):
        for t in range(W // P):
            # out[i, tP + j', k, l] = F[i % P, j', (k - i) % H, (l - tP - j') % W]
            #                       = D[i % P, j', (k - i) % H, W - tP - j' + l]
            start = D[i % P, :, :, W - t * P :]
            view = np.lib.stride_tricks.as_strided(
                start, shape=(P, H, W), strides=(s_phase - s_col, s_row, s_col), writeable=False
            )
            block = out[i, t * P : (t + 1) * P]
            block[:, i:] = view[:, : H - i]  # rows k >= i: offset k - i
            block[:, :i] = view[:, H - i :]  # rows k < i: offset k - i + H
    return out
