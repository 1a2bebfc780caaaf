"""A context manager enabling float64 in JAX locally, without changing the user's global default."""

from __future__ import annotations

import contextlib

import jax


def enable_x64(enabled: bool = True):
    """``with enable_x64(): ...`` computes in float64 where arrays ask for it."""
    if not enabled:
        return contextlib.nullcontext()
    ctx = getattr(jax, "enable_x64", None)
    if ctx is not None:
        return ctx(True)
    from jax.experimental import enable_x64 as legacy  # jax < 0.7

    return legacy()
