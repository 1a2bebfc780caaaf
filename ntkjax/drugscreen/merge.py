"""Combine protocol runs over disjoint seeds into one report.

Seeds are independent repetitions of the cross-validation, so a long run can be split across
machines or sessions (one seed per job) and merged: every per-fold and per-seed pooled row
is read back from each run's ``folds.csv`` / ``pooled.csv``, seconds are summed from
``run.json``, and the summary's t-tests are recomputed over all seeds x folds. Metrics
round-trip through the CSVs' six decimals.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ntkjax.drugscreen.protocol import RunResult
from ntkjax.errors import NtkjaxInputError

__all__ = ["load_run", "merge_runs"]

_INT = ("seed", "fold", "n_profiles")


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        d = {}
        for k, v in r.items():
            d[k] = int(v) if k in _INT else (v if k in ("method", "regime") else float(v))
        out.append(d)
    return out


def load_run(folder: str | Path) -> RunResult:
    """Read a run written by :func:`ntkjax.drugscreen.report.write_report`."""
    folder = Path(folder)
    missing = [n for n in ("folds.csv", "pooled.csv", "run.json") if not (folder / n).is_file()]
    if missing:
        raise NtkjaxInputError(f"{str(folder)!r} is not a drugscreen output folder (missing {', '.join(missing)})")
    try:
        meta = json.loads((folder / "run.json").read_text())
        return RunResult(
            records=_rows(folder / "folds.csv"), pooled=_rows(folder / "pooled.csv"),
            seconds={k: float(v) for k, v in meta["seconds"].items()},
            dropped_cells=[tuple(c) for c in meta["dropped_cells"]], test_train_ratio=float(meta["test_train_ratio"]),
            methods=tuple(meta["methods"]), seeds=tuple(int(s) for s in meta["seeds"]), folds=int(meta["folds"]),
            n_profiles=int(meta["n_profiles"]), extras=dict(meta.get("extras", {})),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise NtkjaxInputError(f"cannot read the run in {str(folder)!r}: {exc}") from None


def merge_runs(runs: list[RunResult]) -> RunResult:
    """One result over the union of the runs' seeds (they must not overlap and must share the
    methods, folds, evaluated profiles and dropped cells)."""
    if not runs:
        raise NtkjaxInputError("nothing to merge")
    first = runs[0]
    for r in runs[1:]:
        for what, a, b in (("methods", set(first.methods), set(r.methods)), ("folds", first.folds, r.folds),
                           ("evaluated profiles", first.n_profiles, r.n_profiles),
                           ("dropped cells", sorted(map(tuple, first.dropped_cells)),
                            sorted(map(tuple, r.dropped_cells)))):
            if a != b:
                raise NtkjaxInputError(f"runs differ in {what} ({a} vs {b}); merge only runs of the same "
                                       "data, methods and --folds")
    seeds = [s for r in runs for s in r.seeds]
    if len(set(seeds)) != len(seeds):
        raise NtkjaxInputError(f"seeds overlap between runs ({seeds}); each seed may come from one run only")
    seconds: dict[str, float] = {}
    extras: dict = {}
    for r in runs:
        for k, v in r.seconds.items():
            seconds[k] = seconds.get(k, 0.0) + v
        for k, v in r.extras.items():
            if isinstance(v, (int, float)):
                extras[k] = extras.get(k, 0) + v
    weights = np.array([len(r.seeds) for r in runs], dtype=float)
    return RunResult(
        records=[x for r in runs for x in r.records], pooled=[x for r in runs for x in r.pooled],
        seconds=seconds, dropped_cells=list(first.dropped_cells),
        test_train_ratio=float(np.average([r.test_train_ratio for r in runs], weights=weights)),
        methods=first.methods, seeds=tuple(seeds), folds=first.folds, n_profiles=first.n_profiles,
        extras={**extras, "merged_from": len(runs)},
    )
