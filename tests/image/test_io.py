import numpy as np
import pytest
from skimage import io as skio

from ntkjax.errors import NtkjaxInputError
from ntkjax.image.io import random_mask, read_image, read_mask, write_image


def test_16bit_png_read_exactly(tmp_path):
    a = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    skio.imsave(tmp_path / "a.png", a, check_contrast=False)
    img = read_image(tmp_path / "a.png")
    assert img.bits == 16
    np.testing.assert_allclose(img.pixels, a / 65535.0)
    write_image(tmp_path / "b.png", img.pixels, img.bits)
    b = skio.imread(tmp_path / "b.png")
    assert b.dtype == np.uint16 and np.array_equal(a, b)


def test_alpha_dropped_with_note(tmp_path):
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 10
    skio.imsave(tmp_path / "a.png", rgba, check_contrast=False)
    img = read_image(tmp_path / "a.png")
    assert img.pixels.shape == (4, 5, 3) and np.all(img.pixels[..., 0] == 1.0)
    assert any("alpha" in n for n in img.notes)


def test_mask_white_is_observed(tmp_path):
    m = np.full((6, 6), 255, np.uint8)
    m[2:4, 2:4] = 0
    skio.imsave(tmp_path / "m.png", m, check_contrast=False)
    mask = read_mask(tmp_path / "m.png", (6, 6))
    assert mask.dtype == bool and mask.sum() == 32 and not mask[2, 2] and mask[0, 0]
    rgb = np.stack([m] * 3, -1)
    skio.imsave(tmp_path / "rgb.png", rgb, check_contrast=False)
    assert np.array_equal(read_mask(tmp_path / "rgb.png", (6, 6)), mask)


@pytest.mark.parametrize("fill,what", [(255, "no missing"), (0, "no observed")])
def test_degenerate_masks(tmp_path, fill, what):
    skio.imsave(tmp_path / "m.png", np.full((6, 6), fill, np.uint8), check_contrast=False)
    with pytest.raises(NtkjaxInputError, match=what):
        read_mask(tmp_path / "m.png", (6, 6))


def test_mask_size_mismatch(tmp_path):
    skio.imsave(tmp_path / "m.png", np.full((6, 7), 255, np.uint8), check_contrast=False)
    with pytest.raises(NtkjaxInputError, match="must have the image's size"):
        read_mask(tmp_path / "m.png", (6, 6))


def test_unreadable_and_missing(tmp_path):
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(NtkjaxInputError, match="cannot read image"):
        read_image(tmp_path / "bad.png")
    with pytest.raises(NtkjaxInputError, match="does not exist"):
        read_image(tmp_path / "nope.png")


def test_random_mask_fraction_and_seed():
    a = random_mask((100, 100), 0.5, 1)
    assert abs(a.mean() - 0.5) < 0.03
    assert np.array_equal(a, random_mask((100, 100), 0.5, 1)) and not np.array_equal(a, random_mask((100, 100), 0.5, 2))
    with pytest.raises(NtkjaxInputError):
        random_mask((4, 4), 1.5)
