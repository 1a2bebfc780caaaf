import numpy as np
import pytest

from ntkjax.drugscreen.data import filter_cells
from ntkjax.drugscreen.splits import fold_labels
from ntkjax.errors import NtkjaxInputError


def test_every_cell_gets_about_ten_percent_per_fold(small_data):
    data, _ = filter_cells(small_data, min_drugs=10)
    ref = data.cell_index("MCF7")
    lab = fold_labels(data.cell, data.n_cells, k=10, seed=149, reference_cell=ref)
    assert np.all(lab[data.cell == ref] == -1)
    for c in range(data.n_cells):
        if c == ref:
            continue
        n = np.sum(data.cell == c)
        per_fold = np.bincount(lab[data.cell == c], minlength=10)
        assert per_fold.sum() == n
        assert per_fold.min() >= n // 10 and per_fold.max() <= -(-n // 10)


def test_seeds_differ_and_repeat(small_data):
    data, _ = filter_cells(small_data)
    a = fold_labels(data.cell, data.n_cells, seed=149)
    assert np.array_equal(a, fold_labels(data.cell, data.n_cells, seed=149))
    assert not np.array_equal(a, fold_labels(data.cell, data.n_cells, seed=10))


def test_cell_with_too_few_drugs_is_an_error(small_data):
    with pytest.raises(NtkjaxInputError, match="fewer than the 10 folds"):
        fold_labels(small_data.cell, small_data.n_cells, k=10)  # unfiltered: HS27A has 3
