"""``ntkjax expand``: outputs equal the brute-force kernel; bad input -> exit 2, nothing written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest

from ntkjax.cli import expand as cli_expand
from ntkjax.errors import NtkjaxInputError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bruteforce_cntk import ntk  # noqa: E402


def run_cli(argv) -> int:
    """Same contract as ntkjax.cli.main (exit 2 on NtkjaxInputError), whether or not 'expand' is registered."""
    parser = argparse.ArgumentParser(prog="ntkjax")
    sub = parser.add_subparsers(dest="command")
    cli_expand.add_parser(sub)
    args = parser.parse_args(["expand", *argv])
    try:
        return cli_expand.run(args)
    except NtkjaxInputError as exc:
        print(f"ntkjax expand: error: {exc}", file=sys.stderr)
        return 2


@pytest.fixture(scope="module")
def base_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("expand")
    np.save(d / "base.npy", ntk(8, 8, 2))
    np.save(d / "bilinear.npy", ntk(8, 8, 2, up="bilinear"))
    return d


def test_compact_and_full_outputs(base_file):
    d = base_file
    assert run_cli([str(d / "base.npy"), "-s", "2", "--size", "16", "12", "--out", str(d / "c.npy")]) == 0
    assert run_cli([str(d / "base.npy"), "-s", "2", "--size", "16", "12", "--out", str(d / "f.npy"), "--full"]) == 0
    C, F = np.load(d / "c.npy"), np.load(d / "f.npy")
    assert C.shape == (4, 4, 16, 12) and F.shape == (16, 12, 16, 12)
    np.testing.assert_allclose(F, ntk(16, 12, 2), rtol=1e-12, atol=1e-12)
    i, j, k, l = 5, 7, 2, 11
    assert F[i, j, k, l] == C[i % 4, j % 4, (k - i) % 16, (l - j) % 12]


@pytest.mark.parametrize(
    "argv, match",
    [
        (["-s", "2", "--size", "18", "16"], "not a positive multiple"),
        (["-s", "3", "--size", "16", "16"], "kernel of a 16x16 image"),
        (["-s", "2", "--size", "4", "16"], "single pixel"),
        (["-s", "2", "--size", "4096", "4096", "--full"], "needs about"),
    ],
)
def test_bad_input_exit_2_nothing_written(base_file, capsys, argv, match):
    out = base_file / "bad.npy"
    assert run_cli([str(base_file / "base.npy"), *argv, "--out", str(out)]) == 2
    assert match in capsys.readouterr().err
    assert not out.exists()
    assert not list(base_file.glob(".bad*"))  # no temporary left behind


def test_bilinear_refused_unless_allowed(base_file, capsys):
    out = base_file / "bl.npy"
    assert run_cli([str(base_file / "bilinear.npy"), "-s", "2", "--size", "16", "16", "--out", str(out)]) == 2
    assert "not periodic" in capsys.readouterr().err and not out.exists()
    with pytest.warns(UserWarning, match="approximately"):
        assert run_cli([str(base_file / "bilinear.npy"), "-s", "2", "--size", "16", "16", "--out", str(out),
                        "--allow-inexact"]) == 0
    assert out.exists()


def test_refuses_to_overwrite_input(base_file, capsys):
    b = base_file / "base.npy"
    before = b.read_bytes()
    assert run_cli([str(b), "-s", "2", "--size", "16", "16", "--out", str(b)]) == 2
    assert b.read_bytes() == before
