import csv

import numpy as np
import pytest

from ntkjax.drugscreen.data import load_cmap
from ntkjax.drugscreen.methods import parse_methods
from ntkjax.errors import NtkjaxInputError

SMALL = ["--scale", "0.1", "--drugs", "240", "--genes", "40"]


@pytest.fixture(scope="module")
def small_mat(tmp_path_factory):
    import ntkjax.cli as cli

    path = tmp_path_factory.mktemp("d") / "synth.mat"
    subs = cli.SUBCOMMANDS
    try:
        cli.SUBCOMMANDS = list(dict.fromkeys(list(subs) + ["synth_cmap"]))
        assert cli.main(["synth-cmap", "--out", str(path), "--seed", "3", *SMALL]) == 0
    finally:
        cli.SUBCOMMANDS = subs
    return path


def test_synth_cmap_mat_round_trips(small_mat, small_data):
    data, dropped = load_cmap(small_mat)
    assert dropped == [] and data.n_obs == small_data.n_obs
    assert np.allclose(np.sort(data.profiles.ravel()), np.sort(small_data.profiles.ravel()))


def test_drugscreen_writes_tables(cli_main, small_mat, tmp_path):
    out = tmp_path / "run"
    rc = cli_main(["drugscreen", "--data", str(small_mat), "--methods", "mean,ntk-onehot",
                   "--seeds", "149", "--folds", "10", "--out", str(out), "--no-progress"])
    assert rc == 0
    rows = list(csv.DictReader(open(out / "folds.csv")))
    assert list(rows[0])[:7] == ["method", "seed", "fold", "regime", "pearson_r", "mean_r2", "mean_cos"]
    assert {"all", "sparse"} <= {r["regime"] for r in rows} <= {"all", "sparse", "dense"}
    assert len([r for r in rows if r["regime"] == "all"]) == 2 * 1 * 10
    text = (out / "summary.md").read_text()
    assert "t-test" in text and "SNU1040" in text and "| ntk-onehot | all | mean_cos | mean |" in text
    assert (out / "folds.png").stat().st_size > 0


@pytest.mark.parametrize("args, msg", [
    (["--methods", "mean,bogus"], "unknown method"),
    (["--folds", "1"], "folds"),
    (["--reference", "NOPE", "--methods", "ntk-mcf7"], "reference cell"),
])
def test_bad_input_exits_2_and_writes_nothing(cli_main, small_mat, tmp_path, capsys, args, msg):
    out = tmp_path / "never"
    rc = cli_main(["drugscreen", "--data", str(small_mat), "--seeds", "149", "--out", str(out), "--no-progress", *args])
    assert rc == 2
    assert msg in capsys.readouterr().err
    assert not out.exists()


def test_bad_file_exits_2(cli_main, tmp_path, capsys):
    import scipy.io

    bad = tmp_path / "bad.mat"
    scipy.io.savemat(str(bad), {"T": np.zeros((2, 3, 4)), "pertIds": np.array(["a", "b"], dtype=object)[:, None]})
    rc = cli_main(["drugscreen", "--data", str(bad), "--out", str(tmp_path / "o")])
    assert rc == 2 and "missing variable" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_too_many_folds_drops_small_cells_as_documented(cli_main, small_mat, tmp_path):
    out = tmp_path / "r"
    assert cli_main(["drugscreen", "--data", str(small_mat), "--methods", "mean", "--seeds", "1", "--folds", "14",
                     "--out", str(out), "--no-progress"]) == 0
    assert "too few drugs" in (out / "summary.md").read_text()


def test_parse_methods():
    assert parse_methods("mean, dnpp") == ("mean", "dnpp")
    with pytest.raises(NtkjaxInputError, match="choose from"):
        parse_methods("ntk-foo")
