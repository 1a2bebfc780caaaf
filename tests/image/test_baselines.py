import numpy as np
from skimage.restoration import inpaint_biharmonic

from ntkjax.cntk import presets
from ntkjax.image.baselines import biharmonic, train_finite


def test_biharmonic_is_skimage_with_observed_kept(small_image, small_mask):
    out = biharmonic(small_image, small_mask)
    ref = inpaint_biharmonic(np.where(small_mask, small_image, 0), ~small_mask)
    np.testing.assert_allclose(out[~small_mask], np.clip(ref, 0, 1)[~small_mask])
    assert np.array_equal(out[small_mask], small_image[small_mask])


def test_finite_network_trains_and_records_psnr(small_image, small_mask):
    arch = presets.get("autoencoder-2")
    r = train_finite(small_image, small_mask, arch, steps=40, lr=1e-2, width=8, channels=4, eval_every=10,
                     reference=small_image)
    assert [s for s, _ in r.history] == [10, 20, 30, 40]
    best = max(p for _, p in r.history)
    assert r.best_step in (10, 20, 30, 40) and dict(r.history)[r.best_step] == best
    assert np.array_equal(r.final[small_mask], small_image[small_mask])
    assert r.history[-1][1] > r.history[0][1] - 1.0  # training makes progress (not divergent)


def test_finite_network_rgb(small_image, small_mask):
    rgb = np.stack([small_image, 1 - small_image, small_image], -1)
    r = train_finite(rgb, small_mask, presets.get("autoencoder-2"), steps=5, width=4, channels=2, eval_every=5)
    assert r.final.shape == (16, 16, 3) and r.history == [] and r.best is r.final
