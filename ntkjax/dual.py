"""Dual activations (Appendix A, Eq. 6-7; Daniely et al. 2016).

For an activation phi normalised by c^2 = 1 / E_{u~N(0,1)}[phi(u)^2] (Eq. 6),

    dual(xi)            = c^2 E[phi(u) phi(v)],
    dual_derivative(xi) = c^2 E[phi'(u) phi'(v)],   (u, v) ~ N(0, [[1, xi], [xi, 1]]),

so that ``dual(1) == 1``. For a degree-1 homogeneous phi and a general covariance
[[a, s], [s, b]] the expectations scale as sqrt(a b) dual(s / sqrt(a b)) and
dual_derivative(s / sqrt(a b)) -- that is how the NTK recursions use them.

LeakyReLU with negative slope ``alpha`` is phi(u) = max(u, alpha u). Writing
phi(u) = (1+alpha)/2 u + (1-alpha)/2 |u| gives (c^2 = 2 / (1 + alpha^2))

    dual(xi) = c^2 [ (1+alpha)^2/4 xi + (1-alpha)^2/(2 pi) (sqrt(1-xi^2) + xi arcsin xi) ],
    dual_derivative(xi) = c^2 [ (1+alpha^2)(pi - arccos xi) + 2 alpha arccos xi ] / (2 pi),

which for alpha = 0 is the ReLU formula of Eq. 7. The linear activation has
dual(xi) = xi and derivative 1.

All functions are jit-able, elementwise, and clip xi to [-1, 1] so that rounding
just outside the interval (common for xi = Sigma(x,x') / sqrt(Sigma(x,x) Sigma(x',x')))
never produces NaN.
"""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp

from ntkjax.errors import NtkjaxInputError

__all__ = ["Activation", "relu", "leaky_relu", "linear", "parse_activation", "dual_relu"]


@dataclasses.dataclass(frozen=True)
class Activation:
    """A degree-1 homogeneous activation with its normalised dual.

    ``slope`` is the negative-side slope alpha: 0 for ReLU, 1 for linear.
    """

    slope: float = 0.0

    @property
    def name(self) -> str:
        if self.slope == 0.0:
            return "relu"
        if self.slope == 1.0:
            return "linear"
        return f"leaky_relu:{self.slope:g}"

    @property
    def c(self) -> float:
        """Normalising constant c = ||phi||_{L2(N(0,1))}^{-1} (Eq. 6)."""
        return math.sqrt(2.0 / (1.0 + self.slope**2))

    def phi(self, x):
        """The (unnormalised) activation phi(x) = max(x, slope x) for slope <= 1."""
        return jnp.where(x >= 0, x, self.slope * x)

    def dual(self, xi):
        """c^2 E[phi(u) phi(v)] at correlation xi (Eq. 7 for ReLU)."""
        a = self.slope
        xi = jnp.clip(xi, -1.0, 1.0)
        if a == 1.0:
            return xi
        c2 = 2.0 / (1.0 + a * a)
        root = jnp.sqrt(jnp.maximum(1.0 - xi * xi, 0.0))
        # arcsin xi = pi/2 - arccos xi: one transcendental shared with dual_derivative (XLA CSE),
        # which nearly halves the cost of kappa (arccos dominates it)
        even = (root + xi * (0.5 * math.pi - jnp.arccos(xi))) * ((1.0 - a) ** 2 / (2.0 * math.pi))
        return c2 * ((1.0 + a) ** 2 / 4.0 * xi + even)

    def dual_derivative(self, xi):
        """c^2 E[phi'(u) phi'(v)] at correlation xi; equals d dual / d xi."""
        a = self.slope
        xi = jnp.clip(xi, -1.0, 1.0)
        if a == 1.0:
            return jnp.ones_like(xi)
        theta = jnp.arccos(xi)
        c2 = 2.0 / (1.0 + a * a)
        return c2 * ((1.0 + a * a) * (math.pi - theta) + 2.0 * a * theta) / (2.0 * math.pi)


relu = Activation(0.0)
linear = Activation(1.0)


def leaky_relu(slope: float) -> Activation:
    """LeakyReLU phi(x) = max(x, slope * x) with 0 <= slope <= 1."""
    slope = float(slope)
    if not (0.0 <= slope <= 1.0) or not math.isfinite(slope):
        raise NtkjaxInputError(f"leaky_relu slope must be in [0, 1], got {slope}")
    return Activation(slope)


def dual_relu(xi):
    """The ReLU dual activation of Eq. 7: (xi (pi - arccos xi) + sqrt(1 - xi^2)) / pi."""
    return relu.dual(xi)


def parse_activation(spec: str | Activation) -> Activation:
    """Parse ``relu``, ``linear`` or ``leaky_relu:SLOPE`` (e.g. ``leaky_relu:0.01``)."""
    if isinstance(spec, Activation):
        return spec
    s = str(spec).strip().lower()
    if s == "relu":
        return relu
    if s == "linear":
        return linear
    if s.startswith("leaky_relu"):
        _, _, rest = s.partition(":")
        if not rest:
            raise NtkjaxInputError("leaky_relu needs a slope, e.g. leaky_relu:0.01")
        try:
            return leaky_relu(float(rest))
        except ValueError:
            raise NtkjaxInputError(f"leaky_relu slope {rest!r} is not a number") from None
    raise NtkjaxInputError(f"unknown activation {spec!r}; use relu, linear or leaky_relu:SLOPE")
