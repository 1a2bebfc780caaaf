import math

import numpy as np
import pytest

from ntkjax.drugscreen import metrics
from ntkjax.errors import NtkjaxInputError

T = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]])
P = np.array([[1.0, 2.0, 2.0], [1.0, 1.0, 1.0]])


def test_metrics_against_hand_computed_values():
    # profile 1: mean 2, SST = 1 + 0 + 1 = 2, SSE = 1 -> R2 = 0.5; cos = (1+4+6)/(sqrt(14) sqrt(9))
    # profile 2: mean 1/3, SST = 1/9 + 4/9 + 1/9 = 2/3, SSE = 1 + 0 + 1 = 2 -> R2 = 1 - 3 = -2; cos = 1/sqrt(3)
    assert metrics.r2_per_profile(T, P) == pytest.approx([0.5, -2.0])
    assert metrics.mean_r2(T, P) == pytest.approx(-0.75)
    cos1, cos2 = 11 / (math.sqrt(14) * 3), 1 / math.sqrt(3)
    assert metrics.mean_cosine(T, P) == pytest.approx((cos1 + cos2) / 2)
    # uncentred pooled: <t,p> = 1+4+6+0+1+0 = 12, |t|^2 = 15, |p|^2 = 12
    assert metrics.pearson_r_uncentred(T, P) == pytest.approx(12 / math.sqrt(15 * 12))
    # centred pooled: t = [1,2,3,0,1,0] (mean 7/6), p = [1,2,2,1,1,1] (mean 4/3)
    t, p = T.ravel() - 7 / 6, P.ravel() - 4 / 3
    assert metrics.pearson_r(T, P) == pytest.approx(t @ p / math.sqrt((t @ t) * (p @ p)))


def test_zero_prediction_has_cosine_zero_and_bad_shapes_raise():
    assert metrics.cosine_per_profile(T, np.zeros_like(T)) == pytest.approx([0.0, 0.0])
    with pytest.raises(NtkjaxInputError):
        metrics.all_metrics(T, P[:1])
    with pytest.raises(NtkjaxInputError):
        metrics.all_metrics(T, np.full_like(P, np.nan))
