"""The CNTK expansion theorem (Appendix M): from a 2^(s+1) x 2^(s+1) kernel to any size.

For a network with circular padding, ``s`` stride-2 downsamplings and ``s`` nearest-neighbour
upsamplings, and an i.i.d. feature prior (Eq. 12), the CNTK of an H x W image is determined by
the CNTK of the smallest image with a bottleneck of at least 2 x 2 pixels, the *base* of side
``B = 2^(s+1)``.  The theorem (Appendix M) builds row ``x`` of the big kernel from base row
``x mod P`` (``P = 2^s``): rotate the base row so that its pixel sits in the middle of the
2P x 2P window, minimum-pad it to H x W, rotate back.

In offset coordinates (``d = x' - x``, the compact layout of CONTRIBUTING.md) this reads::

    K_HW(x, x + d) = K_B(phi, phi + d)        if both signed components of d lie in [-P, P)
                   = min_z K_B(phi, z)          otherwise            (phi = x mod P)

Why it is exact: before the bottleneck every kernel with an i.i.d. prior only depends on
whether two pixels coincide (stride-2 downsampling keeps that property); nearest upsampling
turns "same pixel" into "same 2^s block"; convolutions shift both arguments together, so they
never widen the set of offsets on which the kernel varies.  Hence the kernel is a constant (its
minimum) for every offset with a component outside ``(-P, P)``, and inside that window it only
depends on the phase.  Bilinear upsampling mixes neighbouring blocks with position-dependent
align-corners weights, so neither property holds (see :func:`bilinear_expansion_error`).

This module never loops over pixels: every function is a gather vmapped over the P x P phases.
Arrays may be NumPy or JAX; results are JAX arrays in the input's dtype.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ntkjax._x64 import enable_x64
from ntkjax.errors import NtkjaxInputError
from ntkjax.memory import check_fits, format_bytes

__all__ = [
    "base_side",
    "compact_from_full",
    "check_size",
    "base_compact",
    "expand",
    "local_window",
    "LocalWindow",
    "to_full",
]


def _is64(a) -> bool:
    """float64 inputs are computed (and returned) in float64 even when JAX's x64 mode is off."""
    return np.dtype(getattr(a, "dtype", np.asarray(a).dtype)) == np.float64


def base_side(downsamplings: int) -> int:
    """Side ``2^(s+1)`` of the base image the theorem expands from."""
    return 2 ** (int(downsamplings) + 1)


def _check_s(downsamplings) -> int:
    try:
        s = int(downsamplings)
    except (TypeError, ValueError):
        raise NtkjaxInputError(f"downsamplings must be a non-negative integer, got {downsamplings!r}") from None
    if s != downsamplings or s < 0 or s > 12:
        raise NtkjaxInputError(f"downsamplings must be an integer in [0, 12], got {downsamplings!r}")
    return s


def check_size(size, downsamplings: int) -> tuple[int, int]:
    """Validate a target size (H, W): multiples of ``2^s`` and at least ``2^(s+1)`` per side.

    A side of exactly ``2^s`` leaves a 1-pixel bottleneck, where no two pixels differ, so the
    kernel is not the expanded one (the theorem starts from ``2^(s+1)`` for the same reason).
    """
    s = _check_s(downsamplings)
    try:
        H, W = (int(v) for v in size)
    except (TypeError, ValueError):
        raise NtkjaxInputError(f"size must be two integers H W, got {size!r}") from None
    P = 2**s
    for name, v in (("H", H), ("W", W)):
        if v <= 0 or v % P:
            raise NtkjaxInputError(
                f"{name} = {v} is not a positive multiple of 2^s = {P} (s = {s} downsamplings); "
                f"crop or pad the image to a multiple of {P}"
            )
        if v < 2 * P:
            raise NtkjaxInputError(
                f"{name} = {v} is smaller than 2^(s+1) = {2 * P}: the bottleneck would be a single pixel "
                f"and the expansion is not exact there; compute that kernel directly instead"
            )
    return H, W


def compact_from_full(full, P: int) -> jax.Array:
    """Compact layout ``(P, P, H, W)`` of a full ``(H, W, H, W)`` kernel (CONTRIBUTING.md).

    ``C[a, b, e, f] = full[a, b, (a + e) % H, (b + f) % W]`` for the phases ``a, b < P``; this
    reads only the first P x P rows, it does not check that the other rows agree.
    """
    with enable_x64(_is64(full)):
        return _compact_from_full(jnp.asarray(full), int(P))


@partial(jax.jit, static_argnums=1)
def _compact_from_full(full, P):
    H, W = full.shape[:2]
    e = jnp.arange(H)
    f = jnp.arange(W)

    def row(a, b):
        return full[a, b][((a + e) % H)[:, None], ((b + f) % W)[None, :]]

    a, b = jnp.meshgrid(jnp.arange(P), jnp.arange(P), indexing="ij")
    return jax.vmap(jax.vmap(row))(a, b)


def base_compact(base, downsamplings: int) -> jax.Array:
    """Validate a base kernel and return it in compact layout ``(P, P, B, B)``.

    ``base`` is either the full base CNTK ``(B, B, B, B)`` or its compact form ``(P, P, B, B)``,
    with ``B = 2^(s+1)``, ``P = 2^s``.
    """
    s = _check_s(downsamplings)
    P, B = 2**s, 2 ** (s + 1)
    shape = tuple(np.shape(base))
    if shape not in ((B, B, B, B), (P, P, B, B)):
        raise NtkjaxInputError(
            f"base kernel has shape {shape}, but s = {s} downsamplings needs the kernel of a "
            f"{B}x{B} image: full ({B}, {B}, {B}, {B}) or compact ({P}, {P}, {B}, {B}); "
            f"recompute the base at 2^(s+1) = {B} or fix --downsamplings"
        )
    if not np.issubdtype(np.dtype(base.dtype if hasattr(base, "dtype") else np.asarray(base).dtype), np.floating):
        raise NtkjaxInputError(f"base kernel must be floating point, got dtype {np.asarray(base).dtype}")
    with enable_x64(_is64(base)):
        arr = jnp.asarray(base)
        if not bool(jnp.all(jnp.isfinite(arr))):
            raise NtkjaxInputError("base kernel contains NaN or infinite values")
        if shape == (B, B, B, B):
            arr = _compact_from_full(arr, P)
        return arr


class LocalWindow(NamedTuple):
    """The expanded kernel as a local window plus a per-phase floor (Appendix M).

    ``window[a, b, k, l] = K(x, x + (k - P, l - P))`` for ``x mod P = (a, b)`` and offsets in
    ``[-P, P)^2``; every other entry of row ``x`` equals ``floor[a, b]``. Size ``P^2 (2P)^2``,
    independent of the image size: 268 MB in float32 for s = 6.
    """

    window: jax.Array  # (P, P, 2P, 2P)
    floor: jax.Array  # (P, P)


def local_window(base, downsamplings: int) -> LocalWindow:
    """Window/floor form of the expanded kernel, from the base kernel (any size >= 2^(s+1))."""
    with enable_x64(_is64(base)):
        return _local_window(base_compact(base, downsamplings))


@jax.jit
def _local_window(C) -> LocalWindow:
    P, B = C.shape[0], C.shape[2]
    k = (jnp.arange(2 * P) - P) % B  # offset index -> base offset (mod B)
    window = C[:, :, k[:, None], k[None, :]]
    floor = jnp.min(C, axis=(2, 3))
    return LocalWindow(window, floor)


def _signed_index(n: int, P: int) -> jax.Array:
    """For offsets 0..n-1 (mod n): index k in [0, 2P) of the window, or -1 outside it."""
    d = jnp.arange(n)
    signed = jnp.where(d < n - P, d, d - n)  # representative of d mod n in [-P, n - P)
    return jnp.where(signed < P, signed + P, -1)


def expand(base, downsamplings: int, size) -> jax.Array:
    """Expand a base CNTK to the compact kernel ``(P, P, H, W)`` of an H x W image (Appendix M).

    ``base``: full ``(B, B, B, B)`` or compact ``(P, P, B, B)`` CNTK at ``B = 2^(s+1)``.
    ``size``: ``(H, W)``, multiples of ``P = 2^s`` and at least ``B`` (rectangular allowed).
    Memory: the output, ``P^2 H W`` entries (4 GiB in float32 for s = 6 at 512 x 512); use
    :func:`local_window` with :class:`ntkjax.operator.KernelOperator` to avoid it.
    """
    s = _check_s(downsamplings)
    H, W = check_size(size, s)
    P = 2**s
    itemsize = np.dtype(np.asarray(base).dtype if not hasattr(base, "dtype") else base.dtype).itemsize
    check_fits(
        float(P * P * H * W * itemsize),
        what=f"the compact ({P}, {P}, {H}, {W}) kernel",
        hint="use the local window form (ntkjax.expansion.local_window) with ntkjax.operator instead",
    )
    with enable_x64(_is64(base)):
        return _expand_window(local_window(base, s), H, W)


@partial(jax.jit, static_argnums=(1, 2))
def _expand_window(win: LocalWindow, H: int, W: int) -> jax.Array:
    P = win.window.shape[0]
    ki = _signed_index(H, P)
    kj = _signed_index(W, P)

    def row(w, fl):
        vals = w[jnp.maximum(ki, 0)[:, None], jnp.maximum(kj, 0)[None, :]]
        inside = (ki >= 0)[:, None] & (kj >= 0)[None, :]
        return jnp.where(inside, vals, fl)

    return jax.vmap(jax.vmap(row))(win.window, win.floor)


def to_full(compact, H: int, W: int) -> jax.Array:
    """Full ``(H, W, H, W)`` kernel from the compact ``(P, P, H, W)`` one (CONTRIBUTING.md layout).

    ``K[i, j, k, l] = C[i % P, j % P, (k - i) % H, (l - j) % W]``. Memory ``(HW)^2`` entries; checked
    with :func:`ntkjax.memory.check_fits` before allocating.
    """
    with enable_x64(_is64(compact)):
        return _to_full_checked(jnp.asarray(compact), H, W)


def _to_full_checked(C, H: int, W: int) -> jax.Array:
    if C.ndim != 4 or C.shape[0] != C.shape[1] or C.shape[2:] != (H, W):
        raise NtkjaxInputError(f"compact kernel of shape {C.shape} does not match (P, P, {H}, {W})")
    P = C.shape[0]
    if H % P or W % P:
        raise NtkjaxInputError(f"H = {H} and W = {W} must be multiples of P = {P}")
    nbytes = float(H * W) ** 2 * C.dtype.itemsize
    check_fits(
        nbytes,
        what=f"the full ({H}, {W}, {H}, {W}) kernel ({format_bytes(nbytes)})",
        hint="keep the compact form and use ntkjax.operator.KernelOperator for products and blocks",
    )
    return _to_full(C, H, W)


@partial(jax.jit, static_argnums=(1, 2))
def _to_full(C, H, W):
    P = C.shape[0]
    k = jnp.arange(H)
    l = jnp.arange(W)

    def row(i, j):
        return C[i % P, j % P][((k - i) % H)[:, None], ((l - j) % W)[None, :]]

    ii, jj = jnp.meshgrid(jnp.arange(H), jnp.arange(W), indexing="ij")
    return jax.vmap(jax.vmap(row))(ii, jj)


def periodicity_error(full, P: int) -> float:
    """Max relative deviation from ``K[x + P e, x' + P e] = K[x, x']`` (e = unit shifts) of a full kernel.

    The compact layout and the expansion theorem need this phase periodicity; nearest-upsampling
    nets satisfy it to rounding, bilinear (align-corners) upsampling breaks it, so a nonzero value
    flags a kernel that must not be expanded exactly.
    """
    with enable_x64(_is64(full)):
        return _periodicity_error(jnp.asarray(full), P)


def _periodicity_error(K, P: int) -> float:
    H, W = K.shape[:2]
    scale = float(jnp.max(jnp.abs(K))) or 1.0
    err = 0.0
    if H > P:
        err = max(err, float(jnp.max(jnp.abs(jnp.roll(K, (P, P), axis=(0, 2)) - K))))
    if W > P:
        err = max(err, float(jnp.max(jnp.abs(jnp.roll(K, (P, P), axis=(1, 3)) - K))))
    return err / scale
