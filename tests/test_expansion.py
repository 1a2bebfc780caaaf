"""Expansion theorem (Appendix M) against brute-force kernels computed directly at each size."""

from __future__ import annotations

import numpy as np
import pytest

import jax

from ntkjax import expansion as E
from ntkjax.errors import MemoryBudgetError, NtkjaxInputError

from bruteforce_cntk import ntk


@pytest.fixture(autouse=True, scope="module")
def _x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


@pytest.mark.parametrize(
    "s, sizes, kw",
    [
        (1, [(8, 8), (16, 16), (8, 12)], {}),
        (2, [(16, 16), (32, 32), (16, 24)], {}),
        (1, [(8, 8), (12, 16)], {"q": 5, "convs_per_level": 2}),
    ],
)
def test_expansion_equals_direct_kernel(s, sizes, kw):
    """2^(s+2), 2^(s+3) and a rectangular size, each computed directly by brute force."""
    B = 2 ** (s + 1)
    base = ntk(B, B, s, **kw)
    for H, W in sizes:
        direct = ntk(H, W, s, **kw)
        full = np.asarray(E.to_full(E.expand(base, s, (H, W)), H, W))
        np.testing.assert_allclose(full, direct, rtol=1e-12, atol=1e-12)


def test_compact_base_gives_same_expansion():
    s, B = 2, 8
    base = ntk(B, B, s)
    a = E.expand(base, s, (16, 24))
    b = E.expand(E.compact_from_full(base, 4), s, (16, 24))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_kernel_is_local_plus_floor():
    """Beyond the [-P, P) window every entry of a row equals the row minimum (the padding value)."""
    s, P = 2, 4
    K = ntk(32, 32, s)
    win = E.local_window(ntk(8, 8, s), s)
    for a, b in [(0, 0), (1, 3), (3, 2)]:
        row = np.roll(K[a, b], (-a, -b), (0, 1))  # offsets from (a, b)
        d = (np.arange(32) + P) % 32 - P  # signed offsets in [-P, 32 - P)
        outside = (np.abs(d + 0.5)[:, None] > P) | (np.abs(d + 0.5)[None, :] > P)
        assert np.allclose(row[outside], row.min())
        assert np.isclose(float(win.floor[a, b]), row.min())


def test_bilinear_is_not_exact():
    """Bilinear upsampling breaks the theorem: the expansion error is large (about 20% here)."""
    s = 2
    base = ntk(8, 8, s, up="bilinear")
    direct = ntk(16, 16, s, up="bilinear")
    full = np.asarray(E.to_full(E.expand(base, s, (16, 16)), 16, 16))
    assert np.abs(full - direct).max() / np.abs(direct).max() > 0.05


def test_to_full_round_trip():
    rng = np.random.default_rng(0)
    C = rng.standard_normal((2, 2, 4, 6))
    F = np.asarray(E.to_full(C, 4, 6))
    for i, j, k, l in [(0, 0, 1, 2), (3, 5, 0, 0), (2, 1, 3, 4)]:
        assert F[i, j, k, l] == C[i % 2, j % 2, (k - i) % 4, (l - j) % 6]
    np.testing.assert_array_equal(np.asarray(E.compact_from_full(F, 2)), C)


def test_to_full_refuses_huge():
    with pytest.raises(MemoryBudgetError, match="full"):
        E.to_full(np.zeros((1, 1, 2048, 2048), np.float32), 2048, 2048)


@pytest.mark.parametrize(
    "size, match",
    [((10, 16), "not a positive multiple"), ((16, 10), "multiple of 4"), ((4, 16), "single pixel"), ((0, 8), "multiple")],
)
def test_bad_sizes(size, match):
    base = np.ones((8, 8, 8, 8))
    with pytest.raises(NtkjaxInputError, match=match):
        E.expand(base, 2, size)


def test_wrong_base_shape():
    with pytest.raises(NtkjaxInputError, match=r"kernel of a 8x8 image"):
        E.expand(np.ones((4, 4, 4, 4)), 2, (16, 16))
    with pytest.raises(NtkjaxInputError, match="NaN"):
        E.expand(np.full((8, 8, 8, 8), np.nan), 2, (16, 16))
    with pytest.raises(NtkjaxInputError, match="downsamplings"):
        E.expand(np.ones((8, 8, 8, 8)), -1, (16, 16))


# ---- against the CNTK engine (ntkjax.cntk), computed directly at each size -------------------


@pytest.mark.parametrize("s", [2, 3])
def test_expansion_equals_engine_kernel(s):
    """Square 2^(s+2), 2^(s+3) and a rectangular size (float64): exact to rounding."""
    cntk = pytest.importorskip("ntkjax.cntk")
    arch = cntk.presets.get(f"autoencoder-{s}")
    P, B = 2**s, 2 ** (s + 1)
    base = cntk.kernel(arch, cntk.priors.iid(), (B, B), dtype="float64", form="compact")
    for H, W in [(2 * B, 2 * B), (4 * B, 4 * B), (2 * B, 3 * P)]:
        direct = cntk.kernel(arch, cntk.priors.iid(), (H, W), dtype="float64", form="compact")
        np.testing.assert_allclose(np.asarray(E.expand(base, s, (H, W))), direct, rtol=1e-12, atol=1e-12)


def test_engine_bilinear_error_is_measured():
    """Bilinear (autoencoder-2-bilinear): the expansion is off by ~16% (max relative), and the base
    fails the periodicity check that `ntkjax expand` uses to refuse it."""
    cntk = pytest.importorskip("ntkjax.cntk")
    arch = cntk.presets.get("autoencoder-2-bilinear")
    base = cntk.kernel(arch, cntk.priors.iid(), (8, 8), dtype="float64")
    direct = cntk.kernel(arch, cntk.priors.iid(), (16, 16), dtype="float64")
    full = np.asarray(E.to_full(E.expand(base, 2, (16, 16)), 16, 16))
    err = np.abs(full - direct).max() / np.abs(direct).max()
    assert 0.1 < err < 0.3
    assert E.periodicity_error(base, 4) > 1e-2
    nearest = cntk.kernel(cntk.presets.get("autoencoder-2"), cntk.priors.iid(), (8, 8), dtype="float64")
    assert E.periodicity_error(nearest, 4) < 1e-12
