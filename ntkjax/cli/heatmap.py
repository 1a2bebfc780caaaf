"""``ntkjax heatmap``: draw one row K(i, j, :, :) of the CNTK (Fig. 4 / 11)."""

from __future__ import annotations

import argparse

from ntkjax.cli._image_common import add_model_options, check_out_suffix, resolve_arch, resolve_cache
from ntkjax.errors import NtkjaxInputError


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "heatmap",
        help="plot the CNTK row K(i, j, :, :): which pixels a missing pixel is imputed from (Fig. 4)",
        description=(
            "Compute the CNTK of an H x W image for an architecture and feature prior and draw the kernel "
            "values between pixel (i, j) (0-indexed) and every other pixel. Example: "
            "ntkjax heatmap --preset inpainting --size 128 128 --pixel 104 14 --out heat.png"
        ),
    )
    add_model_options(p)
    p.add_argument("--size", type=int, nargs=2, required=True, metavar=("H", "W"), help="image size")
    p.add_argument("--pixel", type=int, nargs=2, required=True, metavar=("I", "J"), help="pixel (row, column)")
    p.add_argument("--out", required=True, metavar="FILE.png", help="output figure (.png, .pdf or .svg)")
    p.add_argument("--save-npy", metavar="FILE.npy", help="also write the (H, W) row as .npy")
    return p


def run(args) -> int:
    from ntkjax.cntk.priors import parse_prior
    from ntkjax.image.heatmap import kernel_row, plot_heatmap, save_figure
    from ntkjax.io import check_output_path, save_npy

    out = check_output_path(args.out)
    check_out_suffix(args.out, (".png", ".pdf", ".svg"))
    if args.save_npy:
        check_output_path(args.save_npy)
        check_out_suffix(args.save_npy, (".npy",))
    H, W = args.size
    if H < 1 or W < 1:
        raise NtkjaxInputError(f"--size must be positive, got {H} {W}")
    arch = resolve_arch(args)
    prior = parse_prior(args.prior, (H, W))
    row = kernel_row(arch, prior, (H, W), tuple(args.pixel), dtype=args.dtype, cache=resolve_cache(args))
    name = args.arch or args.preset or "inpainting"
    fig = plot_heatmap(row, tuple(args.pixel), title=f"{name}, prior {args.prior}: K({args.pixel[0]}, {args.pixel[1]}, :, :)")
    save_figure(fig, out)
    if args.save_npy:
        save_npy(args.save_npy, row)
    print(f"kernel row of pixel ({args.pixel[0]}, {args.pixel[1]}) on a {H}x{W} image: "
          f"min {row.min():.4g}, max {row.max():.4g} -> {out}")
    return 0
