"""Kernel heatmaps (Section 5, Fig. 4 and Appendix Fig. 11).

Every imputed pixel is a linear combination of observed ones, so the row ``K(i, j, :, :)`` of the
CNTK (reshaped to ``(H, W, H, W)``, ``K_T(i, j, i', j') = K(M_ij, M_i'j')``) shows which pixels a
missing pixel at (i, j) draws on. :func:`kernel_row` computes the row (through the expansion
theorem for iid priors with nearest upsampling, the full kernel otherwise);
:func:`plot_heatmap` draws it with matplotlib (headless ``Agg`` backend) and writes the PNG
atomically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ntkjax.errors import NtkjaxInputError

__all__ = ["kernel_row", "plot_heatmap", "save_figure"]


def kernel_row(arch, prior, size: tuple[int, int], pixel: tuple[int, int], *, dtype: Any = "float32",
               cache=None) -> np.ndarray:
    """``K(i, j, :, :)`` as an (H, W) array for the pixel (i, j) of an H x W image."""
    from ntkjax.image.kernels import image_kernel

    H, W = int(size[0]), int(size[1])
    i, j = int(pixel[0]), int(pixel[1])
    if not (0 <= i < H and 0 <= j < W):
        raise NtkjaxInputError(f"pixel ({i}, {j}) is outside the {H}x{W} image (0-indexed)")
    arch.check_size((H, W))
    kern = image_kernel(arch, prior, (H, W), dtype=dtype, cache=cache)
    return kern.block(np.array([i * W + j]), np.arange(H * W)).reshape(H, W)


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Save a matplotlib figure atomically (format from the extension)."""
    from ntkjax.io import atomic_path

    p = Path(path)
    with atomic_path(p) as tmp:
        fig.savefig(tmp, format=p.suffix.lstrip(".").lower() or "png", dpi=fig.dpi, bbox_inches="tight")
    return p


def plot_heatmap(row: np.ndarray, pixel: tuple[int, int], *, title: str = "", ax=None, cmap: str = "viridis"):
    """Draw a kernel row with a marker at ``pixel``; returns the matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(4.2, 3.6), dpi=120)
    else:
        fig = ax.figure
    im = ax.imshow(row, cmap=cmap, interpolation="nearest")
    ax.plot([pixel[1]], [pixel[0]], marker="x", color="red", markersize=6)
    ax.set_title(title or f"K({pixel[0]}, {pixel[1]}, :, :)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return fig
