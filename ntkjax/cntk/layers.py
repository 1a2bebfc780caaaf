"""Layer primitives: each carries its finite rule (``apply``) and its kernel rules.

A layer is a small frozen dataclass. Finite arrays are NHWC (batch, height, width,
channels). Kernel rules map a :class:`~ntkjax.cntk.state.FullState` (absolute
(H, W, H, W) layout) or a :class:`~ntkjax.cntk.state.CompactState` (phase/offset
(P, P, H, W) layout) to a new state; states are immutable, a rule returns a new value.

Finite network conventions (NTK parameterisation, so the empirical NTK of the finite
network tends to these kernels as the width grows):

* ``Conv``: weights N(0, 1) of shape (q, q, C_in, C_out), circular padding, no bias,
  output ``conv(x, w) / sqrt(C_in q^2)``. Stride 2 = stride-1 conv, then keep even pixels.
* ``Activation``: ``c * phi(x)`` with c = sqrt(2 / (1 + slope^2)) (Eq. 6).
* ``Downsample``: keep even pixels ``x[:, ::2, ::2]`` (Corollary "Downsampling" of App. L).
* ``Upsample('nearest')``: ``out[i] = in[i // 2]`` (Corollary "Nearest Neighbor Upsampling").
* ``Upsample('bilinear')``: align-corners bilinear (App. L): output i of 2d samples input
  coordinate ``i * (d - 1) / (2d - 1)``.

Kernel rules (Arora et al. 2019 CNTK recursion in the paper's notation, App. J-L):

* conv: ``Sigma' = A(Sigma)``, ``K' = A(K + Sigma)`` with the shared-shift window sum
  ``A(T)(x, x') = q^-2 sum_delta T(x + delta, x' + delta)`` (circular).
* activation: ``Sigma' = n dual(Sigma / n)``, ``K' = K dual'(Sigma / n)``,
  ``n = sqrt(Sigma(x, x) Sigma(x', x'))``.
* resampling by a fixed linear map R: ``T' = R T R^T`` for both Sigma and K (App. L).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from ntkjax.cntk.state import CompactState, FullState
from ntkjax.dual import Activation as _Act
from ntkjax.dual import parse_activation
from ntkjax.errors import NtkjaxInputError

__all__ = ["Layer", "Conv", "Activation", "Downsample", "Upsample", "window_sum_full", "window_sum_compact"]


class Layer:
    """Base class: parameter-free, shape-preserving by default."""

    has_params: ClassVar[bool] = False
    resamples: ClassVar[int] = 0  # +1 upsampling, -1 downsampling, 0 none

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        return h, w

    def init(self, key, in_channels: int, out_channels: int):  # pragma: no cover - trivial
        return None

    def apply(self, params, x):
        raise NotImplementedError

    def kernel_transform(self, state: FullState) -> FullState:
        raise NotImplementedError

    def compact_transform(self, state: CompactState) -> CompactState:
        raise NotImplementedError(f"{self!r} has no compact (shift-periodic) kernel rule")

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# Shared-shift window sums  A(T)(x, x') = q^-2 sum_delta T(x + delta, x' + delta)
# ---------------------------------------------------------------------------------------


def _offsets(size: int) -> range:
    r = size // 2
    return range(-r, r + 1)


def window_sum_full(T: jax.Array, size: int, stride: int = 1) -> jax.Array:
    """A(T) on the full (H, W, H, W) layout, evaluated at pixels ``::stride``.

    Separable: the shift along rows moves axes (0, 2) together, the shift along columns
    axes (1, 3). With stride 2 only even pixel pairs are produced (the conv is followed by
    a downsample), so the work drops 16-fold.
    """
    acc = None
    for d in _offsets(size):  # columns: axes 1 and 3 shifted together
        term = jnp.roll(T, (-d, -d), axis=(1, 3))
        if stride > 1:
            term = term[:, ::stride, :, ::stride]
        acc = term if acc is None else acc + term
    T = acc
    acc = None
    for d in _offsets(size):  # rows: axes 0 and 2
        term = jnp.roll(T, (-d, -d), axis=(0, 2))
        if stride > 1:
            term = term[::stride, :, ::stride, :]
        acc = term if acc is None else acc + term
    return acc / (size * size)


def window_sum_compact(F: jax.Array, size: int) -> jax.Array:
    """A(T) on the compact (P, P, H, W) layout: a circular box filter over the phase axes.

    With x' = x + d fixed offset, T(x + delta, x' + delta) = F[(x + delta) % P, d]; so the
    window only averages phases. For P = 1 (shift-invariant state) it is the identity.
    """
    P = F.shape[0]
    if P == 1:
        return F
    out = F
    for axis in (0, 1):
        out = sum(jnp.roll(out, -d, axis=axis) for d in _offsets(size))
    return out / (size * size)


# ---------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Conv(Layer):
    """Circular-padded q x q convolution (odd q), stride 1 or 2, NTK parameterisation, no bias."""

    size: int = 3
    stride: int = 1
    has_params: ClassVar[bool] = True

    def __post_init__(self):
        if not isinstance(self.size, int) or self.size < 1 or self.size % 2 == 0:
            raise NtkjaxInputError(
                f"conv size must be a positive odd integer (circular 'same' padding), got {self.size!r}"
            )
        if self.stride not in (1, 2):
            raise NtkjaxInputError(f"conv stride must be 1 or 2, got {self.stride!r}")

    @property
    def resamples(self) -> int:  # type: ignore[override]
        return -1 if self.stride == 2 else 0

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        return Downsample().out_size(h, w) if self.stride == 2 else (h, w)

    def init(self, key, in_channels: int, out_channels: int):
        return jax.random.normal(key, (self.size, self.size, in_channels, out_channels))

    def apply(self, params, x):
        q = self.size
        r = q // 2
        xp = jnp.pad(x, ((0, 0), (r, r), (r, r), (0, 0)), mode="wrap")
        y = jax.lax.conv_general_dilated(
            xp, params.astype(x.dtype), (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        y = y / math.sqrt(params.shape[2] * q * q)
        return y[:, :: self.stride, :: self.stride, :]

    def linear_full(self, t: jax.Array) -> jax.Array:
        """The conv's window map A (then the stride) on one (H, W, H, W) array."""
        return window_sum_full(t, self.size, self.stride)

    def linear_compact(self, t: jax.Array) -> jax.Array:
        """The conv's window map A (then the stride) on one (P, P, H, W) array."""
        t = window_sum_compact(t, self.size)
        return Downsample().linear_compact(t) if self.stride == 2 else t

    def kernel_transform(self, state: FullState) -> FullState:
        return FullState(self.linear_full(state.sigma), self.linear_full(state.k + state.sigma))

    def compact_transform(self, state: CompactState) -> CompactState:
        return CompactState(self.linear_compact(state.sigma), self.linear_compact(state.k + state.sigma))

    def to_json(self) -> dict[str, Any]:
        return {"layer": "conv", "size": self.size, "stride": self.stride}


@dataclasses.dataclass(frozen=True)
class Activation(Layer):
    """A normalised degree-1 homogeneous activation c * phi (ReLU, LeakyReLU, linear)."""

    activation: _Act = _Act(0.0)

    def apply(self, params, x):
        return self.activation.c * self.activation.phi(x)

    def _transform(self, sigma, k, diag_x, diag_xp):
        norm = jnp.sqrt(diag_x * diag_xp)
        safe = jnp.where(norm > 0, norm, 1.0)
        rho = jnp.where(norm > 0, sigma / safe, 0.0)
        return norm * self.activation.dual(rho), k * self.activation.dual_derivative(rho)

    def kernel_transform(self, state: FullState) -> FullState:
        H, W = state.shape
        diag = jnp.diagonal(state.sigma.reshape(H * W, H * W)).reshape(H, W)
        return FullState(*self._transform(state.sigma, state.k, diag[:, :, None, None], diag[None, None, :, :]))

    def compact_transform(self, state: CompactState) -> CompactState:
        P = state.phases
        H, W = state.shape
        diag = state.sigma[:, :, 0, 0]  # Sigma(x, x) by phase of x
        ri = jnp.arange(P)[:, None, None, None]
        rj = jnp.arange(P)[None, :, None, None]
        di = jnp.arange(H)[None, None, :, None]
        dj = jnp.arange(W)[None, None, None, :]
        diag_xp = diag[(ri + di) % P, (rj + dj) % P]  # Sigma(x', x') with x' = x + d
        return CompactState(*self._transform(state.sigma, state.k, diag[:, :, None, None], diag_xp))

    def to_json(self) -> dict[str, Any]:
        a = self.activation
        if a.slope == 0.0:
            return {"layer": "relu"}
        if a.slope == 1.0:
            return {"layer": "linear"}
        return {"layer": "leaky_relu", "slope": a.slope}


def ReLU() -> Activation:
    return Activation(_Act(0.0))


def LeakyReLU(slope: float = 0.01) -> Activation:
    return Activation(parse_activation(f"leaky_relu:{slope}"))


@dataclasses.dataclass(frozen=True)
class Downsample(Layer):
    """Keep even pixels: T'(y, y') = T(2y, 2y') (Appendix L, Downsampling corollary)."""

    resamples: ClassVar[int] = -1

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        if h < 2 or w < 2:
            raise NtkjaxInputError(f"cannot downsample a {h}x{w} feature map below 1x1 (too many downsamplings)")
        if h % 2 or w % 2:
            raise NtkjaxInputError(
                f"cannot downsample a {h}x{w} feature map: both sides must be even "
                "(the image size must be divisible by 2**(number of downsamplings))"
            )
        return h // 2, w // 2

    def apply(self, params, x):
        return x[:, ::2, ::2, :]

    def linear_full(self, t: jax.Array) -> jax.Array:
        return t[::2, ::2, ::2, ::2]

    def linear_compact(self, t: jax.Array) -> jax.Array:
        # phase 2y mod P only needs y mod P/2, and offsets double: both keep every other entry
        return t[::2, ::2, ::2, ::2]

    def kernel_transform(self, state: FullState) -> FullState:
        return FullState(*(self.linear_full(t) for t in state))

    def compact_transform(self, state: CompactState) -> CompactState:
        return CompactState(*(self.linear_compact(t) for t in state))

    def to_json(self) -> dict[str, Any]:
        return {"layer": "downsample"}


@functools.lru_cache(maxsize=None)
def bilinear_taps(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Align-corners x2 bilinear taps from size d (Appendix L, alpha = (d-1)/(2d-1)).

    Output pixel i reads input pixels ``lo[i]`` and ``lo[i] + 1`` with weights
    ``w0[i]`` and ``w1[i]``; the source coordinate is ``i * (d - 1) / (2d - 1)``, so the
    first and last pixels are copied exactly (align corners).
    """
    if d < 2:
        raise NtkjaxInputError(
            f"bilinear upsampling from size {d} is undefined (align-corners needs at least 2 pixels)"
        )
    src = np.arange(2 * d) * (d - 1) / (2 * d - 1)
    lo = np.minimum(np.floor(src).astype(int), d - 2)
    w1 = src - lo
    return lo, 1.0 - w1, w1


def bilinear_matrix(d: int) -> np.ndarray:
    """The dense (2d, d) matrix of :func:`bilinear_taps` (for tests and small sizes)."""
    lo, w0, w1 = bilinear_taps(d)
    B = np.zeros((2 * d, d))
    B[np.arange(2 * d), lo] += w0
    B[np.arange(2 * d), lo + 1] += w1
    return B


def _bilinear_axis(T: jax.Array, axis: int) -> jax.Array:
    """Apply the 2-tap bilinear map along one axis (gather + weighted sum, no dense matmul)."""
    lo, w0, w1 = bilinear_taps(T.shape[axis])
    shape = [1] * T.ndim
    shape[axis] = lo.size
    w0 = jnp.asarray(w0, T.dtype).reshape(shape)
    w1 = jnp.asarray(w1, T.dtype).reshape(shape)
    lo = jnp.asarray(lo, dtype=jnp.int32)  # fixed dtype: x64 mode must not change the index type
    return w0 * jnp.take(T, lo, axis=axis) + w1 * jnp.take(T, lo + 1, axis=axis)


def _nearest_indices(P: int, N: int) -> tuple[np.ndarray, np.ndarray]:
    """Index maps of nearest upsampling in the compact layout along one axis.

    New phase r in [0, 2P) and offset d in [0, 2N) read old phase r // 2 and old offset
    ((r + d) // 2 - r // 2) mod N.
    """
    r = np.arange(2 * P)[:, None]
    d = np.arange(2 * N)[None, :]
    phase = np.broadcast_to(r // 2, (2 * P, 2 * N))
    offset = ((r + d) // 2 - r // 2) % N
    return phase.astype(np.int32), offset.astype(np.int32)


@dataclasses.dataclass(frozen=True)
class Upsample(Layer):
    """x2 upsampling, ``mode`` = 'nearest' or 'bilinear' (align corners, Appendix L)."""

    mode: str = "nearest"
    resamples: ClassVar[int] = 1

    def __post_init__(self):
        if self.mode not in ("nearest", "bilinear"):
            raise NtkjaxInputError(f"upsample mode must be 'nearest' or 'bilinear', got {self.mode!r}")

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        if self.mode == "bilinear" and (h < 2 or w < 2):
            raise NtkjaxInputError(
                f"bilinear upsampling from {h}x{w} is undefined (needs >= 2 pixels per side); "
                "use fewer downsamplings, a larger image, or nearest upsampling"
            )
        return 2 * h, 2 * w

    def apply(self, params, x):
        if self.mode == "nearest":
            return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
        return _bilinear_axis(_bilinear_axis(x, 1), 2)

    def linear_full(self, t: jax.Array) -> jax.Array:
        for axis in range(4):
            t = jnp.repeat(t, 2, axis=axis) if self.mode == "nearest" else _bilinear_axis(t, axis)
        return t

    def linear_compact(self, t: jax.Array) -> jax.Array:
        if self.mode != "nearest":
            raise NotImplementedError("bilinear upsampling is not shift-periodic; use the full layout")
        P = t.shape[0]
        H, W = t.shape[2:]
        pi, oi = _nearest_indices(P, H)
        pj, oj = _nearest_indices(P, W)
        return t[pi[:, None, :, None], pj[None, :, None, :], oi[:, None, :, None], oj[None, :, None, :]]

    def kernel_transform(self, state: FullState) -> FullState:
        return FullState(*(self.linear_full(t) for t in state))

    def compact_transform(self, state: CompactState) -> CompactState:
        return CompactState(*(self.linear_compact(t) for t in state))

    def to_json(self) -> dict[str, Any]:
        return {"layer": "upsample", "mode": self.mode}
