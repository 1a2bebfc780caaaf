"""The CNTK engine against independent oracles: pixel-pair brute force, Theorem 2, finite nets."""

import jax
import numpy as np
import pytest

from ntkjax.cntk import Architecture, kernel, presets, priors
from ntkjax.cntk.finite import ConvNet, empirical_ntk
from ntkjax.dual import parse_activation
from ntkjax.errors import NtkjaxInputError

from cntk_reference import brute_force_cntk, leaky_expectations, sigma0_finite, sigma0_iid

C = lambda q=3, s=1: {"layer": "conv", "size": q, "stride": s}
RELU, LEAKY = {"layer": "relu"}, {"layer": "leaky_relu", "slope": 0.1}
DOWN = {"layer": "downsample"}
UP, BIL = {"layer": "upsample", "mode": "nearest"}, {"layer": "upsample", "mode": "bilinear"}

ARCHS = {
    "plain": [C(), RELU, C(), RELU, C()],
    "leaky_q5": [C(5), LEAKY, C(3), {"layer": "linear"}, C(5)],
    "stride2_nearest": [C(3, 2), RELU, UP, C(), RELU, C()],
    "down_up": [C(), LEAKY, DOWN, C(5), RELU, UP, C()],
    "two_levels": [C(), RELU, DOWN, C(), RELU, DOWN, C(), RELU, UP, C(), RELU, UP, C()],
    "bilinear": [C(), RELU, DOWN, C(), RELU, BIL, C()],
    "act_first": [RELU, C(), RELU, DOWN, C(), UP, C()],
    "upsample_first": [C(), LEAKY, DOWN, C(), LEAKY, DOWN, UP, C(), LEAKY, UP, C(), LEAKY, C()],
}


def _prior(kind, H, W, seed=0):
    if kind == "iid":
        return priors.iid(), sigma0_iid(H, W)
    if kind == "iid_custom":
        return priors.iid(0.5, 0.1), sigma0_iid(H, W, 0.5, 0.1)
    Z = np.random.default_rng(seed).uniform(size=(3, H, W))
    if kind == "identity":
        Z = np.eye(H, W)[None]
    return priors.finite(Z), sigma0_finite(Z)


@pytest.mark.parametrize("name", sorted(ARCHS))
@pytest.mark.parametrize("prior_kind", ["iid", "finite"])
@pytest.mark.parametrize("size", [(4, 4), (8, 8)])
def test_matches_pixel_pair_brute_force(name, prior_kind, size):
    H, W = size
    if name == "two_levels" and H < 8:
        pytest.skip("needs 8x8")
    arch = Architecture.from_json(ARCHS[name])
    prior, S0 = _prior(prior_kind, H, W)
    K = kernel(arch, prior, size, dtype="float64")
    ref = brute_force_cntk(ARCHS[name], S0)
    np.testing.assert_allclose(K, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("prior_kind", ["iid_custom", "identity", "finite"])
def test_rectangular_and_other_priors(prior_kind):
    layers = ARCHS["down_up"]
    prior, S0 = _prior(prior_kind, 4, 8)
    K = kernel(Architecture.from_json(layers), prior, (4, 8), dtype="float64")
    np.testing.assert_allclose(K, brute_force_cntk(layers, S0), rtol=1e-10, atol=1e-12)


def test_compact_form_equals_full():
    arch = presets.autoencoder(2)
    F = kernel(arch, priors.iid(), (8, 16), dtype="float64", form="compact")
    K = kernel(arch, priors.iid(), (8, 16), dtype="float64")
    assert F.shape == (4, 4, 8, 16)
    for i, j, k, l in [(0, 0, 3, 5), (5, 7, 1, 15), (7, 2, 7, 2), (6, 13, 0, 0)]:
        assert K[i, j, k, l] == F[i % 4, j % 4, (k - i) % 8, (l - j) % 16]


@pytest.mark.parametrize("activation", ["relu", "leaky_relu:0.2"])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_theorem_2_closed_form(depth, activation):
    """Nets without resampling under a shift-invariant prior: K_d = psi0 dual^d(rho) + K_{d-1} dual'(dual^{d-1}(rho))."""
    slope = parse_activation(activation).slope
    dual = np.vectorize(lambda r: leaky_expectations(slope, r)[0])
    dual_derivative = np.vectorize(lambda r: leaky_expectations(slope, r)[1])
    layers = [C()]
    for _ in range(depth):
        layers += [{"layer": activation.split(":")[0], **({"slope": 0.2} if ":" in activation else {})}, C()]
    H = W = 6
    c1, c2 = 1 / 3, 1 / 4
    K = kernel(Architecture.from_json(layers), priors.iid(c1, c2), (H, W), dtype="float64")
    offsets = np.zeros((H, W))
    offsets[0, 0] = 1
    psi = np.where(offsets == 1, c1, c2)  # psi(|i-i'|, |j-j'|) of the iid prior, window-averaged
    rho = psi / c1
    k_prev, s = psi, rho
    for _ in range(depth):
        k_prev = c1 * dual(s) + k_prev * dual_derivative(s)
        s = dual(s)
    for i, j in [(0, 0), (2, 3), (5, 1)]:
        np.testing.assert_allclose(np.roll(K[i, j], (-i, -j), (0, 1)), k_prev, rtol=1e-12)


def test_symmetry_psd_and_shift_invariance():
    arch = Architecture.from_json([C(), RELU, C(3, 2), LEAKY, C(), RELU, DOWN, C()]
                                  + [RELU, UP, C(), RELU, UP, C()])
    K = kernel(arch, priors.iid(), (8, 8), dtype="float64")
    M = K.reshape(64, 64)
    np.testing.assert_allclose(M, M.T, atol=1e-14)
    assert np.linalg.eigvalsh(M).min() > -1e-10
    Kf = kernel(Architecture.from_json(ARCHS["leaky_q5"]), priors.iid(), (8, 8), dtype="float64")
    # iid prior, no upsampling: K(x + s, x' + s) = K(x, x')
    np.testing.assert_allclose(np.roll(Kf, (3, 5, 3, 5), axis=(0, 1, 2, 3)), Kf, atol=1e-14)
    Kn = kernel(presets.autoencoder(1), priors.iid(), (8, 8), dtype="float64")
    # with one nearest upsampling: only 2-periodic
    np.testing.assert_allclose(np.roll(Kn, (2, 2, 2, 2), axis=(0, 1, 2, 3)), Kn, atol=1e-14)
    assert np.abs(np.roll(Kn, (1, 0, 1, 0), axis=(0, 1, 2, 3)) - Kn).max() > 1e-3


def test_nearest_kernel_on_all_pixels_is_singular():
    H = 8
    K = kernel(presets.autoencoder(1, activation="relu"), priors.iid(), (H, H), dtype="float64")
    w = np.linalg.eigvalsh(K.reshape(H * H, H * H))
    assert np.sum(w < 1e-10 * w.max()) == 2 * H - 1  # DEVELOPERS.md fact, measured


FINITE_CASES = {
    "stride2_nearest": ([C(3, 2), RELU, UP, C()], (4, 4)),
    "down_bilinear": ([C(), LEAKY, DOWN, C(), RELU, BIL, C()], (4, 4)),
    "plain": ([C(), RELU, C()], (4, 4)),
}


@pytest.mark.parametrize("case", sorted(FINITE_CASES))
def test_empirical_ntk_of_finite_network_converges(case):
    layers, size = FINITE_CASES[case]
    arch = Architecture.from_json(layers)
    Z = np.random.default_rng(7).uniform(size=(3, *size))
    K = kernel(arch, priors.finite(Z), size, dtype="float64")
    z = np.moveaxis(Z, 0, -1).astype(np.float32)
    errors = []
    for width in (16, 128, 1024):
        errs = []
        for seed in range(3):
            model = ConvNet(arch, width=width)
            params = model.init(jax.random.PRNGKey(seed), z)
            Ke = np.asarray(empirical_ntk(model, params, z), dtype=np.float64)
            errs.append(np.linalg.norm(Ke - K) / np.linalg.norm(K))
        errors.append(float(np.mean(errs)))
    print(f"{case}: relative error at widths 16/128/1024 = {[round(e, 4) for e in errors]}")
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.1


def test_finite_network_options_run():
    arch = presets.autoencoder(1)
    z = np.random.default_rng(0).uniform(size=(8, 8, 2)).astype(np.float32)
    for kw in ({"parameterization": "standard"}, {"batchnorm": True, "sigmoid": True}):
        model = ConvNet(arch, width=8, **kw)
        variables = model.init(jax.random.PRNGKey(0), z)
        out = model.apply(variables, z, train=False)
        assert out.shape == (8, 8) and np.all(np.isfinite(out))
    assert np.all((out >= 0) & (out <= 1))


@pytest.mark.parametrize(
    "layers,size,match",
    [
        ([C(4)], (8, 8), "odd"),
        ([{"layer": "pool"}, C()], (8, 8), "unknown layer"),
        ([C(), {"layer": "upsample", "mode": "cubic"}, DOWN, C()], (8, 8), "nearest"),
        ([C(), DOWN, C(), DOWN, C(), UP, C(), UP, C()], (6, 6), "multiples of 4"),
        ([C(), DOWN, DOWN, DOWN, C(), UP, UP, UP, C()], (4, 4), "below 1x1"),
        ([C(), DOWN, C(), BIL, C()], (2, 2), "bilinear"),
        ([C(), DOWN, C()], (8, 8), "upsamplings"),
        ([C(), RELU], (8, 8), "last layer"),
    ],
)
def test_bad_architectures_and_sizes(layers, size, match):
    with pytest.raises(NtkjaxInputError, match=match):
        arch = Architecture.from_json(layers)
        kernel(arch, priors.iid(), size)


def test_bad_priors():
    arch = presets.autoencoder(1)
    with pytest.raises(NtkjaxInputError, match="spatial shape"):
        kernel(arch, priors.finite(np.ones((2, 4, 4))), (8, 8))
    with pytest.raises(NtkjaxInputError, match="NaN"):
        priors.finite(np.full((1, 8, 8), np.nan))
    with pytest.raises(NtkjaxInputError, match="compact"):
        kernel(presets.get("autoencoder-1-bilinear"), priors.iid(), (8, 8), form="compact")


def test_memory_guard_refuses_huge_request():
    with pytest.raises(NtkjaxInputError, match="expand"):
        kernel(presets.get("inpainting"), priors.iid(), (1024, 1024))
