"""What every solver returns."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax


@dataclasses.dataclass
class SolveResult:
    """Coefficients ``alpha`` (N, r) -- zero off the training mask -- and how they were found.

    ``residual`` is the final relative training residual ``||K_OO a - y_O|| / ||y_O||`` (all
    outputs together); ``history`` the per-epoch / per-iteration figures shown in the progress bar.
    """

    alpha: jax.Array
    method: str
    steps: int
    residual: float
    seconds: float
    history: list[float] = dataclasses.field(default_factory=list)
    info: dict[str, Any] = dataclasses.field(default_factory=dict)


def relative_residual(system, alpha) -> float:
    """``||M K M alpha - M y|| / ||M y||`` with one product."""
    import jax.numpy as jnp

    res = system.matvec(alpha) - system.Y
    den = jnp.linalg.norm(system.Y)
    return float(jnp.linalg.norm(res) / jnp.where(den > 0, den, 1.0))
