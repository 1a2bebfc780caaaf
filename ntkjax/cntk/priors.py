"""Feature priors Z for images (Section 4-5, Appendix M).

The CNTK only sees Z through its input covariance ``Sigma0(x, x') = sum_c Z_c(x) Z_c(x') / C``
(C channels; the 1/C is the NTK parameterisation of the first convolution):

* :func:`iid` -- infinitely many iid channels: Sigma0 = C1 on the diagonal, C2 off it
  (Eq. 12). Defaults C1 = 1/3, C2 = 1/4 are E[z^2] and E[z]^2 for z ~ U[0, 1], the Deep
  Image Prior input. Shift invariant, so the kernel has the compact phase/offset form.
* :func:`finite` -- any c x H x W array (e.g. a sampled U[0,1] tensor, the identity image).
* :func:`identity` -- the one-channel H x W identity matrix image (Fig. 4's identity prior).
* :func:`meshgrid` -- Deep Image Prior's two-channel coordinate grid, X = j/(W-1), Y = i/(H-1).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from ntkjax.cntk.state import CompactState, FullState
from ntkjax.errors import NtkjaxInputError

__all__ = ["IID", "Finite", "iid", "finite", "identity", "meshgrid", "parse_prior"]


@dataclasses.dataclass(frozen=True)
class IID:
    """Infinitely many iid channels with E[z(x)^2] = c1 and E[z(x) z(x')] = c2 (x != x')."""

    c1: float = 1.0 / 3.0
    c2: float = 0.25
    shift_invariant = True

    def __post_init__(self):
        if not (math.isfinite(self.c1) and math.isfinite(self.c2)) or self.c1 <= 0 or abs(self.c2) > self.c1:
            raise NtkjaxInputError(f"iid prior needs c1 > 0 and |c2| <= c1, got c1={self.c1}, c2={self.c2}")

    def compact_state(self, size: tuple[int, int], dtype) -> CompactState:
        H, W = size
        sigma = jnp.full((1, 1, H, W), self.c2, dtype=dtype).at[0, 0, 0, 0].set(self.c1)
        return CompactState(sigma, jnp.zeros_like(sigma))

    def full_state(self, size: tuple[int, int], dtype) -> FullState:
        H, W = size
        sigma = jnp.full((H * W, H * W), self.c2, dtype=dtype)
        sigma = (sigma + (self.c1 - self.c2) * jnp.eye(H * W, dtype=dtype)).reshape(H, W, H, W)
        return FullState(sigma, jnp.zeros_like(sigma))

    def check_size(self, size: tuple[int, int]) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"prior": "iid", "c1": self.c1, "c2": self.c2}


@dataclasses.dataclass(frozen=True, eq=False)
class Finite:
    """A finite prior Z of shape (C, H, W); Sigma0 = sum_c Z_c Z_c^T / C."""

    Z: np.ndarray
    name: str = "array"
    shift_invariant = False

    def __post_init__(self):
        Z = np.asarray(self.Z)
        if Z.ndim == 2:
            Z = Z[None]
        if Z.ndim != 3 or Z.size == 0:
            raise NtkjaxInputError(f"a finite prior must have shape (channels, H, W), got {np.shape(self.Z)}")
        if not np.issubdtype(Z.dtype, np.number) or not np.all(np.isfinite(Z)):
            raise NtkjaxInputError("the prior Z contains NaN, infinite or non-numeric values")
        object.__setattr__(self, "Z", Z.astype(np.float64))

    def check_size(self, size: tuple[int, int]) -> None:
        if tuple(self.Z.shape[1:]) != tuple(size):
            raise NtkjaxInputError(
                f"prior has spatial shape {self.Z.shape[1]}x{self.Z.shape[2]} but the kernel was asked for "
                f"{size[0]}x{size[1]}; give a prior of shape (channels, {size[0]}, {size[1]})"
            )

    def features(self, dtype) -> jnp.ndarray:
        """Z scaled by 1/sqrt(C), as (H, W, C)."""
        C = self.Z.shape[0]
        return jnp.asarray(np.moveaxis(self.Z, 0, -1) / math.sqrt(C), dtype=dtype)

    def full_state(self, size: tuple[int, int], dtype) -> FullState:
        self.check_size(size)
        Zs = self.features(dtype)
        sigma = jnp.einsum("hwc,klc->hwkl", Zs, Zs)
        return FullState(sigma, jnp.zeros_like(sigma))

    def describe(self) -> dict[str, Any]:
        return {"prior": self.name, "channels": int(self.Z.shape[0]), "shape": list(self.Z.shape)}


def first_conv_state(features: jnp.ndarray, size: int, stride: int) -> FullState:
    """The state after a first q x q conv, straight from the features (H, W, C) = Z / sqrt(C).

    A(Sigma0)(x, x') = sum_{delta, c} Z_c(x + delta) Z_c(x' + delta) / (C q^2): a Gram matrix
    of q x q patches, evaluated only at the kept (strided) pixels, so the (H, W, H, W) Sigma0
    is never formed. After the first conv K = Sigma.
    """
    r = size // 2
    shifted = [jnp.roll(features, (-a, -b), axis=(0, 1)) for a in range(-r, r + 1) for b in range(-r, r + 1)]
    patches = jnp.concatenate(shifted, axis=-1)[::stride, ::stride] / size
    sigma = jnp.einsum("hwc,klc->hwkl", patches, patches)
    return FullState(sigma, sigma)


def iid(c1: float = 1.0 / 3.0, c2: float = 0.25) -> IID:
    return IID(float(c1), float(c2))


def finite(Z, name: str = "array") -> Finite:
    return Finite(np.asarray(Z), name)


def identity(H: int, W: int | None = None) -> Finite:
    """One channel: the H x W identity matrix as an image (Fig. 4's identity feature prior)."""
    W = H if W is None else W
    return Finite(np.eye(H, W)[None], "identity")


def meshgrid(H: int, W: int | None = None) -> Finite:
    """Deep Image Prior's meshgrid input: channels X = j / (W - 1), Y = i / (H - 1)."""
    W = H if W is None else W
    X, Y = np.meshgrid(np.arange(W) / max(W - 1, 1), np.arange(H) / max(H - 1, 1))
    return Finite(np.stack([X, Y]), "meshgrid")


def parse_prior(spec: str, size: tuple[int, int]):
    """CLI spelling: ``iid``, ``iid:C1,C2``, ``identity``, ``meshgrid`` or a path to a (C, H, W) ``.npy``."""
    s = str(spec).strip()
    if s == "iid":
        return iid()
    if s.startswith("iid:"):
        try:
            c1, c2 = (float(v) for v in s[4:].split(","))
        except ValueError:
            raise NtkjaxInputError(f"iid prior must be written iid:C1,C2 (e.g. iid:0.3333,0.25), got {s!r}") from None
        return iid(c1, c2)
    if s == "identity":
        return identity(*size)
    if s == "meshgrid":
        return meshgrid(*size)
    if s.endswith(".npy"):
        from ntkjax.io import load_npy

        prior = finite(load_npy(s), name=s)
        prior.check_size(size)
        return prior
    raise NtkjaxInputError(f"unknown prior {spec!r}; use iid, iid:C1,C2, identity, meshgrid or PATH.npy")
