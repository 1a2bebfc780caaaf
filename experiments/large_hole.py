"""Fig. 8: large-hole inpainting (vase, library, kate) -- CNTK vs biharmonic vs finite net.

Images and masks from ``DATA/images/inpainting`` (white = observed), the ``inpainting`` preset
(Appendix N.1: 6 down/up levels, nearest upsampling, iid U[0, 1] prior), PSNR/SSIM with
replacement of the observed pixels, seconds per image. Writes ``OUT/large_hole.{csv,md,json}``.

CPU default: the tiled local solve (tile 32, automatic margin = twice the largest hole radius,
far context every 2nd pixel); no finite network unless ``--finite`` (default 200 Adam steps at
lr 1e-2, width 32, one network per colour channel). ``--paper``: the finite net at 128 filters,
1000 steps (6000 for library), lr 1e-2, seed 15; the CNTK by EigenPro for 10 epochs
(``--solver eigenpro --epochs 10``, a GPU setting) is available separately.

    python experiments/large_hole.py                      # CPU default
    python experiments/large_hole.py --images vase --finite
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

PAPER = {"vase": (31.75, 31.51, 28.96), "library": (21.73, 20.76, 17.71), "kate": (None, None, None)}  # CNTK, NN, biharmonic


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=HERE.parent.parent / "shared" / "data")
    ap.add_argument("--images", nargs="*", default=["vase", "kate", "library"], choices=list(PAPER))
    ap.add_argument("--preset", default="inpainting")
    ap.add_argument("--solver", default="tiles", choices=["auto", "direct", "tiles", "eigenpro", "cg"])
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--tile", type=int, default=32)
    ap.add_argument("--margin", type=int, default=None)
    ap.add_argument("--finite", action="store_true")
    ap.add_argument("--finite-steps", type=int, default=200)
    ap.add_argument("--finite-width", type=int, default=32)
    ap.add_argument("--finite-lr", type=float, default=1e-2)
    ap.add_argument("--paper", action="store_true")
    ap.add_argument("--kernel-cache", type=Path, default=None)
    ap.add_argument("--out-dir", type=Path, default=HERE / "results")
    ap.add_argument("--name", default="large_hole", help="basename of the result files")
    args = ap.parse_args(argv)
    if args.paper:
        args.finite, args.finite_width = True, 128

    from _image_tables import machine, write_tables

    from ntkjax.cntk import presets, priors
    from ntkjax.image.baselines import biharmonic, train_finite
    from ntkjax.image.cache import KernelCache
    from ntkjax.image.completion import complete
    from ntkjax.image.io import read_image, read_mask
    from ntkjax.image.metrics import psnr, ssim

    cache = KernelCache(args.kernel_cache) if args.kernel_cache else None
    arch = presets.get(args.preset)
    rows = []
    for name in args.images:
        folder = args.data_dir / "images" / "inpainting"
        img = read_image(folder / f"{name}.png").pixels
        mask = read_mask(folder / f"{name}_mask.png", img.shape[:2])
        row = {"image": name, "size": f"{img.shape[0]}x{img.shape[1]}", "missing": float(1 - mask.mean())}
        res = complete(img, mask, arch, priors.iid(), solver=args.solver, epochs=args.epochs, tile=args.tile,
                       margin=args.margin, cache=cache, progress=True)
        row.update(solver=res.solver, margin=res.info.get("margin", ""), cntk_psnr=psnr(img, res.image, mask),
                   cntk_ssim=ssim(img, res.image, mask), cntk_seconds=res.seconds["total"])
        t = time.perf_counter()
        bh = biharmonic(img, mask)
        row.update(biharmonic_psnr=psnr(img, bh, mask), biharmonic_ssim=ssim(img, bh, mask),
                   biharmonic_seconds=time.perf_counter() - t)
        if args.finite:
            steps = 6000 if (args.paper and name == "library") else (1000 if args.paper else args.finite_steps)
            fr = train_finite(img, mask, arch, steps=steps, lr=args.finite_lr, width=args.finite_width,
                              eval_every=max(1, steps // 20), reference=img, seed=15, progress=True)
            row.update(finite_psnr_final=psnr(img, fr.final, mask), finite_psnr_best=psnr(img, fr.best, mask),
                       finite_best_step=fr.best_step, finite_ssim_best=ssim(img, fr.best, mask), finite_seconds=fr.seconds)
        p = PAPER[name]
        row.update(paper_cntk=p[0] if p[0] else "", paper_biharmonic=p[2] if p[2] else "")
        rows.append(row)
        print(json.dumps(row), flush=True)
    cols = ["image", "size", "missing", "solver", "margin", "cntk_psnr", "biharmonic_psnr", "cntk_ssim", "biharmonic_ssim",
            "cntk_seconds", "biharmonic_seconds"]
    if args.finite:
        cols += ["finite_psnr_final", "finite_psnr_best", "finite_best_step", "finite_ssim_best", "finite_seconds"]
    cols += ["paper_cntk", "paper_biharmonic"]
    settings = (f"preset {args.preset}, solver {args.solver}"
                + (f" ({args.epochs if args.epochs is not None else 'default'} epochs/iterations)"
                   if args.solver in ("eigenpro", "cg") else "")
                + f", tile {args.tile}, margin {args.margin or 'auto'}"
                + (f", finite net {args.finite_steps} steps x width {args.finite_width}, lr {args.finite_lr}" if args.finite else ""))
    header = (f"# Large-hole inpainting (Fig. 8)\n\nMachine: {machine()}. Settings: {settings}. PSNR in dB with "
              "observed pixels replaced; seconds per image (CNTK: kernel + solve).")
    write_tables(rows, cols, args.out_dir, args.name, header)
    (args.out_dir / f"{args.name}.json").write_text(json.dumps({"settings": settings, "machine": machine(), "rows": rows}, indent=2))
    return rows


if __name__ == "__main__":
    main()
