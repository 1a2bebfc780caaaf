"""Options shared by the image subcommands (inpaint, heatmap): architecture, prior, cache."""

from __future__ import annotations

from ntkjax.errors import NtkjaxInputError


def add_model_options(p, *, default_preset: str = "inpainting") -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--preset", default=None,
                   help=f"named architecture (default {default_preset}): inpainting, reconstruction-2/3/6, "
                        "reconstruction-5-bilinear, autoencoder-S[-bilinear][-relu]")
    g.add_argument("--arch", metavar="FILE.json", help="architecture as a JSON list of layers")
    p.add_argument("--prior", default="iid", help="iid (default), iid:C1,C2, identity, meshgrid or PATH.npy (C, H, W)")
    p.add_argument("--kernel-cache", metavar="DIR",
                   help="folder for cached base kernels (created if missing; default: no cache)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="kernel dtype (default float32)")


def resolve_arch(args, default_preset: str = "inpainting"):
    from ntkjax.cntk import Architecture, presets

    if args.arch:
        return Architecture.from_json(args.arch)
    return presets.get(args.preset or default_preset)


def resolve_cache(args):
    if not args.kernel_cache:
        return None
    from ntkjax.image.cache import KernelCache

    return KernelCache(args.kernel_cache)


def check_out_suffix(path: str, allowed) -> None:
    from pathlib import Path

    if Path(path).suffix.lower() not in allowed:
        raise NtkjaxInputError(f"output {path!r} must end in one of {', '.join(allowed)}")
