"""ntkjax: matrix completion with infinitely wide neural networks, in JAX.

Implements "A simple, fast and flexible framework for matrix completion with
infinite width neural networks" (Radhakrishnan, Stefanakis, Belkin, Uhler):

* :mod:`ntkjax.dual`   -- dual activations (Appendix A, Eq. 7).
* :mod:`ntkjax.fc`     -- NTK of fully connected nets for matrix completion (Theorem 1).
* :mod:`ntkjax.priors` -- feature priors for matrix completion (Appendix B, D, E).
* :mod:`ntkjax.solve`  -- kernel regression (direct solver).
* :mod:`ntkjax.complete` -- complete a matrix with missing entries.
* :mod:`ntkjax.cntk`   -- the convolutional NTK (Proposition 1, Theorem 2, Appendices J-L).
* :mod:`ntkjax.expansion`, :mod:`ntkjax.operator`, :mod:`ntkjax.solvers` -- Appendix M, kernel
  operators and EigenPro / CG / direct solvers for high-resolution images.
* :mod:`ntkjax.image`  -- inpainting and reconstruction (Section 5, Appendix N).
* :mod:`ntkjax.drugscreen` -- virtual drug screening on CMap (Section 3, Appendices C-I).

Importing ntkjax is light: submodules are imported on first use.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "dual", "fc", "finite_fc", "priors", "solve", "complete", "cntk", "errors", "io", "memory",
    "expansion", "operator", "solvers", "image", "drugscreen",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"ntkjax.{name}")
    raise AttributeError(f"module 'ntkjax' has no attribute {name!r}")
