"""Memory guard: estimate bytes before allocating a large tensor and refuse politely."""

from __future__ import annotations

import math

import psutil

from ntkjax.errors import MemoryBudgetError


def available_bytes() -> int:
    """Bytes of memory currently available to this process (RAM, not swap)."""
    return int(psutil.virtual_memory().available)


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def check_fits(n_bytes: float, *, what: str, hint: str = "", fraction: float = 0.8) -> None:
    """Raise :class:`MemoryBudgetError` when ``n_bytes`` exceeds ``fraction`` of free memory."""
    avail = available_bytes()
    if not math.isfinite(n_bytes) or n_bytes > fraction * avail:
        msg = (
            f"{what} needs about {format_bytes(n_bytes)} but only {format_bytes(avail)} of memory "
            f"is available"
        )
        if hint:
            msg += f"; {hint}"
        raise MemoryBudgetError(msg)
