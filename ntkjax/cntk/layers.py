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


def window_pair(T: jax.Array, axes: tuple[int, int], size: int, stride: int = 1) -> jax.Array:
    """One separable factor of A: sum_delta T shifted by delta along both ``axes`` (circular),
    divided by ``size``, kept at indices ``::stride`` of both axes.

    Implemented as slices of a wrap-padded copy, which XLA fuses into one pass.
    """
    r = size // 2
    n0, n1 = T.shape[axes[0]], T.shape[axes[1]]
    pad = [(0, 0)] * T.ndim
    pad[axes[0]] = pad[axes[1]] = (r, r)
    Tp = jnp.pad(T, pad, mode="wrap") if r else T
    acc = None
    for d in range(size):
        idx = [slice(None)] * T.ndim
        idx[axes[0]] = slice(d, d + n0, stride)
        idx[axes[1]] = slice(d, d + n1, stride)
        term = Tp[tuple(idx)]
        acc = term if acc is None else acc + term
    return acc / size


def window_sum_full(T: jax.Array, size: int, stride: int = 1) -> jax.Array:
    """A(T) on the full (H, W, H, W) layout, evaluated at pixels ``::stride``.

    Separable: the shift along rows moves axes (0, 2) together, the shift along columns
    axes (1, 3). With stride 2 only even pixel pairs are produced (the conv is followed by
    a downsample), so the work drops 16-fold.
    """
    return window_pair(window_pair(T, (1, 3), size, stride), (0, 2), size, stride)


def window_phase(F: jax.Array, axis: int, size: int) -> jax.Array:
    """One separable factor of A in the compact layout: a circular box filter over one phase axis."""
    P = F.shape[axis]
    if P == 1:
        return F
    return sum(jnp.roll(F, -d, axis=axis) for d in _offsets(size)) / size


def upsample_window_compact_pair(F: jax.Array, phase_axis: int, offset_axis: int, size: int) -> jax.Array:
    """Nearest x2 upsampling followed by the conv window, fused, along one compact axis pair.

    After upsampling, phase r = 2a + b and offset d = 2e + c read F[a, e + b c]; the window
    then averages phases r + delta = 2(a + (b + delta) // 2) + (b + delta) % 2. So each of
    the four (b, c) output classes is a sum of ``size`` rolled copies of the *small* input,
    and the upsampled array is never formed before the sum.
    """
    assert phase_axis < offset_axis
    outs_b = []
    for b in (0, 1):
        outs_c = []
        for c in (0, 1):
            acc = None
            for delta in _offsets(size):
                shift_a, bb = divmod(b + delta, 2)
                term = jnp.roll(F, (-shift_a, -bb * c), axis=(phase_axis, offset_axis))
                acc = term if acc is None else acc + term
            outs_c.append(acc / size)
        outs_b.append(jnp.stack(outs_c, axis=offset_axis + 1))
    out = jnp.stack(outs_b, axis=phase_axis + 1)
    shape = list(F.shape)
    shape[phase_axis] *= 2
    shape[offset_axis] *= 2
    return out.reshape(shape)


def window_sum_compact(F: jax.Array, size: int) -> jax.Array:
    """A(T) on the compact (P, P, H, W) layout: a circular box filter over the phase axes.

    With x' = x + d fixed offset, T(x + delta, x' + delta) = F[(x + delta) % P, d]; so the
    window only averages phases. For P = 1 (shift-invariant state) it is the identity.
    """
    return window_phase(window_phase(F, 0, size), 1, size)


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
        # Sigma(x', x') for x' = x + d depends on (r + d) mod P only; H and W are multiples of
        # P, so view each offset axis as (H/P, P) and broadcast a (P, P, P, P) table over it.
        r = jnp.arange(P)
        idx = (r[:, None] + r[None, :]) % P  # (phase, offset mod P) -> phase of x'
        table = diag[idx[:, None, :, None], idx[None, :, None, :]]  # (P, P, P, P)
        shape6 = (P, P, H // P, P, W // P, P)
        diag_xp = table[:, :, None, :, None, :]
        sigma, k = (t.reshape(shape6) for t in state)
        sigma, k = self._transform(sigma, k, diag[:, :, None, None, None, None], diag_xp)
        return CompactState(sigma.reshape(state.sigma.shape), k.reshape(state.k.shape))

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


def _bilinear_axis(t: jax.Array, axis: int) -> jax.Array:
    """Align-corners x2 bilinear along one axis, as shifted slices (fuses into one pass).

    With alpha = (d-1)/(2d-1), output 2m samples m - m/(2d-1), i.e. reads T[m-1] with
    weight m/(2d-1) and T[m] with the rest; output 2m+1 samples m + (d-1-m)/(2d-1), i.e.
    reads T[m+1] with weight (d-1-m)/(2d-1) and T[m] with the rest. Equal to
    ``bilinear_matrix(d) @ t`` along ``axis``, without a gather or a dense matmul.
    """
    d = t.shape[axis]
    if d < 2:
        bilinear_taps(d)  # raises the clear error
    m = np.arange(d)
    shape = [1] * t.ndim
    shape[axis] = d
    a = jnp.asarray(m / (2 * d - 1), t.dtype).reshape(shape)
    b = jnp.asarray((d - 1 - m) / (2 * d - 1), t.dtype).reshape(shape)
    first, last = (jax.lax.slice_in_dim(t, i, i + 1, axis=axis) for i in (0, d - 1))
    prev = jnp.concatenate([first, jax.lax.slice_in_dim(t, 0, d - 1, axis=axis)], axis=axis)
    nxt = jnp.concatenate([jax.lax.slice_in_dim(t, 1, d, axis=axis), last], axis=axis)
    even = a * prev + (1 - a) * t
    odd = (1 - b) * t + b * nxt
    out_shape = list(t.shape)
    out_shape[axis] = 2 * d
    return jnp.stack([even, odd], axis=axis + 1).reshape(out_shape)


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

    def linear_full_axis(self, t: jax.Array, axis: int) -> jax.Array:
        """The x2 resampling along one axis of a full-layout array."""
        return jnp.repeat(t, 2, axis=axis) if self.mode == "nearest" else _bilinear_axis(t, axis)

    def linear_full(self, t: jax.Array) -> jax.Array:
        for axis in range(4):
            t = self.linear_full_axis(t, axis)
        return t

    def linear_compact_pair(self, t: jax.Array, phase_axis: int, offset_axis: int) -> jax.Array:
        """Nearest x2 in the compact layout along one (phase, offset) axis pair.

        New phase 2a + b and offset 2e + c read old phase a and old offset e + b*c
        (floor((2a + b + 2e + c) / 2) - a = e + floor((b + c) / 2)): three copies of F and
        one of F rolled by one offset -- no gather.
        """
        if self.mode != "nearest":
            raise NotImplementedError("bilinear upsampling is not shift-periodic; use the full layout")
        assert phase_axis < offset_axis
        shifted = jnp.roll(t, -1, axis=offset_axis)
        even = jnp.stack([t, t], axis=offset_axis + 1)  # b = 0: c = 0, 1 read offset e
        odd = jnp.stack([t, shifted], axis=offset_axis + 1)  # b = 1: c = 1 reads offset e + 1
        out = jnp.stack([even, odd], axis=phase_axis + 1)
        shape = list(t.shape)
        shape[phase_axis] *= 2
        shape[offset_axis] *= 2
        return out.reshape(shape)

    def linear_compact(self, t: jax.Array) -> jax.Array:
        return self.linear_compact_pair(self.linear_compact_pair(t, 0, 2), 1, 3)

    def kernel_transform(self, state: FullState) -> FullState:
        return FullState(*(self.linear_full(t) for t in state))

    def compact_transform(self, state: CompactState) -> CompactState:
        return CompactState(*(self.linear_compact(t) for t in state))

    def to_json(self) -> dict[str, Any]:
        return {"layer": "upsample", "mode": self.mode}
