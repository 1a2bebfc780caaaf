"""``ntkjax inpaint``: complete the missing pixels of an image with the CNTK."""

from __future__ import annotations

import argparse
import sys

from ntkjax.cli._image_common import add_model_options, check_out_suffix, resolve_arch, resolve_cache
from ntkjax.errors import NtkjaxInputError


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "inpaint",
        help="inpaint / reconstruct an image with the CNTK (Section 5)",
        description=(
            "Fill the missing pixels of a grayscale or RGB image by kernel regression with the CNTK of an "
            "autoencoder (Section 5). Missing pixels come from a mask (white = observed, black = missing) or "
            "are dropped at random. Observed pixels are kept exactly; the result is clipped to the valid range "
            "and written at the input's bit depth. Any size: the image is reflect-padded to a multiple of 2^s "
            "(s = downsamplings) and cropped back. Example: ntkjax inpaint photo.png --mask hole.png --out filled.png"
        ),
    )
    p.add_argument("image", metavar="IMAGE", help="PNG/JPEG/TIFF image (8- or 16-bit, gray or RGB; alpha is dropped)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--mask", metavar="MASK", help="mask image of the same size: white = observed, black = missing")
    src.add_argument("--drop", type=float, metavar="FRACTION", help="drop this fraction of pixels at random instead")
    p.add_argument("--seed", type=int, default=0, help="seed of the random mask (default 0)")
    p.add_argument("--out", required=True, metavar="OUT.png", help="output image (written atomically)")
    add_model_options(p)
    p.add_argument("--solver", choices=["auto", "direct", "tiles", "eigenpro", "cg"], default="auto",
                   help="auto (default): direct up to 8192 observed pixels, tiles beyond; eigenpro/cg: global iterative")
    p.add_argument("--epochs", type=int, default=None, help="EigenPro epochs (default 10) / CG iterations (default 100)")
    p.add_argument("--ridge", type=float, default=1e-6, help="ridge relative to mean(diag K) (default 1e-6)")
    p.add_argument("--tile", type=int, default=64, help="tile size for the tiles solver (default 64)")
    p.add_argument("--margin", type=int, default=None,
                   help="context margin around each tile (default: twice the largest hole radius, 8..64)")
    p.add_argument("--stride", type=int, default=2, help="tiles: use every STRIDE-th pixel beyond 8 px of a tile (default 2)")
    p.add_argument("--reference", metavar="REF", help="ground-truth image: print PSNR/SSIM (observed pixels replaced)")
    p.add_argument("--save-mask", metavar="MASK.png", help="also write the mask used (useful with --drop)")
    return p


def run(args) -> int:
    from pathlib import Path

    import numpy as np

    from ntkjax.cntk.priors import parse_prior
    from ntkjax.image.completion import complete
    from ntkjax.image.io import OUTPUT_SUFFIXES, random_mask, read_image, read_mask, write_image
    from ntkjax.image.metrics import psnr, ssim
    from ntkjax.image.padding import padded_size
    from ntkjax.io import check_output_path

    inputs = (args.image, args.mask, args.reference)
    out = check_output_path(args.out, inputs=inputs)
    check_out_suffix(args.out, OUTPUT_SUFFIXES)
    if args.save_mask:
        check_output_path(args.save_mask, inputs=inputs)
        check_out_suffix(args.save_mask, OUTPUT_SUFFIXES)
        if Path(args.save_mask).resolve() == out.resolve():
            raise NtkjaxInputError("--save-mask and --out must be different files")
    if args.epochs is not None and args.epochs < 0:
        raise NtkjaxInputError(f"--epochs must be >= 0, got {args.epochs}")
    if not np.isfinite(args.ridge) or args.ridge < 0:
        raise NtkjaxInputError(f"--ridge must be >= 0, got {args.ridge}")
    data = read_image(args.image)
    for note in data.notes:
        print(f"note: {note}", file=sys.stderr)
    H, W = data.shape
    mask = read_mask(args.mask, (H, W)) if args.mask else random_mask((H, W), args.drop, args.seed)
    reference = None
    if args.reference:
        ref = read_image(args.reference)
        if ref.pixels.shape != data.pixels.shape:
            raise NtkjaxInputError(
                f"reference {args.reference!r} has shape {ref.pixels.shape} but the image {data.pixels.shape}"
            )
        reference = ref.pixels
    arch = resolve_arch(args)
    P = 2 ** arch.num_downsamplings
    window_form = args.prior.strip().startswith("iid") and "bilinear" not in arch.upsampling_modes
    size = padded_size((H, W), P, 2 * P if window_form else P)  # the grid of ntkjax.image.kernels.grid
    prior = parse_prior(args.prior, size)
    cache = resolve_cache(args)
    result = complete(data.pixels, mask, arch, prior, solver=args.solver, ridge=args.ridge, epochs=args.epochs,
                      tile=args.tile, margin=args.margin, stride=args.stride, dtype=args.dtype, cache=cache, progress=True)
    for note in cache.notes if cache else []:
        print(f"note: {note}", file=sys.stderr)
    write_image(out, result.image, data.bits)
    if args.save_mask:
        write_image(args.save_mask, mask.astype(float), 8)
    missing = int((~mask).sum())
    pad = "" if result.info["padded"] == [H, W] else f" (padded to {result.info['padded'][0]}x{result.info['padded'][1]})"
    print(f"completed {missing} missing pixels of a {H}x{W} image{pad} with solver {result.solver} in "
          f"{result.seconds['total']:.1f} s (kernel {result.seconds['kernel']:.1f} s) -> {out}")
    if reference is not None:
        print(f"PSNR {psnr(reference, result.image, mask):.2f} dB  SSIM {ssim(reference, result.image, mask):.4f}"
              "  (observed pixels replaced)")
    return 0
