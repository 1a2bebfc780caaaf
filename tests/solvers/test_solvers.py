"""EigenPro 2 and CG agree with the direct solve on few-thousand-unknown systems."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from ntkjax import expansion as E
from ntkjax.errors import NtkjaxInputError
from ntkjax.operator import KernelOperator
from ntkjax.solvers import DenseSystem, ImageSystem, solve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bruteforce_cntk import ntk  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def image_system():
    """CNTK (s = 2, brute-force base, expanded) of a 64 x 64 RGB image with a 16 x 20 hole: 3776 unknowns."""
    s, H, W = 2, 64, 64
    op = KernelOperator.from_window(E.local_window(ntk(8, 8, s), s), H, W)
    yy, xx = np.mgrid[0:H, 0:W] / 64.0
    img = np.stack([np.sin(3 * xx + yy), np.cos(2 * yy) * xx, (xx + yy) / 2], -1)
    img += 0.05 * np.random.default_rng(0).standard_normal(img.shape)
    mask = np.ones((H, W), bool)
    mask[20:36, 30:50] = False
    return ImageSystem(op, img, mask), mask


@pytest.fixture(scope="module")
def dense_system():
    """Laplace kernel (diagonal 2, not 1) on 2500 random points, 2000 training, 3 outputs."""
    rng = np.random.default_rng(1)
    X = rng.random((2500, 2))
    K = 2.0 * np.exp(-np.linalg.norm(X[:, None] - X[None], axis=-1) / 0.5)
    Y = np.stack([np.sin(4 * X[:, 0]), X[:, 1] ** 2, np.cos(3 * X.sum(1))], 1)
    mask = np.arange(2500) < 2000
    return DenseSystem(K, Y, mask), mask


@pytest.mark.parametrize("method, opts", [("eigenpro", {"epochs": 40}), ("cg", {"iters": 400, "tol": 1e-9})])
def test_image_solvers_match_direct(image_system, method, opts):
    system, mask = image_system
    ref = np.asarray(system.predict(solve(system, "direct").alpha))[~mask.ravel()]
    res = solve(system, method, progress=False, **opts)
    got = np.asarray(system.predict(res.alpha))[~mask.ravel()]
    assert _rel(got, ref) < 1e-3, (method, res.residual, res.info)


@pytest.mark.parametrize("method, opts", [("eigenpro", {"epochs": 30}), ("cg", {"iters": 500, "tol": 1e-10})])
def test_dense_solvers_match_direct(dense_system, method, opts):
    system, mask = dense_system
    ref = np.asarray(system.predict(solve(system, "direct").alpha))[~mask]
    res = solve(system, method, progress=False, **opts)
    got = np.asarray(system.predict(res.alpha))[~mask]
    assert _rel(got, ref) < 1e-3, (method, res.residual, res.info)


def test_eigenpro_uses_actual_diagonal(dense_system):
    system, _ = dense_system
    res = solve(system, "eigenpro", epochs=1, subsample=500, progress=False)
    # beta is the preconditioned diagonal's maximum, at most the kernel's diagonal (2, not 1)
    assert 0 < res.info["beta"] <= 2.0 + 1e-9
    assert res.info["step"] > 0


def test_deterministic_and_no_mutation(dense_system):
    system, _ = dense_system
    Y0 = np.asarray(system.Y).copy()
    a = solve(system, "eigenpro", epochs=2, seed=3, subsample=500, progress=False).alpha
    b = solve(system, "eigenpro", epochs=2, seed=3, subsample=500, progress=False).alpha
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(np.asarray(system.Y), Y0)


def test_bad_input(image_system):
    system, mask = image_system
    op = system.op
    with pytest.raises(NtkjaxInputError, match="mask has shape"):
        ImageSystem(op, np.zeros((op.H, op.W)), np.ones((op.H, op.W + 4), bool))
    with pytest.raises(NtkjaxInputError, match="no observed pixel"):
        ImageSystem(op, np.zeros((op.H, op.W)), np.zeros((op.H, op.W), bool))
    with pytest.raises(NtkjaxInputError, match="unknown solver"):
        solve(system, "sgd")
    with pytest.raises(NtkjaxInputError, match="square"):
        DenseSystem(np.ones((3, 4)), np.ones(3))


def test_image_rows_and_cross_match_dense_blocks(image_system):
    """Phase-row and cross products (shift-on-output form) against the gathered dense blocks."""
    system, _ = image_system
    rng = np.random.default_rng(5)
    a = jnp.asarray([0, 7, 13])
    b = jnp.asarray([2, 7, 11, 15])
    A = jnp.asarray(rng.standard_normal((system.N, 2)))
    rows_a = system.rows_of(a)
    cols = jnp.arange(system.op.P ** 2)
    dense_rows = np.asarray(system.block(a, cols)) @ np.asarray(A)[np.asarray(system.rows_of(cols))]
    np.testing.assert_allclose(np.asarray(system.rows_matvec(a, A)), dense_rows, rtol=1e-10, atol=1e-10)
    G = jnp.asarray(rng.standard_normal((len(system.rows_of(b)), 2)))
    expect = np.asarray(system.block(a, b)) @ np.asarray(G)
    np.testing.assert_allclose(np.asarray(system.cross_matvec(a, b, G)), expect, rtol=1e-10, atol=1e-10)
    assert rows_a.shape[0] == expect.shape[0]
