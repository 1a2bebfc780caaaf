"""The CNTK for matrix completion (Proposition 1): K(M_ij, M_i'j') as an (H, W, H, W) array.

``kernel(arch, prior, size)`` runs the layer rules of :mod:`ntkjax.cntk.layers` on the
state given by the prior and returns the NTK of the network's one-channel output.

How it is fast (all exact):

* Under a shift-invariant prior (iid channels) the state is kept in the compact
  phase/offset layout (P, P, H, W), P = 2^(upsamplings so far) (see
  :mod:`ntkjax.cntk.state`); convolutions then only average phases, activations are
  elementwise, down/upsampling are strided slices and gathers. Bilinear upsampling is not
  shift-periodic: the state switches to the full layout at the first bilinear layer.
* Downsamplings are fused into the preceding convolution (``Architecture.canonical``), so
  window sums are only evaluated at the kept pixels.
* The last convolution only needs K: its NNGP is never formed, and a trailing upsample is
  applied once to Sigma + K instead of to each.
* Each layer rule is jitted once per shape; a progress bar shows the layers.
* The full (H, W, H, W) output is written from the compact form by slice copies
  (:func:`~ntkjax.cntk.state.compact_to_full_numpy`), so the 1 GiB output of a 128 x 128
  kernel costs about one pass of memory writes.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import jax
import numpy as np
from tqdm.auto import tqdm

from ntkjax._x64 import enable_x64
from ntkjax.cntk.architecture import Architecture
from ntkjax.cntk.layers import Conv, Layer, Upsample, upsample_window_compact_pair, window_pair, window_phase
from ntkjax.cntk.priors import IID, Finite, first_conv_state
from ntkjax.cntk.state import FullState, compact_to_full, compact_to_full_numpy
from ntkjax.errors import NtkjaxInputError
from ntkjax.memory import check_fits

__all__ = ["kernel", "estimate_bytes", "can_be_compact"]

Form = Literal["full", "compact"]


def _normalize_size(size) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise NtkjaxInputError(f"size must be H or (H, W), got {size!r}") from None
    return h, w


def _dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise NtkjaxInputError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def can_be_compact(arch: Architecture, prior) -> bool:
    """True when the whole kernel has the compact (P, P, H, W) form (exact, not approximate)."""
    return bool(getattr(prior, "shift_invariant", False)) and "bilinear" not in arch.upsampling_modes


def estimate_bytes(arch: Architecture, prior, size, dtype: Any = "float32", form: Form = "full") -> int:
    """Peak bytes the engine will hold (about four live states plus the output)."""
    size = _normalize_size(size)
    item = _dtype(dtype).itemsize
    sizes = arch.sizes(size)
    compact = can_be_compact(arch, prior)
    peak, P, full = 0, 1, not getattr(prior, "shift_invariant", False)
    for layer, (h, w) in zip(arch.layers, sizes[1:]):
        if isinstance(layer, Upsample):
            P *= 2
            full = full or layer.mode == "bilinear"
        elif layer.resamples < 0 and P > 1:
            P //= 2
        n = (h * w) ** 2 if full else P * P * h * w
        peak = max(peak, 4 * n * item)
    H, W = size
    out = (H * W) ** 2 * item if form == "full" else (2 ** arch.num_upsamplings) ** 2 * H * W * item
    if form == "full" and compact:  # the compact result and the full output coexist
        peak += out
    return int(max(peak, out))


# ---------------------------------------------------------------------------------------
# jitted per-layer rules (cached by layer; jax caches by shape/dtype)
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _rule(layer: Layer, compact: bool):
    return jax.jit(layer.compact_transform if compact else layer.kernel_transform)


@functools.lru_cache(maxsize=None)
def _final_ntk(conv: Conv, up: Upsample | None, compact: bool):
    """K of the last conv from the state before it (and before a trailing upsample).

    Only K is formed (K' = A(K + Sigma)); the resampling is linear so it is applied once to
    Sigma + K; and the work is ordered by axis pair -- resample rows, window rows,
    resample columns, window columns -- so that the largest array appears only once.
    """

    def compact_rule(t):
        for pa, oa in ((0, 2), (1, 3)):
            if up is not None:
                t = upsample_window_compact_pair(t, pa, oa, conv.size)
            else:
                t = window_phase(t, pa, conv.size)
            if conv.stride == 2:
                t = _stride_pair(t, pa, oa)
        return t

    def full_rule(t):
        if up is not None:
            t = up.linear_full_axis(up.linear_full_axis(t, 0), 2)
        t = window_pair(t, (0, 2), conv.size, conv.stride)
        return _chunked_columns(t, full_columns)  # the column pair acts on each row pair alone

    def full_columns(t):
        if up is not None:
            t = up.linear_full_axis(up.linear_full_axis(t, 1), 3)
        return window_pair(t, (1, 3), conv.size, conv.stride)

    rule = compact_rule if compact else full_rule
    return jax.jit(lambda sigma, k: rule(sigma + k))


_CHUNK_BYTES = 64 * 2**20


def _chunked_columns(t, fn):
    """Apply ``fn`` (which acts on axes 1 and 3 only) to slabs of rows, so that only the
    output -- never an intermediate -- of the largest size is held at once."""
    rows = t.shape[0]
    slab = max(1, min(rows, _CHUNK_BYTES // max(1, t[0].size * t.dtype.itemsize * 4)))
    while rows % slab:
        slab -= 1
    if slab == rows:
        return fn(t)
    out = jax.lax.map(fn, t.reshape(rows // slab, slab, *t.shape[1:]))
    return out.reshape(rows, *out.shape[2:])


def _stride_pair(t, pa, oa):
    idx = [slice(None)] * 4
    idx[pa] = idx[oa] = slice(None, None, 2)
    return t[tuple(idx)]


_first_conv = jax.jit(first_conv_state, static_argnums=(1, 2))
_to_full = jax.jit(lambda s: FullState(compact_to_full(s.sigma), compact_to_full(s.k)))


def _run(arch: Architecture, prior, size: tuple[int, int], dt: np.dtype, progress: bool):
    layers = list(arch.canonical().layers)
    compact = bool(getattr(prior, "shift_invariant", False))
    if compact:
        state = prior.compact_state(size, dt)
    elif isinstance(layers[0], Conv) and len(layers) > 1:  # first conv straight from the features
        conv = layers.pop(0)
        state = _first_conv(prior.features(dt), conv.size, conv.stride)
    else:
        state = prior.full_state(size, dt)
    # trailing "[upsample,] conv" are computed on Sigma + K only
    tail_up = layers[-2] if len(layers) >= 2 and isinstance(layers[-2], Upsample) else None
    body = layers[: -2 if tail_up is not None else -1]
    bar = tqdm(total=len(layers), desc="CNTK layers", unit="layer", disable=not progress, leave=False)
    try:
        for layer in body:
            if compact and isinstance(layer, Upsample) and layer.mode == "bilinear":
                state, compact = _to_full(state), False
            state = _rule(layer, compact)(state)
            bar.update()
        if compact and tail_up is not None and tail_up.mode == "bilinear":
            state, compact = _to_full(state), False
        k = _final_ntk(layers[-1], tail_up, compact)(state.sigma, state.k)
        k.block_until_ready()
        bar.update(len(layers) - len(body))
    finally:
        bar.close()
    return k, compact


def kernel(
    arch: Architecture,
    prior=None,
    size=None,
    *,
    dtype: Any = "float32",
    form: Form = "full",
    progress: bool = False,
    check_memory: bool = True,
) -> np.ndarray:
    """The exact CNTK for matrix completion of ``arch`` with feature prior ``prior``.

    Parameters
    ----------
    arch: an :class:`Architecture` (``presets.get(name)`` or ``Architecture.from_json``).
    prior: ``priors.iid()`` (default), ``priors.finite(Z)``, ``priors.identity(H, W)``, ...
    size: ``H`` or ``(H, W)``; both must be multiples of 2**(number of downsamplings).
    dtype: ``float32`` or ``float64``.
    form: ``"full"`` -> (H, W, H, W) with ``K[i, j, k, l] = K(M_ij, M_kl)``;
        ``"compact"`` -> (P, P, H, W) with ``K(x, x') = F[x % P, (x' - x) % (H, W)]``,
        P = 2**upsamplings (iid prior and no bilinear upsampling only).
    Returns a NumPy array.
    """
    if not isinstance(arch, Architecture):
        raise NtkjaxInputError(f"arch must be an Architecture, got {type(arch).__name__}")
    prior = IID() if prior is None else prior
    if not isinstance(prior, (IID, Finite)):
        raise NtkjaxInputError(f"prior must come from ntkjax.cntk.priors, got {type(prior).__name__}")
    if size is None:
        if isinstance(prior, Finite):
            size = prior.Z.shape[1:]
        else:
            raise NtkjaxInputError("size is required for the iid prior")
    size = _normalize_size(size)
    dt = _dtype(dtype)
    if form not in ("full", "compact"):
        raise NtkjaxInputError(f"form must be 'full' or 'compact', got {form!r}")
    arch.check_size(size)
    prior.check_size(size)
    if form == "compact" and not can_be_compact(arch, prior):
        raise NtkjaxInputError(
            "the compact (P, P, H, W) form needs a shift-invariant (iid) prior and no bilinear upsampling; "
            "ask for form='full'"
        )
    if check_memory:
        need = estimate_bytes(arch, prior, size, dt, form)
        check_fits(
            need,
            what=f"the {size[0]}x{size[1]} CNTK ({form}, {dt.name})",
            hint=(
                "compute the compact form (form='compact', or `ntkjax kernel` at 2**(s+1) and `ntkjax expand`) "
                "for an iid prior with nearest upsampling, use a smaller size, or use float32"
            ),
        )
    with enable_x64(dt == np.float64):
        k, compact = _run(arch, prior, size, dt, progress)
        if form == "compact":
            return np.asarray(k)
        if not compact:
            return np.asarray(k)
        if jax.default_backend() == "cpu":
            return compact_to_full_numpy(np.asarray(k))
        return np.asarray(jax.jit(compact_to_full)(k))
