"""The CNTK of an image as a block-gathering function (cached, padded size).

Two cases, chosen by :func:`ntkjax.cntk.can_be_compact`:

* **iid prior, nearest upsampling** (the paper's setting): only the base kernel at
  ``2^(s+1)`` is computed (compact form, cached) and expanded to any size by the theorem of
  Appendix M, in the window/floor form of :class:`ntkjax.operator.KernelOperator`
  (``P^2 (2P)^2`` floats, independent of the image size; 268 MB in float32 for s = 6).
* **anything else** (bilinear upsampling, identity/meshgrid/array priors): the full
  ``(H, W, H, W)`` kernel at the (padded) image size, memory-checked before it is computed;
  only feasible for small images (1 GiB in float32 at 128 x 128).

Either way :class:`ImageKernel` gives ``block(rows, cols)`` over flat pixel indices (row-major),
the diagonal, and (window form) the operator for the iterative solvers.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax.numpy as jnp
import numpy as np

from ntkjax.cntk import can_be_compact, kernel
from ntkjax.errors import NtkjaxInputError

__all__ = ["ImageKernel", "image_kernel", "grid"]

BUCKET = 256


def grid(arch, prior) -> tuple[int, int]:
    """(multiple, minimum side) that the image must be padded to for this architecture/prior."""
    P = 2 ** arch.num_downsamplings
    return P, (2 * P if can_be_compact(arch, prior) else P)


@dataclasses.dataclass
class ImageKernel:
    """The CNTK of an H x W image: ``op`` (window form) or ``full`` ((H*W, H*W) array)."""

    H: int
    W: int
    op: Any = None
    full: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.H * self.W

    def block(self, rows, cols) -> np.ndarray:
        """Dense ``K[rows, cols]`` (flat pixel indices) as float64.

        Index arrays are padded to a multiple of ``BUCKET`` before the jitted gather, so the
        many differently sized blocks of the tiled solver reuse a handful of compilations.
        """
        rows, cols = np.asarray(rows), np.asarray(cols)
        if self.full is not None:
            return np.asarray(self.full[np.ix_(rows, cols)], np.float64)
        nr, nc = len(rows), len(cols)
        pr = np.zeros(-(-max(nr, 1) // BUCKET) * BUCKET, rows.dtype)
        pc = np.zeros(-(-max(nc, 1) // BUCKET) * BUCKET, cols.dtype)
        pr[:nr], pc[:nc] = rows, cols
        out = self.op.block(jnp.asarray(pr), jnp.asarray(pc))
        return np.asarray(out, np.float64)[:nr, :nc]


def image_kernel(arch, prior, size: tuple[int, int], *, dtype: Any = "float32", cache=None,
                 progress: bool = False) -> ImageKernel:
    """The kernel of an image of (already padded) ``size``; ``cache``: a :class:`~ntkjax.image.cache.KernelCache`."""
    H, W = int(size[0]), int(size[1])

    def get(sz, form):
        compute = lambda: kernel(arch, prior, sz, dtype=dtype, form=form, progress=progress)
        if cache is None:
            return compute()
        return cache.get_or_compute(arch, prior, sz, dtype, form, compute)

    if can_be_compact(arch, prior):
        from ntkjax.expansion import local_window
        from ntkjax.operator import KernelOperator

        s = arch.num_downsamplings
        B = 2 ** (s + 1)
        base = get((B, B), "compact")
        op = KernelOperator.from_window(local_window(jnp.asarray(base), s), H, W)
        return ImageKernel(H, W, op=op)
    full = np.asarray(get((H, W), "full")).reshape(H * W, H * W)
    if not np.all(np.isfinite(full)):
        raise NtkjaxInputError("the kernel contains NaN or infinite values")
    return ImageKernel(H, W, full=full)
