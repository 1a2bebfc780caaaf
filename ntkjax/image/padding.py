"""Size policy: reflect-pad to the architecture's grid, complete, crop back.

A network with ``s`` downsamplings needs both sides to be multiples of ``2^s``; the CNTK's
window form (Appendix M) also needs at least ``2^(s+1)`` per side. Any other size is handled
by **reflect padding** (``numpy.pad(mode="reflect")``, mirror without repeating the edge pixel)
of the image *and* its mask at the bottom and right up to the next valid size; the padded
pixels are mirror copies of real ones (observed where their source is observed). The kernel is
circular, so padding by reflection also gives the wrap-around a mirrored neighbourhood instead
of the opposite edge. After completion the result is cropped back to the original size, so
the output always has the input's size and every original observed pixel is kept.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["Padding", "padded_size", "pad", "crop"]


def padded_size(size: tuple[int, int], multiple: int, minimum: int = 1) -> tuple[int, int]:
    """Smallest (H', W') >= size, >= minimum, with both sides multiples of ``multiple``."""
    def up(n: int) -> int:
        n = max(int(n), int(minimum))
        return -(-n // multiple) * multiple

    return up(size[0]), up(size[1])


@dataclasses.dataclass(frozen=True)
class Padding:
    """Original and padded size (padding is at the bottom and right)."""

    size: tuple[int, int]
    padded: tuple[int, int]

    @property
    def changed(self) -> bool:
        return self.size != self.padded


def _reflect(a: np.ndarray, ph: int, pw: int) -> np.ndarray:
    widths = [(0, ph), (0, pw)] + [(0, 0)] * (a.ndim - 2)
    if a.shape[0] == 1 or a.shape[1] == 1:  # reflect needs >= 2 pixels along the axis
        return np.pad(a, widths, mode="symmetric")
    return np.pad(a, widths, mode="reflect")


def pad(image: np.ndarray, mask: np.ndarray, multiple: int, minimum: int = 1):
    """Reflect-pad an (H, W[, C]) image and its (H, W) mask; returns (image, mask, Padding)."""
    size = tuple(image.shape[:2])
    H2, W2 = padded_size(size, multiple, minimum)
    info = Padding(size, (H2, W2))
    if not info.changed:
        return image, mask, info
    ph, pw = H2 - size[0], W2 - size[1]
    return _reflect(image, ph, pw), _reflect(mask, ph, pw), info


def crop(image: np.ndarray, info: Padding) -> np.ndarray:
    """Undo :func:`pad`."""
    H, W = info.size
    return image[:H, :W]
