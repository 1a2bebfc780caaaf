"""Feature priors Z (p x n: one column per matrix column) for the FC NTK (Theorem 1).

The columns of Z embed the columns of the target matrix; Theorem 1 normalises them,
so only directions matter. See Appendix B (identity, Laplacian corollary),
Appendix D (concatenation with 1.5 I) and Appendix E (one-hot = mean over cell type).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.linalg
import scipy.sparse.csgraph
import scipy.spatial.distance

from ntkjax.errors import NtkjaxInputError
from ntkjax.fc import normalize_columns

__all__ = ["identity", "one_hot", "concat", "from_array", "laplacian_eigenvectors", "normalize_columns"]


def identity(n: int) -> np.ndarray:
    """The n x n identity: every column its own direction (kernel kappa(1) on the diagonal, kappa(0) off it)."""
    if int(n) != n or n < 1:
        raise NtkjaxInputError(f"identity prior needs n >= 1, got {n!r}")
    return np.eye(int(n))


def one_hot(groups: Sequence) -> np.ndarray:
    """One-hot encoding of ``groups`` (length n): row g is 1 where ``groups == g``.

    Rows follow the sorted unique group labels. With this prior Theorem 1 predicts a
    constant times the row mean of the observed entries in each group (Proposition 2).
    """
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.size == 0:
        raise NtkjaxInputError("one_hot needs a non-empty 1-D sequence of group labels")
    labels, inverse = np.unique(groups, return_inverse=True)
    Z = np.zeros((labels.size, groups.size))
    Z[inverse, np.arange(groups.size)] = 1.0
    return Z


def concat(*blocks, weights: Sequence[float] | None = None) -> np.ndarray:
    """Stack feature blocks vertically, each scaled by its weight: e.g. ``concat(Z, identity(n), weights=[1, 1.5])``
    is the [Z; 1.5 I] prior of Appendix D (the identity block makes the kernel positive definite)."""
    if not blocks:
        raise NtkjaxInputError("concat needs at least one block")
    arrs = [np.atleast_2d(np.asarray(b, dtype=np.float64)) for b in blocks]
    n = {a.shape[1] for a in arrs}
    if len(n) != 1:
        raise NtkjaxInputError(f"all prior blocks must have the same number of columns, got {sorted(n)}")
    if weights is None:
        weights = [1.0] * len(arrs)
    if len(weights) != len(arrs):
        raise NtkjaxInputError(f"got {len(weights)} weights for {len(arrs)} blocks")
    return np.vstack([w * a for w, a in zip(weights, arrs)])


def from_array(Z, n: int | None = None, *, what: str = "prior") -> np.ndarray:
    """Validate a user prior: 2-D, finite, ``n`` columns if given, no zero column."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2:
        raise NtkjaxInputError(f"{what} must be 2-D (p x n), got shape {Z.shape}")
    if n is not None and Z.shape[1] != n:
        raise NtkjaxInputError(
            f"{what} has {Z.shape[1]} columns but the matrix has {n}; the prior needs one column per matrix column"
        )
    normalize_columns(Z, what=what)  # raises on NaN/inf/zero columns
    return Z


def laplacian_eigenvectors(X, p: int, *, n_neighbors: int = 10, sigma: float | None = None) -> np.ndarray:
    """Graph-Laplacian prior of the Corollary in Appendix B.

    ``X`` is d x n (one data point per column). Builds a symmetric k-nearest-neighbour
    graph with Gaussian weights exp(-||x - x'||^2 / (2 sigma^2)) (sigma defaults to the
    median neighbour distance), forms L = D - W and returns the p eigenvectors with the
    smallest eigenvalues (the smoothest functions on the graph) as the rows of a p x n prior.
    With the linear activation, kernel regression on this prior equals least squares on it.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise NtkjaxInputError(f"X must be 2-D (d x n), got shape {X.shape}")
    n = X.shape[1]
    if not 1 <= p <= n:
        raise NtkjaxInputError(f"p must be in [1, {n}], got {p}")
    k = min(int(n_neighbors), n - 1)
    D = scipy.spatial.distance.squareform(scipy.spatial.distance.pdist(X.T))
    order = np.argsort(D, axis=1)[:, 1 : k + 1]
    rows = np.repeat(np.arange(n), k)
    cols = order.ravel()
    if sigma is None:
        sigma = float(np.median(D[rows, cols])) or 1.0
    W = np.zeros((n, n))
    W[rows, cols] = np.exp(-D[rows, cols] ** 2 / (2 * sigma**2))
    W = np.maximum(W, W.T)
    L = scipy.sparse.csgraph.laplacian(W)
    _, vecs = scipy.linalg.eigh(L, subset_by_index=[0, p - 1])
    return vecs.T
