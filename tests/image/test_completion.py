import numpy as np
import pytest

from ntkjax.cntk import kernel, presets, priors
from ntkjax.errors import NtkjaxInputError
from ntkjax.image.completion import auto_margin, complete, complete_with_kernel
from ntkjax.image.kernels import image_kernel


def _brute_force(img, mask, arch, prior):
    """Oracle: the full kernel from the engine, minimum-norm least squares in NumPy."""
    H, W = mask.shape
    K = kernel(arch, prior, (H, W), dtype="float64").reshape(H * W, H * W)
    o, m = np.flatnonzero(mask.ravel()), np.flatnonzero(~mask.ravel())
    alpha = np.linalg.lstsq(K[np.ix_(o, o)], img.reshape(H * W, -1)[o], rcond=None)[0]
    out = img.reshape(H * W, -1).copy()
    out[m] = np.clip(K[np.ix_(m, o)] @ alpha, 0, 1)
    return out.reshape(img.shape)


@pytest.mark.parametrize("preset", ["autoencoder-2", "autoencoder-3"])
def test_direct_matches_brute_force(small_image, small_mask, preset):
    arch = presets.get(preset)
    res = complete(small_image, small_mask, arch, priors.iid(), solver="direct", ridge=0.0, dtype="float64")
    np.testing.assert_allclose(res.image, _brute_force(small_image, small_mask, arch, priors.iid()), atol=2e-5)
    assert res.solver == "direct"


def test_observed_kept_exactly_and_clipped(small_image, small_mask):
    img = np.clip(small_image * 1.3, 0, 1)  # many saturated pixels: predictions may overshoot
    res = complete(img, small_mask, presets.get("autoencoder-2"), solver="direct")
    assert np.array_equal(res.image[small_mask], img[small_mask])
    assert res.image.min() >= 0 and res.image.max() <= 1


def test_tiles_equal_direct_when_the_margin_covers_the_image(small_image, small_mask):
    kern = image_kernel(presets.get("autoencoder-2"), priors.iid(), (16, 16), dtype="float64")
    d, _, _ = complete_with_kernel(kern, small_image, small_mask, solver="direct", ridge=0.0)
    t, _, info = complete_with_kernel(kern, small_image, small_mask, solver="tiles", tile=8, margin=8, stride=1, ridge=0.0)
    np.testing.assert_allclose(t, d, atol=1e-6)
    assert info["margin"] == 8


def test_tiles_close_to_direct_with_a_small_margin():
    """The local solve loses (almost) nothing against the global one: PSNR within 0.3 dB."""
    from skimage import data, transform

    from ntkjax.image.metrics import psnr

    img = transform.resize(data.camera() / 255.0, (64, 64), anti_aliasing=True)
    mask = np.random.default_rng(0).random((64, 64)) >= 0.5
    kern = image_kernel(presets.get("autoencoder-4"), priors.iid(), (64, 64))
    d, _, _ = complete_with_kernel(kern, img, mask, solver="direct")
    t, _, info = complete_with_kernel(kern, img, mask, solver="tiles", tile=16)
    assert info["margin"] == 8  # random 50% mask -> the minimum margin
    gap = psnr(img, np.clip(t, 0, 1), mask) - psnr(img, np.clip(d, 0, 1), mask)
    assert abs(gap) < 0.3, gap


def test_rgb_shares_one_solve_and_matches_per_channel(small_image, small_mask):
    rgb = np.stack([small_image, small_image ** 2, 1 - small_image], -1)
    arch = presets.get("autoencoder-2")
    both = complete(rgb, small_mask, arch, solver="direct").image
    for c in range(3):
        one = complete(rgb[..., c], small_mask, arch, solver="direct").image
        np.testing.assert_allclose(both[..., c], one, atol=1e-6)


def test_odd_size_is_padded_and_cropped_back():
    rng = np.random.default_rng(0)
    img = rng.random((13, 10))
    mask = rng.random((13, 10)) > 0.4
    res = complete(img, mask, presets.get("autoencoder-2"), solver="direct")
    assert res.image.shape == (13, 10) and res.info["padded"] == [16, 12]  # multiples of P = 4
    assert np.array_equal(res.image[mask], img[mask])


def test_iterative_solvers_run(small_image, small_mask):
    arch = presets.get("autoencoder-2")
    d = complete(small_image, small_mask, arch, solver="direct").image
    c = complete(small_image, small_mask, arch, solver="cg", epochs=300).image
    assert np.sqrt(np.mean((c - d) ** 2)) < 0.02


def test_auto_margin():
    m = np.ones((64, 64), bool)
    m[10:30, 10:30] = False
    assert auto_margin(m) == 20  # largest distance 10 -> 2 * 10
    assert auto_margin(np.random.default_rng(0).random((64, 64)) > 0.5) == 8


def test_bad_inputs(small_image, small_mask):
    arch = presets.get("autoencoder-2")
    with pytest.raises(NtkjaxInputError, match="nothing to complete"):
        complete(small_image, np.ones((16, 16), bool), arch)
    with pytest.raises(NtkjaxInputError, match="nothing to complete from"):
        complete(small_image, np.zeros((16, 16), bool), arch)
    with pytest.raises(NtkjaxInputError, match="image's size"):
        complete(small_image, small_mask[:8], arch)
    with pytest.raises(NtkjaxInputError, match="unknown solver"):
        complete(small_image, small_mask, arch, solver="magic")
    with pytest.raises(NtkjaxInputError, match=r"\[0, 1\]"):
        complete(small_image * 300, small_mask, arch)
