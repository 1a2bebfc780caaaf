"""Solvers for kernel regression behind one interface (issue 4).

``solve(system, method, **options)`` with a system from :mod:`ntkjax.solvers.systems`
(:class:`DenseSystem` for an explicit matrix, :class:`ImageSystem` for the CNTK of an image)
returns a :class:`SolveResult`. Methods: ``"direct"`` (:func:`ntkjax.solve.kernel_regression`),
``"eigenpro"`` (EigenPro 2), ``"cg"`` (conjugate gradient). All outputs (columns of Y) share
one solve; everything is JAX and runs unchanged on CPU and GPU.
"""

from __future__ import annotations

from ntkjax.errors import NtkjaxInputError
from ntkjax.solvers.cg import cg
from ntkjax.solvers.direct import direct
from ntkjax.solvers.eigenpro import eigenpro
from ntkjax.solvers.result import SolveResult, relative_residual
from ntkjax.solvers.systems import DenseSystem, ImageSystem

METHODS = {"direct": direct, "eigenpro": eigenpro, "cg": cg}

__all__ = ["solve", "METHODS", "SolveResult", "relative_residual", "DenseSystem", "ImageSystem",
           "direct", "eigenpro", "cg"]


def solve(system, method: str = "eigenpro", **options) -> SolveResult:
    """Solve ``K_OO alpha = y_O`` with the named method (options go to that solver)."""
    if method not in METHODS:
        raise NtkjaxInputError(f"unknown solver {method!r}; choose one of {sorted(METHODS)}")
    return METHODS[method](system, **options)
