"""An architecture is a sequence of layers; one definition gives the finite net and its CNTK.

JSON format (a list of layers)::

    [{"layer": "conv", "size": 3, "stride": 1}, {"layer": "leaky_relu", "slope": 0.01},
     {"layer": "downsample"}, {"layer": "conv", "size": 3}, {"layer": "relu"},
     {"layer": "upsample", "mode": "nearest"}, {"layer": "conv", "size": 3}]

``stride`` defaults to 1, ``size`` to 3, ``mode`` to ``nearest``; ``linear`` is the identity
activation. The network maps the prior (C, H, W) to a one-channel H x W output, so it
must contain as many downsamplings as upsamplings, and its last layer is a convolution.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Iterable, Sequence

from ntkjax.cntk.layers import Activation, Conv, Downsample, Layer, Upsample
from ntkjax.dual import parse_activation
from ntkjax.errors import NtkjaxInputError

__all__ = ["Architecture", "layer_from_json"]

_KNOWN = ("conv", "relu", "leaky_relu", "linear", "downsample", "upsample")


def layer_from_json(spec: dict[str, Any], index: int = 0) -> Layer:
    """Build one layer from its JSON dict; unknown names or keys are clear errors."""
    if not isinstance(spec, dict) or "layer" not in spec:
        raise NtkjaxInputError(f"layer {index}: expected an object with a 'layer' key, got {spec!r}")
    name = spec["layer"]
    allowed = {"conv": {"size", "stride"}, "leaky_relu": {"slope"}, "upsample": {"mode"}}.get(name, set())
    extra = set(spec) - {"layer"} - allowed
    if name not in _KNOWN:
        raise NtkjaxInputError(f"layer {index}: unknown layer {name!r}; known layers: {', '.join(_KNOWN)}")
    if extra:
        raise NtkjaxInputError(f"layer {index} ({name}): unknown key(s) {sorted(extra)}; allowed: {sorted(allowed)}")
    if name == "conv":
        size, stride = spec.get("size", 3), spec.get("stride", 1)
        if not isinstance(size, int) or isinstance(size, bool):
            raise NtkjaxInputError(f"layer {index}: conv size must be an odd integer, got {size!r}")
        return Conv(size, stride)
    if name == "relu":
        return Activation(parse_activation("relu"))
    if name == "linear":
        return Activation(parse_activation("linear"))
    if name == "leaky_relu":
        if "slope" not in spec:
            raise NtkjaxInputError(f"layer {index}: leaky_relu needs a 'slope' (e.g. 0.01)")
        return Activation(parse_activation(f"leaky_relu:{spec['slope']}"))
    if name == "downsample":
        return Downsample()
    return Upsample(spec.get("mode", "nearest"))


@dataclasses.dataclass(frozen=True)
class Architecture:
    """An immutable sequence of layers."""

    layers: tuple[Layer, ...]

    def __post_init__(self):
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise NtkjaxInputError("an architecture needs at least one layer")
        if not any(isinstance(l, Conv) for l in layers):
            raise NtkjaxInputError("an architecture needs at least one conv layer (it has no parameters otherwise)")
        if not isinstance(layers[-1], Conv):
            raise NtkjaxInputError(
                "the last layer must be a conv (the network's one-channel output); "
                f"got {layers[-1].to_json()['layer']}"
            )
        if self.num_downsamplings != self.num_upsamplings:
            raise NtkjaxInputError(
                f"the network has {self.num_downsamplings} downsamplings but {self.num_upsamplings} upsamplings; "
                "for matrix completion the output must have the input's size"
            )

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_json(cls, spec: str | Path | Sequence[dict[str, Any]]) -> "Architecture":
        """From a list of layer dicts, a JSON string, or a path to a JSON file."""
        if isinstance(spec, (str, Path)):
            text = str(spec)
            p = Path(text)
            if not text.lstrip().startswith("[") and p.suffix == ".json":
                if not p.exists():
                    raise NtkjaxInputError(f"architecture file {text!r} does not exist")
                text = p.read_text()
            try:
                spec = json.loads(text)
            except json.JSONDecodeError as exc:
                raise NtkjaxInputError(f"architecture is not valid JSON: {exc}") from None
        if isinstance(spec, dict) and "layers" in spec:
            spec = spec["layers"]
        if not isinstance(spec, list):
            raise NtkjaxInputError("an architecture must be a JSON list of layers")
        return cls(tuple(layer_from_json(s, i) for i, s in enumerate(spec)))

    def to_json(self) -> list[dict[str, Any]]:
        return [l.to_json() for l in self.layers]

    # -- facts ----------------------------------------------------------------------
    @property
    def num_downsamplings(self) -> int:
        return sum(1 for l in self.layers if l.resamples < 0)

    @property
    def num_upsamplings(self) -> int:
        return sum(1 for l in self.layers if l.resamples > 0)

    @property
    def upsampling_modes(self) -> set[str]:
        return {l.mode for l in self.layers if isinstance(l, Upsample)}

    def sizes(self, size: tuple[int, int]) -> list[tuple[int, int]]:
        """Feature-map sizes before each layer and after the last; validates every step."""
        h, w = size
        if h < 1 or w < 1:
            raise NtkjaxInputError(f"image size must be positive, got {h}x{w}")
        out = [(h, w)]
        for i, layer in enumerate(self.layers):
            try:
                h, w = layer.out_size(h, w)
            except NtkjaxInputError as exc:
                s = self.num_downsamplings
                raise NtkjaxInputError(
                    f"size {size[0]}x{size[1]} does not fit this architecture at layer {i} ({exc}); "
                    f"with {s} downsamplings both sides must be multiples of {2**s}"
                ) from None
            out.append((h, w))
        return out

    def check_size(self, size: tuple[int, int]) -> None:
        self.sizes(size)

    # -- rewriting ------------------------------------------------------------------
    def canonical(self) -> "Architecture":
        """An equivalent architecture with downsamplings fused into the preceding conv.

        A downsample commutes with activations (they act pointwise on pixel pairs), so
        ``conv, act, downsample`` equals ``conv(stride 2), act``: the strided conv then
        computes its window sums only at the kept pixels. Used by the kernel engine.
        """
        layers = list(self.layers)
        changed = True
        while changed:
            changed = False
            for i, layer in enumerate(layers):
                if not isinstance(layer, Downsample):
                    continue
                j = i - 1
                while j >= 0 and isinstance(layers[j], Activation):
                    j -= 1
                if j >= 0 and isinstance(layers[j], Conv) and layers[j].stride == 1:
                    layers[j] = Conv(layers[j].size, 2)
                    del layers[i]
                    changed = True
                    break
        return Architecture(tuple(layers))

    def __iter__(self) -> Iterable[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)
