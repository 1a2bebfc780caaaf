import numpy as np
import pytest

from ntkjax.drugscreen.merge import load_run, merge_runs
from ntkjax.drugscreen.protocol import run_protocol
from ntkjax.drugscreen.report import fold_table, write_report
from ntkjax.errors import NtkjaxInputError

METHODS = ("mean", "dnpp", "ntk-mcf7")


@pytest.fixture(scope="module")
def runs(small_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for name, seeds in (("a", (149,)), ("b", (10, 53)), ("both", (149, 10, 53))):
        res = run_protocol(small_data, METHODS, seeds=seeds, folds=10, progress=False)
        write_report(res, root / name, plot=False)
        out[name] = res
    return root, out


def test_merging_seed_splits_equals_one_run(runs):
    root, res = runs
    merged = merge_runs([load_run(root / "a"), load_run(root / "b")])
    whole = res["both"]
    assert merged.seeds == whole.seeds and merged.methods == whole.methods
    assert merged.test_train_ratio == pytest.approx(whole.test_train_ratio, rel=1e-12)
    for m in METHODS:
        for k in ("pearson_r", "mean_r2", "mean_cos"):
            for regime in ("all", "sparse"):
                np.testing.assert_allclose(fold_table(merged, m, k, regime), fold_table(whole, m, k, regime),
                                           atol=5e-7)  # the CSVs keep six decimals
    pooled = {(r["method"], r["seed"], r["regime"]): r["mean_r2"] for r in merged.pooled}
    for r in whole.pooled:
        assert pooled[(r["method"], r["seed"], r["regime"])] == pytest.approx(r["mean_r2"], abs=5e-7)
    assert merged.seconds["dnpp"] == pytest.approx(res["a"].seconds["dnpp"] + res["b"].seconds["dnpp"], rel=1e-6)


def test_merge_refuses_overlaps_and_mismatches(runs, tmp_path, cli_main, capsys):
    root, _ = runs
    with pytest.raises(NtkjaxInputError, match="overlap"):
        merge_runs([load_run(root / "a"), load_run(root / "both")])
    with pytest.raises(NtkjaxInputError, match="not a drugscreen output"):
        load_run(tmp_path)
    assert cli_main(["drugscreen", "--merge", str(root / "a"), str(root / "b"), "--out", str(root / "a")]) == 2
    assert "one of the runs" in capsys.readouterr().err
    out = tmp_path / "merged"
    assert cli_main(["drugscreen", "--merge", str(root / "a"), str(root / "b"), "--out", str(out)]) == 0
    text = (out / "summary.md").read_text()
    assert "Seeds 149, 10, 53" in text and "t-test" in text
