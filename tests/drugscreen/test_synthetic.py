import numpy as np

from ntkjax.drugscreen.data import filter_cells
from ntkjax.drugscreen.synthetic import DEFAULT, TOP_COUNTS, cell_counts_for, make_synthetic


def test_default_sizes_match_the_real_tensor():
    names, counts = cell_counts_for(DEFAULT)
    assert len(names) == 71 and counts.sum() == 15855
    assert tuple(counts[:10]) == TOP_COUNTS and names[0] == "MCF7"
    assert sum(counts[10:]) == 5013
    assert names[-3:] == ["SNU1040", "HEK293T", "HS27A"] and np.all(counts[-3:] < 10)
    assert np.all(np.diff(counts) <= 0)
    # Appendix C: without MCF7 and the three small cells, 14,336 profiles remain
    assert counts.sum() - counts[0] - counts[-3:].sum() == 14336


def test_small_tensor_layout(small_data, small_cfg):
    d = small_data
    assert d.n_drugs == small_cfg.n_drugs and d.n_genes == small_cfg.n_genes
    assert np.allclose(np.linalg.norm(d.profiles, axis=1), 1.0)
    per_drug = np.bincount(d.drug, minlength=d.n_drugs)
    assert per_drug.min() >= 3 and np.all(np.diff(per_drug) <= 0)
    assert np.array_equal(d.cell_counts(), cell_counts_for(small_cfg)[1])
    assert d.gene_ids[0] == "5720" and d.gene_ids[9] == "6657" and d.gene_ids[-1] == "874"
    assert all(p.startswith("BRD-") for p in d.pert_ids)
    kept, dropped = filter_cells(d)
    assert [c for c, _ in dropped] == ["SNU1040", "HEK293T", "HS27A"]


def test_deterministic(small_cfg):
    a, b = make_synthetic(5, small_cfg), make_synthetic(5, small_cfg)
    assert np.array_equal(a.profiles, b.profiles)
