import numpy as np

from ntkjax.drugscreen.checkpoint import FoldCheckpoint, fingerprint
from ntkjax.drugscreen.protocol import run_protocol
from ntkjax.drugscreen import methods as M


def _run(data, ck, methods=("mean", "ntk-mixed-dnpp")):
    return run_protocol(data, methods, seeds=(149,), folds=10, progress=False, checkpoint=ck)


def _table(result):
    return sorted((r["method"], r["fold"], r["regime"], r["pearson_r"], r["mean_r2"], r["mean_cos"])
                  for r in result.records)


def test_rerun_loads_every_prediction_and_reports_the_same(small_data, tmp_path, monkeypatch):
    first = _run(small_data, tmp_path)
    assert first.extras["checkpoint_hits"] == 0
    # mean, ntk-mixed-dnpp and the dependency it used (no cell is dense here: the MCF7 prior), 10 folds each
    files = list(tmp_path.glob("*/*.npz"))
    assert sorted({f.name.split("_seed")[0] for f in files}) == ["mean", "ntk-mcf7", "ntk-mixed-dnpp"]
    assert len(files) == 3 * 10

    def boom(problem):
        raise AssertionError("a checkpointed prediction was recomputed")

    monkeypatch.setitem(M.METHODS, "mean", boom)
    monkeypatch.setitem(M.METHODS, "ntk-mcf7", boom)
    monkeypatch.setitem(M.METHODS, "ntk-mixed-dnpp", boom)
    second = _run(small_data, tmp_path)
    assert second.extras["checkpoint_hits"] == 2 * 10  # the two requested methods; no dependency was needed
    assert _table(second) == _table(first)
    assert second.seconds["mean"] == first.seconds["mean"]  # the original seconds are reported
    assert second.extras["dnpp_fallbacks"] == first.extras["dnpp_fallbacks"]


def test_damaged_or_foreign_files_are_recomputed(small_data, tmp_path):
    first = _run(small_data, tmp_path, methods=("mean",))
    files = sorted(tmp_path.glob("*/*.npz"))
    files[0].write_bytes(b"not an npz")
    second = _run(small_data, tmp_path, methods=("mean",))
    assert second.extras["checkpoint_hits"] == 9
    assert _table(second) == _table(first)
    # other data: another fingerprint, nothing loaded
    other = small_data.__class__(**{**small_data.__dict__, "profiles": small_data.profiles[:, ::-1].copy()})
    assert fingerprint(other, folds=10, reference="MCF7", min_drugs=10) != \
        fingerprint(small_data, folds=10, reference="MCF7", min_drugs=10)
    assert _run(other, tmp_path, methods=("mean",)).extras["checkpoint_hits"] == 0


def test_test_keys_are_checked(tmp_path):
    ck = FoldCheckpoint(tmp_path, "abc")
    drug, cell = np.arange(3), np.zeros(3, int)
    ck.save("mean", 1, 0, drug, cell, np.ones((3, 4)), 1.5, {"x": 1})
    pred, seconds, extras = ck.load("mean", 1, 0, drug, cell)
    assert pred.shape == (3, 4) and seconds == 1.5 and extras == {"x": 1}
    assert ck.load("mean", 1, 0, drug[::-1], cell) is None
    assert ck.load("mean", 1, 1, drug, cell) is None
