"""Direct solve through :func:`ntkjax.solve.kernel_regression` (Cholesky, fallbacks announced)."""

from __future__ import annotations

import time

import jax.numpy as jnp
import numpy as np

from ntkjax.errors import NtkjaxInputError
from ntkjax.memory import check_fits
from ntkjax.solvers.result import SolveResult, relative_residual

MAX_DIRECT = 30_000


def direct(system, *, ridge: float = 0.0, dtype=np.float64, progress: bool = False) -> SolveResult:
    """Exact solve of ``(K_OO + ridge I) alpha = y_O``; n_obs up to ``MAX_DIRECT`` unknowns.

    Memory: the dense ``n_obs x n_obs`` block (plus the factor), checked before allocating.
    """
    t0 = time.perf_counter()
    mask = np.asarray(system.mask)
    obs = np.flatnonzero(mask)
    n = len(obs)
    if n > MAX_DIRECT:
        raise NtkjaxInputError(f"{n} training points are too many for the direct solver (max {MAX_DIRECT}); "
                               "use method='cg' or 'eigenpro'")
    check_fits(3.0 * n * n * np.dtype(dtype).itemsize, what=f"the direct solve of {n} unknowns",
               hint="use method='cg' or 'eigenpro'")
    nsets, per = system.row_sets
    ids = jnp.arange(nsets)
    rows = np.asarray(system.rows_of(ids))
    sel = np.flatnonzero(mask[rows])
    K = np.asarray(system.block(ids, ids))[np.ix_(sel, sel)]
    Y = np.asarray(system.Y)[rows[sel]]
    from ntkjax.solve import kernel_regression

    a = kernel_regression(K, Y, ridge=ridge, dtype=dtype)
    alpha = jnp.zeros(system.Y.shape, system.dtype).at[rows[sel]].set(jnp.asarray(a, system.dtype))
    return SolveResult(alpha, "direct", 1, relative_residual(system, alpha), time.perf_counter() - t0, [],
                       {"ridge": ridge, "n": n})
