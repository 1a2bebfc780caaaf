"""Per-cell k-fold splits (Appendix I: "for each fold, we ensure that 10% of the drugs for
each cell type are present in the test set").

For seed s, the observed profiles of every evaluated cell are shuffled with
``numpy.random.default_rng(s)`` (cells in index order) and cut into k near-equal parts with
``numpy.array_split``; fold f tests part f of every cell. The reference cell (MCF7) is never
tested: its profiles are in every training set (label -1).
"""

from __future__ import annotations

import numpy as np

from ntkjax.errors import NtkjaxInputError

__all__ = ["PAPER_SEEDS", "fold_labels"]

PAPER_SEEDS = (149, 10, 53, 77, 1928)


def fold_labels(cell: np.ndarray, n_cells: int, *, k: int = 10, seed: int = 149,
                reference_cell: int | None = None) -> np.ndarray:
    """Fold label (0..k-1) of every profile; -1 for the reference cell (always training)."""
    if k < 2:
        raise NtkjaxInputError(f"need at least 2 folds, got {k}")
    cell = np.asarray(cell)
    labels = np.full(cell.shape[0], -1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    for c in range(n_cells):
        if c == reference_cell:
            continue
        rows = np.flatnonzero(cell == c)
        if rows.size == 0:
            continue
        if rows.size < k:
            raise NtkjaxInputError(
                f"cell {c} has {rows.size} profiles, fewer than the {k} folds; filter cells with fewer "
                f"than {k} drugs first (Appendix C) or use fewer folds"
            )
        perm = rng.permutation(rows)
        for f, part in enumerate(np.array_split(perm, k)):
            labels[part] = f
    return labels
