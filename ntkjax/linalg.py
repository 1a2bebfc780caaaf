"""A guard for dense factorisations of very large matrices.

OpenBLAS as shipped in the SciPy/NumPy wheels (measured here: scipy-openblas 0.3.31, 2 cores)
segfaults in its *multi-threaded* Cholesky (``potrf``) once the matrix passes 4 GiB: float64
n = 23,300 and float32 n = 32,800 crash within seconds, while the same float64 factorisation with
one BLAS thread completes (93 s). Upstream has a history of such reports for large ``potrf``
(OpenMathLib/OpenBLAS#352, #1413). A segfault would kill a researcher's process and lose the
run, so every large dense factorisation in ntkjax runs inside :func:`blas_guard`, which drops to
one BLAS thread from ``LARGE_BYTES`` (2 GiB, half the measured failure size, for margin) on.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["LARGE_BYTES", "blas_guard"]

LARGE_BYTES = 2**31


@contextlib.contextmanager
def blas_guard(nbytes: int) -> Iterator[None]:
    """Run the block with one BLAS thread if the matrix it factorises has ``nbytes`` >= ``LARGE_BYTES``."""
    if nbytes < LARGE_BYTES:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
