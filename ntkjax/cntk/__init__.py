"""The convolutional NTK for matrix completion (Proposition 1, Theorem 2, Appendices J-L).

One architecture definition gives both the finite Flax network (:mod:`ntkjax.cntk.finite`)
and its exact CNTK (:func:`kernel`)::

    from ntkjax.cntk import kernel, presets, priors
    K = kernel(presets.get("inpainting"), priors.iid(), (128, 128))   # (128, 128, 128, 128)
"""

from ntkjax.cntk import layers, presets, priors
from ntkjax.cntk.architecture import Architecture
from ntkjax.cntk.kernel import can_be_compact, estimate_bytes, kernel
from ntkjax.cntk.layers import Activation, Conv, Downsample, LeakyReLU, ReLU, Upsample

__all__ = [
    "Architecture", "kernel", "estimate_bytes", "can_be_compact", "layers", "presets", "priors",
    "Conv", "Activation", "ReLU", "LeakyReLU", "Downsample", "Upsample",
]
