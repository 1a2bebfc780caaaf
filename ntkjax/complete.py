"""Matrix completion with the NTK of Theorem 1.

Theorem 1 makes the kernel block diagonal over rows: entry (i, j) only interacts with
entries (i, j') of the same row, through the column kernel kappa_d(z_j . z_j'). So each
row is its own kernel regression over its observed columns. Rows that share the same
observed column set (the drug-screening case: every gene is measured in the same
profiles) share one factorisation and are solved together as a multi-output
regression; different observed sets (the Netflix case) each get their own solve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ntkjax.dual import Activation
from ntkjax.errors import NtkjaxInputError
from ntkjax.fc import column_kernel
from ntkjax.priors import from_array, identity
from ntkjax.solve import factorize

__all__ = ["complete_matrix", "observed_groups"]


def observed_groups(mask: np.ndarray) -> list[np.ndarray]:
    """Group row indices by identical observed-column pattern (``mask`` True = observed)."""
    _, inverse = np.unique(np.packbits(mask, axis=1), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    return [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]


def complete_matrix(
    Y,
    prior=None,
    *,
    depth: int = 1,
    activation: str | Activation = "relu",
    ridge: float = 0.0,
    dtype: Any = np.float64,
    progress: bool = False,
) -> np.ndarray:
    """Fill the NaN entries of ``Y`` (m x n) by kernel regression with Theorem 1's NTK.

    ``prior`` is p x n (one column per column of Y; default: identity). Observed entries
    are returned unchanged. Raises :class:`NtkjaxInputError` for infinite values, a row with
    no observed entry, or a prior of the wrong shape.
    """
    Y = np.array(Y, dtype=np.float64)  # copy: never mutate the caller's array
    if Y.ndim != 2 or Y.size == 0:
        raise NtkjaxInputError(f"matrix must be 2-D and non-empty, got shape {Y.shape}")
    if np.isinf(Y).any():
        r, c = np.argwhere(np.isinf(Y))[0]
        raise NtkjaxInputError(f"matrix has an infinite value at row {r + 1}, column {c + 1}; use NaN for missing")
    mask = ~np.isnan(Y)
    empty = np.flatnonzero(~mask.any(axis=1))
    if empty.size:
        raise NtkjaxInputError(
            f"row(s) {(empty[:10] + 1).tolist()} have no observed entry; nothing to learn from (drop them)"
        )
    m, n = Y.shape
    Z = identity(n) if prior is None else from_array(prior, n)
    Kcol = column_kernel(Z, depth, activation)
    groups = observed_groups(mask)
    for rows in tqdm(groups, desc="row groups", disable=not progress or len(groups) < 2):
        obs = mask[rows[0]]
        if obs.all():
            continue
        fac = factorize(Kcol[np.ix_(obs, obs)], ridge=ridge, dtype=dtype)
        alpha = fac.solve(Y[np.ix_(rows, obs)].T)  # (n_obs, rows)
        Y[np.ix_(rows, ~obs)] = (Kcol[np.ix_(~obs, obs)] @ alpha).T
    return Y
