"""Theorem 1: the paper's worked example and the empirical NTK of the finite Flax network."""

import jax
import numpy as np
import pytest

from ntkjax import fc, finite_fc
from ntkjax.errors import NtkjaxInputError


def test_kappa_closed_form_relu_depth1():
    # kappa_1(xi) = dual(xi) + xi dual'(xi): kappa(1) = 2, kappa(0) = 1/pi (proof of Prop. 2).
    assert float(fc.kappa(1.0)) == pytest.approx(2.0, rel=1e-6)
    assert float(fc.kappa(0.0)) == pytest.approx(1 / np.pi, rel=1e-6)
    # linear activation: kappa_d(xi) = (d + 1) xi
    for d in (1, 2, 3):
        assert float(fc.kappa(0.3, d, "linear")) == pytest.approx(0.3 * (d + 1), rel=1e-6)


def test_appendix_b_three_by_three_example():
    # Observed entries of the 3x3 example, read in row-major order, with Z = I.
    observed = [(0, 1), (0, 2), (1, 0), (1, 1), (2, 0)]
    K = fc.ntk(np.eye(3), observed)
    k1, k0 = 2.0, 1 / np.pi
    expected = np.array(
        [
            [k1, k0, 0, 0, 0],
            [k0, k1, 0, 0, 0],
            [0, 0, k1, k0, 0],
            [0, 0, k0, k1, 0],
            [0, 0, 0, 0, k1],
        ]
    )
    np.testing.assert_allclose(K, expected, rtol=1e-6)
    k_m11 = fc.ntk(np.eye(3), observed, [(0, 0)])[:, 0]
    np.testing.assert_allclose(k_m11, [k0, k0, 0, 0, 0], rtol=1e-6)


def test_zero_norm_column_is_an_error():
    Z = np.array([[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(NtkjaxInputError, match="zero norm"):
        fc.column_kernel(Z)


def test_depth_validation():
    with pytest.raises(NtkjaxInputError):
        fc.kappa(0.5, 0)


@pytest.mark.parametrize("depth,activation", [(1, "relu"), (2, "relu"), (2, "leaky_relu:0.2")])
def test_empirical_ntk_converges_to_theorem_1(depth, activation):
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(3, 4))
    Z /= np.linalg.norm(Z, axis=0)
    m, n = 2, Z.shape[1]
    entries = [(i, j) for i in range(m) for j in range(n)]
    K_true = fc.ntk(Z, entries, depth=depth, activation=activation)
    errors = []
    for width in (64, 512, 4096):
        errs = []
        for seed in range(4):
            model = finite_fc.make(m, width, depth, activation)
            params = model.init(jax.random.PRNGKey(seed), Z)
            K_emp = np.asarray(finite_fc.empirical_ntk(model, params, Z)).reshape(m * n, m * n)
            errs.append(np.linalg.norm(K_emp - K_true) / np.linalg.norm(K_true))
        errors.append(float(np.mean(errs)))
    print(f"depth={depth} {activation}: relative errors at widths 64/512/4096 = {errors}")
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.08
