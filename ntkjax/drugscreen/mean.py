"""Mean over cell type: impute a missing (drug, cell) profile by the mean of the cell's
training profiles (the strong baseline of Section 3; Hodos et al. 2018 "1D-Mean")."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from ntkjax.drugscreen.fold import FoldProblem
from ntkjax.errors import NtkjaxInputError

__all__ = ["cell_means", "predict_mean"]


def cell_means(profiles: np.ndarray, cell: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell mean profile (n_cells x n_genes) and per-cell counts; one sparse product."""
    n = profiles.shape[0]
    onehot = scipy.sparse.csr_matrix((np.ones(n), (cell, np.arange(n))), shape=(n_cells, n))
    counts = np.asarray(onehot.sum(axis=1)).ravel()
    sums = onehot @ profiles
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts[:, None]
    return means, counts


def predict_mean(problem: FoldProblem) -> np.ndarray:
    means, counts = cell_means(problem.train_profiles, problem.train_cell, problem.n_cells)
    if np.any(counts[problem.test_cell] == 0):
        bad = np.unique(problem.test_cell[counts[problem.test_cell] == 0])
        raise NtkjaxInputError(f"cell(s) {bad.tolist()} have no training profile; cannot impute their mean")
    return means[problem.test_cell]
