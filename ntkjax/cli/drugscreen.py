"""``ntkjax drugscreen``: the paper's virtual drug screening protocol (Section 3, Appendices C-I)."""

from __future__ import annotations

import argparse
import time

from ntkjax.errors import NtkjaxInputError


def _ints(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not vals:
        raise argparse.ArgumentTypeError("give at least one seed")
    return vals


def add_parser(sub) -> argparse.ArgumentParser:
    from ntkjax.drugscreen.methods import DEFAULT_METHODS, METHODS
    from ntkjax.drugscreen.splits import PAPER_SEEDS

    p = sub.add_parser(
        "drugscreen",
        help="impute CMap drug x cell gene-expression profiles (mean, DNPP, FaLRTC, NTK priors)",
        description=(
            "Run the paper's drug-screening protocol: per-cell 10-fold CV over seeds, metrics of Appendix H, "
            "sparse/dense regimes, corrected repeated k-fold t-tests. Writes DIR/folds.csv, DIR/pooled.csv, "
            "DIR/summary.md, DIR/run.json and DIR/folds.png. "
            "Example: ntkjax drugscreen --synthetic --seeds 149 --out runs/ds"
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="FILE", help="CMap tensor: .mat (v5 or v7.3) or .npz (see docs/drugscreen.md)")
    src.add_argument("--synthetic", action="store_true", help="use the calibrated CMap-like synthetic tensor")
    src.add_argument("--merge", nargs="+", metavar="RUN_DIR",
                     help="instead of running: combine the outputs of earlier runs over disjoint seeds "
                          "(same data, methods and --folds) into one report in --out")
    p.add_argument("--synthetic-seed", type=int, default=0, help="seed of the synthetic tensor (default 0)")
    p.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                   help=f"comma-separated from {', '.join(METHODS)} (default: {','.join(DEFAULT_METHODS)})")
    p.add_argument("--seeds", type=_ints, default=PAPER_SEEDS,
                   help=f"comma-separated CV seeds (default: {','.join(map(str, PAPER_SEEDS))})")
    p.add_argument("--folds", type=int, default=10, help="folds per cell type (default 10)")
    p.add_argument("--reference", default="MCF7", help="reference cell type for the MCF7 prior (default MCF7)")
    p.add_argument("--min-drugs", type=int, default=10, help="drop cell types with fewer drugs (default 10)")
    p.add_argument("--drop-partial", action="store_true",
                   help="skip partly-NaN profiles instead of failing (they are listed on stderr)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="save every method's predictions per seed and fold in DIR as they are made; rerunning the "
                        "same command loads them, so an interrupted run resumes (default: no checkpoint)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def run(args) -> int:
    import sys
    from pathlib import Path

    from ntkjax.drugscreen.data import load_cmap
    from ntkjax.drugscreen.methods import parse_methods
    from ntkjax.drugscreen.protocol import run_protocol
    from ntkjax.drugscreen.report import write_report
    from ntkjax.drugscreen.synthetic import make_synthetic

    if args.merge:
        return _merge(args)
    methods = parse_methods(args.methods)
    if args.folds < 2:
        raise NtkjaxInputError(f"--folds must be >= 2, got {args.folds}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise NtkjaxInputError(f"--out {args.out!r} exists and is not a folder")
    if args.data and out.exists() and Path(args.data).resolve().parent == out.resolve() and \
            Path(args.data).name in ("folds.csv", "pooled.csv", "summary.md", "run.json", "folds.png"):
        raise NtkjaxInputError("the data file would be overwritten by the outputs; choose another --out")
    if args.checkpoint and Path(args.checkpoint).exists() and not Path(args.checkpoint).is_dir():
        raise NtkjaxInputError(f"--checkpoint {args.checkpoint!r} exists and is not a folder")
    t0 = time.perf_counter()
    if args.synthetic:
        data, title = make_synthetic(args.synthetic_seed), f"Drug screening, synthetic CMap (seed {args.synthetic_seed})"
    else:
        data, dropped = load_cmap(args.data, on_partial="drop" if args.drop_partial else "error")
        title = f"Drug screening, {Path(args.data).name}"
        if dropped:
            print(f"skipped {len(dropped)} partly-NaN profile(s), e.g. {dropped[:3]}", file=sys.stderr)
    result = run_protocol(data, methods, seeds=args.seeds, folds=args.folds, reference=args.reference,
                          min_drugs=args.min_drugs, progress=not args.no_progress, checkpoint=args.checkpoint)
    files = write_report(result, out, title=title)
    if result.extras.get("checkpoint_hits"):
        print(f"loaded {result.extras['checkpoint_hits']} fold prediction(s) from {args.checkpoint}")
    print(f"{len(methods)} method(s) x {len(result.seeds)} seed(s) x {args.folds} folds in "
          f"{time.perf_counter() - t0:.1f} s -> {', '.join(str(f) for f in files)}")
    return 0


def _merge(args) -> int:
    from pathlib import Path

    from ntkjax.drugscreen.merge import load_run, merge_runs
    from ntkjax.drugscreen.report import write_report

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise NtkjaxInputError(f"--out {args.out!r} exists and is not a folder")
    if any(out.exists() and Path(d).exists() and out.resolve() == Path(d).resolve() for d in args.merge):
        raise NtkjaxInputError("--out is one of the runs being merged; choose a new folder")
    result = merge_runs([load_run(d) for d in args.merge])
    files = write_report(result, out, title=f"Drug screening, {len(args.merge)} runs merged")
    print(f"merged {len(args.merge)} run(s): {len(result.methods)} method(s) x {len(result.seeds)} seed(s) -> "
          f"{', '.join(str(f) for f in files)}")
    return 0
