"""Evaluation metrics for drug response imputation (Appendix H).

``Y_true`` and ``Y_pred`` hold one test profile per row (n_profiles x n_genes).

1. Pearson r over all test entries pooled. The paper prints the *uncentred* form
   <Y_hat_v, Y*_v> / (||Y_hat_v|| ||Y*_v||); the authors' code (and ``pearson_r`` here) uses
   the usual centred correlation (``scipy.stats.pearsonr`` of the flattened arrays). Both are
   reported (:func:`pearson_r`, :func:`pearson_r_uncentred`).
2. Mean R^2: per profile, 1 - sum_g (yhat_g - y_g)^2 / sum_g (y_g - mean(y))^2, averaged over
   profiles. Appendix H writes the centring constant as a *sum* over genes; it is the mean
   (as in ``sklearn.metrics.r2_score`` used by the authors).
3. Mean cosine similarity between predicted and true profiles. A zero predicted profile has
   cosine 0 by convention.
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from ntkjax.errors import NtkjaxInputError

__all__ = ["pearson_r", "pearson_r_uncentred", "r2_per_profile", "mean_r2", "cosine_per_profile",
           "mean_cosine", "all_metrics"]


def _pair(Y_true, Y_pred) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(Y_true, dtype=np.float64)
    p = np.asarray(Y_pred, dtype=np.float64)
    if t.shape != p.shape or t.ndim != 2:
        raise NtkjaxInputError(f"true and predicted profiles must be equal 2-D shapes, got {t.shape} and {p.shape}")
    if t.size == 0:
        raise NtkjaxInputError("no test profiles to evaluate")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p))):
        raise NtkjaxInputError("profiles to evaluate contain NaN or infinite values")
    return t, p


def pearson_r(Y_true, Y_pred) -> float:
    """Centred Pearson correlation of all test entries pooled."""
    t, p = _pair(Y_true, Y_pred)
    return float(scipy.stats.pearsonr(t.ravel(), p.ravel())[0])


def pearson_r_uncentred(Y_true, Y_pred) -> float:
    """The form printed in Appendix H: cosine between the vectorised matrices."""
    t, p = _pair(Y_true, Y_pred)
    den = np.linalg.norm(t) * np.linalg.norm(p)
    return float(np.vdot(t, p) / den) if den > 0 else 0.0


def r2_per_profile(Y_true, Y_pred) -> np.ndarray:
    """R^2 of each profile across genes (centred by the profile's mean over genes)."""
    t, p = _pair(Y_true, Y_pred)
    sse = np.sum((p - t) ** 2, axis=1)
    sst = np.sum((t - t.mean(axis=1, keepdims=True)) ** 2, axis=1)
    if np.any(sst == 0):
        raise NtkjaxInputError("a true profile is constant across genes; R^2 is undefined for it")
    return 1.0 - sse / sst


def mean_r2(Y_true, Y_pred) -> float:
    return float(np.mean(r2_per_profile(Y_true, Y_pred)))


def cosine_per_profile(Y_true, Y_pred) -> np.ndarray:
    t, p = _pair(Y_true, Y_pred)
    den = np.linalg.norm(t, axis=1) * np.linalg.norm(p, axis=1)
    num = np.sum(t * p, axis=1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def mean_cosine(Y_true, Y_pred) -> float:
    return float(np.mean(cosine_per_profile(Y_true, Y_pred)))


def all_metrics(Y_true, Y_pred) -> dict[str, float]:
    """``pearson_r``, ``pearson_r_uncentred``, ``mean_r2``, ``mean_cos`` and ``n_profiles``."""
    return {
        "pearson_r": pearson_r(Y_true, Y_pred),
        "pearson_r_uncentred": pearson_r_uncentred(Y_true, Y_pred),
        "mean_r2": mean_r2(Y_true, Y_pred),
        "mean_cos": mean_cosine(Y_true, Y_pred),
        "n_profiles": int(np.shape(Y_true)[0]),
    }
