import numpy as np
import pytest

from ntkjax.errors import NtkjaxInputError
from ntkjax.solve import NumericalWarning, factorize, kernel_regression, solve


def _spd(n, seed=0):
    A = np.random.default_rng(seed).normal(size=(n, n))
    return A @ A.T + n * np.eye(n)


def test_matches_numpy_multi_output():
    K = _spd(20)
    Y = np.random.default_rng(1).normal(size=(20, 3))
    np.testing.assert_allclose(solve(K, Y), np.linalg.solve(K, Y), rtol=1e-10)
    np.testing.assert_allclose(solve(K, Y, ridge=0.5), np.linalg.solve(K + 0.5 * np.eye(20), Y), rtol=1e-10)
    a32 = solve(K, Y, dtype="float32")
    assert a32.dtype == np.float32
    np.testing.assert_allclose(a32, np.linalg.solve(K, Y), rtol=1e-3)


def test_singular_matrix_warns_and_stays_finite():
    K = np.ones((4, 4))  # rank one: duplicate columns
    y = np.full(4, 2.0)
    with pytest.warns(NumericalWarning):
        pred = kernel_regression(K, y, np.ones((1, 4)))
    assert pred == pytest.approx([2.0], rel=1e-6)


def test_pinv_fallback_is_least_squares():
    rng = np.random.default_rng(2)
    B = rng.normal(size=(6, 2))
    K = B @ B.T
    K[0, 0] -= 1e-3  # make it indefinite so no jitter rescues Cholesky
    y = rng.normal(size=6)
    with pytest.warns(NumericalWarning, match="least-squares"):
        fac = factorize(K)
    assert fac.method == "pinv"
    # documented policy: least squares on the positive part of K (negative eigenvalues dropped)
    w, V = np.linalg.eigh(0.5 * (K + K.T))
    keep = w > 1e-12 * np.abs(w).max()
    K_pos = (V[:, keep] * w[keep]) @ V[:, keep].T
    expected, *_ = np.linalg.lstsq(K_pos, y, rcond=1e-12)
    np.testing.assert_allclose(fac.solve(y), expected, rtol=1e-6, atol=1e-8)


def test_bad_input():
    with pytest.raises(NtkjaxInputError):
        solve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(NtkjaxInputError):
        solve(np.array([[np.nan]]), np.ones(1))
    with pytest.raises(NtkjaxInputError):
        solve(np.eye(2), np.ones(3))
    with pytest.raises(NtkjaxInputError):
        solve(np.eye(2), np.ones(2), ridge=-1)
