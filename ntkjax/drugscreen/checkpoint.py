"""Resumable protocol runs: every (method, seed, fold) prediction saved as it is made.

A 5-seed x 10-fold run with FaLRTC at CMap size takes hours on a CPU. With a checkpoint
folder, each method's predictions on each fold are written to one ``.npz`` file (atomically,
no pickles) as soon as they exist, with the seconds they took; a rerun of the same command
loads them instead of recomputing, so an interrupted run continues where it stopped and the
reported seconds stay those of the original computation.

Files live in ``DIR/<fingerprint>/``. The fingerprint hashes everything a prediction depends
on -- the profiles and their keys, folds, reference cell, minimum drugs per cell and the
ntkjax version -- so a changed data set or release never reads stale predictions. Each file
also stores the fold's test keys, checked on load.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from ntkjax.drugscreen.data import CMapData
from ntkjax.errors import NtkjaxInputError
from ntkjax.io import atomic_path

__all__ = ["FoldCheckpoint", "fingerprint"]


def fingerprint(data: CMapData, *, folds: int, reference: str | None, min_drugs: int) -> str:
    """Hex digest identifying a run's inputs (data and protocol settings, not methods or seeds)."""
    from ntkjax import __version__

    h = hashlib.sha256()
    for arr in (data.profiles, data.drug, data.cell):
        a = np.ascontiguousarray(arr)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    h.update(json.dumps([data.n_drugs, data.n_cells, list(data.cell_ids), folds, reference, min_drugs,
                         __version__]).encode())
    return h.hexdigest()[:20]


class FoldCheckpoint:
    """Saved predictions of one run's inputs (see module docstring)."""

    def __init__(self, root: str | Path, fingerprint: str):
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise NtkjaxInputError(f"checkpoint path {str(root)!r} exists and is not a folder")
        self.folder = root / fingerprint
        self.hits = 0

    def _path(self, method: str, seed: int, fold: int) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", method)
        return self.folder / f"{safe}_seed{seed}_fold{fold}.npz"

    def load(self, method: str, seed: int, fold: int, test_drug: np.ndarray, test_cell: np.ndarray):
        """(predictions, seconds, extras) saved for this fold, or None if absent or unusable."""
        path = self._path(method, seed, fold)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                pred, seconds = z["pred"], float(z["seconds"])
                same = np.array_equal(z["test_drug"], test_drug) and np.array_equal(z["test_cell"], test_cell)
                extras = json.loads(str(z["extras"]))
        except Exception:  # truncated or foreign file: recompute (it is overwritten on save)
            return None
        if not same or pred.shape != (len(test_drug), pred.shape[1]) or not np.all(np.isfinite(pred)):
            return None
        self.hits += 1
        return pred, seconds, extras

    def save(self, method: str, seed: int, fold: int, test_drug: np.ndarray, test_cell: np.ndarray,
             pred: np.ndarray, seconds: float, extras: dict | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(self._path(method, seed, fold)) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, pred=np.asarray(pred), seconds=np.float64(seconds), test_drug=test_drug,
                         test_cell=test_cell, extras=np.str_(json.dumps(extras or {})))
