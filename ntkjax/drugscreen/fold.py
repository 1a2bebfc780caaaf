"""One cross-validation fold as the methods see it: training profiles and test keys.

A method receives a :class:`FoldProblem` and returns one predicted profile per test key.
The test profiles themselves are never part of the problem, so no method can look at them.
The reference cell (MCF7) is always in the training set and never tested (Appendix C):
the baselines may train on it, the NTK methods use it only to build the MCF7 prior.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

__all__ = ["FoldProblem"]


@dataclasses.dataclass
class FoldProblem:
    """Training data and test keys of one fold.

    ``train_*`` arrays have one entry per training profile (MCF7 included);
    ``test_drug`` / ``test_cell`` one entry per test profile.

    ``universe_profiles`` (optional) are *all* observed non-reference profiles of the run,
    in a fixed order identical across folds and seeds, with ``universe_train_rows`` /
    ``universe_test_rows`` locating this fold's training and test profiles in it. They exist
    for one purpose: the block-inverse solver of :mod:`ntkjax.drugscreen.ntk`, which inverts
    the fold-independent kernel of all observed profiles once and gets every fold's
    training-kernel solve from it exactly (K_tt^-1 = P_tt - P_ts P_ss^-1 P_st). The test
    values cancel algebraically there (a test checks that changing them changes no
    prediction); no other method may read them.
    """

    train_profiles: np.ndarray
    train_drug: np.ndarray
    train_cell: np.ndarray
    test_drug: np.ndarray
    test_cell: np.ndarray
    n_drugs: int
    n_cells: int
    reference_cell: int | None
    seed: int = 0
    fold: int = 0
    cache: dict = dataclasses.field(default_factory=dict)
    run_cache: dict = dataclasses.field(default_factory=dict)
    universe_profiles: np.ndarray | None = None
    universe_train_rows: np.ndarray | None = None
    universe_test_rows: np.ndarray | None = None
    predict_with: Callable[[str, "FoldProblem"], np.ndarray] | None = None
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def n_genes(self) -> int:
        return int(self.train_profiles.shape[1])

    @property
    def n_test(self) -> int:
        return int(self.test_drug.shape[0])

    def train_counts(self) -> np.ndarray:
        """Training profiles per cell type in this fold."""
        return np.bincount(self.train_cell, minlength=self.n_cells)

    def method_output(self, name: str) -> np.ndarray:
        """Predictions of another registered method on this fold (computed once, cached)."""
        if name not in self.cache:
            if self.predict_with is None:
                raise RuntimeError(f"no method runner attached; cannot compute {name!r}")
            self.cache[name] = self.predict_with(name, self)
        return self.cache[name]
