import math

import numpy as np
import pytest
import scipy.stats

from ntkjax.drugscreen.stats import corrected_repeated_kfold_ttest
from ntkjax.errors import NtkjaxInputError


def test_worked_example_by_hand_and_scipy():
    # 2 rounds x 5 folds of differences; n2/n1 = 1/4
    d = np.array([0.02, 0.03, 0.01, 0.04, 0.02, 0.03, 0.05, 0.02, 0.01, 0.03])
    m = d.sum() / 10  # 0.026
    var = ((d - m) ** 2).sum() / 9
    t_hand = m / math.sqrt((1 / 10 + 1 / 4) * var)
    t, p = corrected_repeated_kfold_ttest(d.reshape(2, 5), test_train_ratio=0.25)
    assert t == pytest.approx(t_hand)
    assert p == pytest.approx(scipy.stats.t.sf(t_hand, df=9))


def test_without_correction_it_is_the_one_sample_t_test():
    rng = np.random.default_rng(1)
    d = rng.normal(0.01, 0.02, size=50)
    t, p = corrected_repeated_kfold_ttest(d, test_train_ratio=1e-300)
    ref = scipy.stats.ttest_1samp(d, 0.0, alternative="greater")
    assert t == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue)


def test_correction_shrinks_t_by_the_published_factor():
    d = np.array([0.1, 0.2, 0.15, 0.12])
    t0, _ = corrected_repeated_kfold_ttest(d, test_train_ratio=1e-300)
    t1, _ = corrected_repeated_kfold_ttest(d, test_train_ratio=1 / 9)
    assert t1 / t0 == pytest.approx(math.sqrt((1 / 4) / (1 / 4 + 1 / 9)))


def test_bad_input():
    with pytest.raises(NtkjaxInputError):
        corrected_repeated_kfold_ttest([0.1], test_train_ratio=0.1)
    with pytest.raises(NtkjaxInputError):
        corrected_repeated_kfold_ttest([0.1, 0.2], test_train_ratio=0)
