import numpy as np
import pytest


@pytest.fixture
def small_image():
    """A smooth 16 x 16 grayscale image in [0, 1] (skimage camera, downscaled)."""
    from skimage import data, transform

    return transform.resize(data.camera() / 255.0, (16, 16), anti_aliasing=True)


@pytest.fixture
def small_mask():
    rng = np.random.default_rng(3)
    return rng.random((16, 16)) >= 0.5
