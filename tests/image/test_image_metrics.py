import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ntkjax.image.metrics import psnr, replace_observed, ssim


def test_psnr_with_replacement_by_hand():
    rng = np.random.default_rng(0)
    ref = rng.random((20, 20))
    out = rng.random((20, 20))
    mask = rng.random((20, 20)) > 0.5
    # by hand: only missing pixels differ after replacement
    err = np.where(mask, 0.0, out - ref)
    expected = 10 * np.log10(1.0 / np.mean(err**2))
    assert abs(psnr(ref, out, mask) - expected) < 1e-9
    assert abs(psnr(ref, out, mask, replace=False) - peak_signal_noise_ratio(ref, out, data_range=1.0)) < 1e-9
    rep = replace_observed(out, ref, mask)
    assert abs(ssim(ref, out, mask) - structural_similarity(ref, rep, data_range=1.0)) < 1e-12


def test_rgb_ssim_uses_channel_axis():
    rng = np.random.default_rng(1)
    ref = rng.random((16, 16, 3))
    out = np.clip(ref + 0.05 * rng.standard_normal(ref.shape), 0, 1)
    assert abs(ssim(ref, out) - structural_similarity(ref, out, data_range=1.0, channel_axis=-1)) < 1e-12
