"""``ntkjax complete``: fill the missing entries of a matrix with Theorem 1's NTK."""

from __future__ import annotations

import argparse
import time

import numpy as np

from ntkjax.complete import complete_matrix
from ntkjax.dual import parse_activation
from ntkjax.errors import NtkjaxInputError
from ntkjax.io import check_output_path, load_matrix, save_matrix


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "complete",
        help="complete a matrix with missing entries (NaN) using the NTK of Theorem 1",
        description=(
            "Complete an m x n matrix whose missing entries are NaN (or empty CSV cells) by kernel "
            "regression with the NTK of a fully connected network (Theorem 1). Observed entries are "
            "kept as given. Example: ntkjax complete ratings.csv --out completed.csv --prior movies.csv"
        ),
    )
    p.add_argument("input", metavar="INPUT", help=".csv or .npy matrix; NaN or empty cell = missing")
    p.add_argument("--out", required=True, metavar="OUTPUT", help="output .csv or .npy (extension picks format)")
    p.add_argument("--prior", metavar="PRIOR", help=".csv/.npy feature prior, p x n (default: identity)")
    p.add_argument("--depth", type=int, default=1, help="number of hidden layers d >= 1 (default 1)")
    p.add_argument(
        "--activation", default="relu", help="relu | linear | leaky_relu:SLOPE (default relu)"
    )
    p.add_argument("--ridge", type=float, default=0.0, help="ridge added to the kernel diagonal (default 0)")
    return p


def run(args) -> int:
    out = check_output_path(args.out, inputs=(args.input, args.prior))
    if out.suffix.lower() not in (".csv", ".npy"):
        raise NtkjaxInputError(f"output {args.out!r} must end in .csv or .npy")
    activation = parse_activation(args.activation)
    if args.depth < 1:
        raise NtkjaxInputError(f"--depth must be >= 1, got {args.depth}")
    Y = load_matrix(args.input, what="input")
    prior = load_matrix(args.prior, what="prior") if args.prior else None
    if prior is not None and np.isnan(prior).any():
        raise NtkjaxInputError(f"prior {args.prior!r} has missing (NaN/empty) entries; a prior must be complete")
    t0 = time.perf_counter()
    completed = complete_matrix(Y, prior, depth=args.depth, activation=activation, ridge=args.ridge, progress=True)
    save_matrix(out, completed)
    n_missing = int(np.isnan(Y).sum())
    print(f"completed {n_missing} missing entries of a {Y.shape[0]}x{Y.shape[1]} matrix "
          f"in {time.perf_counter() - t0:.2f} s -> {out}")
    return 0
