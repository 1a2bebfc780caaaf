"""``ntkjax expand``: expand a base CNTK to a larger image (Appendix M expansion theorem)."""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from ntkjax import expansion as E
from ntkjax.errors import NtkjaxInputError
from ntkjax.io import check_output_path, load_npy, save_npy
from ntkjax.memory import check_fits, format_bytes

PERIODIC_TOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "expand",
        help="expand a 2^(s+1) x 2^(s+1) base CNTK to an H x W image (Appendix M)",
        description=(
            "Expand the CNTK of a net with s downsamplings and s nearest-neighbour upsamplings, computed "
            "at 2^(s+1) x 2^(s+1), to an H x W image (H, W multiples of 2^s, at least 2^(s+1)). Writes the "
            "compact (2^s, 2^s, H, W) kernel (K[x, x'] = OUT[x_i % P, x_j % P, (x'_i - x_i) % H, "
            "(x'_j - x_j) % W]) or, with --full, the (H, W, H, W) kernel. Example: "
            "ntkjax expand base.npy --downsamplings 3 --size 64 96 --out k64x96.npy"
        ),
    )
    p.add_argument("base", metavar="BASE.npy", help="base CNTK: full (B,B,B,B) or compact (P,P,B,B), B = 2^(s+1)")
    p.add_argument("--downsamplings", "-s", type=int, required=True, metavar="S", help="number of downsamplings s")
    p.add_argument("--size", type=int, nargs=2, required=True, metavar=("H", "W"), help="target image size")
    p.add_argument("--out", required=True, metavar="OUT.npy", help="output .npy")
    p.add_argument("--full", action="store_true", help="write the full (H, W, H, W) kernel instead of the compact one")
    p.add_argument(
        "--allow-inexact", action="store_true",
        help="expand a full base that is not 2^s-periodic (e.g. bilinear upsampling) anyway, with a warning",
    )
    return p


def run(args) -> int:
    out = check_output_path(args.out, inputs=(args.base,))
    if out.suffix.lower() != ".npy":
        raise NtkjaxInputError(f"output {args.out!r} must end in .npy")
    s = args.downsamplings
    H, W = E.check_size(args.size, s)
    P = 2**s
    base = load_npy(args.base)
    C = E.base_compact(base, s)  # validates shape, dtype, finiteness
    if base.ndim == 4 and base.shape[0] == 2 * P:
        err = E.periodicity_error(base, P)
        tol = PERIODIC_TOL.get(np.dtype(base.dtype), 1e-5)
        if err > tol:
            msg = (f"the base kernel is not periodic with period 2^s = {P} (relative deviation {err:.2e}); "
                   "the expansion theorem is exact only for strided downsampling + nearest upsampling, not "
                   "bilinear upsampling")
            if not args.allow_inexact:
                raise NtkjaxInputError(msg + "; pass --allow-inexact to expand it approximately anyway")
            warnings.warn(msg + "; expanding approximately as asked", stacklevel=1)
    item = np.dtype(base.dtype).itemsize
    n_out = float(H * W) ** 2 if args.full else float(P * P * H * W)
    check_fits(n_out * item * (2 if args.full else 1), what=f"the {'full' if args.full else 'compact'} output "
               f"({format_bytes(n_out * item)})", hint="drop --full or choose a smaller --size")
    t0 = time.perf_counter()
    K = E.expand(C, s, (H, W))
    if args.full:
        K = E.to_full(K, H, W)
    save_npy(out, np.asarray(K))
    print(f"expanded {tuple(base.shape)} -> {tuple(K.shape)} in {time.perf_counter() - t0:.2f} s -> {out}")
    return 0
