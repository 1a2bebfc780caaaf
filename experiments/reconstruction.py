"""Fig. 10: image reconstruction (50% of the pixels missing) -- CNTK vs biharmonic vs finite net.

The 11 images of ``DATA/images/reconstruction`` with the per-image architectures of Appendix N.2
(``ntkjax.cntk.presets.RECONSTRUCTION_BY_IMAGE``), a Bernoulli mask dropping ``--drop`` of the
pixels (seed ``--seed``), PSNR/SSIM with replacement of the observed pixels (footnote 2) via
scikit-image, and seconds per image. Writes ``OUT/reconstruction.{csv,md,json}``.

CPU default (what a laptop can do): the CNTK by the tiled local solve (``ntkjax.image.completion``,
tile 64, automatic margin), Peppers with the *nearest* 5-level net (the bilinear CNTK of a
256 x 256 image is a 64 GiB array), no finite network (``--finite`` adds it, by default 300 Adam
steps at width 32). ``--paper`` switches to the paper's settings: bilinear Peppers (full kernel,
ridge 4e-5), the finite network with 128 filters for 6000 steps at lr 1e-3 -- GPU/large-memory only.

    python experiments/reconstruction.py                           # CPU default, ~15-30 min
    python experiments/reconstruction.py --images house peppers --finite
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

FILES = {
    "barbara": "barbara_GT.png", "boat": "boat_GT.png", "cameraman": "Cameraman256_GT.png",
    "couple": "couple_GT.png", "fingerprint": "fingerprint_GT.png", "hill": "hill_GT.png",
    "house": "house_GT.png", "lena": "Lena512_GT.png", "man": "man_GT.png", "montage": "montage_GT.png",
    "peppers": "peppers256_GT.png",
}
PAPER = {  # Fig. 10: CNTK, finite net, biharmonic PSNR
    "barbara": (26.61, 24.78, 26.75), "boat": (31.99, 31.39, 32.07), "cameraman": (27.65, 27.28, 28.04),
    "couple": (32.65, 31.46, 32.27), "fingerprint": (31.71, 28.46, 33.49), "hill": (33.46, 32.02, 33.39),
    "house": (36.10, 34.00, 35.60), "lena": (34.96, 35.07, 36.08), "man": (32.15, 31.39, 32.91),
    "montage": (29.98, 28.71, 28.39), "peppers": (32.25, 32.25, 30.33),
}


def preset_for(name: str, paper: bool, convs: int = 1, upsample_first: bool = True) -> str:
    from ntkjax.cntk.presets import RECONSTRUCTION_BY_IMAGE

    levels, mode = RECONSTRUCTION_BY_IMAGE[name]
    base = f"autoencoder-{levels}" + (f"x{convs}" if convs != 1 else "")
    if mode == "bilinear" and paper:  # CPU default: nearest (the 256 x 256 bilinear kernel needs 64 GiB)
        base += "-bilinear"
    return base + ("-upfirst" if upsample_first else "")


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=HERE.parent.parent / "shared" / "data")
    ap.add_argument("--images", nargs="*", default=list(FILES), choices=list(FILES))
    ap.add_argument("--drop", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solver", default="tiles", choices=["auto", "direct", "tiles", "eigenpro", "cg"])
    ap.add_argument("--epochs", type=int, default=None, help="EigenPro epochs / CG iterations")
    ap.add_argument("--convs-per-level", type=int, default=1,
                    help="convolutions per level (1: the authors' notebook; 2: Deep Image Prior's block depth)")
    ap.add_argument("--upsample-first", action=argparse.BooleanOptionalAction, default=True,
                    help="decoder levels as [upsample, conv, act] (Deep Image Prior's order; default, it "
                         "reproduces the paper) or, with --no-upsample-first, [conv, act, upsample] (the "
                         "authors' demo notebook)")
    ap.add_argument("--tile", type=int, default=64)
    ap.add_argument("--margin", type=int, default=None)
    ap.add_argument("--finite", action="store_true", help="also train the finite network")
    ap.add_argument("--finite-steps", type=int, default=300)
    ap.add_argument("--finite-width", type=int, default=32)
    ap.add_argument("--finite-lr", type=float, default=1e-3)
    ap.add_argument("--paper", action="store_true", help="paper-scale settings (bilinear Peppers, 6000 steps x 128 filters)")
    ap.add_argument("--kernel-cache", type=Path, default=None)
    ap.add_argument("--out-dir", type=Path, default=HERE / "results")
    ap.add_argument("--name", default="reconstruction", help="basename of the result files")
    args = ap.parse_args(argv)
    if args.paper:
        args.finite, args.finite_steps, args.finite_width = True, 6000, 128

    from _image_tables import machine, write_tables

    from ntkjax.cntk import presets, priors
    from ntkjax.image.baselines import biharmonic, train_finite
    from ntkjax.image.cache import KernelCache
    from ntkjax.image.completion import complete_with_kernel
    from ntkjax.image.io import random_mask, read_image
    from ntkjax.image.kernels import image_kernel
    from ntkjax.image.metrics import psnr, ssim

    cache = KernelCache(args.kernel_cache) if args.kernel_cache else None
    kernels: dict = {}
    rows = []
    for name in args.images:
        img = read_image(args.data_dir / "images" / "reconstruction" / FILES[name]).pixels
        if img.ndim == 3:
            img = img.mean(-1)
        mask = random_mask(img.shape, args.drop, args.seed)
        preset = preset_for(name, args.paper, args.convs_per_level, args.upsample_first)
        arch = presets.get(preset)
        row = {"image": name, "size": f"{img.shape[0]}x{img.shape[1]}", "preset": preset}
        key = (preset, img.shape)
        t = time.perf_counter()
        if key not in kernels:
            kernels.clear()  # one kernel in memory at a time
            kernels[key] = image_kernel(arch, priors.iid(), img.shape, cache=cache)
        t_kernel = time.perf_counter() - t
        ridge = 4e-5 if (args.paper and name == "peppers") else 1e-6
        t = time.perf_counter()
        pred, solver, info = complete_with_kernel(kernels[key], img, mask, solver=args.solver, ridge=ridge,
                                                  epochs=args.epochs, tile=args.tile, margin=args.margin, progress=True)
        out = np.where(mask, img, np.clip(pred, 0, 1))
        row.update(solver=solver, cntk_psnr=psnr(img, out, mask), cntk_ssim=ssim(img, out, mask),
                   cntk_seconds=time.perf_counter() - t + t_kernel, kernel_seconds=t_kernel)
        t = time.perf_counter()
        bh = biharmonic(img, mask)
        row.update(biharmonic_psnr=psnr(img, bh, mask), biharmonic_ssim=ssim(img, bh, mask),
                   biharmonic_seconds=time.perf_counter() - t)
        if args.finite:
            fr = train_finite(img, mask, arch, steps=args.finite_steps, lr=args.finite_lr, width=args.finite_width,
                              eval_every=max(1, args.finite_steps // 20), reference=img, progress=True)
            row.update(finite_psnr_final=psnr(img, fr.final, mask), finite_psnr_best=psnr(img, fr.best, mask),
                       finite_best_step=fr.best_step, finite_ssim_best=ssim(img, fr.best, mask),
                       finite_seconds=fr.seconds)
        row.update(paper_cntk=PAPER[name][0], paper_biharmonic=PAPER[name][2], paper_finite=PAPER[name][1])
        rows.append(row)
        print(json.dumps(row), flush=True)

    def avg(k):
        vals = [r[k] for r in rows if k in r]
        return float(np.mean(vals)) if vals else ""

    wins = sum(r["cntk_psnr"] > r["biharmonic_psnr"] for r in rows)
    mean = {"image": "average", "size": "", "preset": "", "solver": ""}
    for k in rows[0]:
        if isinstance(rows[0][k], float) and k != "finite_best_step":
            mean[k] = avg(k)
    rows.append(mean)
    cols = ["image", "size", "preset", "solver", "cntk_psnr", "biharmonic_psnr", "cntk_ssim", "biharmonic_ssim",
            "cntk_seconds", "biharmonic_seconds"]
    if args.finite:
        cols += ["finite_psnr_final", "finite_psnr_best", "finite_best_step", "finite_ssim_best", "finite_seconds"]
    cols += ["paper_cntk", "paper_biharmonic", "paper_finite"]
    settings = (f"drop {args.drop:.0%} (seed {args.seed}), {args.convs_per_level} conv(s) per level, decoder "
                f"{'upsample-first' if args.upsample_first else 'conv-first'}, solver "
                f"{args.solver}, tile {args.tile}, margin "
                f"{args.margin or 'auto'}, {'paper' if args.paper else 'CPU'} settings"
                + (f", finite net {args.finite_steps} steps x width {args.finite_width}, lr {args.finite_lr}" if args.finite else ""))
    header = (f"# Reconstruction (Fig. 10), {len(rows) - 1} images\n\nMachine: {machine()}. Settings: {settings}. "
              f"CNTK beats biharmonic on {wins} of {len(rows) - 1} images. PSNR in dB with observed pixels replaced; "
              "seconds per image (CNTK: kernel + solve).")
    write_tables(rows, cols, args.out_dir, args.name, header)
    (args.out_dir / f"{args.name}.json").write_text(json.dumps({"settings": settings, "machine": machine(),
                                                                  "rows": rows, "cntk_wins": wins}, indent=2))
    print(f"average CNTK {mean['cntk_psnr']:.2f} dB, biharmonic {mean['biharmonic_psnr']:.2f} dB, "
          f"CNTK wins {wins}/{len(rows) - 1}; tables in {args.out_dir}")
    return rows


if __name__ == "__main__":
    main()
