"""The paper's evaluation protocol (Appendices C, G, H, I).

For each seed (default the paper's 149, 10, 53, 77, 1928) the profiles of every cell type but
the reference (MCF7) are split into k = 10 folds per cell (:mod:`ntkjax.drugscreen.splits`);
each method predicts every fold's test profiles from the rest (MCF7 always in training:
baselines train on it, the NTK uses it only for the MCF7 prior). Metrics (Appendix H) are
computed per fold -- on all test profiles (``regime="all"``) and separately on the sparse
(cell has < 150 training profiles in that fold) and dense regimes (Appendix G, Fig. 7) --
and, as in the paper's headline numbers, on the 10 folds' predictions pooled per seed.

Cells with fewer than ``max(min_drugs, k)`` drugs are dropped before splitting (Appendix C:
SNU1040, HEK293T, HS27A on the real tensor) and listed in the result.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from ntkjax.drugscreen import methods as M
from ntkjax.drugscreen.checkpoint import FoldCheckpoint, fingerprint
from ntkjax.drugscreen.data import CMapData, filter_cells
from ntkjax.drugscreen.fold import FoldProblem
from ntkjax.drugscreen.metrics import all_metrics
from ntkjax.drugscreen.ntk import DENSE_THRESHOLD
from ntkjax.drugscreen.splits import PAPER_SEEDS, fold_labels
from ntkjax.errors import NtkjaxInputError

__all__ = ["RunResult", "run_protocol", "build_fold_problem", "REGIMES", "NEEDS_REFERENCE"]

REGIMES = ("all", "sparse", "dense")
NEEDS_REFERENCE = ("ntk-mcf7", "ntk-mixed", "ntk-mixed-dnpp")


@dataclasses.dataclass
class RunResult:
    records: list[dict]  # one per (method, seed, fold, regime)
    pooled: list[dict]  # one per (method, seed, regime): metrics of the 10 folds pooled
    seconds: dict[str, float]  # total self time per method
    dropped_cells: list[tuple[str, int]]
    test_train_ratio: float  # mean over folds of n_test / n_train (non-reference profiles)
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    folds: int
    n_profiles: int
    extras: dict = dataclasses.field(default_factory=dict)


class _Timer:
    """Self time per method (a method's time excludes the dependencies it triggers).

    With a checkpoint, saved predictions are loaded instead of recomputed and their saved
    seconds counted; new ones are saved as soon as they exist.
    """

    def __init__(self, checkpoint: FoldCheckpoint | None = None):
        self.seconds: dict[str, float] = {}
        self._stack: list[list] = []
        self.checkpoint = checkpoint

    def run(self, name: str, problem: FoldProblem) -> np.ndarray:
        ck = self.checkpoint
        key = (name, problem.seed, problem.fold, problem.test_drug, problem.test_cell)
        if ck is not None and (hit := ck.load(*key)) is not None:
            pred, seconds, extras = hit
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            problem.extras.update(extras)
            return pred
        before = dict(problem.extras)
        self._stack.append([name, time.perf_counter(), 0.0])
        try:
            pred = M.predict(name, problem)
        finally:
            nm, t0, child = self._stack.pop()
            total = time.perf_counter() - t0
            self.seconds[nm] = self.seconds.get(nm, 0.0) + total - child
            if self._stack:
                self._stack[-1][2] += total
        if ck is not None:
            new = {k: v for k, v in problem.extras.items() if k not in before or before[k] != v}
            ck.save(*key, pred, total - child, new)
        return pred


def build_fold_problem(data: CMapData, labels: np.ndarray, f: int, ref: int | None, universe: np.ndarray,
                       universe_profiles: np.ndarray, run_cache: dict, *, seed: int = 0) -> FoldProblem:
    """The :class:`FoldProblem` of fold ``f`` (labels from :func:`~ntkjax.drugscreen.splits.fold_labels`)."""
    tr = np.flatnonzero(labels != f)
    te = np.flatnonzero(labels == f)
    uni_lab = labels[universe]
    return FoldProblem(
        train_profiles=data.profiles[tr],
        train_drug=data.drug[tr],
        train_cell=data.cell[tr],
        test_drug=data.drug[te],
        test_cell=data.cell[te],
        n_drugs=data.n_drugs,
        n_cells=data.n_cells,
        reference_cell=ref,
        seed=seed,
        fold=f,
        run_cache=run_cache,
        universe_profiles=universe_profiles,
        universe_train_rows=np.flatnonzero(uni_lab != f),
        universe_test_rows=np.flatnonzero(uni_lab == f),
        predict_with=M.predict,
    )


def run_protocol(
    data: CMapData,
    methods: Sequence[str] = M.DEFAULT_METHODS,
    *,
    seeds: Iterable[int] = PAPER_SEEDS,
    folds: int = 10,
    reference: str | None = "MCF7",
    min_drugs: int = 10,
    threshold: int = DENSE_THRESHOLD,
    progress: bool = True,
    checkpoint: str | None = None,
) -> RunResult:
    """Run ``methods`` over ``seeds`` x ``folds`` and return per-fold and pooled metrics.

    ``checkpoint``: a folder where every (method, seed, fold) prediction is saved as it is made
    and from which a rerun loads it (:mod:`ntkjax.drugscreen.checkpoint`)."""
    methods = tuple(methods)
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise NtkjaxInputError("give at least one seed")
    unknown = [m for m in methods if m not in M.METHODS]
    if unknown:
        raise NtkjaxInputError(f"unknown method(s) {unknown}; choose from {', '.join(M.METHODS)}")
    if folds < 2:
        raise NtkjaxInputError(f"need at least 2 folds, got {folds}")
    ck = None
    if checkpoint is not None:
        ck = FoldCheckpoint(checkpoint, fingerprint(data, folds=folds, reference=reference, min_drugs=min_drugs))
    data, dropped = filter_cells(data, min_drugs=max(min_drugs, folds))
    if reference is not None and reference in data.cell_ids:
        ref = data.cell_index(reference)
    elif any(m in NEEDS_REFERENCE for m in methods):
        raise NtkjaxInputError(
            f"methods {', '.join(m for m in methods if m in NEEDS_REFERENCE)} need the reference cell "
            f"{reference!r}, which is not in the data (or has too few drugs)"
        )
    else:
        ref = None
    universe = np.flatnonzero(data.cell != ref) if ref is not None else np.arange(data.n_obs)
    if universe.size == 0:
        raise NtkjaxInputError("no profiles to evaluate outside the reference cell")
    universe_profiles = data.profiles[universe]
    timer = _Timer(ck)
    run_cache: dict = {}
    records: list[dict] = []
    pooled: list[dict] = []
    ratios: list[float] = []
    extras: dict = {"dnpp_fallbacks": 0}
    for seed in seeds:
        labels = fold_labels(data.cell, data.n_cells, k=folds, seed=seed, reference_cell=ref)
        seed_pred = {m: np.zeros((data.n_obs, data.n_genes), dtype=np.float32) for m in methods}
        seed_dense = np.zeros(data.n_obs, dtype=bool)
        bar = tqdm(range(folds), desc=f"seed {seed}", disable=not progress, leave=False)
        for f in bar:
            problem = build_fold_problem(data, labels, f, ref, universe, universe_profiles, run_cache, seed=seed)
            te = np.flatnonzero(labels == f)
            problem.predict_with = timer.run
            ratios.append(te.size / max(1, problem.universe_train_rows.size))
            dense = problem.train_counts()[problem.test_cell] >= threshold
            seed_dense[te] = dense
            truth = data.profiles[te]
            for m in methods:
                bar.set_postfix_str(m)
                pred = problem.method_output(m)
                seed_pred[m][te] = pred
                for regime, sel in (("all", slice(None)), ("sparse", ~dense), ("dense", dense)):
                    if regime != "all" and not np.any(sel):
                        continue
                    rec = {"method": m, "seed": seed, "fold": f, "regime": regime}
                    rec.update(all_metrics(truth[sel], pred[sel]))
                    records.append(rec)
            extras["dnpp_fallbacks"] += int(problem.extras.get("dnpp_fallbacks", 0))
        tested = labels >= 0
        for m in methods:
            for regime, sel in (("all", tested), ("sparse", tested & ~seed_dense), ("dense", tested & seed_dense)):
                if not sel.any():
                    continue
                rec = {"method": m, "seed": seed, "regime": regime}
                rec.update(all_metrics(data.profiles[sel], seed_pred[m][sel]))
                pooled.append(rec)
        del seed_pred
    return RunResult(
        records=records,
        pooled=pooled,
        seconds=timer.seconds,
        dropped_cells=dropped,
        test_train_ratio=float(np.mean(ratios)),
        methods=methods,
        seeds=seeds,
        folds=folds,
        n_profiles=int(universe.size),
        extras={**extras, "checkpoint_hits": ck.hits if ck is not None else 0},
    )
