import pytest

from ntkjax.cntk import presets
from ntkjax.cntk.layers import Activation, Conv, Downsample, Upsample
from ntkjax.errors import NtkjaxInputError


def _kinds(arch):
    return [type(layer).__name__ for layer in arch.layers]


def test_one_conv_per_level_is_the_default():
    arch = presets.get("autoencoder-2")
    assert _kinds(arch) == ["Conv", "Activation", "Downsample"] * 2 + ["Conv", "Activation", "Upsample"] * 2 + ["Conv"]
    assert presets.get("autoencoder-2x1") == arch


def test_convs_per_level_suffix():
    arch = presets.get("reconstruction-3x2-bilinear-relu")
    down = ["Conv", "Activation", "Conv", "Activation", "Downsample"]
    up = ["Conv", "Activation", "Conv", "Activation", "Upsample"]
    assert _kinds(arch) == down * 3 + up * 3 + ["Conv"]
    ups = [layer for layer in arch.layers if isinstance(layer, Upsample)]
    assert all(u.mode == "bilinear" for u in ups)
    acts = {layer.activation.slope for layer in arch.layers if isinstance(layer, Activation)}
    assert acts == {0.0}
    assert arch == presets.autoencoder(3, "bilinear", "relu", convs=2)
    assert sum(isinstance(layer, Conv) for layer in arch.layers) == 13
    assert sum(isinstance(layer, Downsample) for layer in arch.layers) == 3


def test_upsample_first_decoder():
    arch = presets.get("autoencoder-2x2-upfirst")
    down = ["Conv", "Activation", "Conv", "Activation", "Downsample"]
    up = ["Upsample", "Conv", "Activation", "Conv", "Activation"]
    assert _kinds(arch) == down * 2 + up * 2 + ["Conv"]
    assert arch == presets.autoencoder(2, convs=2, upsample_first=True)
    assert _kinds(presets.get("autoencoder-1-bilinear-relu-upfirst")) == [
        "Conv", "Activation", "Downsample", "Upsample", "Conv", "Activation", "Conv"]


@pytest.mark.parametrize("name", ["autoencoder-2x0", "autoencoder-2-upfirst-relu", "autoencoder-x2", "autoencoder-2x", "autoencoder-2-x2"])
def test_bad_preset_names(name):
    with pytest.raises(NtkjaxInputError):
        presets.get(name)
