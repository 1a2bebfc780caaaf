"""ntkjax inpaint / heatmap / demo: results and every bad-input case of issue 5 (exit 2, nothing lost)."""

import numpy as np
import pytest
from skimage import io as skio

from ntkjax import cli
from ntkjax.image.cache import cache_key


@pytest.fixture(autouse=True)
def register(monkeypatch):
    extra = [n for n in ("inpaint", "heatmap", "demo") if n not in cli.SUBCOMMANDS]
    monkeypatch.setattr(cli, "SUBCOMMANDS", cli.SUBCOMMANDS + extra)


@pytest.fixture
def files(tmp_path):
    from skimage import data, transform

    img = (transform.resize(data.astronaut(), (22, 20), anti_aliasing=True) * 255).astype(np.uint8)
    mask = np.full((22, 20), 255, np.uint8)
    mask[8:13, 6:11] = 0
    skio.imsave(tmp_path / "img.png", img, check_contrast=False)
    skio.imsave(tmp_path / "mask.png", mask, check_contrast=False)
    return tmp_path, img, mask


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_inpaint_rgb_with_mask_and_reference(files, capsys):
    d, img, mask = files
    rc = cli.main(["inpaint", str(d / "img.png"), "--mask", str(d / "mask.png"), "--out", str(d / "out.png"),
                   "--preset", "autoencoder-2", "--reference", str(d / "img.png")])
    assert rc == 0
    out = skio.imread(d / "out.png")
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.array_equal(out[mask > 0], img[mask > 0])  # observed pixels kept exactly
    text = capsys.readouterr().out
    assert "PSNR" in text and "SSIM" in text and "padded to 24x20" in text


def test_inpaint_drop_gray_16bit_and_cache(files):
    d, img, _ = files
    g = (img.mean(-1) * 257).astype(np.uint16)
    skio.imsave(d / "g16.png", g, check_contrast=False)
    args = ["inpaint", str(d / "g16.png"), "--drop", "0.3", "--seed", "1", "--out", str(d / "o.png"),
            "--preset", "autoencoder-2", "--kernel-cache", str(d / "cache"), "--save-mask", str(d / "m.png")]
    assert cli.main(args) == 0
    out, m = skio.imread(d / "o.png"), skio.imread(d / "m.png") > 0
    assert out.dtype == np.uint16 and np.array_equal(out[m], g[m]) and 0.55 < m.mean() < 0.85
    assert len(list((d / "cache").glob("*.npy"))) == 1


def test_corrupted_cache_is_rebuilt(files, capsys):
    d, _, _ = files
    args = ["inpaint", str(d / "img.png"), "--mask", str(d / "mask.png"), "--out", str(d / "o.png"),
            "--preset", "autoencoder-2", "--kernel-cache", str(d / "cache")]
    assert cli.main(args) == 0
    (npy,) = (d / "cache").glob("*.npy")
    first = skio.imread(d / "o.png")
    npy.write_bytes(npy.read_bytes()[:-16] + b"\x00" * 16)
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "corrupted" in capsys.readouterr().err
    assert np.array_equal(skio.imread(d / "o.png"), first)


@pytest.mark.parametrize("case", ["missing image", "unreadable image", "mask size", "mask all white",
                                  "mask all black", "missing out folder", "out is input", "bad preset", "bad drop"])
def test_bad_input_exit_2_nothing_written(files, case, capsys):
    d, img, mask = files
    args = {"image": str(d / "img.png"), "--mask": str(d / "mask.png"), "--out": str(d / "out.png")}
    if case == "missing image":
        args["image"] = str(d / "nope.png")
    elif case == "unreadable image":
        (d / "bad.png").write_text("this is not a png")
        args["image"] = str(d / "bad.png")
    elif case == "mask size":
        skio.imsave(d / "m2.png", np.full((10, 10), 255, np.uint8), check_contrast=False)
        args["--mask"] = str(d / "m2.png")
    elif case == "mask all white":
        skio.imsave(d / "m2.png", np.full((22, 20), 255, np.uint8), check_contrast=False)
        args["--mask"] = str(d / "m2.png")
    elif case == "mask all black":
        skio.imsave(d / "m2.png", np.zeros((22, 20), np.uint8), check_contrast=False)
        args["--mask"] = str(d / "m2.png")
    elif case == "missing out folder":
        args["--out"] = str(d / "no" / "out.png")
    elif case == "out is input":
        args["--out"] = str(d / "img.png")
    before = _snapshot(d)
    argv = ["inpaint", args["image"], "--out", args["--out"], "--preset", "autoencoder-2"]
    argv += ["--drop", "1.5"] if case == "bad drop" else ["--mask", args["--mask"]]
    if case == "bad preset":
        argv[argv.index("autoencoder-2")] = "no-such-net"
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert _snapshot(d) == before  # inputs untouched, no (partial) output, no temporary file


def test_no_partial_png_when_completion_fails(files, monkeypatch):
    d, _, _ = files
    import ntkjax.image.io as imio

    real = imio.to_uint

    def boom(*a, **k):
        real(*a, **k)
        raise RuntimeError("disk full")

    monkeypatch.setattr(imio, "to_uint", boom)
    before = _snapshot(d)
    with pytest.raises(RuntimeError):
        cli.main(["inpaint", str(d / "img.png"), "--mask", str(d / "mask.png"), "--out", str(d / "out.png"),
                  "--preset", "autoencoder-2"])
    assert _snapshot(d) == before


def test_heatmap_cli(tmp_path, capsys):
    out = tmp_path / "h.png"
    assert cli.main(["heatmap", "--preset", "autoencoder-3", "--size", "16", "16", "--pixel", "4", "9",
                     "--out", str(out), "--save-npy", str(tmp_path / "h.npy")]) == 0
    from ntkjax.cntk import kernel, presets, priors

    np.testing.assert_allclose(np.load(tmp_path / "h.npy"), kernel(presets.get("autoencoder-3"), priors.iid(), (16, 16))[4, 9],
                               rtol=1e-5, atol=1e-6)
    assert out.stat().st_size > 1000
    assert cli.main(["heatmap", "--size", "16", "16", "--pixel", "16", "0", "--preset", "autoencoder-3",
                     "--out", str(out)]) == 2
    assert cli.main(["heatmap", "--size", "16", "16", "--pixel", "1", "1", "--prior", "identity",
                     "--preset", "autoencoder-3", "--out", str(tmp_path / "x" / "h.png")]) == 2


def test_demo_small(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert cli.main(["demo", "--size", "64", "--preset", "autoencoder-3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "large hole" in text and "50% random" in text and "biharmonic" in text
    assert out.stat().st_size > 10_000


@pytest.mark.slow
def test_demo_default(tmp_path):
    assert cli.main(["demo", "--out", str(tmp_path / "demo.png")]) == 0
