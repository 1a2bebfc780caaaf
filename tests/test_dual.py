"""Dual activations against Monte-Carlo estimates of c^2 E[phi(u) phi(v)] and c^2 E[phi'(u) phi'(v)]."""

import math

import numpy as np
import pytest

from ntkjax.dual import dual_relu, leaky_relu, linear, parse_activation, relu
from ntkjax.errors import NtkjaxInputError

ACTS = [relu, leaky_relu(0.01), leaky_relu(0.2), leaky_relu(0.7), linear]


def _monte_carlo(slope, xi, n=2_000_000, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(n)
    v = xi * u + math.sqrt(1 - xi * xi) * rng.standard_normal(n)
    phi = lambda x: np.where(x >= 0, x, slope * x)
    dphi = lambda x: np.where(x >= 0, 1.0, slope)
    c2 = 1.0 / np.mean(phi(rng.standard_normal(n)) ** 2)  # Eq. 6, estimated independently
    return c2 * np.mean(phi(u) * phi(v)), c2 * np.mean(dphi(u) * dphi(v))


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
@pytest.mark.parametrize("xi", [-0.9, -0.3, 0.0, 0.5, 0.95])
def test_dual_matches_monte_carlo(act, xi):
    mc_dual, mc_deriv = _monte_carlo(act.slope, xi)
    assert float(act.dual(xi)) == pytest.approx(mc_dual, abs=6e-3)
    assert float(act.dual_derivative(xi)) == pytest.approx(mc_deriv, abs=6e-3)


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_normalised_and_safe_at_endpoints(act):
    assert float(act.dual(1.0)) == pytest.approx(1.0, abs=1e-6)
    for xi in (-1.0, 1.0, 1.0 + 1e-7, -1.0 - 1e-7):  # rounding just outside [-1, 1] must not give NaN
        assert np.isfinite(float(act.dual(xi)))
        assert np.isfinite(float(act.dual_derivative(xi)))


@pytest.mark.parametrize("act", ACTS[:-1], ids=lambda a: a.name)
def test_derivative_is_derivative_of_dual(act):
    xi = np.linspace(-0.95, 0.95, 41)
    h = 1e-4
    numeric = (np.asarray(act.dual(xi + h)) - np.asarray(act.dual(xi - h))) / (2 * h)
    np.testing.assert_allclose(np.asarray(act.dual_derivative(xi)), numeric, atol=2e-3)


def test_relu_dual_matches_eq7():
    xi = np.linspace(-1, 1, 11)
    eq7 = (xi * (np.pi - np.arccos(xi)) + np.sqrt(1 - xi**2)) / np.pi
    np.testing.assert_allclose(np.asarray(dual_relu(xi)), eq7, atol=1e-6)
    assert float(relu.dual(0.0)) == pytest.approx(1 / np.pi, rel=1e-6)


def test_parse_activation():
    assert parse_activation("relu") is relu
    assert parse_activation("linear") is linear
    assert parse_activation("leaky_relu:0.01").slope == 0.01
    for bad in ("tanh", "leaky_relu", "leaky_relu:x", "leaky_relu:2"):
        with pytest.raises(NtkjaxInputError):
            parse_activation(bad)
