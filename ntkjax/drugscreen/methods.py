"""Method registry: names accepted by ``ntkjax drugscreen --methods`` and their predictors.

Every predictor maps a :class:`~ntkjax.drugscreen.fold.FoldProblem` to an (n_test x n_genes)
array. Methods that use another method's output (the prior methods, the mixed model) get it
through ``problem.method_output(name)``, computed once per fold.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ntkjax.drugscreen import dnpp, falrtc, mean, ntk
from ntkjax.drugscreen.fold import FoldProblem
from ntkjax.errors import NtkjaxInputError

__all__ = ["METHODS", "DEFAULT_METHODS", "BASELINES", "parse_methods", "predict"]

METHODS: dict[str, Callable[[FoldProblem], np.ndarray]] = {
    "mean": mean.predict_mean,
    "dnpp": dnpp.predict_dnpp,
    "falrtc": falrtc.predict_falrtc,
    "ntk-onehot": ntk.predict_onehot,
    "ntk-mcf7": ntk.predict_mcf7,
    "ntk-dnpp-prior": lambda p: ntk.predict_method_prior(p, "dnpp"),
    "ntk-falrtc-prior": lambda p: ntk.predict_method_prior(p, "falrtc"),
    "ntk-mixed": lambda p: ntk.predict_mixed(p, dense_method="ntk-falrtc-prior"),
    "ntk-mixed-dnpp": lambda p: ntk.predict_mixed(p, dense_method="ntk-dnpp-prior"),
}

#: default: everything that does not need FaLRTC (FaLRTC costs ~1e12 flops per iteration on CMap)
DEFAULT_METHODS = ("mean", "dnpp", "ntk-onehot", "ntk-mcf7", "ntk-dnpp-prior", "ntk-mixed-dnpp")

#: methods the NTK is compared with in the t-tests
BASELINES = ("mean", "dnpp", "falrtc")


def parse_methods(text: str | None) -> tuple[str, ...]:
    """Parse a comma-separated method list; unknown names are an error listing the valid ones."""
    if text is None or text.strip() == "":
        return DEFAULT_METHODS
    names = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        raise NtkjaxInputError(
            f"unknown method(s) {', '.join(map(repr, unknown))}; choose from {', '.join(METHODS)}"
        )
    if not names:
        raise NtkjaxInputError("no method given")
    return names


def predict(name: str, problem: FoldProblem) -> np.ndarray:
    out = np.asarray(METHODS[name](problem), dtype=np.float64)
    if out.shape != (problem.n_test, problem.n_genes):
        raise RuntimeError(f"method {name} returned shape {out.shape}, expected {(problem.n_test, problem.n_genes)}")
    if not np.all(np.isfinite(out)):
        raise FloatingPointError(f"method {name} produced non-finite predictions")
    return out
