"""Corrected repeated k-fold cross-validation t-test (Bouckaert & Frank 2004, Sec. 3.3;
Nadeau & Bengio's variance correction), as used in Appendix I.

With d_ij the difference of a metric (method minus baseline) on fold i of round j, k folds,
r rounds, n_2 / n_1 the test / train size ratio, m = mean(d) and s^2 the sample variance of
the k r differences (ddof = 1):

    t = m / sqrt( (1 / (k r) + n_2 / n_1) * s^2 ),   df = k r - 1.

Appendix I prints the denominator without the square root (and calls sigma^2 a variance
while writing sigma-hat^2); that is not the published statistic, whose square root is what
makes t scale-free. The one-sided p-value for "method better than baseline" is
P(T_{kr-1} >= t).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats

from ntkjax.errors import NtkjaxInputError

__all__ = ["corrected_repeated_kfold_ttest"]


def corrected_repeated_kfold_ttest(differences, *, test_train_ratio: float) -> tuple[float, float]:
    """Return ``(t, one_sided_p)`` for the differences d_ij (any shape, k * r values)."""
    d = np.asarray(differences, dtype=np.float64).ravel()
    if d.size < 2:
        raise NtkjaxInputError("the corrected t-test needs at least 2 fold differences")
    if not np.all(np.isfinite(d)):
        raise NtkjaxInputError("fold differences must be finite")
    if not test_train_ratio > 0:
        raise NtkjaxInputError(f"test/train ratio must be > 0, got {test_train_ratio}")
    n = d.size
    m = float(d.mean())
    var = float(d.var(ddof=1))
    if var == 0.0:
        t = math.copysign(math.inf, m) if m != 0 else 0.0
    else:
        t = m / math.sqrt((1.0 / n + test_train_ratio) * var)
    p = float(scipy.stats.t.sf(t, df=n - 1))
    return float(t), p
