"""Image inpainting and reconstruction with the CNTK (Section 5, Appendix N).

One concept per module: :mod:`~ntkjax.image.io` (read/write images and masks),
:mod:`~ntkjax.image.padding` (size policy), :mod:`~ntkjax.image.cache` (on-disk kernel cache),
:mod:`~ntkjax.image.kernels` (the kernel of an image), :mod:`~ntkjax.image.completion`
(kernel regression on observed pixels), :mod:`~ntkjax.image.metrics` (PSNR/SSIM with
replacement), :mod:`~ntkjax.image.baselines` (biharmonic, finite network),
:mod:`~ntkjax.image.heatmap` (kernel heatmaps, Fig. 4/11)::

    from ntkjax.image import complete, read_image
    out = complete(img, mask).image
"""

from ntkjax.image.completion import Completion, complete
from ntkjax.image.io import random_mask, read_image, read_mask, write_image
from ntkjax.image.metrics import psnr, ssim

__all__ = ["complete", "Completion", "read_image", "read_mask", "random_mask", "write_image", "psnr", "ssim"]
