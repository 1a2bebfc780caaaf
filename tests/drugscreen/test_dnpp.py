import numpy as np
import pytest

from ntkjax.drugscreen.dnpp import dnpp, drug_similarity


def _crafted():
    """4 drugs, 3 cells, 5 genes. Drug 0 is tested in cell 2.

    Drug 1 equals drug 0 in cells 0 and 1 (similarity 1), drug 2 is anti-correlated
    (similarity -1, weight clipped to 0), drug 3 shares no cell with drug 0 (never a neighbour).
    """
    a = np.array([1.0, 2.0, 0.0, -1.0, 3.0])
    b = np.array([0.0, 1.0, 4.0, 1.0, -2.0])
    y1c2 = np.array([5.0, 0.0, 1.0, 2.0, 2.0])
    y2c2 = np.array([-1.0, 0.0, 2.0, 0.0, 1.0])
    y3c2 = np.array([9.0, 9.0, 0.0, 0.0, 1.0])
    rows = [  # (drug, cell, profile)
        (0, 0, a), (0, 1, b),
        (1, 0, 2 * a + 1), (1, 1, b), (1, 2, y1c2),
        (2, 0, -a), (2, 1, -b), (2, 2, y2c2),
        (3, 2, y3c2),
    ]
    prof = np.array([r[2] for r in rows])
    drug = np.array([r[0] for r in rows])
    cell = np.array([r[1] for r in rows])
    return prof, drug, cell, y1c2, y2c2, y3c2


def test_similarity_is_mean_pearson_over_shared_cells():
    prof, drug, cell, *_ = _crafted()
    sim, shared = drug_similarity(prof, drug, cell, 4, 3)
    assert sim[0, 1] == pytest.approx(1.0)
    assert sim[0, 2] == pytest.approx(-1.0)
    assert np.isnan(sim[0, 3]) and shared[0, 3] == 0
    r = np.corrcoef(prof[4], prof[7])[0, 1]  # drugs 1, 2 share cells 0, 1, 2
    assert sim[1, 2] == pytest.approx((-1.0 - 1.0 + r) / 3)


def test_prediction_on_crafted_tensor():
    prof, drug, cell, y1c2, y2c2, y3c2 = _crafted()
    pred, fb = dnpp(prof, drug, cell, np.array([0]), np.array([2]), 4, 3, k=10)
    # neighbours in cell 2 with a similarity: drug 1 (1.0 -> weight 1), drug 2 (-1 -> 0); drug 3 excluded
    assert pred[0] == pytest.approx(y1c2)
    assert not fb[0]


def test_top_k_and_fallback_to_cell_mean():
    prof, drug, cell, y1c2, y2c2, y3c2 = _crafted()
    # k = 1 keeps only the best neighbour (drug 1)
    pred, _ = dnpp(prof, drug, cell, np.array([0]), np.array([2]), 4, 3, k=1)
    assert pred[0] == pytest.approx(y1c2)
    # without drug 1 the only neighbour with a similarity is anti-correlated: cell-mean fallback
    keep = drug != 1
    pred, fb = dnpp(prof[keep], drug[keep], cell[keep], np.array([0]), np.array([2]), 4, 3)
    assert fb[0]
    assert pred[0] == pytest.approx((y2c2 + y3c2) / 2)
