"""Matrix completion: Appendix B examples, Proposition 2, the Laplacian corollary."""

import warnings

import numpy as np
import pytest

from ntkjax import fc, priors
from ntkjax.complete import complete_matrix, observed_groups
from ntkjax.errors import NtkjaxInputError
from ntkjax.solve import NumericalWarning


def test_netflix_example_appendix_b():
    Y = np.array([[1, 2, np.nan, 1, 2, 3]])
    Z = np.hstack([np.eye(3), np.eye(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)  # duplicate columns: singular kernel
        out = complete_matrix(Y, Z)
    np.testing.assert_allclose(out, [[1, 2, 3, 1, 2, 3]], atol=1e-6)


def test_three_by_three_example_prediction():
    Y = np.array([[np.nan, 0.5, 0.3], [0.1, 0.2, np.nan], [0.4, np.nan, np.nan]])
    out = complete_matrix(Y)
    k1, k0 = 2.0, 1 / np.pi
    K = np.array([[k1, k0], [k0, k1]])
    expected_11 = np.array([0.5, 0.3]) @ np.linalg.solve(K, [k0, k0])
    assert out[0, 0] == pytest.approx(expected_11, rel=1e-9)
    # row 3 has one observed entry: prediction = y * kappa(0) / kappa(1)
    assert out[2, 1] == pytest.approx(0.4 * k0 / k1, rel=1e-9)
    assert out[0, 1] == 0.5 and out[1, 0] == 0.1  # observed entries kept


@pytest.mark.parametrize("depth,activation", [(1, "relu"), (2, "relu"), (1, "leaky_relu:0.1")])
@pytest.mark.parametrize("ell", [1, 3, 10, 50])
def test_proposition_2_one_hot_prior_gives_scaled_row_mean(depth, activation, ell):
    # One cell type, n drugs one-hot encoded (Z = I), the first ell observed.
    rng = np.random.default_rng(ell)
    n, m = ell + 4, 5
    Y = rng.normal(size=(m, n))
    Y[:, ell:] = np.nan
    out = complete_matrix(Y, priors.identity(n), depth=depth, activation=activation)
    k1 = float(fc.kappa(1.0, depth, activation))
    k0 = float(fc.kappa(0.0, depth, activation))
    # K = (k1 - k0) I + k0 J on the observed block; Sherman-Morrison gives the constant:
    const = ell * k0 / (k1 - k0 + ell * k0)
    expected = const * np.nanmean(Y[:, :ell], axis=1)
    for j in range(ell, n):
        np.testing.assert_allclose(out[:, j], expected, rtol=1e-9)
    if (depth, activation) == (1, "relu"):
        assert const == pytest.approx(ell / (2 * np.pi - 1 + ell), rel=1e-9)


def test_laplacian_corollary_linear_equals_least_squares():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2, 30))
    Z = priors.laplacian_eigenvectors(X, 3, n_neighbors=6)
    Zn = Z / np.linalg.norm(Z, axis=0)
    y = np.sin(X[0]) + 0.1 * rng.normal(size=30)
    labelled = rng.permutation(30)[:12]
    Y = np.full((1, 30), np.nan)
    Y[0, labelled] = y[labelled]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)  # rank-3 kernel on 12 points
        out = complete_matrix(Y, Z, activation="linear")
    w, *_ = np.linalg.lstsq(Zn[:, labelled].T, y[labelled], rcond=None)
    unlabelled = np.setdiff1d(np.arange(30), labelled)
    np.testing.assert_allclose(out[0, unlabelled], (w @ Zn)[unlabelled], rtol=1e-5, atol=1e-7)


def test_rows_with_different_patterns_match_rowwise_solves():
    rng = np.random.default_rng(4)
    Y = rng.normal(size=(6, 7))
    mask = rng.random((6, 7)) < 0.6
    mask[:, 0] = True
    mask[3] = mask[1]  # two rows share a pattern
    Y[~mask] = np.nan
    Z = rng.normal(size=(4, 7))
    out = complete_matrix(Y, Z, depth=2)
    K = fc.column_kernel(Z, 2)
    for i in range(6):
        o, miss = mask[i], ~mask[i]
        pred = K[np.ix_(miss, o)] @ np.linalg.solve(K[np.ix_(o, o)], Y[i, o])
        np.testing.assert_allclose(out[i, miss], pred, rtol=1e-8)
    groups = observed_groups(mask)
    assert sum(len(g) for g in groups) == 6 and any(len(g) == 2 for g in groups)


def test_does_not_mutate_input_and_validates():
    Y = np.array([[1.0, np.nan], [np.nan, 2.0]])
    Y0 = Y.copy()
    complete_matrix(Y)
    np.testing.assert_array_equal(np.isnan(Y), np.isnan(Y0))
    with pytest.raises(NtkjaxInputError, match="no observed"):
        complete_matrix(np.array([[np.nan, np.nan], [1.0, 2.0]]))
    with pytest.raises(NtkjaxInputError, match="infinite"):
        complete_matrix(np.array([[np.inf, 1.0]]))
    with pytest.raises(NtkjaxInputError, match="columns"):
        complete_matrix(Y, np.eye(3))
