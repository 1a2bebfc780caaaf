import numpy as np

from ntkjax.cntk import kernel, presets, priors
from ntkjax.image.heatmap import kernel_row, plot_heatmap, save_figure


def test_row_matches_full_kernel_iid_and_identity():
    arch = presets.get("autoencoder-3")
    for prior in (priors.iid(), priors.identity(16)):
        K = kernel(arch, prior, (16, 16))
        row = kernel_row(arch, prior, (16, 16), (5, 11))
        np.testing.assert_allclose(row, K[5, 11], rtol=1e-5, atol=1e-6)


def test_iid_heatmap_peaks_at_the_pixel(tmp_path):
    row = kernel_row(presets.get("autoencoder-3"), priors.iid(), (32, 32), (20, 7))
    assert np.unravel_index(np.argmax(row), row.shape) == (20, 7)
    fig = plot_heatmap(row, (20, 7))
    save_figure(fig, tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000
