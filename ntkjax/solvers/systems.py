"""Kernel systems ``K[O, O] alpha = Y[O]`` behind one interface for all solvers.

A system has ``N`` unknowns (one per data point or pixel), a boolean ``mask`` of training
points ``O``, targets ``Y`` of shape (N, r) (r outputs -- e.g. RGB -- share one solve) and:

* ``matvec(A)``: ``M K M A`` (the masked kernel, M = diag(mask)), A of shape (N, r);
* ``predict(A)``: ``K M A`` at every unknown (imputation);
* ``diag()``; ``rows_of(ids)`` / ``rows_matvec(ids, A)`` / ``block(ids_a, ids_b)`` over *row
  sets* -- the unit a mini-batch is drawn in (single rows for :class:`DenseSystem`, whole
  phase classes of pixels for :class:`ImageSystem`, so that a batch product is one matmul);
* ``row_sets``: the number of row sets and the rows per set.

Systems are JAX pytrees (arrays are leaves), so jitted solver loops take them as arguments.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ntkjax.errors import NtkjaxInputError
from ntkjax.expansion import LocalWindow
from ntkjax.operator import KernelOperator, _block, _local_matvec, _phase_cross, _phase_rows

__all__ = ["DenseSystem", "ImageSystem"]


def _check_targets(Y, N: int, dtype) -> jax.Array:
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != N:
        raise NtkjaxInputError(f"targets must have shape ({N},) or ({N}, r), got {Y.shape}")
    return jnp.asarray(Y, dtype=dtype)


@jax.tree_util.register_pytree_node_class
class DenseSystem:
    """An explicit kernel matrix ``K`` (n x n) with training mask (default: all points)."""

    def __init__(self, K, Y, mask=None, *, _checked=False):
        if not _checked:
            K = jnp.asarray(K)
            if K.ndim != 2 or K.shape[0] != K.shape[1]:
                raise NtkjaxInputError(f"kernel matrix must be square, got shape {K.shape}")
            Y = _check_targets(Y, K.shape[0], K.dtype)
            mask = jnp.ones(K.shape[0], bool) if mask is None else jnp.asarray(mask, bool)
            if mask.shape != (K.shape[0],):
                raise NtkjaxInputError(f"mask must have shape ({K.shape[0]},), got {mask.shape}")
            if not bool(mask.any()):
                raise NtkjaxInputError("no training point: the mask is all False")
            Y = jnp.where(mask[:, None], Y, 0)
        self.K, self.Y, self.mask = K, Y, mask

    def tree_flatten(self):
        return (self.K, self.Y, self.mask), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children, _checked=True)

    @property
    def N(self) -> int:
        return self.K.shape[0]

    @property
    def dtype(self):
        return self.K.dtype

    @property
    def row_sets(self) -> tuple[int, int]:
        return self.N, 1

    def _m(self):
        return self.mask.astype(self.K.dtype)[:, None]

    def matvec(self, A):
        m = self._m()
        return m * (self.K @ (m * A))

    def predict(self, A):
        return self.K @ (self._m() * A)

    def diag(self):
        return jnp.diagonal(self.K) * self.mask

    def rows_of(self, ids):
        return ids.reshape(-1)

    def rows_matvec(self, ids, A):
        r = self.rows_of(ids)
        return self.mask[r].astype(A.dtype)[:, None] * (self.K[r] @ (self._m() * A))

    def block(self, ids_a, ids_b):
        ra, rb = self.rows_of(ids_a), self.rows_of(ids_b)
        mm = (self.mask[ra][:, None] & self.mask[rb][None, :]).astype(self.K.dtype)
        return mm * self.K[ra][:, rb]

    def cross_matvec(self, ids_a, ids_b, G):
        """``K[rows(a), rows(b)] @ G`` (masked), G of shape (len(rows(b)), r)."""
        return self.block(ids_a, ids_b) @ G

    def dense(self):
        m = self._m()
        return m * self.K * m.T


@jax.tree_util.register_pytree_node_class
class ImageSystem:
    """The CNTK of an H x W image (window form of Appendix M) restricted to observed pixels.

    Unknowns are pixels, row-major; ``Y`` is (H*W, r); a row set is one phase class (all pixels
    with the same ``x mod P``, ``(H/P)(W/P)`` of them). Products cost ``(2P + b)^2 H W r``
    multiply-adds (see :mod:`ntkjax.operator`); memory: the operator's weights plus a few
    (H, W, r) arrays.
    """

    def __init__(self, op: KernelOperator, Y, mask, *, block: int | None = None, _arrays=None):
        if _arrays is not None:
            self.op, (self.G, self.G9, self.window, self.floor, self.Y, self.mask) = op, _arrays
            return
        if op.window is None:
            raise NtkjaxInputError("ImageSystem needs the window form: KernelOperator.from_window")
        mask = np.asarray(mask)
        if mask.shape != (op.H, op.W):
            raise NtkjaxInputError(f"mask has shape {mask.shape}, expected ({op.H}, {op.W}) like the kernel")
        if mask.dtype != bool:
            raise NtkjaxInputError(f"mask must be boolean (True = observed), got dtype {mask.dtype}")
        if not mask.any():
            raise NtkjaxInputError("no observed pixel: the mask is all False")
        Y = np.asarray(Y)
        if Y.shape[:2] == (op.H, op.W):
            Y = Y.reshape(op.H * op.W, -1)
        self.op = op
        self.Y = jnp.where(jnp.asarray(mask).reshape(-1, 1), _check_targets(Y, op.n, op.dtype), 0)
        self.mask = jnp.asarray(mask).reshape(-1)
        self.G = op._local_weights(block)
        self.G9 = op._local_weights(op.P)
        self.window = op.window.window
        self.floor = op.window.floor

    def tree_flatten(self):
        return (self.G, self.G9, self.window, self.floor, self.Y, self.mask), self.op

    @classmethod
    def tree_unflatten(cls, op, children):
        return cls(op, None, None, _arrays=children)

    @property
    def N(self) -> int:
        return self.op.n

    @property
    def dtype(self):
        return self.op.dtype

    @property
    def row_sets(self) -> tuple[int, int]:
        P = self.op.P
        return P * P, self.op.n // (P * P)

    def _img(self, A):
        return (self.mask.astype(A.dtype)[:, None] * A).reshape(self.op.H, self.op.W, -1)

    def predict(self, A):
        return _local_matvec(self.G, self.floor, self._img(A), self.op.P).reshape(self.N, -1)

    def matvec(self, A):
        return self.mask.astype(A.dtype)[:, None] * self.predict(A)

    def diag(self):
        return self.op.diag().reshape(-1) * self.mask

    def rows_of(self, ids):
        P, W = self.op.P, self.op.W
        Hc, Wc = self.op.H // P, W // P
        ids = ids.reshape(-1)
        pi, pj = ids // P, ids % P
        ii = pi[:, None, None] + P * jnp.arange(Hc)[None, :, None]
        jj = pj[:, None, None] + P * jnp.arange(Wc)[None, None, :]
        return (ii * W + jj).reshape(-1)

    def rows_matvec(self, ids, A):
        ids = ids.reshape(-1)
        out = _phase_rows(self.G9, self.floor, self._img(A), ids, self.op.P)
        out = out.reshape(-1, A.shape[1])
        return self.mask[self.rows_of(ids)].astype(A.dtype)[:, None] * out

    def cross_matvec(self, ids_a, ids_b, G):
        """``K[rows(a), rows(b)] @ G`` (masked), touching only the (a, b) phase sub-blocks of the weights.

        Cost ``9 |a| |b| H W r / P^2`` multiply-adds (EigenPro's Nystrom correction: tiny), instead
        of a product against a full image that is zero off ``rows(b)``.
        """
        ids_a, ids_b = ids_a.reshape(-1), ids_b.reshape(-1)
        P = self.op.P
        Hc, Wc = self.op.H // P, self.op.W // P
        mb = self.mask[self.rows_of(ids_b)].astype(G.dtype)[:, None]
        Gp = (mb * G).reshape(len(ids_b), Hc, Wc, -1)
        out = _phase_cross(self.G9, self.floor, ids_a, ids_b, Gp).reshape(-1, G.shape[1])
        return self.mask[self.rows_of(ids_a)].astype(G.dtype)[:, None] * out

    def block(self, ids_a, ids_b):
        ra, rb = self.rows_of(ids_a), self.rows_of(ids_b)
        K = _block(None, LocalWindow(self.window, self.floor), ra, rb, self.op.H, self.op.W, self.op.P)
        mm = (self.mask[ra][:, None] & self.mask[rb][None, :]).astype(K.dtype)
        return mm * K
