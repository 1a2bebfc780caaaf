"""Kernel operator: blocks and products equal the dense kernel on small sizes."""

from __future__ import annotations

import numpy as np
import pytest

import jax

from ntkjax import expansion as E
from ntkjax.errors import NtkjaxInputError
from ntkjax.operator import KernelOperator

from bruteforce_cntk import ntk


@pytest.fixture(autouse=True, scope="module")
def _x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


@pytest.fixture(scope="module")
def local_case():
    """Brute-force NTK with s = 2 (P = 4), expanded to 16 x 24; dense matrix from direct computation."""
    s, H, W = 2, 16, 24
    base = ntk(8, 8, s)
    dense = ntk(H, W, s).reshape(H * W, H * W)
    return base, s, H, W, dense


def _generic_compact(P, H, W, seed=0):
    """Any compact kernel (not local+floor, not symmetric): checks the layout, not the theorem."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((P, P, H, W))


def _dense_from_compact(C):
    P, _, H, W = C.shape
    i, j, k, l = np.meshgrid(*(np.arange(n) for n in (H, W, H, W)), indexing="ij")
    return C[i % P, j % P, (k - i) % H, (l - j) % W].reshape(H * W, H * W)


def test_block_and_diag_match_dense(local_case):
    base, s, H, W, dense = local_case
    op = KernelOperator.from_window(E.local_window(base, s), H, W)
    rng = np.random.default_rng(1)
    rows = rng.choice(H * W, 50, replace=False)
    cols = rng.choice(H * W, 70, replace=False)
    np.testing.assert_allclose(np.asarray(op.block(rows, cols)), dense[np.ix_(rows, cols)], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(op.diag()).ravel(), np.diag(dense), rtol=1e-12)
    opc = KernelOperator.from_compact(E.expand(base, s, (H, W)))
    np.testing.assert_allclose(np.asarray(opc.block(rows, cols)), dense[np.ix_(rows, cols)], rtol=1e-12)


@pytest.mark.parametrize("method, block", [("local", 4), ("local", 2), ("local", 1), ("fft", None), ("dense", None)])
def test_matvec_matches_dense(local_case, method, block):
    base, s, H, W, dense = local_case
    win = E.local_window(base, s)
    op = KernelOperator.from_window(win, H, W) if method == "local" else KernelOperator.from_compact(E.expand(base, s, (H, W)))
    V = np.random.default_rng(2).standard_normal((H, W, 3))
    V0 = V.copy()
    kw = {"block": block} if block else {"chunk": 100}
    out = np.asarray(op.matvec(V, method=method, **kw))
    np.testing.assert_allclose(out.reshape(-1, 3), dense @ V.reshape(-1, 3), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(V, V0)  # caller's array untouched


@pytest.mark.parametrize("method", ["fft", "dense"])
def test_generic_compact_layout(method):
    P, H, W = 2, 6, 8
    C = _generic_compact(P, H, W)
    dense = _dense_from_compact(C)
    op = KernelOperator.from_compact(C)
    V = np.random.default_rng(3).standard_normal((H, W, 2))
    np.testing.assert_allclose(np.asarray(op.matvec(V, method=method)).reshape(-1, 2), dense @ V.reshape(-1, 2), atol=1e-10)
    rows, cols = np.arange(0, 48, 5), np.arange(1, 48, 3)
    np.testing.assert_allclose(np.asarray(op.block(rows, cols)), dense[np.ix_(rows, cols)])


def test_masked_matvec_and_phase_rows(local_case):
    base, s, H, W, dense = local_case
    P = 2**s
    op = KernelOperator.from_window(E.local_window(base, s), H, W)
    rng = np.random.default_rng(4)
    mask = rng.random((H, W)) < 0.6
    V = rng.standard_normal((H, W))
    m = mask.ravel()
    expect = np.where(m, dense[:, m] @ V.ravel()[m], 0.0)
    np.testing.assert_allclose(np.asarray(op.masked_matvec(V, mask)).ravel(), expect, atol=1e-10)
    phases = np.array([0, 5, 15, 6])
    out = np.asarray(op.phase_rows_matvec(phases, V[..., None]))  # (k, H/P, W/P, 1)
    full = (dense @ V.ravel()).reshape(H // P, P, W // P, P)
    for n, ph in enumerate(phases):
        np.testing.assert_allclose(out[n, :, :, 0], full[:, ph // P, :, ph % P], atol=1e-10)


def test_bad_inputs(local_case):
    base, s, H, W, _ = local_case
    op = KernelOperator.from_window(E.local_window(base, s), H, W)
    with pytest.raises(NtkjaxInputError, match="mask has shape"):
        op.masked_matvec(np.zeros((H, W)), np.ones((H, W + 1), bool))
    with pytest.raises(NtkjaxInputError, match="right-hand side"):
        op.matvec(np.zeros((W, H)))
    with pytest.raises(NtkjaxInputError, match="block 3"):
        op.matvec(np.zeros((H, W)), method="local", block=3)
