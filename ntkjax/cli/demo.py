"""``ntkjax demo``: CNTK vs biharmonic inpainting on an image that ships with scikit-image."""

from __future__ import annotations

import argparse
import time


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "demo",
        help="a 1-3 minute demo: CNTK vs biharmonic on skimage's camera image (no download)",
        description=(
            "Complete skimage.data.camera() (resized) with a large hole and with 50% of the pixels missing, "
            "using the CNTK of an autoencoder and scikit-image's biharmonic inpainting; print PSNR, SSIM and "
            "seconds, and write a side-by-side PNG. Runs offline on a CPU in a few minutes."
        ),
    )
    p.add_argument("--out", default="ntkjax_demo.png", metavar="FILE.png", help="side-by-side figure (default ntkjax_demo.png)")
    p.add_argument("--size", type=int, default=128, help="image side (default 128; a multiple of 32, >= 64)")
    p.add_argument("--preset", default="autoencoder-5-upfirst",
                   help="architecture (default autoencoder-5-upfirst: 5 down/up levels, decoder upsample-then-conv)")
    p.add_argument("--hole", type=float, default=0.18, help="hole side as a fraction of the image side (default 0.18)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random mask (default 0)")
    p.add_argument("--kernel-cache", metavar="DIR", help="folder for cached kernels (default: none)")
    return p


def demo_masks(size: int, hole: float, seed: int):
    """The two masks of the demo: a centred square hole, and 50% of the pixels missing at random."""
    import numpy as np

    from ntkjax.image.io import random_mask

    m = np.ones((size, size), bool)
    h = max(2, int(round(hole * size)))
    i0, j0 = int(0.40 * size), int(0.45 * size)  # over the photographer's head and camera
    m[i0:i0 + h, j0:j0 + h] = False
    return {"large hole": m, "50% random": random_mask((size, size), 0.5, seed)}


def run(args) -> int:
    import numpy as np
    from skimage import data, transform

    from ntkjax.cli._image_common import check_out_suffix
    from ntkjax.cntk import presets, priors
    from ntkjax.errors import NtkjaxInputError
    from ntkjax.image.baselines import biharmonic
    from ntkjax.image.cache import KernelCache
    from ntkjax.image.completion import complete_with_kernel
    from ntkjax.image.heatmap import save_figure
    from ntkjax.image.kernels import image_kernel
    from ntkjax.image.metrics import psnr, ssim
    from ntkjax.io import check_output_path

    out = check_output_path(args.out)
    check_out_suffix(args.out, (".png", ".pdf", ".svg"))
    arch = presets.get(args.preset)
    P = 2 ** arch.num_downsamplings
    if args.size < 2 * P or args.size % P:
        raise NtkjaxInputError(f"--size must be a multiple of {P} and at least {2 * P} for {args.preset}")
    if not 0 < args.hole < 0.5:
        raise NtkjaxInputError("--hole must be a fraction in (0, 0.5)")
    t_all = time.perf_counter()
    img = transform.resize(data.camera() / 255.0, (args.size, args.size), anti_aliasing=True)
    cache = KernelCache(args.kernel_cache) if args.kernel_cache else None
    t = time.perf_counter()
    kern = image_kernel(arch, priors.iid(), img.shape, cache=cache)
    t_kernel = time.perf_counter() - t
    print(f"ntkjax demo: camera {args.size}x{args.size}, CNTK of {args.preset} (kernel {t_kernel:.1f} s)")
    rows, images = [], {}
    for name, mask in demo_masks(args.size, args.hole, args.seed).items():
        t = time.perf_counter()
        pred, solver, _ = complete_with_kernel(kern, img, mask, solver="tiles", tile=32)
        cntk = np.where(mask, img, np.clip(pred, 0, 1))
        t_cntk = time.perf_counter() - t
        t = time.perf_counter()
        bh = biharmonic(img, mask)
        t_bh = time.perf_counter() - t
        for method, res, sec in (("CNTK", cntk, t_cntk), ("biharmonic", bh, t_bh)):
            rows.append((name, method, psnr(img, res, mask), ssim(img, res, mask), sec))
        images[name] = (np.where(mask, img, 0.0), cntk, bh)
    print(f"\n{'mask':<12} {'method':<11} {'PSNR dB':>8} {'SSIM':>7} {'seconds':>8}")
    for name, method, p, s, sec in rows:
        print(f"{name:<12} {method:<11} {p:8.2f} {s:7.4f} {sec:8.1f}")

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(10, 5.4), dpi=110)
    by = {(r[0], r[1]): r for r in rows}
    for r, (name, (masked, cntk, bh)) in enumerate(images.items()):
        panels = [("observed", masked), (f"CNTK {by[(name, 'CNTK')][2]:.2f} dB", cntk),
                  (f"biharmonic {by[(name, 'biharmonic')][2]:.2f} dB", bh), ("ground truth", img)]
        for c, (title, im) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(im, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"{name}: {title}" if c == 0 else title, fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    save_figure(fig, out)
    plt.close(fig)
    print(f"\nside-by-side figure -> {out}  (total {time.perf_counter() - t_all:.1f} s)")
    return 0
