import numpy as np
import pytest
import scipy.io

from ntkjax.drugscreen.data import CMapData, filter_cells, from_tensor, load_cmap, save_mat, save_npz
from ntkjax.errors import NtkjaxInputError


def _same(a: CMapData, b: CMapData):
    assert a.pert_ids == b.pert_ids and a.gene_ids == b.gene_ids and a.cell_ids == b.cell_ids
    oa = np.lexsort((a.cell, a.drug))
    ob = np.lexsort((b.cell, b.drug))
    assert np.array_equal(a.drug[oa], b.drug[ob]) and np.array_equal(a.cell[oa], b.cell[ob])
    assert np.allclose(a.profiles[oa], b.profiles[ob], rtol=0, atol=1e-12)


@pytest.mark.parametrize("version", ["5", "7.3"])
def test_mat_round_trip(tmp_path, small_data, version):
    path = tmp_path / "large.mat"
    save_mat(path, small_data, version=version)
    back, dropped = load_cmap(path)
    assert dropped == []
    _same(small_data, back)


def test_v5_file_parses_like_the_reference_consumer(tmp_path, small_data):
    path = tmp_path / "large.mat"
    save_mat(path, small_data)
    m = scipy.io.loadmat(str(path))  # prepare_data.py's parsing, restated
    ids = [elt.astype(str)[0] for elt in m["pertIds"].ravel()]
    assert ids == list(small_data.pert_ids)
    assert m["T"].shape == (small_data.n_drugs, small_data.n_genes, small_data.n_cells)
    assert int((~np.isnan(m["T"][:, 0, :])).sum()) == small_data.n_obs


def test_npz_round_trip_without_pickle(tmp_path, small_data):
    path = tmp_path / "t.npz"
    save_npz(path, small_data)
    with np.load(path, allow_pickle=False) as z:
        assert z["pert_ids"].dtype.kind == "U"
    _same(small_data, load_cmap(path)[0])


def _tiny():
    T = np.full((3, 4, 2), np.nan)
    T[0, :, 0] = [1, 0, 0, 0]
    T[1, :, 0] = [0, 1, 0, 0]
    T[2, :, 1] = [0, 0, 1, 0]
    return T, ["d0", "d1", "d2"], ["g0", "g1", "g2", "g3"], ["c0", "c1"]


def test_bad_layouts(tmp_path):
    T, p, g, c = _tiny()
    with pytest.raises(NtkjaxInputError, match="ids give"):
        from_tensor(T, p[:2], g, c)
    with pytest.raises(NtkjaxInputError, match="3-D"):
        from_tensor(T[:, :, 0], p, g, c)
    bad = tmp_path / "missing_T.mat"
    scipy.io.savemat(str(bad), {"X": T, "pertIds": np.array(p, dtype=object)[:, None]})
    with pytest.raises(NtkjaxInputError, match="missing variable"):
        load_cmap(bad)
    with pytest.raises(NtkjaxInputError, match="does not exist"):
        load_cmap(tmp_path / "nope.mat")


def test_partly_nan_profile_is_an_error_or_a_reported_skip():
    T, p, g, c = _tiny()
    T[1, 2, 0] = np.nan
    with pytest.raises(NtkjaxInputError, match="partly observed"):
        from_tensor(T, p, g, c)
    data, dropped = from_tensor(T, p, g, c, on_partial="drop")
    assert dropped == [("d1", "c0")] and data.n_obs == 2


def test_filter_cells_reindexes():
    T, p, g, c = _tiny()
    data, _ = from_tensor(T, p, g, c)
    kept, dropped = filter_cells(data, min_drugs=2)
    assert dropped == [("c1", 1)] and kept.cell_ids == ("c0",) and kept.n_obs == 2
