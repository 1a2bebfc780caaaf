"""Named architectures from the paper (Appendix N).

* ``inpainting`` -- the large-hole autoencoder of Appendix N.1 (Deep Image Prior's,
  without skip connections): [conv3, leaky_relu(0.01), downsample] x 6,
  [conv3, leaky_relu(0.01), upsample nearest] x 6, conv3. Slope 0.01 as in the authors' code.
* ``autoencoder-S[xN][-bilinear][-relu][-upfirst]`` -- the same shape with S down/up levels, N
  convolutions (each followed by the activation) per level on both sides (default 1, as in the
  authors' demo notebook; Deep Image Prior's blocks have two), nearest (default) or bilinear
  upsampling, leaky_relu(0.01) (default) or relu. ``-upfirst`` orders each decoder level
  [upsample, (conv, act) x N] as Deep Image Prior's decoder does, instead of [(conv, act) x N,
  upsample]; the last layer is then a conv on the full-resolution features of a conv, not on
  an upsampled map. Measured on the 11 reconstruction images (docs/image_completion.md) this
  order reproduces the paper's Fig. 10 (31.65 dB vs the paper's 31.77; the other order 31.06).
  The image-reconstruction nets of Appendix N.2 have 2 levels (Barbara), 3 (Finger), 5 with
  bilinear upsampling (Peppers) and 6 (the other images): ``autoencoder-2-upfirst``,
  ``autoencoder-3-upfirst``, ``autoencoder-5-bilinear-upfirst``, ``autoencoder-6-upfirst``
  (``experiments/reconstruction.py``'s default). ``reconstruction-S...`` is an alias of
  ``autoencoder-S...``.
"""

from __future__ import annotations

import re

from ntkjax.cntk.architecture import Architecture
from ntkjax.cntk.layers import Activation, Conv, Downsample, Upsample
from ntkjax.dual import parse_activation
from ntkjax.errors import NtkjaxInputError

__all__ = ["autoencoder", "get", "names", "RECONSTRUCTION_BY_IMAGE"]

# Appendix N.2: downsampling levels (and upsampling mode) per reconstruction image.
RECONSTRUCTION_BY_IMAGE = {
    "barbara": (2, "nearest"),
    "boat": (6, "nearest"),
    "cameraman": (6, "nearest"),
    "couple": (6, "nearest"),
    "fingerprint": (3, "nearest"),
    "hill": (6, "nearest"),
    "house": (6, "nearest"),
    "lena": (6, "nearest"),
    "man": (6, "nearest"),
    "montage": (6, "nearest"),
    "peppers": (5, "bilinear"),
}


def autoencoder(levels: int, mode: str = "nearest", activation: str = "leaky_relu:0.01", size: int = 3,
                convs: int = 1, upsample_first: bool = False) -> Architecture:
    """[(conv, act) x convs, downsample] x levels, [(conv, act) x convs, upsample] x levels, conv;
    with ``upsample_first`` each decoder level is [upsample, (conv, act) x convs]."""
    if levels < 0:
        raise NtkjaxInputError(f"levels must be >= 0, got {levels}")
    if convs < 1:
        raise NtkjaxInputError(f"convs per level must be >= 1, got {convs}")
    act = Activation(parse_activation(activation))
    layers = []
    for _ in range(levels):
        layers += [Conv(size), act] * convs + [Downsample()]
    for _ in range(levels):
        if upsample_first:
            layers += [Upsample(mode)] + [Conv(size), act] * convs
        else:
            layers += [Conv(size), act] * convs + [Upsample(mode)]
    layers.append(Conv(size))
    return Architecture(tuple(layers))


_PATTERN = re.compile(r"^(?:autoencoder|reconstruction)-(\d+)(?:x(\d+))?(-bilinear|-nearest)?(-relu)?(-upfirst)?$")


def get(name: str) -> Architecture:
    """Look up a preset by name (see the module docstring)."""
    if name == "inpainting":
        return autoencoder(6, "nearest", "leaky_relu:0.01")
    m = _PATTERN.match(name)
    if not m:
        raise NtkjaxInputError(f"unknown preset {name!r}; known: {', '.join(names())}")
    levels = int(m.group(1))
    convs = int(m.group(2) or 1)
    mode = (m.group(3) or "-nearest")[1:]
    activation = "relu" if m.group(4) else "leaky_relu:0.01"
    return autoencoder(levels, mode, activation, convs=convs, upsample_first=bool(m.group(5)))


def names() -> list[str]:
    return ["inpainting", "reconstruction-2", "reconstruction-3", "reconstruction-5-bilinear",
            "reconstruction-6", "autoencoder-S[xN][-bilinear][-relu][-upfirst]"]
