"""``ntkjax kernel``: output format, sidecar, and every bad-input case of issue 3."""

import json

import numpy as np
import pytest

from ntkjax.cli import main
from ntkjax.cntk import kernel, presets, priors


def test_writes_plain_npy_and_sidecar(tmp_path):
    out = tmp_path / "K.npy"
    assert main(["kernel", "--preset", "autoencoder-1", "--size", "4", "8", "--dtype", "float64",
                 "--out", str(out)]) == 0
    K = np.load(out, allow_pickle=False)
    assert K.shape == (4, 8, 4, 8) and K.dtype == np.float64
    np.testing.assert_array_equal(K, kernel(presets.autoencoder(1), priors.iid(), (4, 8), dtype="float64"))
    meta = json.loads((tmp_path / "K.json").read_text())
    assert meta["size"] == [4, 8] and meta["dtype"] == "float64" and meta["prior"]["prior"] == "iid"
    assert meta["architecture"][0] == {"layer": "conv", "size": 3, "stride": 1} and "ntkjax_version" in meta


def test_arch_file_and_priors(tmp_path):
    arch = tmp_path / "a.json"
    arch.write_text(json.dumps([{"layer": "conv", "size": 3}, {"layer": "relu"}, {"layer": "conv", "size": 1}]))
    for prior in ("meshgrid", "identity", "iid:0.5,0.2"):
        out = tmp_path / f"K_{prior.replace(':', '_').replace(',', '_')}.npy"
        assert main(["kernel", "--arch", str(arch), "--size", "4", "--prior", prior, "--out", str(out)]) == 0
    Z = np.random.default_rng(0).uniform(size=(2, 4, 4))
    np.save(tmp_path / "z.npy", Z)
    assert main(["kernel", "--arch", str(arch), "--size", "4", "--prior", str(tmp_path / "z.npy"),
                 "--out", str(tmp_path / "Kz.npy"), "--form", "full"]) == 0


def _arch(tmp_path, layers):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(layers))
    return ["--arch", str(p)]


C = {"layer": "conv", "size": 3}
BAD = {
    "even_kernel": (lambda t: _arch(t, [{"layer": "conv", "size": 4}]), ["--size", "8"], "odd"),
    "unknown_layer": (lambda t: _arch(t, [{"layer": "maxpool"}, C]), ["--size", "8"], "unknown layer"),
    "unknown_mode": (lambda t: _arch(t, [C, {"layer": "downsample"}, C, {"layer": "upsample", "mode": "cubic"}, C]),
                     ["--size", "8"], "mode"),
    "not_divisible": (lambda t: ["--preset", "autoencoder-3"], ["--size", "12"], "multiples of 8"),
    "below_1x1": (lambda t: ["--preset", "autoencoder-4"], ["--size", "8"], "below 1x1"),
    "bilinear_from_1x1": (lambda t: ["--preset", "autoencoder-3-bilinear"], ["--size", "8"], "bilinear"),
    "prior_shape": (lambda t: ["--preset", "autoencoder-1"], ["--size", "8", "--prior", "PRIOR_BAD_SHAPE"], "spatial"),
    "nan_prior": (lambda t: ["--preset", "autoencoder-1"], ["--size", "8", "--prior", "PRIOR_NAN"], "NaN"),
    "beyond_memory": (lambda t: ["--preset", "inpainting"], ["--size", "2048"], "memory"),
    "unknown_preset": (lambda t: ["--preset", "unet"], ["--size", "8"], "unknown preset"),
    "bad_json": (lambda t: ["--arch", str(t / "broken.json")], ["--size", "8"], "JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_and_writes_nothing(tmp_path, case, capsys):
    src, extra, message = BAD[case]
    np.save(tmp_path / "bad_shape.npy", np.ones((2, 4, 4)))
    np.save(tmp_path / "nan.npy", np.full((1, 8, 8), np.nan))
    (tmp_path / "broken.json").write_text("[{")
    extra = [e.replace("PRIOR_BAD_SHAPE", str(tmp_path / "bad_shape.npy")).replace("PRIOR_NAN", str(tmp_path / "nan.npy"))
             for e in extra]
    source = src(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["kernel", *source, *extra, "--out", str(tmp_path / "K.npy")]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
