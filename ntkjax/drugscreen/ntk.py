"""The NTK of Theorem 1 with drug-screening feature priors (Section 3, Appendices D-F).

The matrix Y is genes x (drug, cell) columns. Theorem 1 makes every gene row its own kernel
regression over the columns with the column kernel kappa_d(z_j . z_j') -- and since a
profile is either fully observed or fully missing, all 978 rows share the same observed
columns within a fold. So one factorisation of the (n_train x n_train) column kernel,
solved with 978 right-hand sides, serves every gene:  Y_hat_test = K_st K_tt^-1 Y_train.

**Per-cell behaviour must be encoded.** The kernel couples every column of a row, across
cell types. A prior meant to act "per cell type" must therefore either encode the cell in
the columns of Z, or the problem must be split per cell:

- ``ntk-onehot`` (Appendix E, Proposition 2) *splits per cell*: one regression per cell type
  with Z = I over that cell's columns (a one-hot drug code). Proposition 2 then gives the
  prediction c_l * (mean of the cell's l training profiles) with, for ReLU at depth 1
  (kappa(1) = 2, kappa(0) = 1/pi),
  c_l = l kappa(0) / (kappa(1) - kappa(0) + l kappa(0)) = l / (2 pi - 1 + l)
  (derived from the kernel; the constant printed in Appendix E has algebra slips). The
  per-profile cosine equals the mean-over-cell-type cosine exactly; R^2 and the pooled
  Pearson r differ because c_l < 1 depends on the cell.
  With a single one-hot-over-drugs prior over *all* columns instead, a drug's columns in
  different cells would be identical (a singular kernel), and Z = I over all columns would
  pool all cells into one global mean -- neither is "mean over cell type".
- ``ntk-mcf7`` (the MCF7 reference prior, Appendix D) *encodes the cell* and is solved
  jointly over all cells: column (d, c) is [w ||e_d|| c_hat_c ; e_d ; 1.5 e_(d,c)], normalised,
  where e_d is drug d's MCF7 training profile (the mean MCF7 profile if d was not measured in
  MCF7), c_hat_c the unit-normalised mean of cell c's training profiles and w = 1.25 the
  cell weight of the paper's mixed-prior runs. The joint solve is what lets a drug's
  profiles in other cells inform its profile in a sparse cell.
- ``ntk-<method>-prior`` (Appendices D, F): a previous method's output as prior,
  [y ; 1.5 e_j] with y the observed profile for training columns and the method's prediction
  for test columns, solved jointly over all cells.
- ``ntk-mixed`` (Appendix D): the FaLRTC-prior predictions for test cells with >= 150
  training profiles in the fold (dense regime), the MCF7-prior predictions below. Test
  columns never influence each other in kernel regression, so this is exactly the union of
  the two regressions' predictions; ``ntk-mixed-dnpp`` uses the DNPP prior in the dense regime
  (the reference code's DNPP variant).

The 1.5 I block (Appendix D) is never materialised: for distinct columns it only adds
1.5^2 = 2.25 to the squared norms, i.e. K = kappa(G / (n n^T)) with G_jj' = z_j . z_j' +
2.25 delta_jj' and n_j^2 = ||z_j||^2 + 2.25. It makes the kernel well conditioned:
G/(n n^T) >= 2.25 / max n_j^2 * I, and kappa has non-negative Taylor coefficients, so
lambda_min(K) >= (2.25 / max n_j^2) (kappa(1) - kappa(0)) > 0.

**Speed.** The NTK training sets hold ~12,900 columns per fold on CMap-sized data.

- ``ntk-mcf7``: the prior depends on the fold (cell means), so each fold needs its own
  Cholesky -- but only over the groups of columns that share a prior vector
  (:func:`predict_mcf7`, ~10,100 instead of ~12,900 unknowns: ~3.4e11 flops, plus ~2e11 for the
  978-column solve); the kernel is gathered from the ~1,500 x 1,500 drug-embedding Gram and the
  cell Gram inside one jitted kappa fusion, not formed by an n_t x n_t x 978 product.
- ``ntk-<method>-prior``: the training kernel of fold f is the principal submatrix K_tt of
  the *fold-independent* kernel of all observed non-reference profiles K. With P = K^-1
  (computed once per run, shared by every fold, seed and prior method) the block-inverse
  identity gives K_tt^-1 Y_t = Q_t - P_ts (P_ss^-1 Q_s), Q = P Y -- exact, and each fold then
  costs two n_t x n_s x 978 products. The test profiles enter Q but cancel exactly
  (checked by a test that replaces them and sees no prediction change).

``ntk-mcf7`` factorises in float32 by default (2x faster, half the memory; 3e-5 relative
agreement with float64 measured on a CMap-sized fold), and so does the block inverse P
(2e-5 relative agreement).
Large dense linear algebra uses LAPACK through SciPy in place (the n x n kernel is
overwritten by its factor), which measured faster than XLA's CPU Cholesky here and halves
the peak memory; if Cholesky fails the solve falls back to :func:`ntkjax.solve.kernel_regression`
(jitter / pseudo-inverse policy, with a warning).
"""

from __future__ import annotations

import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from scipy.linalg import lapack

from ntkjax import fc, solve
from ntkjax.dual import parse_activation
from ntkjax._x64 import enable_x64
from ntkjax.drugscreen.fold import FoldProblem
from ntkjax.drugscreen.mean import cell_means
from ntkjax.errors import NtkjaxInputError
from ntkjax.linalg import blas_guard
from ntkjax.memory import check_fits

__all__ = [
    "CELL_WEIGHT",
    "IDENTITY_WEIGHT",
    "DENSE_THRESHOLD",
    "prop2_constant",
    "predict_onehot",
    "mcf7_prior_kernels",
    "mcf7_groups",
    "predict_mcf7",
    "ProfileKernelInverse",
    "predict_method_prior",
    "predict_mixed",
]

CELL_WEIGHT = 1.25
IDENTITY_WEIGHT = 1.5
DENSE_THRESHOLD = 150
_CHUNK = 1024
_KEEP_MAX = 2000  # _cholesky_predict keeps a copy of K_tt up to this size for its fallback
_FLAT = 1 << 20


def prop2_constant(l: int, depth: int = 1, activation="relu") -> float:
    """c_l = l kappa(0) / (kappa(1) - kappa(0) + l kappa(0)) (Proposition 2 from the kernel)."""
    with enable_x64():
        k1 = float(fc.kappa(1.0, depth, activation))
        k0 = float(fc.kappa(0.0, depth, activation))
    return l * k0 / (k1 - k0 + l * k0)


_kappa_jit = jax.jit(fc.kappa, static_argnums=(1, 2))


def _kappa_inplace(xi: np.ndarray, depth: int, activation) -> np.ndarray:
    """Apply Theorem 1's kappa_d (``ntkjax.fc.kappa``, jitted) elementwise, in place.

    The array is processed as flat slices of one fixed length (the last one padded), so the
    jitted function compiles once per dtype instead of once per kernel shape.
    """
    x64 = xi.dtype == np.float64
    act = parse_activation(activation)
    flat = xi.reshape(-1)  # a view: xi is contiguous
    if not np.shares_memory(flat, xi):
        raise RuntimeError("kernel array must be contiguous")
    with enable_x64(x64):
        for i0 in range(0, flat.size, _FLAT):
            seg = flat[i0 : i0 + _FLAT]
            buf = seg if seg.size == _FLAT else np.concatenate([seg, np.zeros(_FLAT - seg.size, xi.dtype)])
            seg[...] = np.asarray(_kappa_jit(buf, depth, act), dtype=xi.dtype)[: seg.size]
    return xi


def _nonref_train(problem: FoldProblem) -> np.ndarray:
    if problem.reference_cell is None:
        return np.arange(problem.train_cell.shape[0])
    return np.flatnonzero(problem.train_cell != problem.reference_cell)


# ---------------------------------------------------------------------------------------
# one-hot prior, split per cell (Proposition 2)


def predict_onehot(problem: FoldProblem, depth: int = 1, activation="relu") -> np.ndarray:
    """Per cell type: Theorem 1 with Z = I over the cell's columns (Appendix E)."""
    rows = _nonref_train(problem)
    out = np.empty((problem.n_test, problem.n_genes))
    with enable_x64():  # the kernel of Z = I: kappa(1) on the diagonal, kappa(0) elsewhere
        k1 = float(fc.kappa(1.0, depth, activation))
        k0 = float(fc.kappa(0.0, depth, activation))
    for c in np.unique(problem.test_cell):
        tr = rows[problem.train_cell[rows] == c]
        te = np.flatnonzero(problem.test_cell == c)
        if tr.size == 0:
            raise NtkjaxInputError(f"cell {c} has no training profile; the one-hot NTK cannot predict it")
        K_tt = np.full((tr.size, tr.size), k0)
        K_tt[np.diag_indices(tr.size)] = k1
        K_st = np.full((te.size, tr.size), k0)
        out[te] = _cholesky_predict(K_tt, problem.train_profiles[tr], K_st)
    return out


# ---------------------------------------------------------------------------------------
# MCF7 reference prior (Appendix D)


def _mcf7_embeddings(problem: FoldProblem, cell_weight: float):
    if problem.reference_cell is None:
        raise NtkjaxInputError("the MCF7 prior needs a reference cell type (e.g. MCF7) in the data")
    ref = problem.reference_cell
    ref_rows = np.flatnonzero(problem.train_cell == ref)
    if ref_rows.size == 0:
        raise NtkjaxInputError("the reference cell has no profile; the MCF7 prior cannot be built")
    table = np.vstack([problem.train_profiles[ref_rows], problem.train_profiles[ref_rows].mean(axis=0)])
    lookup = np.full(problem.n_drugs, ref_rows.size, dtype=np.int64)  # default: mean MCF7 profile
    lookup[problem.train_drug[ref_rows]] = np.arange(ref_rows.size)
    rows = _nonref_train(problem)
    means, counts = cell_means(problem.train_profiles[rows], problem.train_cell[rows], problem.n_cells)
    if np.any(counts[problem.test_cell] == 0):
        raise NtkjaxInputError("a test cell has no training profile; the MCF7 prior needs its mean")
    with np.errstate(invalid="ignore", divide="ignore"):
        chat = means / np.linalg.norm(means, axis=1, keepdims=True)
    chat = np.nan_to_num(chat)
    drug_gram = table @ table.T
    cell_gram = chat @ chat.T
    s = np.linalg.norm(table, axis=1)
    return rows, lookup, drug_gram, cell_gram, s


def mcf7_prior_kernels(problem: FoldProblem, *, cell_weight: float = CELL_WEIGHT, depth: int = 1,
                       activation="relu", dtype=np.float64):
    """(K_tt, K_st, train_rows) of the MCF7 reference prior for this fold, ungrouped (the reference
    that :func:`predict_mcf7`'s grouped solve is tested against)."""
    rows, lookup, drug_gram, cell_gram, s = _mcf7_embeddings(problem, cell_weight)
    u_t, c_t = lookup[problem.train_drug[rows]], problem.train_cell[rows]
    u_s, c_s = lookup[problem.test_drug], problem.test_cell
    w, iw2 = cell_weight, IDENTITY_WEIGHT**2
    check_fits(rows.size**2 * np.dtype(dtype).itemsize * 1.3, what=f"the MCF7-prior kernel ({rows.size}^2)")
    K_tt = _mcf7_kernel(u_t, c_t, u_t, c_t, drug_gram, cell_gram, s, w, iw2, depth, activation, dtype)
    with enable_x64():  # a column with itself: the identity block makes xi = 1
        K_tt[np.diag_indices_from(K_tt)] = float(fc.kappa(1.0, depth, activation))
    K_st = _mcf7_kernel(u_s, c_s, u_t, c_t, drug_gram, cell_gram, s, w, iw2, depth, activation, dtype)
    return K_tt, K_st, rows


@partial(jax.jit, static_argnums=(12, 13))
def _mcf7_rows_fused(drug_gram, cell_gram, u_r, c_r, a_r, n_r, g_r, u_c, c_c, a_c, n_c, g_c, depth, act):
    """g_r g_c kappa((D[u_r, u_c] + a_r a_c C[c_r, c_c]) / (n_r n_c)): one XLA fusion (gather, scale, kappa)."""
    xi = drug_gram[u_r][:, u_c] + (a_r[:, None] * a_c[None, :]) * cell_gram[c_r][:, c_c]
    return fc.kappa(xi / (n_r[:, None] * n_c[None, :]), depth, act) * (g_r[:, None] * g_c[None, :])


_FUSED_ROWS, _FUSED_COLS = 512, 2048


def _mcf7_kernel(u_a, c_a, u_b, c_b, drug_gram, cell_gram, s, w, extra_norm2, depth, activation, dtype,
                 g_a=None, g_b=None, upper: bool = False):
    """The MCF7-prior kernel g_a g_b kappa(z_a . z_b / (n_a n_b)) between column sets a and b, without
    the identity block in the numerator (n^2 = ||z||^2 + ``extra_norm2``), as a NumPy array of
    ``dtype``; ``g_a``, ``g_b`` are optional row / column scales (default 1). ``upper=True`` (for
    a = b) fills only the upper triangle (plus some of the lower near the diagonal): all an
    in-place Cholesky of the F-order view reads, at half the work.

    Built in 512 x 2048 tiles by one jitted fused gather + kappa (a single compilation)."""
    act = parse_activation(activation)
    x64 = np.dtype(dtype) == np.float64
    na = np.sqrt(s[u_a] ** 2 * (1 + w * w) + extra_norm2)
    nb = np.sqrt(s[u_b] ** 2 * (1 + w * w) + extra_norm2)
    g_a = np.ones(u_a.size) if g_a is None else np.asarray(g_a, np.float64)
    g_b = np.ones(u_b.size) if g_b is None else np.asarray(g_b, np.float64)
    out = np.empty((u_a.size, u_b.size), dtype=dtype)

    def pad(x, n, fill):
        y = np.full(n, fill, dtype=x.dtype)
        y[: x.size] = x
        return y

    def side(u, c, norm, g, i0, n):
        i1 = min(u.size, i0 + n)
        return (jnp.asarray(pad(u[i0:i1], n, 0)), jnp.asarray(pad(c[i0:i1], n, 0)),
                jnp.asarray(pad(w * s[u[i0:i1]], n, 0.0), dtype), jnp.asarray(pad(norm[i0:i1], n, 1.0), dtype),
                jnp.asarray(pad(g[i0:i1], n, 0.0), dtype))

    with enable_x64(x64):
        D, C = jnp.asarray(drug_gram, dtype), jnp.asarray(cell_gram, dtype)
        col_sides = {j0: side(u_b, c_b, nb, g_b, j0, _FUSED_COLS) for j0 in range(0, u_b.size, _FUSED_COLS)}
        for i0 in range(0, u_a.size, _FUSED_ROWS):
            i1 = min(u_a.size, i0 + _FUSED_ROWS)
            rows = side(u_a, c_a, na, g_a, i0, _FUSED_ROWS)
            first = (i0 // _FUSED_COLS) * _FUSED_COLS if upper else 0
            for j0 in range(first, u_b.size, _FUSED_COLS):
                j1 = min(u_b.size, j0 + _FUSED_COLS)
                blk = _mcf7_rows_fused(D, C, *rows, *col_sides[j0], depth, act)
                out[i0:i1, j0:j1] = np.asarray(blk)[: i1 - i0, : j1 - j0]
    return out


def _normalise_inplace(G: np.ndarray, na: np.ndarray, nb: np.ndarray) -> None:
    for i0 in range(0, G.shape[0], _CHUNK):
        G[i0 : i0 + _CHUNK] /= na[i0 : i0 + _CHUNK, None] * nb[None, :]


def _cholesky_predict(K_tt: np.ndarray, Y_t: np.ndarray, K_st: np.ndarray) -> np.ndarray:
    """K_st K_tt^-1 Y_t with an in-place LAPACK Cholesky; K_tt is destroyed.

    The solve runs on the cheaper side: (K_tt^-1 Y_t) when there are fewer genes than test
    columns, else (K_tt^-1 K_ts)^T Y_t. Falls back to :func:`ntkjax.solve.kernel_regression`
    (jitter / pseudo-inverse policy) when the factorisation fails, which the 1.5 I block
    should make impossible.
    """
    with blas_guard(K_tt.nbytes):  # large multi-threaded OpenBLAS potrf segfaults (ntkjax.linalg)
        return _cholesky_predict_unguarded(K_tt, Y_t, K_st)


def _cholesky_predict_unguarded(K_tt: np.ndarray, Y_t: np.ndarray, K_st: np.ndarray) -> np.ndarray:
    keep = K_tt.copy() if K_tt.shape[0] <= _KEEP_MAX else None
    try:
        c = scipy.linalg.cho_factor(K_tt.T if K_tt.flags.c_contiguous else K_tt, lower=True,
                                    overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        if keep is None:
            raise
        warnings.warn("Cholesky of the NTK kernel failed; using ntkjax.solve's fallback", solve.NumericalWarning,
                      stacklevel=2)
        return solve.kernel_regression(keep, Y_t, K_st)
    if K_st.shape[0] < Y_t.shape[1]:
        W = scipy.linalg.cho_solve(c, np.ascontiguousarray(K_st.T), check_finite=False)
        return W.T @ Y_t.astype(W.dtype)
    alpha = scipy.linalg.cho_solve(c, Y_t.astype(K_tt.dtype), check_finite=False)
    return K_st @ alpha


def mcf7_groups(problem: FoldProblem, *, cell_weight: float = CELL_WEIGHT):
    """Training columns of the MCF7 prior grouped by identical prior vector.

    Column (d, c)'s prior vector depends only on (u, c), u = the row of drug d in the MCF7
    table -- and every drug without an MCF7 training profile shares u = "mean MCF7 profile".
    Returns ``(rows, u_g, c_g, members, counts, embeddings)``: ``rows`` the non-reference
    training rows, ``members[i]`` the group of ``rows[i]``, one (u_g, c_g) per group.
    """
    rows, lookup, drug_gram, cell_gram, s = _mcf7_embeddings(problem, cell_weight)
    u_t, c_t = lookup[problem.train_drug[rows]], problem.train_cell[rows]
    key = u_t.astype(np.int64) * problem.n_cells + c_t
    uniq, members, counts = np.unique(key, return_inverse=True, return_counts=True)
    return rows, uniq // problem.n_cells, uniq % problem.n_cells, members.reshape(-1), counts, (lookup, drug_gram,
                                                                                               cell_gram, s)


def predict_mcf7(problem: FoldProblem, *, cell_weight: float = CELL_WEIGHT, depth: int = 1, activation="relu",
                 dtype=np.float32) -> np.ndarray:
    """MCF7-prior NTK predictions K_st K_tt^-1 Y_t, solved exactly on the *groups* of training
    columns that share one prior vector (:func:`mcf7_groups`).

    Within a group g of m_g columns, K_tt is kappa(1) on the diagonal and k_gg = kappa(xi_gg)
    < kappa(1) off it, and every row is the same outside the group: K_tt = D + S k S^T with S
    the group indicator, k the (G x G) kernel between the groups' prior vectors (identity
    block excluded) and D = diag(kappa(1) - k_gg). Summing K_tt alpha = Y_t over a group gives
    (k + diag(d_g / m_g)) beta = Ybar with beta_g = sum of alpha over g and Ybar the group means,
    and predictions k_sG beta. We solve its symmetric scaling A' = M^1/2 k M^1/2 + diag(d)
    (M = diag(m)), which is S_n^T K_tt S_n for the orthonormal group-averaging S_n, so its
    condition number is at most K_tt's. Every drug missing from MCF7 collapses into one group
    per cell: ~12,900 columns become ~10,100 on CMap-sized data (half the Cholesky flops).

    float32 by default: the 1.5 I block bounds the kernel's condition number (~1e4 at CMap
    size); measured agreement with the float64 solve of the full K_tt: see tests.
    """
    rows, u_g, c_g, members, m, (lookup, drug_gram, cell_gram, s) = mcf7_groups(problem, cell_weight=cell_weight)
    w, iw2 = cell_weight, IDENTITY_WEIGHT**2
    G = u_g.size
    check_fits(G * G * np.dtype(dtype).itemsize * 1.3, what=f"the MCF7-prior kernel ({G}^2 groups)")
    sq = np.sqrt(m.astype(np.float64))
    # only the triangle the in-place Cholesky reads, unless _cholesky_predict keeps a full copy (small G)
    A = _mcf7_kernel(u_g, c_g, u_g, c_g, drug_gram, cell_gram, s, w, iw2, depth, activation, dtype, sq, sq,
                     upper=G > _KEEP_MAX)
    with enable_x64():
        k1 = float(fc.kappa(1.0, depth, activation))
    # A = M^1/2 k M^1/2 so far; add d_g = kappa(1) - k_gg
    A[np.diag_indices(G)] += (k1 - np.diagonal(A).astype(np.float64) / m).astype(dtype)
    # group sums of the training profiles, scaled by M^-1/2
    Y = problem.train_profiles[rows]
    order = np.argsort(members, kind="stable")
    starts = np.concatenate([[0], np.cumsum(m)[:-1]])
    Ysum = np.add.reduceat(Y[order], starts, axis=0) / sq[:, None]
    u_s, c_s = lookup[problem.test_drug], problem.test_cell
    K_sG = _mcf7_kernel(u_s, c_s, u_g, c_g, drug_gram, cell_gram, s, w, iw2, depth, activation, dtype, None, sq)
    return _cholesky_predict(A, Ysum.astype(dtype), K_sG)


# ---------------------------------------------------------------------------------------
# previous method's output as prior (Appendices D, F), block-inverse solver


class ProfileKernelInverse:
    """P = K^-1 and Q = P Y for the kernel of all observed non-reference profiles.

    Column j is embedded as [y_j ; 1.5 e_j] (its observed profile plus the identity block),
    which is how every *training* column is embedded by the method-output priors. Built once
    per run (14,336 columns on CMap: ~1.6 GB in float64) and shared by all folds and seeds.
    """

    def __init__(self, profiles: np.ndarray, *, depth: int = 1, activation="relu", dtype=np.float64):
        U = np.asarray(profiles, dtype=dtype)
        n = U.shape[0]
        check_fits(n * n * np.dtype(dtype).itemsize * 1.2, what=f"the profile-prior kernel inverse ({n}^2)",
                   hint="use dtype=float32 or fewer profiles")
        A = np.empty((n, n), dtype=dtype)
        np.matmul(U, U.T, out=A)
        iw2 = IDENTITY_WEIGHT**2
        A[np.diag_indices(n)] += iw2
        norms = np.sqrt(np.sum(U * U, axis=1) + iw2)
        _normalise_inplace(A, norms, norms)
        _kappa_inplace(A, depth, activation)
        potrf, potri = (lapack.dpotrf, lapack.dpotri) if dtype == np.float64 else (lapack.spotrf, lapack.spotri)
        with blas_guard(A.nbytes):
            L, info = potrf(A.T, lower=1, overwrite_a=1, clean=0)  # A is symmetric: A.T is its F-order view
            if info != 0:
                raise np.linalg.LinAlgError(f"profile-prior kernel is not positive definite (potrf info={info})")
            Pinv, info = potri(L, lower=1, overwrite_c=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"inverting the profile-prior kernel failed (potri info={info})")
        for i0 in range(0, n, _CHUNK):  # mirror the lower triangle
            i1 = min(n, i0 + _CHUNK)
            Pinv[i0:i1, i1:] = Pinv[i1:, i0:i1].T
            blk = Pinv[i0:i1, i0:i1]
            blk[np.triu_indices(i1 - i0, 1)] = blk.T[np.triu_indices(i1 - i0, 1)]
        self.P = Pinv
        self.Q = Pinv @ U
        self.profiles = U
        self.norms = norms
        self.depth, self.activation = depth, activation

    def coefficients(self, train_rows: np.ndarray, test_rows: np.ndarray) -> np.ndarray:
        """alpha = K_tt^-1 Y_t for training rows t = complement of ``test_rows`` (block inverse)."""
        P_ss = self.P[np.ix_(test_rows, test_rows)]
        X = scipy.linalg.solve(P_ss, self.Q[test_rows], assume_a="pos", check_finite=False)
        return self.Q[train_rows] - self.P[np.ix_(train_rows, test_rows)] @ X

    def cross_kernel(self, test_embedding: np.ndarray, train_rows: np.ndarray) -> np.ndarray:
        """kappa between test columns [yhat ; 1.5 e_s] and training columns [y ; 1.5 e_t]."""
        E = np.asarray(test_embedding, dtype=self.P.dtype)
        ne = np.sqrt(np.sum(E * E, axis=1) + IDENTITY_WEIGHT**2)
        G = E @ self.profiles[train_rows].T
        _normalise_inplace(G, ne, self.norms[train_rows])
        return _kappa_inplace(G, self.depth, self.activation)


def predict_method_prior(problem: FoldProblem, source: str, *, depth: int = 1, activation="relu",
                         dtype=np.float32) -> np.ndarray:
    """NTK with the output of method ``source`` as the test columns' prior (Appendix F).

    float32 by default: the block inverse P then costs ~23 s instead of ~42 s at CMap size (the
    identity block bounds the condition number), and predictions agree with float64 to 2e-5
    relative (measured on a CMap-sized fold; tests require < 1e-4). ``dtype=np.float64`` for
    the exact reference."""
    if problem.universe_profiles is None:
        raise RuntimeError("the method-output prior needs the run's universe of profiles (set by the protocol)")
    key = ("profile_inverse", depth, str(activation), np.dtype(dtype).name)
    inv = problem.run_cache.get(key)
    if inv is None:
        inv = ProfileKernelInverse(problem.universe_profiles, depth=depth, activation=activation, dtype=dtype)
        problem.run_cache[key] = inv
    t, s = problem.universe_train_rows, problem.universe_test_rows
    alpha = inv.coefficients(t, s)
    K_st = inv.cross_kernel(problem.method_output(source), t)
    return K_st @ alpha


def predict_mixed(problem: FoldProblem, dense_method: str = "ntk-falrtc-prior", sparse_method: str = "ntk-mcf7",
                  threshold: int = DENSE_THRESHOLD) -> np.ndarray:
    """Dense-regime cells (>= ``threshold`` training profiles) from ``dense_method``, the rest from ``sparse_method``."""
    dense = problem.train_counts()[problem.test_cell] >= threshold
    out = np.empty((problem.n_test, problem.n_genes))
    if dense.any():
        out[dense] = problem.method_output(dense_method)[dense]
    if (~dense).any():
        out[~dense] = problem.method_output(sparse_method)[~dense]
    return out
