"""Image quality: PSNR and SSIM (scikit-image), computed "with replacement".

The paper (footnote 2) compares methods after replacing the observed pixels of every
completion by their true values, so only the imputed pixels can differ from the reference;
:func:`replace_observed` does that and both metrics apply it (``replace=False`` turns it off).
Images are floats in [0, 1] (``data_range=1``); RGB SSIM uses ``channel_axis=-1``.
"""

from __future__ import annotations

import numpy as np

from ntkjax.errors import NtkjaxInputError

__all__ = ["replace_observed", "psnr", "ssim"]


def replace_observed(completed: np.ndarray, observed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``completed`` with the pixels where ``mask`` is True taken from ``observed``."""
    completed, observed = np.asarray(completed, np.float64), np.asarray(observed, np.float64)
    if completed.shape != observed.shape:
        raise NtkjaxInputError(f"image shapes differ: {completed.shape} vs {observed.shape}")
    m = np.asarray(mask, bool)
    if m.shape != completed.shape[:2]:
        raise NtkjaxInputError(f"mask shape {m.shape} does not match the image {completed.shape[:2]}")
    m = m if completed.ndim == 2 else m[..., None]
    return np.where(m, observed, completed)


def _prepare(reference, completed, mask, replace):
    reference = np.asarray(reference, np.float64)
    completed = np.asarray(completed, np.float64)
    if reference.shape != completed.shape:
        raise NtkjaxInputError(
            f"reference has shape {reference.shape} but the completion {completed.shape}; "
            "give a reference of the input image's size and channels"
        )
    if replace and mask is not None:
        completed = replace_observed(completed, reference, mask)
    return reference, completed


def psnr(reference, completed, mask=None, *, replace: bool = True) -> float:
    """Peak signal-to-noise ratio in dB (data range 1); observed pixels replaced first."""
    from skimage.metrics import peak_signal_noise_ratio

    ref, out = _prepare(reference, completed, mask, replace)
    if np.array_equal(ref, out):
        return float("inf")
    return float(peak_signal_noise_ratio(ref, out, data_range=1.0))


def ssim(reference, completed, mask=None, *, replace: bool = True) -> float:
    """Structural similarity (scikit-image defaults, data range 1); observed pixels replaced first."""
    from skimage.metrics import structural_similarity

    ref, out = _prepare(reference, completed, mask, replace)
    return float(structural_similarity(ref, out, data_range=1.0, channel_axis=-1 if ref.ndim == 3 else None))
