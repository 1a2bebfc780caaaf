"""EigenPro 2 (Ma & Belkin, "Kernel machines that adapt to GPUs", SysML 2019).

Preconditioned mini-batch SGD on the square loss of kernel regression, in coefficient form.
Setup: a Nystrom subsample S (s training points, drawn in the system's row sets), the top q+1
eigenpairs ``(lambda_j, u_j)`` of ``K_SS / s`` (``lambda`` approximates the spectrum of the
covariance operator ``K / n``). The preconditioner ``P = I - sum_j (1 - lambda_{q+1}/lambda_j)
e_j (x) e_j`` flattens the top q directions to ``lambda_{q+1}``; with the Nystrom eigenfunctions
``e_j = (s lambda_j)^(-1/2) sum_k u_j[k] K(x_k, .)`` a step on batch B with residual g reads::

    alpha_B -= step * g
    alpha_S += step * U diag((1 - lambda_{q+1}/lambda_j) / (s lambda_j)) U^T K[S, B] g

Step and batch size follow from the critical batch size ``m* = beta / lambda_{q+1}``, with
``beta`` the kernel's actual maximum diagonal over the training points (``beta="diag"``, an upper
bound of the preconditioned diagonal; never ``K(x, x) = 1``) or EigenPro 2's estimate of the
preconditioned diagonal on S, ``K(x, x) - s sum_j (lambda_j - lambda_{q+1}) u_j[x]^2``
(``beta="preconditioned"``). Per-sample step ``1 / (beta + (m - 1) lambda_{q+1})`` (``1 / beta``
below m*). Because the theory assumes i.i.d. batches and an exact preconditioner, the top
eigenvalue of the preconditioned block of one sample batch is measured (power iteration); while
it exceeds twice the theory's value the batch is halved, and the step is the inverse of the
larger of the two. (On the s = 6 CNTK the constant floor, ~40% of the diagonal, is only
approximately removed by a Nystrom preconditioner, and theory-sized batches diverge.)

Cost per epoch on an :class:`~ntkjax.solvers.systems.ImageSystem`: the batch rows, ``9 P^2`` weights
per pixel and output (about one kernel product in total, as nine phase-major matmuls whose
outputs are shifted on the coarse grid), plus the Nystrom correction ``K[S, B] g``, which only
touches the (S, B) phase sub-blocks of the weights (negligible). At 512 x 512, s = 6 this is ~2.5 s
per epoch on the 2-core CPU (it was ~25 s when every batch and correction re-gathered nine shifted
copies of the whole image); see ``docs/inpainting_performance.md``. Memory: the system, an
``s x s`` block for the setup and a few (N, r) arrays. Deterministic given ``seed``; the caller's
arrays are never modified.
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from ntkjax.errors import NtkjaxInputError
from ntkjax.solvers.result import SolveResult, relative_residual


def _setup(system, key, subsample: int, q: int | None, beta_mode: str = "diag"):
    nsets, per = system.row_sets
    mask = np.asarray(system.mask)
    obs = float(mask.mean())
    k_s = int(min(nsets, max(1, math.ceil(subsample / max(per * obs, 1e-12)))))
    S_ids = jnp.sort(jax.random.choice(key, nsets, (k_s,), replace=False))
    rows = np.asarray(system.rows_of(S_ids))
    sel = np.flatnonzero(mask[rows])  # observed rows of the subsample
    s = len(sel)
    if s < 2:
        raise NtkjaxInputError(f"the Nystrom subsample holds {s} training point(s); raise subsample=")
    Kss = np.asarray(system.block(S_ids, S_ids), dtype=np.float64)[np.ix_(sel, sel)]
    Kss = 0.5 * (Kss + Kss.T)
    if q is None:
        q = int(min(160, s // 4))
    q = int(max(1, min(q, s - 1)))
    import scipy.linalg as sla

    w, U = sla.eigh(Kss / s, subset_by_index=(s - q - 1, s - 1))
    w, U = w[::-1], U[:, ::-1]
    lam, lam_q1 = w[:q], max(float(w[q]), 1e-12 * float(w[0]))
    keep = lam > lam_q1  # drop degenerate directions (no acceleration there)
    lam, U = lam[keep], U[:, :q][:, keep]
    if beta_mode == "preconditioned":  # EigenPro 2's estimate on S (optimistic off S)
        beta = float(np.max(np.diag(Kss) - s * ((U**2) @ (lam - lam_q1))))
        beta = max(beta, float(np.max(np.diag(Kss))) * 1e-6)
    else:  # the kernel's actual maximum diagonal over all training points: an upper bound of k_P(x, x)
        beta = float(np.max(np.asarray(system.diag())))
    D = (1.0 - lam_q1 / lam) / lam
    V = U / np.sqrt(s)
    return S_ids, jnp.asarray(sel), V, D, lam, lam_q1, beta, s


@jax.jit
def _batch_curvature(system, ids, S_ids, S_sel, V, D, v0):
    """Top eigenvalue of the preconditioned batch block ``K_BB - K_BS V D V^T K_SB`` (power iteration)."""
    Kbb = system.block(ids, ids)
    Ksb = system.block(S_ids, ids)[S_sel]
    W = V.T @ Ksb  # (q, m)
    A = Kbb - W.T @ (D[:, None] * W)

    def it(v, _):
        w = A @ v
        return w / jnp.linalg.norm(w), None

    v, _ = jax.lax.scan(it, v0 / jnp.linalg.norm(v0), None, length=40)
    return v @ (A @ v)


@jax.jit
def _epoch(system, alpha, batches, S_ids, S_sel, V, D, step):
    def body(a, ids):
        rows = system.rows_of(ids)
        g = system.rows_matvec(ids, a) - system.Y[rows] * system.mask[rows][:, None]
        a = a.at[rows].add(-step * g)
        kg = system.cross_matvec(S_ids, ids, g)[S_sel]  # K[S, B] g
        corr = V @ (D[:, None] * (V.T @ kg))
        a = a.at[system.rows_of(S_ids)[S_sel]].add(step * corr)
        return a, jnp.sum(g * g)

    alpha, sq = jax.lax.scan(body, alpha, batches)
    return alpha, jnp.sum(sq)


def eigenpro(system, *, epochs: int = 10, q: int | None = None, subsample: int = 2000,
             batch_size: int | None = None, max_batch: int = 8192, seed: int = 0,
             exact_residual: bool = False, beta: str = "diag", progress: bool = True) -> SolveResult:
    """EigenPro 2 for ``K_OO alpha = y_O`` on a system from :mod:`ntkjax.solvers.systems`.

    ``q``: preconditioner rank (default ``min(160, s/4)``); ``subsample``: Nystrom size s (in the
    system's row sets, so it is rounded up to whole sets); ``batch_size``: default
    ``min(m*, max_batch)``. The progress bar shows, per epoch, the relative residual of the
    mini-batches seen during the epoch (free); ``exact_residual=True`` recomputes the exact one
    each epoch (one more product).
    """
    if epochs < 0:
        raise NtkjaxInputError("epochs must be >= 0")
    t0 = time.perf_counter()
    key = jax.random.PRNGKey(seed)
    key, sub = jax.random.split(key)
    if beta not in ("diag", "preconditioned"):
        raise NtkjaxInputError(f"beta must be 'diag' or 'preconditioned', got {beta!r}")
    S_ids, S_sel, V, D, lam, lam_q1, beta, s = _setup(system, sub, subsample, q, beta)
    nsets, per = system.row_sets
    obs = float(np.asarray(system.mask).mean())
    m_crit = beta / lam_q1
    m = float(batch_size) if batch_size else min(m_crit, float(max_batch))
    k = int(min(nsets, max(1, round(m / max(per * obs, 1e-12)))))
    dt = system.dtype
    Vj, Dj = jnp.asarray(V, dt), jnp.asarray(D, dt)
    # The critical-batch theory assumes i.i.d. batches and an exact preconditioner; the measured
    # top eigenvalue of the preconditioned batch block guards both (halving the batch while it
    # exceeds twice the theory's value, then stepping by its inverse).
    curv = None
    while True:
        m_eff = k * per * obs
        theory = beta if m_eff < m_crit else beta + (m_eff - 1.0) * lam_q1
        key, sub = jax.random.split(key)
        ids = jax.random.choice(sub, nsets, (k,), replace=False)
        v0 = jax.random.normal(sub, (k * per,), dt)
        curv = float(_batch_curvature(system, ids, S_ids, S_sel, Vj, Dj, v0))
        if curv <= 2.0 * theory or k == 1:
            break
        k = max(1, k // 2)
    step = 1.0 / max(theory, curv)
    nb = math.ceil(nsets / k)
    alpha = jnp.zeros_like(system.Y)
    ynorm = float(jnp.linalg.norm(system.Y)) or 1.0
    history: list[float] = []
    bar = tqdm(range(epochs), desc="EigenPro", unit="epoch", disable=not progress, leave=False)
    for _ in bar:
        key, sub = jax.random.split(key)
        perm = jax.random.permutation(sub, nsets)
        perm = jnp.concatenate([perm, perm[: nb * k - nsets]]).reshape(nb, k)
        alpha, sq = _epoch(system, alpha, perm, S_ids, S_sel, Vj, Dj, jnp.asarray(step, dt))
        res = relative_residual(system, alpha) if exact_residual else math.sqrt(float(sq)) / ynorm
        history.append(res)
        bar.set_postfix(residual=f"{res:.3e}")
    bar.close()
    final = relative_residual(system, alpha)
    info = {"q": int(len(D)), "subsample": int(s), "batch_size": float(m_eff), "critical_batch": float(m_crit),
            "step": float(step), "beta": float(beta), "batch_curvature": curv, "lambda_q1": float(lam_q1), "top_eigenvalue": float(lam[0]),
            "batches_per_epoch": int(nb), "seed": seed}
    return SolveResult(alpha, "eigenpro", epochs, final, time.perf_counter() - t0, history, info)
