"""``ntkjax synth-cmap``: write the calibrated synthetic CMap tensor in the real file's layout."""

from __future__ import annotations

import argparse

from ntkjax.errors import NtkjaxInputError


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "synth-cmap",
        help="write the synthetic CMap-like tensor (.mat in the real large.mat layout, or .npz)",
        description=(
            "Generate the calibrated CMap-like tensor (2130 drugs x 978 genes x 71 cells, 15,855 profiles) and "
            "write it as MATLAB v5 / v7.3 (T, pertIds, geneIds, cellIds; NaN = unobserved) or the compact .npz "
            "layout. Example: ntkjax synth-cmap --out large_synth.mat"
        ),
    )
    p.add_argument("--out", required=True, metavar="FILE", help="output .mat or .npz")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--mat-version", choices=("5", "7.3"), default="5", help="MATLAB format for .mat (default 5)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="shrink cell counts by this factor (with --drugs/--genes) for small test files")
    p.add_argument("--drugs", type=int, default=None, help="number of drugs (default 2130)")
    p.add_argument("--genes", type=int, default=None, help="number of genes (default 978)")
    return p


def run(args) -> int:
    from ntkjax.drugscreen.data import save_mat, save_npz
    from ntkjax.drugscreen.synthetic import DEFAULT, make_synthetic
    from ntkjax.io import check_output_path

    out = check_output_path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".mat", ".npz"):
        raise NtkjaxInputError(f"--out {args.out!r} must end in .mat or .npz")
    if not 0 < args.scale <= 1:
        raise NtkjaxInputError(f"--scale must be in (0, 1], got {args.scale}")
    cfg = DEFAULT
    if args.scale != 1.0 or args.drugs or args.genes:
        cfg = DEFAULT.scaled(args.drugs or DEFAULT.n_drugs, args.genes or DEFAULT.n_genes, args.scale)
    data = make_synthetic(args.seed, cfg)
    if suffix == ".npz":
        save_npz(out, data)
    else:
        save_mat(out, data, version=args.mat_version)
    print(f"wrote {data.n_drugs} drugs x {data.n_genes} genes x {data.n_cells} cells, {data.n_obs} profiles -> {out}")
    return 0
