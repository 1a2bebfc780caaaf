"""``ntkjax kernel``: compute the exact CNTK of an architecture and write it as .npy + JSON sidecar."""

from __future__ import annotations

import argparse
import time


from ntkjax import __version__
from ntkjax.cntk import Architecture, kernel, presets
from ntkjax.cntk.priors import parse_prior
from ntkjax.errors import NtkjaxInputError
from ntkjax.io import check_output_path, save_json, save_npy


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "kernel",
        help="compute the CNTK K(M_ij, M_kl) of an architecture as an (H, W, H, W) .npy",
        description=(
            "Compute the exact CNTK for matrix completion (Proposition 1) of a convolutional "
            "architecture under a feature prior, and write it as a plain .npy (loadable with "
            "allow_pickle=False) plus OUT.json describing how it was made. Example: "
            "ntkjax kernel --preset inpainting --size 128 --out K128.npy"
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--arch", metavar="FILE.json", help="architecture file: a JSON list of layers")
    src.add_argument("--preset", metavar="NAME", help=f"named architecture: {', '.join(presets.names())}")
    p.add_argument("--size", type=int, nargs="+", required=True, metavar=("H", "W"), help="image size H [W]")
    p.add_argument("--prior", default="iid", help="iid (default) | iid:C1,C2 | identity | meshgrid | PATH.npy (C, H, W)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--form", default="full", choices=["full", "compact"],
                   help="full (H, W, H, W) or compact (P, P, H, W) phase/offset form (iid prior, nearest upsampling)")
    p.add_argument("--out", required=True, metavar="K.npy", help="output .npy; a sidecar K.json is written next to it")
    return p


def run(args) -> int:
    if len(args.size) not in (1, 2):
        raise NtkjaxInputError(f"--size takes H or H W, got {len(args.size)} numbers")
    H, W = (args.size * 2)[:2] if len(args.size) == 1 else args.size
    out = check_output_path(args.out, inputs=(args.arch,))
    if out.suffix != ".npy":
        raise NtkjaxInputError(f"--out must end in .npy, got {args.out!r}")
    sidecar = out.with_suffix(".json")
    arch = Architecture.from_json(args.arch) if args.arch else presets.get(args.preset)
    prior = parse_prior(args.prior, (H, W))
    t0 = time.perf_counter()
    K = kernel(arch, prior, (H, W), dtype=args.dtype, form=args.form, progress=True)
    seconds = time.perf_counter() - t0
    save_npy(out, K)
    save_json(
        sidecar,
        {
            "ntkjax_version": __version__,
            "architecture": arch.to_json(),
            "preset": args.preset,
            "prior": prior.describe(),
            "prior_spec": args.prior,
            "dtype": args.dtype,
            "size": [H, W],
            "form": args.form,
            "shape": list(K.shape),
            "layout": "K[i, j, k, l] = K(M_ij, M_kl)" if args.form == "full"
            else "K(x, x') = F[x_i % P, x_j % P, (x'_i - x_i) % H, (x'_j - x_j) % W]",
            "seconds": round(seconds, 3),
        },
    )
    print(f"wrote {out} {tuple(K.shape)} {K.dtype} and {sidecar} in {seconds:.2f} s")
    return 0
