"""Reading images and masks, writing results (the boundary of ``ntkjax inpaint``).

* :func:`read_image` -- grayscale or RGB as float64 in [0, 1]; 8- and 16-bit integer files are
  scaled by their type's maximum (65535 for 16-bit, so a 16-bit PNG is read correctly, not
  clipped); an alpha channel is dropped with a note; anything unreadable is an
  :class:`~ntkjax.errors.NtkjaxInputError`.
* :func:`read_mask` -- white (non-zero, above half the type's maximum) = observed, black =
  missing; colour masks are reduced to their luminance; the mask must match the image's size
  and have at least one observed and one missing pixel.
* :func:`random_mask` -- a Bernoulli mask dropping a fraction of the pixels (Deep Image Prior's
  reconstruction masks).
* :func:`write_image` -- atomic write (no partial PNG on failure) at the input's bit depth.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path

import numpy as np

from ntkjax.errors import NtkjaxInputError
from ntkjax.io import atomic_path

__all__ = ["ImageData", "read_image", "read_mask", "check_mask", "random_mask", "write_image", "to_uint",
           "OUTPUT_SUFFIXES"]

OUTPUT_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg")


@dataclasses.dataclass
class ImageData:
    """An image as float64 in [0, 1]: (H, W) grayscale or (H, W, 3) RGB, with its source bit depth."""

    pixels: np.ndarray
    bits: int = 8
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.pixels.shape[:2])

    @property
    def channels(self) -> int:
        return 1 if self.pixels.ndim == 2 else self.pixels.shape[2]


def _imread(path: str | os.PathLike, what: str) -> np.ndarray:
    p = Path(path)
    if not p.exists():
        raise NtkjaxInputError(f"{what} {str(p)!r} does not exist")
    if p.is_dir():
        raise NtkjaxInputError(f"{what} {str(p)!r} is a directory; give an image file (PNG, JPEG, TIFF, ...)")
    from skimage import io as skio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(skio.imread(str(p)))
    except Exception as exc:  # PIL/imageio raise many types for corrupt or non-image files
        raise NtkjaxInputError(
            f"cannot read {what} {str(p)!r} as an image ({type(exc).__name__}: {exc}); "
            "give a PNG, JPEG, TIFF or BMP file"
        ) from None
    if arr.dtype == object or arr.ndim not in (2, 3) or arr.size == 0:
        raise NtkjaxInputError(f"{what} {str(p)!r} is not a single 2-D image (array shape {arr.shape})")
    return arr


def _to_unit(arr: np.ndarray, what: str) -> tuple[np.ndarray, int]:
    """Scale to float64 [0, 1]; returns the bit depth (8, 16, 32 or 0 for float/bool inputs)."""
    if arr.dtype == bool:
        return arr.astype(np.float64), 1
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        if info.min < 0:
            raise NtkjaxInputError(f"{what} has signed integer pixels ({arr.dtype}); save it as unsigned 8/16-bit")
        return arr.astype(np.float64) / info.max, info.bits
    if np.issubdtype(arr.dtype, np.floating):
        a = arr.astype(np.float64)
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
            raise NtkjaxInputError(f"{what} has floating-point pixels outside [0, 1] (or NaN); rescale it to [0, 1]")
        return a, 0
    raise NtkjaxInputError(f"{what} has unsupported pixel type {arr.dtype}")


def read_image(path: str | os.PathLike) -> ImageData:
    """Read a grayscale or RGB image as float64 in [0, 1] (see the module docstring)."""
    arr = _imread(path, "image")
    notes: list[str] = []
    if arr.ndim == 3:
        c = arr.shape[2]
        if c == 4 or c == 2:
            notes.append(f"{Path(path).name}: alpha channel dropped (only colour/gray values are completed)")
            arr = arr[..., : c - 1]
        elif c not in (1, 3):
            raise NtkjaxInputError(f"image {str(path)!r} has {c} channels; expected 1 (gray) or 3 (RGB)")
        if arr.shape[2] == 1:
            arr = arr[..., 0]
    pixels, bits = _to_unit(arr, f"image {str(path)!r}")
    return ImageData(pixels, bits if bits in (8, 16) else 8, notes)


def check_mask(mask: np.ndarray, shape: tuple[int, int], *, source: str = "mask") -> np.ndarray:
    """Validate a boolean observed-mask: right size, >= 1 observed and >= 1 missing pixel."""
    mask = np.asarray(mask)
    if mask.shape != tuple(shape):
        raise NtkjaxInputError(
            f"{source} is {mask.shape[0]}x{mask.shape[1]} but the image is {shape[0]}x{shape[1]}; "
            "the mask must have the image's size (white = observed, black = missing)"
        )
    mask = mask.astype(bool)
    if mask.all():
        raise NtkjaxInputError(f"{source} has no missing (black) pixel: there is nothing to complete")
    if not mask.any():
        raise NtkjaxInputError(f"{source} has no observed (white) pixel: there is nothing to complete from")
    return mask


def read_mask(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """Read a mask file: white = observed (True), black = missing (False)."""
    arr = _imread(path, "mask")
    if arr.ndim == 3:
        c = arr.shape[2]
        if c in (2, 4):
            arr = arr[..., : c - 1]
        arr = arr[..., 0] if arr.shape[2] == 1 else arr
    vals, _ = _to_unit(arr, f"mask {str(path)!r}")
    if vals.ndim == 3:
        vals = vals @ np.array([0.2125, 0.7154, 0.0721])[: vals.shape[2]] if vals.shape[2] == 3 else vals.mean(-1)
    return check_mask(vals > 0.5, shape, source=f"mask {str(path)!r}")


def random_mask(shape: tuple[int, int], drop: float, seed: int = 0) -> np.ndarray:
    """Bernoulli mask: each pixel is missing with probability ``drop`` (True = observed)."""
    if not (0.0 < float(drop) < 1.0):
        raise NtkjaxInputError(f"--drop must be a fraction strictly between 0 and 1, got {drop}")
    rng = np.random.default_rng(seed)
    mask = rng.random(tuple(shape)) >= drop
    return check_mask(mask, shape, source=f"a random mask dropping {drop:.0%}")


def to_uint(pixels: np.ndarray, bits: int = 8) -> np.ndarray:
    """Float [0, 1] -> uint8 / uint16 with rounding (values are clipped first)."""
    dt = np.uint16 if bits == 16 else np.uint8
    m = np.iinfo(dt).max
    return np.round(np.clip(pixels, 0.0, 1.0) * m).astype(dt)


def write_image(path: str | os.PathLike, pixels: np.ndarray, bits: int = 8) -> Path:
    """Write an image atomically (a temporary file renamed on success: never a partial file)."""
    p = Path(path)
    if p.suffix.lower() not in OUTPUT_SUFFIXES:
        raise NtkjaxInputError(f"output {str(p)!r} must end in one of {', '.join(OUTPUT_SUFFIXES)}")
    if bits == 16 and p.suffix.lower() in (".jpg", ".jpeg", ".bmp"):
        bits = 8
    from skimage import io as skio

    data = to_uint(pixels, bits)
    with atomic_path(p) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            skio.imsave(str(tmp), data, check_contrast=False)
    return p
