import numpy as np
import pytest

from ntkjax import priors
from ntkjax.errors import NtkjaxInputError


def test_one_hot_and_concat():
    Z = priors.one_hot(["b", "a", "b"])
    np.testing.assert_array_equal(Z, [[0, 1, 0], [1, 0, 1]])
    C = priors.concat(Z, priors.identity(3), weights=[1.0, 1.5])
    assert C.shape == (5, 3)
    np.testing.assert_array_equal(C[2:], 1.5 * np.eye(3))
    with pytest.raises(NtkjaxInputError):
        priors.concat(Z, np.eye(4))


def test_from_array_validates():
    with pytest.raises(NtkjaxInputError, match="columns"):
        priors.from_array(np.eye(3), 4)
    with pytest.raises(NtkjaxInputError, match="NaN"):
        priors.from_array(np.array([[np.nan, 1.0]]))


def test_laplacian_eigenvectors_are_smooth_on_clusters():
    rng = np.random.default_rng(0)
    X = np.hstack([rng.normal(0, 0.1, (2, 15)), rng.normal(5, 0.1, (2, 15))])
    Z = priors.laplacian_eigenvectors(X, 2, n_neighbors=5)
    assert Z.shape == (2, 30)
    # two disconnected clusters: the null space is spanned by the cluster indicators
    for row in Z:
        assert np.std(row[:15]) < 1e-6 and np.std(row[15:]) < 1e-6
