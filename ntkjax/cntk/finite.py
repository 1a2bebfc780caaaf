"""The finite network of an :class:`~ntkjax.cntk.Architecture`, in Flax, and its empirical NTK.

The same layer objects that define the CNTK define this network: convolutions get
``width`` channels (the last one a single output channel) and every other layer uses its
``apply``. With the default NTK parameterisation (weights N(0, 1), scaled by
1/sqrt(fan_in) in the forward pass) the empirical NTK tends to :func:`ntkjax.cntk.kernel`
as ``width`` grows. The paper's comparison networks (Appendix N) are options:
``parameterization="standard"`` (weights N(0, 1/fan_in), no forward scaling),
``batchnorm=True`` (BatchNorm after every hidden conv) and ``sigmoid=True`` (sigmoid output).
"""

from __future__ import annotations

import math
from typing import Literal

import flax.linen as nn
import jax
import jax.numpy as jnp

from ntkjax.cntk.architecture import Architecture
from ntkjax.cntk.layers import Conv
from ntkjax.errors import NtkjaxInputError

__all__ = ["ConvNet", "empirical_ntk"]


class ConvNet(nn.Module):
    """Finite network for ``arch``: maps a prior (H, W, C) or (N, H, W, C) to an (H, W) / (N, H, W) image."""

    arch: Architecture
    width: int = 128
    parameterization: Literal["ntk", "standard"] = "ntk"
    batchnorm: bool = False
    sigmoid: bool = False

    @nn.compact
    def __call__(self, z, train: bool = False):
        if self.parameterization not in ("ntk", "standard"):
            raise NtkjaxInputError(f"parameterization must be 'ntk' or 'standard', got {self.parameterization!r}")
        x = z[None] if z.ndim == 3 else z
        convs = [i for i, l in enumerate(self.arch.layers) if isinstance(l, Conv)]
        for i, layer in enumerate(self.arch.layers):
            if not isinstance(layer, Conv):
                x = layer.apply(None, x)
                continue
            last = i == convs[-1]
            cin, cout = x.shape[-1], 1 if last else self.width
            shape = (layer.size, layer.size, cin, cout)
            if self.parameterization == "ntk":
                w = self.param(f"conv{i}", nn.initializers.normal(1.0), shape)
                x = layer.apply(w, x)
            else:  # standard: N(0, 1/fan_in) weights, undo the layer's 1/sqrt(fan_in)
                std = 1.0 / math.sqrt(cin * layer.size**2)
                w = self.param(f"conv{i}", nn.initializers.normal(std), shape)
                x = layer.apply(w, x) * math.sqrt(cin * layer.size**2)
            if self.batchnorm and not last:
                x = nn.BatchNorm(use_running_average=not train, name=f"bn{i}")(x)
        out = x[..., 0]
        if self.sigmoid:
            out = jax.nn.sigmoid(out)
        return out[0] if z.ndim == 3 else out


def empirical_ntk(model: ConvNet, params, z) -> jax.Array:
    """<d f(x) / d theta, d f(x') / d theta> over all output pixel pairs: (H, W, H, W).

    Computed as J J^T e_x for each output pixel x by a VJP followed by a JVP (no Jacobian
    is materialised), vmapped over pixels.
    """
    f = lambda p: model.apply(p, z)
    out, vjp = jax.vjp(f, params)
    H, W = out.shape

    def column(e):
        (g,) = vjp(e)
        return jax.jvp(f, (params,), (g,))[1]

    basis = jnp.eye(H * W, dtype=out.dtype).reshape(H * W, H, W)
    cols = jax.lax.map(column, basis, batch_size=min(64, H * W))
    return cols.reshape(H, W, H, W)
