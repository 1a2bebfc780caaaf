"""DNPP, drug neighbour profile prediction (Hodos et al. 2018), vectorised.

For a missing profile (drug d, cell c):

1. Drug similarity sim(d, d') = mean, over the cells where *both* drugs have a training
   profile, of the Pearson correlation between their two profiles in that cell. Pairs with
   no shared cell have no similarity and are never neighbours.
2. Neighbours: the ``k`` (10) drugs with the highest similarity to d among the drugs that have
   a training profile in the target cell c.
3. Weights: similarities clipped to [0, 1] and normalised to sum 1; the prediction is the
   weighted sum of the neighbours' profiles in cell c. If every weight is 0 (or d has no
   neighbour with a similarity), the prediction falls back to the mean over cell type.

Vectorisation: profiles are z-scored over genes and scaled by 1/sqrt(G), so the Pearson
correlation of two profiles is a dot product; per cell one Gram matrix (n_c x n_c) is
scattered into drug x drug sum and count matrices. Then each test cell selects the top-k
neighbours of all its test drugs at once with ``argpartition``. The whole 10-fold run on
CMap-sized data takes seconds (the per-pair pandas loop of the reference code took 25 min
per fold).
"""

from __future__ import annotations

import numpy as np

from ntkjax.drugscreen.fold import FoldProblem
from ntkjax.drugscreen.mean import cell_means
from ntkjax.errors import NtkjaxInputError

__all__ = ["drug_similarity", "predict_dnpp", "dnpp"]


def _standardise(profiles: np.ndarray) -> np.ndarray:
    x = profiles - profiles.mean(axis=1, keepdims=True)
    sd = np.sqrt(np.sum(x * x, axis=1, keepdims=True))
    if np.any(sd == 0):
        raise NtkjaxInputError("a training profile is constant across genes; its Pearson correlation is undefined")
    return x / sd


def drug_similarity(profiles: np.ndarray, drug: np.ndarray, cell: np.ndarray, n_drugs: int, n_cells: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Mean over shared cells of the Pearson correlation between drugs' profiles.

    Returns ``(sim, shared)``: ``sim`` is n_drugs x n_drugs (NaN where no cell is shared),
    ``shared`` the number of shared cells.
    """
    z = _standardise(np.asarray(profiles, dtype=np.float64))
    total = np.zeros((n_drugs, n_drugs))
    shared = np.zeros((n_drugs, n_drugs), dtype=np.int32)
    for c in range(n_cells):
        rows = np.flatnonzero(cell == c)
        if rows.size == 0:
            continue
        d = drug[rows]
        zc = z[rows]
        total[np.ix_(d, d)] += zc @ zc.T
        shared[np.ix_(d, d)] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(shared > 0, total / np.maximum(shared, 1), np.nan)
    return sim, shared


def dnpp(train_profiles, train_drug, train_cell, test_drug, test_cell, n_drugs, n_cells, k: int = 10
         ) -> tuple[np.ndarray, np.ndarray]:
    """DNPP predictions for the test keys; also returns a mask of keys that fell back to the cell mean."""
    if k < 1:
        raise NtkjaxInputError(f"DNPP needs k >= 1 neighbours, got {k}")
    sim, _ = drug_similarity(train_profiles, train_drug, train_cell, n_drugs, n_cells)
    means, counts = cell_means(train_profiles, train_cell, n_cells)
    out = np.empty((test_drug.shape[0], train_profiles.shape[1]))
    fallback = np.zeros(test_drug.shape[0], dtype=bool)
    for c in np.unique(test_cell):
        tests = np.flatnonzero(test_cell == c)
        cand_rows = np.flatnonzero(train_cell == c)
        if cand_rows.size == 0:
            raise NtkjaxInputError(f"cell {c} has no training profile; DNPP cannot predict it")
        s = sim[np.ix_(test_drug[tests], train_drug[cand_rows])]  # (n_test_c, n_cand)
        s = np.where(train_drug[cand_rows][None, :] == test_drug[tests][:, None], np.nan, s)
        ranked = np.where(np.isnan(s), -np.inf, s)
        kk = min(k, cand_rows.size)
        top = np.argpartition(-ranked, kk - 1, axis=1)[:, :kk]
        w = np.take_along_axis(ranked, top, axis=1)
        w = np.clip(np.where(np.isfinite(w), w, 0.0), 0.0, 1.0)
        wsum = w.sum(axis=1)
        ok = wsum > 0
        pred = np.einsum("tk,tkg->tg", w / np.where(ok, wsum, 1.0)[:, None],
                         train_profiles[cand_rows][top])
        pred[~ok] = means[c]
        out[tests] = pred
        fallback[tests] = ~ok
    return out, fallback


def predict_dnpp(problem: FoldProblem, k: int = 10) -> np.ndarray:
    pred, fallback = dnpp(problem.train_profiles, problem.train_drug, problem.train_cell, problem.test_drug,
                          problem.test_cell, problem.n_drugs, problem.n_cells, k=k)
    problem.extras["dnpp_fallbacks"] = int(fallback.sum())
    return pred
