"""Write a protocol run: ``folds.csv``, ``pooled.csv``, ``summary.md``, ``run.json`` and a figure.

``folds.csv`` columns: method, seed, fold, regime, pearson_r, mean_r2, mean_cos (as specified),
then pearson_r_uncentred (Appendix H's printed form) and n_profiles. ``regime`` is ``all``,
``sparse`` (cell with < 150 training profiles in the fold) or ``dense``.

``summary.md`` holds the means over seeds x folds, the pooled (per-seed, all 10 folds'
predictions together, as the paper's headline numbers) means, the per-fold win counts and the
corrected repeated k-fold t-tests (:mod:`ntkjax.drugscreen.stats`) of every NTK method
against the best baseline present (highest mean over folds, per metric).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from ntkjax.drugscreen.methods import BASELINES
from ntkjax.drugscreen.protocol import RunResult
from ntkjax.drugscreen.stats import corrected_repeated_kfold_ttest
from ntkjax.io import atomic_path, save_json

__all__ = ["FOLD_COLUMNS", "METRICS", "write_report", "summary_markdown", "fold_table"]

FOLD_COLUMNS = ("method", "seed", "fold", "regime", "pearson_r", "mean_r2", "mean_cos", "pearson_r_uncentred",
                "n_profiles")
METRICS = ("pearson_r", "mean_r2", "mean_cos")


def _csv_text(rows: list[dict], columns) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def fold_table(result: RunResult, method: str, metric: str, regime: str = "all") -> np.ndarray:
    """seeds x folds array of one metric (NaN where a regime had no test profile)."""
    out = np.full((len(result.seeds), result.folds), np.nan)
    si = {s: i for i, s in enumerate(result.seeds)}
    for r in result.records:
        if r["method"] == method and r["regime"] == regime:
            out[si[r["seed"]], r["fold"]] = r[metric]
    return out


def summary_markdown(result: RunResult, title: str = "Drug screening") -> str:
    lines = [f"# {title}", ""]
    lines.append(f"Seeds {', '.join(map(str, result.seeds))}; {result.folds}-fold CV per cell type; "
                 f"{result.n_profiles} evaluated profiles; test/train ratio n2/n1 = {result.test_train_ratio:.4f}.")
    if result.dropped_cells:
        lines.append("Cell types dropped (too few drugs, Appendix C): "
                     + ", ".join(f"{c} ({n})" for c, n in result.dropped_cells) + ".")
    lines.append("")
    for regime in ("all", "sparse", "dense"):
        lines += [f"## Mean over seeds x folds, regime `{regime}`", "",
                  "| method | pearson_r | mean_r2 | mean_cos | seconds |", "|---|---|---|---|---|"]
        for m in result.methods:
            vals = [fold_table(result, m, k, regime) for k in METRICS]
            if np.all(np.isnan(vals[0])):
                continue
            cells = " | ".join(f"{np.nanmean(v):.4f} ± {np.nanstd(v):.4f}" for v in vals)
            secs = result.seconds.get(m, float("nan")) if regime == "all" else float("nan")
            lines.append(f"| {m} | {cells} | {secs:.1f} |" if regime == "all" else f"| {m} | {cells} | |")
        lines.append("")
    lines += ["## Pooled over the folds of each seed (paper's headline form), regime `all`", "",
              "| method | pearson_r | mean_r2 | mean_cos |", "|---|---|---|---|"]
    for m in result.methods:
        rows = [r for r in result.pooled if r["method"] == m and r["regime"] == "all"]
        lines.append(f"| {m} | " + " | ".join(f"{np.mean([r[k] for r in rows]):.4f}" for k in METRICS) + " |")
    lines.append("")
    base = [m for m in result.methods if m in BASELINES]
    ntks = [m for m in result.methods if m.startswith("ntk")]
    if base and ntks:
        lines += ["## Corrected repeated k-fold t-test (Bouckaert & Frank 2004) vs the best baseline", "",
                  "One-sided, H1: NTK method better; t = mean(d) / sqrt((1/(kr) + n2/n1) var(d)), df = kr - 1. "
                  "`wins` = folds where the method beats that baseline.", "",
                  "| method | regime | metric | best baseline | mean diff | t | p | wins |",
                  "|---|---|---|---|---|---|---|---|"]
        for m in ntks:
            for regime in ("all", "sparse", "dense"):
                for k in METRICS:
                    tables = {b: fold_table(result, b, k, regime) for b in base}
                    means = {b: float(np.mean(v[np.isfinite(v)])) for b, v in tables.items() if np.isfinite(v).any()}
                    if not means:
                        continue
                    best = max(means, key=means.get)
                    d = fold_table(result, m, k, regime) - fold_table(result, best, k, regime)
                    d = d[np.isfinite(d)]
                    if d.size < 2:
                        continue
                    t, p = corrected_repeated_kfold_ttest(d, test_train_ratio=result.test_train_ratio)
                    lines.append(f"| {m} | {regime} | {k} | {best} | {d.mean():+.4f} | {t:.2f} | {p:.2e} | "
                                 f"{int(np.sum(d > 0))}/{d.size} |")
        lines.append("")
        lines += ["## Folds won against each baseline (regime `all`)", "",
                  "| method | baseline | " + " | ".join(METRICS) + " |", "|---|---|" + "---|" * len(METRICS)]
        for m in ntks:
            for b in base:
                cells = []
                for k in METRICS:
                    d = (fold_table(result, m, k) - fold_table(result, b, k)).ravel()
                    d = d[np.isfinite(d)]
                    cells.append(f"{int(np.sum(d > 0))}/{d.size}")
                lines.append(f"| {m} | {b} | " + " | ".join(cells) + " |")
        lines.append("")
    if result.extras.get("checkpoint_hits"):
        lines.append(f"{result.extras['checkpoint_hits']} method x fold predictions were loaded from a checkpoint "
                     "(seconds are those of their original computation).")
    if result.extras.get("dnpp_fallbacks"):
        lines.append(f"DNPP fell back to the cell mean for {result.extras['dnpp_fallbacks']} test profiles.")
    return "\n".join(lines) + "\n"


def write_report(result: RunResult, out_dir: str | os.PathLike, *, title: str = "Drug screening",
                 plot: bool = True) -> list[Path]:
    """Write every output file into ``out_dir`` (created if missing), each atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("folds.csv", _csv_text(result.records, FOLD_COLUMNS)),
                       ("pooled.csv", _csv_text(result.pooled, ("method", "seed", "regime") + FOLD_COLUMNS[4:])),
                       ("summary.md", summary_markdown(result, title))):
        with atomic_path(out / name) as tmp:
            tmp.write_text(text)
        written.append(out / name)
    save_json(out / "run.json", {
        "methods": list(result.methods), "seeds": list(result.seeds), "folds": result.folds,
        "seconds": result.seconds, "dropped_cells": result.dropped_cells,
        "test_train_ratio": result.test_train_ratio, "n_profiles": result.n_profiles, "extras": result.extras,
    })
    written.append(out / "run.json")
    if plot:
        from ntkjax.drugscreen.plot import plot_folds

        written.append(plot_folds(result, out / "folds.png"))
    return written
