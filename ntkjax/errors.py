"""Exceptions raised at ntkjax's public boundary."""

from __future__ import annotations


class NtkjaxInputError(ValueError):
    """Bad user input: the message says what is wrong and how to fix it.

    The CLI turns this into exit code 2 without writing any output.
    """


class MemoryBudgetError(NtkjaxInputError):
    """A requested array would not fit in available memory."""
