from threadpoolctl import threadpool_info

from ntkjax.linalg import LARGE_BYTES, blas_guard


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_large_factorisations_use_one_blas_thread():
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl inspects)
    import scipy.linalg  # noqa: F401

    before = _blas_threads()
    assert before, "no BLAS thread pool found"
    with blas_guard(LARGE_BYTES):
        assert _blas_threads() == {1}
    assert _blas_threads() == before
    with blas_guard(LARGE_BYTES - 1):
        assert _blas_threads() == before
