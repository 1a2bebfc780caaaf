"""The ``ntkjax`` command line.

Each subcommand lives in its own module of this package and exposes
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``.
Bad input raises :class:`ntkjax.errors.NtkjaxInputError`, which becomes exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ntkjax import __version__
from ntkjax.errors import NtkjaxInputError

# Subcommand modules, in the order shown by --help.
SUBCOMMANDS = ["demo", "inpaint", "complete", "kernel", "expand", "heatmap", "drugscreen", "synth_cmap"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse already exits 2; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ntkjax", description="ntkjax: matrix completion with infinitely wide neural networks (NTK and CNTK)")
    parser.add_argument("--version", action="version", version=f"ntkjax {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"ntkjax.cli.{name}")  # each module defines its command name
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def _enable_compilation_cache() -> None:
    """Persist XLA compilations across CLI runs (NTKJAX_CACHE_DIR, default ~/.cache/ntkjax/xla)."""
    import os

    import jax

    path = os.environ.get("NTKJAX_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "ntkjax", "xla"))
    try:
        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    except Exception:  # a read-only home must not break the CLI
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    _enable_compilation_cache()
    try:
        return int(args._run(args) or 0)
    except NtkjaxInputError as exc:
        print(f"ntkjax {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
