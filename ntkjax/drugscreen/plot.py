"""Per-fold figure in the spirit of Figs. 5-7: every fold of every seed as a point, per
method, for the three metrics, on all test profiles and on the sparse / dense regimes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ntkjax.io import atomic_path

__all__ = ["plot_folds"]


def plot_folds(result, path: str | os.PathLike) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ntkjax.drugscreen.report import METRICS, fold_table

    regimes = ("all", "sparse", "dense")
    fig, axes = plt.subplots(len(regimes), len(METRICS), figsize=(4.2 * len(METRICS), 3.2 * len(regimes)),
                             squeeze=False)
    methods = list(result.methods)
    rng = np.random.default_rng(0)
    for i, regime in enumerate(regimes):
        for j, metric in enumerate(METRICS):
            ax = axes[i, j]
            for k, m in enumerate(methods):
                v = fold_table(result, m, metric, regime).ravel()
                v = v[np.isfinite(v)]
                if v.size == 0:
                    continue
                ax.scatter(k + rng.uniform(-0.15, 0.15, v.size), v, s=6, alpha=0.6)
                ax.hlines(v.mean(), k - 0.3, k + 0.3, color="k", lw=1.5)
            ax.set_xticks(range(len(methods)))
            ax.set_xticklabels(methods, rotation=45, ha="right", fontsize=7)
            ax.set_title(f"{metric} ({regime})", fontsize=9)
    fig.suptitle(f"per-fold metrics, seeds {', '.join(map(str, result.seeds))} x {result.folds} folds", fontsize=10)
    fig.tight_layout()
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return out
