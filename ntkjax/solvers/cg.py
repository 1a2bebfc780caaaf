"""Conjugate gradient on ``K_OO alpha = y_O``, one independent CG per output column.

Each iteration is one kernel product (for images: one blocked-matmul pass, see
:mod:`ntkjax.operator`) shared by all r outputs, plus O(N r) vector work. Optional Jacobi
preconditioning (``precondition="jacobi"``) divides by the kernel's actual diagonal.
Memory: five (N, r) arrays besides the system.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
from tqdm.auto import tqdm

from ntkjax.errors import NtkjaxInputError
from ntkjax.solvers.result import SolveResult, relative_residual


@jax.jit
def _init(system, x0, minv):
    r = system.Y - system.matvec(x0)
    z = minv * r
    return r, z, z, jnp.sum(r * z, axis=0)


@jax.jit
def _step(system, x, r, p, rz, minv):
    Ap = system.matvec(p)
    pAp = jnp.sum(p * Ap, axis=0)
    a = jnp.where(pAp > 0, rz / jnp.where(pAp > 0, pAp, 1), 0)
    x = x + a * p
    r = r - a * Ap
    z = minv * r
    rz_new = jnp.sum(r * z, axis=0)
    b = jnp.where(rz > 0, rz_new / jnp.where(rz > 0, rz, 1), 0)
    p = z + b * p
    return x, r, p, rz_new, jnp.linalg.norm(r)


def cg(system, *, iters: int = 100, tol: float = 1e-6, precondition: str | None = None, x0=None,
       progress: bool = True) -> SolveResult:
    """Solve ``K_OO alpha = y_O`` by (optionally Jacobi-preconditioned) CG.

    Stops after ``iters`` iterations or when the relative residual drops below ``tol``. The
    residual shown in the progress bar is CG's recursive one; ``SolveResult.residual`` is
    recomputed with one extra product.
    """
    if iters < 0 or not tol >= 0:
        raise NtkjaxInputError("iters must be >= 0 and tol >= 0")
    t0 = time.perf_counter()
    x = jnp.zeros_like(system.Y) if x0 is None else jnp.asarray(x0, system.dtype) * system.mask[:, None]
    if precondition is None:
        minv = system.mask.astype(system.dtype)[:, None]
    elif precondition == "jacobi":
        d = system.diag()
        minv = jnp.where(system.mask & (d > 0), 1.0 / jnp.where(d > 0, d, 1), 0).astype(system.dtype)[:, None]
    else:
        raise NtkjaxInputError(f"unknown preconditioner {precondition!r}; use None or 'jacobi'")
    r, z, p, rz = _init(system, x, minv)
    ynorm = float(jnp.linalg.norm(system.Y)) or 1.0
    history = [float(jnp.linalg.norm(r)) / ynorm]
    bar = tqdm(range(iters), desc="CG", unit="it", disable=not progress, leave=False)
    k = 0
    for k in bar:
        if history[-1] <= tol:
            break
        x, r, p, rz, rn = _step(system, x, r, p, rz, minv)
        history.append(float(rn) / ynorm)
        bar.set_postfix(residual=f"{history[-1]:.3e}")
    else:
        k = iters
    bar.close()
    res = relative_residual(system, x)
    return SolveResult(x, "cg", k, res, time.perf_counter() - t0, history,
                       {"precondition": precondition, "tol": tol})
