import numpy as np
import pytest

from ntkjax.drugscreen.falrtc import falrtc
from ntkjax.errors import NtkjaxInputError


def test_recovers_random_low_rank_tensor_from_half_its_entries():
    rng = np.random.default_rng(0)
    dims, r = (30, 25, 20), 2
    A, B, C = (rng.standard_normal((n, r)) for n in dims)
    T = np.einsum("ir,jr,kr->ijk", A, B, C)
    mask = rng.random(dims) < 0.5
    res = falrtc(np.where(mask, T, np.nan), alpha=(1, 1, 1), max_iter=200, epsilon=1e-7, dtype=np.float64)
    rel = np.linalg.norm(res.X - T) / np.linalg.norm(T)
    assert rel < 1e-2
    assert np.allclose(res.X[mask], T[mask], rtol=0, atol=1e-12)  # observed entries are kept


def test_bad_input():
    with pytest.raises(NtkjaxInputError):
        falrtc(np.full((3, 3, 3), np.nan))
    with pytest.raises(NtkjaxInputError):
        falrtc(np.ones((3, 3, 3)), alpha=(1, 1))
