"""``ntkjax complete``: the Netflix example end to end and every bad-input case."""

import subprocess
import sys

import numpy as np
import pytest

from ntkjax.cli import main


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_netflix_example(tmp_path):
    y = _write(tmp_path / "y.csv", "1,2,,1,2,3\n")
    z = _write(tmp_path / "z.csv", "1,0,0,1,0,0\n0,1,0,0,1,0\n0,0,1,0,0,1\n")
    out = tmp_path / "out.csv"
    assert main(["complete", y, "--prior", z, "--out", str(out)]) == 0
    np.testing.assert_allclose(np.loadtxt(out, delimiter=","), [1, 2, 3, 1, 2, 3], atol=1e-3)


def test_npy_roundtrip(tmp_path):
    Y = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 1.0]])
    np.save(tmp_path / "y.npy", Y)
    assert main(["complete", str(tmp_path / "y.npy"), "--out", str(tmp_path / "o.npy"), "--depth", "2",
                 "--activation", "leaky_relu:0.1"]) == 0
    out = np.load(tmp_path / "o.npy", allow_pickle=False)
    assert out.shape == (2, 3) and np.all(np.isfinite(out)) and out[0, 0] == 1.0


BAD = {
    "non_numeric": ("1,2,x\n", None, [], "row 1, column 3"),
    "prior_cols": ("1,,3\n", "1,0\n0,1\n", [], "columns"),
    "empty_row": ("1,2,3\n,,\n", None, [], "no observed"),
    "inf": ("1,inf,\n", None, [], "infinite"),
    "neg_inf": ("1,-inf,\n", None, [], "infinite"),
    "empty_file": ("", None, [], "empty"),
    "activation": ("1,,3\n", None, ["--activation", "swish"], "unknown activation"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_and_writes_nothing(tmp_path, case, capsys):
    data, prior, extra, message = BAD[case]
    y = _write(tmp_path / "y.csv", data)
    args = ["complete", y, "--out", str(tmp_path / "out.csv"), *extra]
    if prior:
        args += ["--prior", _write(tmp_path / "z.csv", prior)]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["y.csv"] + (["z.csv"] if prior else []))


def test_console_script_help():
    r = subprocess.run([sys.executable, "-m", "ntkjax", "complete", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--prior" in r.stdout
    r = subprocess.run([sys.executable, "-m", "ntkjax", "complete", "missing.csv", "--out", "x.csv"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "does not exist" in r.stderr
