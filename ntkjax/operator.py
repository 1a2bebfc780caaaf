"""Kernel operator over the compact CNTK: blocks and products without the (HW)^2 matrix.

Pixels are flattened row-major (``x = i * W + j``). With ``P = 2^u`` the compact layout of
CONTRIBUTING.md gives ``K[x, x'] = F[x mod P, x' - x]`` (phase of the first pixel, circular
offset to the second), and for nets covered by the expansion theorem (Appendix M) the row is
a 2P x 2P *window* around ``x`` plus a constant *floor* everywhere else
(:class:`ntkjax.expansion.LocalWindow`), i.e. ``K = L + floor[phase] 1^T`` with ``L`` local.

Products ``K @ V`` (V of shape (H, W, r): r right-hand sides, e.g. RGB) use one of:

* ``"local"`` -- window + floor: on the grid of b x b blocks (b = P / 2^t) output pixels of one
  block class read (2P/b + 1)^2 shifted blocks, one batched matmul per class, plus the rank-one
  floor term ``floor[phase] * sum(V)``. ``(2P + b)^2 H W r`` multiply-adds (the exact window has
  ``(2P)^2``), weights ``P^2 (2P + b)^2`` floats (420 MB in float32 for s = 6, b = P/2; 604 MB for
  b = P), temporaries ``(2P/b + 1)^2 H W r`` floats.
* ``"fft"`` -- polyphase FFT for any compact kernel: for each pair of phases the product is a
  circular correlation on the (H/P) x (W/P) decimated grid, done in Fourier space as one
  P^2 x P^2 complex matmul per coarse frequency. ``~4 P^2 H W r`` real multiply-adds, but it keeps
  ``P^2 (H/P) (W/P + 2)`` complex transfer coefficients (about the size of F itself: 8 GiB for
  s = 6 at 512 x 512 -- too big there; fine for s <= 4).
* ``"dense"`` -- gathers row blocks ``K[rows, :]`` of ``chunk`` rows and multiplies:
  ``(HW)^2 r`` multiply-adds, ``chunk * H * W`` floats at a time. The reference for small sizes.

Masks restrict rows and columns to observed pixels (``masked_matvec``). ``block(rows, cols)``
gathers ``K[rows, cols]`` (``len(rows) * len(cols)`` floats). ``phase_rows_matvec`` evaluates
``(K V)`` only at the pixels of a few phases (EigenPro mini-batches): nine (k, P^2) x (P^2, HW r/P^2)
matmuls on the phase-major input whose outputs are rolled on the coarse grid (no shifted copies of
the image); ``_phase_cross`` does the same between two phase sets only (``K[rows(a), rows(b)] G``).
"""

from __future__ import annotations

from functools import cached_property, partial

import jax
import jax.numpy as jnp

from ntkjax.errors import NtkjaxInputError
from ntkjax.expansion import LocalWindow

__all__ = ["KernelOperator"]


def _signed_inside(d, n: int, P: int):
    """Window index (offset + P) of circular offsets ``d mod n``, and whether it lies in [-P, P)."""
    d = d % n
    signed = jnp.where(d < n - P, d, d - n)
    return signed + P, signed < P


class KernelOperator:
    """The kernel of an H x W image in compact or window form, used without materialising it.

    Build with :meth:`from_compact` (any ``(P, P, H, W)`` compact kernel) or :meth:`from_window`
    (the window/floor form of :func:`ntkjax.expansion.local_window`, valid for any H, W that are
    multiples of P and at least 2P). Arrays stay JAX arrays on the default device; nothing here
    mutates its inputs.
    """

    def __init__(self, H: int, W: int, P: int, *, compact=None, window: LocalWindow | None = None):
        if compact is None and window is None:
            raise NtkjaxInputError("give a compact kernel or a local window")
        self.H, self.W, self.P = int(H), int(W), int(P)
        if self.H % self.P or self.W % self.P:
            raise NtkjaxInputError(f"H = {H} and W = {W} must be multiples of P = {P}")
        self.compact = None if compact is None else jnp.asarray(compact)
        self.window = window
        self.dtype = (self.compact if window is None else window.window).dtype

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_compact(cls, compact) -> "KernelOperator":
        C = jnp.asarray(compact)
        if C.ndim != 4 or C.shape[0] != C.shape[1]:
            raise NtkjaxInputError(f"compact kernel must have shape (P, P, H, W), got {C.shape}")
        return cls(C.shape[2], C.shape[3], C.shape[0], compact=C)

    @classmethod
    def from_window(cls, window: LocalWindow, H: int, W: int) -> "KernelOperator":
        P = window.window.shape[0]
        if window.window.shape != (P, P, 2 * P, 2 * P) or window.floor.shape != (P, P):
            raise NtkjaxInputError(f"window must be (P, P, 2P, 2P) with a (P, P) floor, got {window.window.shape}")
        if H < 2 * P or W < 2 * P:
            raise NtkjaxInputError(f"the window form needs H, W >= 2P = {2 * P}, got {H} x {W}")
        return cls(H, W, P, window=LocalWindow(jnp.asarray(window.window), jnp.asarray(window.floor)))

    @property
    def n(self) -> int:
        return self.H * self.W

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    # ------------------------------------------------------------------ entries
    def entries(self, rows, cols) -> jax.Array:
        """``K[rows, cols]`` elementwise for broadcastable flat pixel index arrays."""
        return _entries(self.compact, self.window, jnp.asarray(rows), jnp.asarray(cols), self.H, self.W, self.P)

    def block(self, rows, cols) -> jax.Array:
        """Dense block ``K[rows, cols]`` (flat pixel indices); memory ``len(rows) * len(cols)``."""
        rows = jnp.asarray(rows)
        cols = jnp.asarray(cols)
        return _block(self.compact, self.window, rows, cols, self.H, self.W, self.P)

    def diag(self) -> jax.Array:
        """The kernel's diagonal as an (H, W) image (it only depends on the phase)."""
        P = self.P
        d = self.compact[:, :, 0, 0] if self.window is None else self.window.window[:, :, P, P]
        return jnp.tile(d, (self.H // P, self.W // P))

    # ------------------------------------------------------------------ products
    def matvec(self, V, *, method: str = "auto", block: int | None = None, chunk: int = 1024) -> jax.Array:
        """``K @ V`` for V of shape (H, W) or (H, W, r); returns the same shape."""
        V = jnp.asarray(V)
        squeeze = V.ndim == 2
        if squeeze:
            V = V[..., None]
        if V.shape[:2] != (self.H, self.W):
            raise NtkjaxInputError(f"right-hand side has shape {V.shape}, expected ({self.H}, {self.W}[, r])")
        V = V.astype(self.dtype)
        if method == "auto":
            method = "local" if self.window is not None else ("fft" if self.P <= 16 else "dense")
        if method == "local":
            if self.window is None:
                raise NtkjaxInputError("method 'local' needs the window form (KernelOperator.from_window)")
            out = _local_matvec(self._local_weights(block), self.window.floor, V, self.P)
        elif method == "fft":
            out = _fft_matvec(self._fft_weights, V, self.P)
        elif method == "dense":
            out = self._dense_matvec(V, chunk)
        else:
            raise NtkjaxInputError(f"unknown method {method!r}; use 'local', 'fft' or 'dense'")
        return out[..., 0] if squeeze else out

    def masked_matvec(self, V, mask, **kw) -> jax.Array:
        """``mask * (K @ (mask * V))``: the kernel restricted to observed pixels (mask (H, W) bool)."""
        mask = jnp.asarray(mask)
        if mask.shape != (self.H, self.W):
            raise NtkjaxInputError(f"mask has shape {mask.shape}, expected ({self.H}, {self.W})")
        m = mask.astype(self.dtype)
        V = jnp.asarray(V)
        mm = m if V.ndim == 2 else m[..., None]
        return mm * self.matvec(mm * V, **kw)

    def phase_rows_matvec(self, phases, V) -> jax.Array:
        """``(K @ V)`` at all pixels of the given phases: phases (k,) flat ``pi * P + pj``.

        Returns (k, H/P, W/P, r). Nine (k, P^2) x (P^2, HW r / P^2) matmuls whose outputs are
        shifted on the coarse grid (the input is only regrouped by phase, never copied nine times):
        cost ``9 k H W r`` multiply-adds, temporaries ``(k + P^2) H W r / P^2`` floats. Window form only.
        """
        if self.window is None:
            raise NtkjaxInputError("phase_rows_matvec needs the window form (KernelOperator.from_window)")
        V = jnp.asarray(V, self.dtype)
        G = self._local_weights(self.P)  # (1, 1, P, P, 3, 3, P, P)
        return _phase_rows(G, self.window.floor, V, jnp.asarray(phases), self.P)

    # ------------------------------------------------------------------ internals
    def _local_weights(self, b: int | None) -> jax.Array:
        b = self.P // 2 if b is None and self.P >= 2 else (b or self.P)
        if self.P % b:
            raise NtkjaxInputError(f"block {b} must divide P = {self.P}")
        cache = self.__dict__.setdefault("_weights", {})
        if b not in cache:
            cache[b] = _build_local_weights(self.window.window - self.window.floor[..., None, None], b)
        return cache[b]

    @cached_property
    def _fft_weights(self) -> jax.Array:
        return _build_fft_weights(self.compact if self.compact is not None else self._compact_from_window(), self.P)

    def _compact_from_window(self) -> jax.Array:
        from ntkjax.expansion import _expand_window

        return _expand_window(self.window, self.H, self.W)

    def _dense_matvec(self, V, chunk: int) -> jax.Array:
        flat = V.reshape(self.n, -1)
        cols = jnp.arange(self.n)
        outs = []
        for start in range(0, self.n, chunk):
            rows = jnp.arange(start, min(start + chunk, self.n))
            outs.append(_block(self.compact, self.window, rows, cols, self.H, self.W, self.P) @ flat)
        return jnp.concatenate(outs).reshape(V.shape)


def _entries(compact, window, rows, cols, H: int, W: int, P: int):
    ri, rj = rows // W, rows % W
    ci, cj = cols // W, cols % W
    pi, pj = ri % P, rj % P
    if window is None:
        return compact[pi, pj, (ci - ri) % H, (cj - rj) % W]
    ki, ini = _signed_inside(ci - ri, H, P)
    kj, inj = _signed_inside(cj - rj, W, P)
    vals = window.window[pi, pj, jnp.clip(ki, 0, 2 * P - 1), jnp.clip(kj, 0, 2 * P - 1)]
    return jnp.where(ini & inj, vals, window.floor[pi, pj])


@partial(jax.jit, static_argnums=(4, 5, 6))
def _block(compact, window, rows, cols, H: int, W: int, P: int):
    return _entries(compact, window, rows[:, None], cols[None, :], H, W, P)


@partial(jax.jit, static_argnums=1)
def _build_local_weights(L, b: int):
    """G[ri, rj, si, sj, di, dj, ti, tj] = L[b ri + si, b rj + sj, b (di - R) + ti - si + P, ...]."""
    P = L.shape[0]
    R = P // b
    s = jnp.arange(b)
    dl = jnp.arange(2 * R + 1) - R
    # window index per component, shape (b[s], 2R+1[d], b[t])
    k = b * dl[None, :, None] + s[None, None, :] - s[:, None, None] + P
    valid = (k >= 0) & (k < 2 * P)
    k = jnp.clip(k, 0, 2 * P - 1)
    phase = b * jnp.arange(R)[:, None] + s[None, :]  # (R, b)
    G = L[
        phase[:, None, :, None, None, None, None, None],
        phase[None, :, None, :, None, None, None, None],
        k[None, None, :, None, :, None, :, None],
        k[None, None, None, :, None, :, None, :],
    ]
    mask = valid[:, None, :, None, :, None] & valid[None, :, None, :, None, :]
    return jnp.where(mask[None, None], G, 0)


@partial(jax.jit, static_argnums=3)
def _local_matvec(G, floor, V, P: int):
    R = G.shape[0]
    b = P // R
    H, W, r = V.shape
    Hb, Wb = H // b, W // b
    Hc, Wc = H // P, W // P
    Vb = V.reshape(Hb, b, Wb, b, r)
    dl = jnp.arange(2 * R + 1) - R
    # block row read by class rho, shift delta, coarse position z: R z + rho + delta (circular)
    yi = (R * jnp.arange(Hc)[None, None, :] + jnp.arange(R)[:, None, None] + dl[None, :, None]) % Hb
    yj = (R * jnp.arange(Wc)[None, None, :] + jnp.arange(R)[:, None, None] + dl[None, :, None]) % Wb
    # Vg[A, B, D, E, u, v, z, w, r] = Vb[yi[A, D, z], u, yj[B, E, w], v, r]
    Vg = Vb[yi[:, None, :, None, :, None], :, yj[None, :, None, :, None, :], :, :]
    # advanced indices first: (A, B, D, E, z, w, u, v, r)
    out = jnp.einsum("ABpqDEuv,ABDEzwuvr->zApwBqr", G, Vg)
    out = out.reshape(H, W, r)
    total = V.sum(axis=(0, 1))
    return out + jnp.tile(floor, (Hc, Wc))[..., None] * total


def _phase_major(V, P: int):
    """(H, W, r) -> (P*P, H/P, W/P, r): pixels grouped by phase (flat ``pi * P + pj``), then coarse position."""
    H, W, r = V.shape
    return jnp.transpose(V.reshape(H // P, P, W // P, P, r), (1, 3, 0, 2, 4)).reshape(P * P, H // P, W // P, r)


def _shifted_sum(G9, Vp, out_phases, in_phases):
    """``sum_(di, dj) roll(G9[out, (di, dj), in] @ Vp, -(di, dj))`` over the 3 x 3 coarse shifts.

    ``G9`` is the (P, P, 3, 3, P, P) local weight tensor (block b = P): output pixel ``P z + s``
    reads input pixel ``P (z + d) + t``. Shifting the *output* of each of the nine matmuls instead of
    gathering nine shifted copies of the input keeps the input (``Vp``, phase-major) in place: cost
    ``9 k_out k_in (HW/P^2) r`` multiply-adds, temporaries ``k_out (HW/P^2) r`` floats.
    """
    P = G9.shape[0]
    Gf = G9.reshape(P * P, 3, 3, P * P)[out_phases]
    if in_phases is not None:
        Gf = Gf[..., in_phases]
    out = 0
    for di in range(3):
        for dj in range(3):
            T = jnp.einsum("kt,tzwr->kzwr", Gf[:, di, dj], Vp)
            out = out + jnp.roll(T, (1 - di, 1 - dj), axis=(1, 2))
    return out


@partial(jax.jit, static_argnums=4)
def _phase_rows(G, floor, V, phases, P: int):
    """``(K V)`` at the pixels of the given phases: (k, H/P, W/P, r); G is the block-P weight tensor."""
    out = _shifted_sum(G[0, 0], _phase_major(V, P), phases, None)
    total = V.sum(axis=(0, 1))
    return out + floor.reshape(-1)[phases][:, None, None, None] * total


@jax.jit
def _phase_cross(G, floor, phases_out, phases_in, Vp):
    """``K[rows(out), rows(in)] @ Vp`` for Vp (k_in, H/P, W/P, r) living on the pixels of ``phases_in``.

    Only the (k_out x k_in) phase sub-blocks of the weights are touched: ``9 k_out k_in HW r / P^2``
    multiply-adds, independent of the rest of the image.
    """
    out = _shifted_sum(G[0, 0], Vp, phases_out, phases_in)
    total = Vp.sum(axis=(0, 1, 2))
    return out + floor.reshape(-1)[phases_out][:, None, None, None] * total


@partial(jax.jit, static_argnums=1)
def _build_fft_weights(C, P: int):
    """ghat[p, p', k] = conj(FFT_delta F[p, P delta + p' - p]) on the decimated grid."""
    H, W = C.shape[2:]
    Hc, Wc = H // P, W // P
    ph = jnp.arange(P)
    di = (P * jnp.arange(Hc)[None, None, :] + ph[None, :, None] - ph[:, None, None]) % H  # (p, p', delta)
    dj = (P * jnp.arange(Wc)[None, None, :] + ph[None, :, None] - ph[:, None, None]) % W
    g = C[
        ph[:, None, None, None, None, None],
        ph[None, :, None, None, None, None],
        di[:, None, :, None, :, None],
        dj[None, :, None, :, None, :],
    ]  # (pi, pj, p'i, p'j, Hc, Wc)
    return jnp.conj(jnp.fft.rfft2(g, axes=(-2, -1))).reshape(P * P, P * P, Hc, -1)


@partial(jax.jit, static_argnums=2)
def _fft_matvec(ghat, V, P: int):
    H, W, r = V.shape
    Hc, Wc = H // P, W // P
    Vp = jnp.transpose(V.reshape(Hc, P, Wc, P, r), (1, 3, 4, 0, 2)).reshape(P * P, r, Hc, Wc)
    Vhat = jnp.fft.rfft2(Vp, axes=(-2, -1))
    out_hat = jnp.einsum("pqkl,qrkl->prkl", ghat, Vhat)
    out = jnp.fft.irfft2(out_hat, s=(Hc, Wc), axes=(-2, -1)).astype(V.dtype)
    return jnp.transpose(out.reshape(P, P, r, Hc, Wc), (3, 0, 4, 1, 2)).reshape(H, W, r)
