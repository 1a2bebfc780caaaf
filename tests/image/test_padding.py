import numpy as np

from ntkjax.image.padding import crop, pad, padded_size


def test_padded_size():
    assert padded_size((100, 64), 32) == (128, 64)
    assert padded_size((20, 20), 16, minimum=32) == (32, 32)


def test_reflect_pad_and_crop_back():
    img = np.random.default_rng(0).random((10, 13, 3))
    mask = np.random.default_rng(1).random((10, 13)) > 0.5
    p, m, info = pad(img, mask, 8)
    assert p.shape == (16, 16, 3) and m.shape == (16, 16) and info.changed
    # reflection without repeating the edge: row 10 mirrors row 8
    np.testing.assert_array_equal(p[10], p[8])
    np.testing.assert_array_equal(m[:, 13], m[:, 11])
    np.testing.assert_array_equal(crop(p, info), img)
    q, _, info2 = pad(img[:8, :8], mask[:8, :8], 8)
    assert not info2.changed and q.shape == (8, 8, 3)
