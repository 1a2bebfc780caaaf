import math

import numpy as np
import pytest

from ntkjax import fc, priors, solve
from ntkjax.drugscreen import ntk
from ntkjax.drugscreen.data import filter_cells
from ntkjax.drugscreen.mean import predict_mean
from ntkjax.drugscreen.metrics import all_metrics, cosine_per_profile
from ntkjax.drugscreen.protocol import build_fold_problem
from ntkjax.drugscreen.splits import fold_labels


def _problem(data, seed=149, f=0, run_cache=None):
    data, _ = filter_cells(data)
    ref = data.cell_index("MCF7")
    labels = fold_labels(data.cell, data.n_cells, seed=seed, reference_cell=ref)
    universe = np.flatnonzero(data.cell != ref)
    p = build_fold_problem(data, labels, f, ref, universe, data.profiles[universe],
                           {} if run_cache is None else run_cache)
    return p, data, labels, universe


def test_prop2_constant_from_the_kernel():
    # ReLU, depth 1: kappa(1) = 2, kappa(0) = 1/pi  ->  c_l = l / (2 pi - 1 + l)
    for l in (1, 5, 150):
        assert ntk.prop2_constant(l) == pytest.approx(l / (2 * math.pi - 1 + l))


def test_onehot_is_mean_over_cell_type_up_to_prop2_constant(small_data):
    p, *_ = _problem(small_data)
    onehot = ntk.predict_onehot(p)
    mean = predict_mean(p)
    l = p.train_counts()[p.test_cell]  # MCF7 is never tested, so these are the NTK training sizes
    c_l = l / (2 * math.pi - 1 + l)
    assert np.allclose(onehot, c_l[:, None] * mean, rtol=1e-9, atol=1e-12)
    truth_cos = cosine_per_profile(mean, onehot)
    assert np.allclose(truth_cos, 1.0)


def test_onehot_same_cosine_pooled_pearson_differs_slightly(small_data):
    p, data, labels, _ = _problem(small_data)
    truth = data.profiles[labels == 0]
    a, b = all_metrics(truth, ntk.predict_onehot(p)), all_metrics(truth, predict_mean(p))
    assert a["mean_cos"] == pytest.approx(b["mean_cos"], abs=1e-12)
    # c_l is cell-dependent (l from ~12 to ~135 here): pooled r moves, but by < 1e-2
    assert abs(a["pearson_r"] - b["pearson_r"]) < 1e-2


def _mcf7_Z_bruteforce(p, w=1.25):
    """Appendix D restated column by column, then Theorem 1 via ntkjax.fc / ntkjax.priors."""
    ref = p.reference_cell
    refrows = np.flatnonzero(p.train_cell == ref)
    mcf7 = {int(d): p.train_profiles[r] for d, r in zip(p.train_drug[refrows], refrows)}
    mean_mcf7 = p.train_profiles[refrows].mean(axis=0)
    rows = np.flatnonzero(p.train_cell != ref)
    cols = [(int(d), int(c)) for d, c in zip(p.train_drug[rows], p.train_cell[rows])]
    cols += [(int(d), int(c)) for d, c in zip(p.test_drug, p.test_cell)]
    Z = []
    for d, c in cols:
        e = mcf7.get(d, mean_mcf7)
        cm = p.train_profiles[rows][p.train_cell[rows] == c].mean(axis=0)
        Z.append(np.concatenate([w * np.linalg.norm(e) * cm / np.linalg.norm(cm), e]))
    Z = np.array(Z).T
    Z = priors.concat(Z, priors.identity(Z.shape[1]), weights=[1.0, 1.5])
    return fc.column_kernel(Z), rows


def test_mcf7_prior_kernel_matches_bruteforce(small_data):
    p, *_ = _problem(small_data)
    K_tt, K_st, rows = ntk.mcf7_prior_kernels(p)
    K, rows_b = _mcf7_Z_bruteforce(p)
    n = rows.size
    assert np.array_equal(rows, rows_b)
    assert np.allclose(K_tt, K[:n, :n], atol=1e-10)
    assert np.allclose(K_st, K[n:, :n], atol=1e-10)
    ref = solve.kernel_regression(K[:n, :n], p.train_profiles[rows], K[n:, :n])
    # the grouped solve must really group: drugs without an MCF7 profile share one column per cell
    *_, counts, _ = ntk.mcf7_groups(p)
    assert counts.max() > 1 and counts.size < n
    assert np.allclose(ntk.predict_mcf7(p, dtype=np.float64), ref, atol=1e-7)
    pred32 = ntk.predict_mcf7(p)  # default float32
    assert np.linalg.norm(pred32 - ref) / np.linalg.norm(ref) < 1e-4


def test_mcf7_triangle_only_kernel_path(small_data, monkeypatch):
    """Large group counts build only the triangle the in-place Cholesky reads; force that path."""
    p, *_ = _problem(small_data)
    full = ntk.predict_mcf7(p, dtype=np.float64)
    monkeypatch.setattr(ntk, "_KEEP_MAX", 0)
    monkeypatch.setattr(ntk, "_FUSED_ROWS", 64)  # several row and column tiles at this size
    monkeypatch.setattr(ntk, "_FUSED_COLS", 128)
    assert np.allclose(ntk.predict_mcf7(p, dtype=np.float64), full, atol=1e-10)


def test_method_prior_block_inverse_equals_direct_solve(small_data):
    p, data, labels, universe = _problem(small_data)
    pred = ntk.predict_method_prior(p, "dnpp")
    # direct: training columns [y ; 1.5 e], test columns [dnpp output ; 1.5 e]
    t, s = p.universe_train_rows, p.universe_test_rows
    Yt = p.universe_profiles[t]
    Z = np.vstack([Yt, p.method_output("dnpp")]).T
    Z = priors.concat(Z, priors.identity(Z.shape[1]), weights=[1.0, 1.5])
    K = fc.column_kernel(Z)
    n = t.size
    ref = solve.kernel_regression(K[:n, :n], Yt, K[n:, :n])
    assert np.allclose(ntk.predict_method_prior(p, "dnpp", dtype=np.float64), ref, atol=1e-8)
    assert np.linalg.norm(pred - ref) / np.linalg.norm(ref) < 1e-4  # the float32 default


def test_method_prior_never_sees_test_values(small_data):
    p, data, labels, universe = _problem(small_data)
    pred = ntk.predict_method_prior(p, "dnpp", dtype=np.float64)  # exact cancellation: float64
    dnpp_out = p.method_output("dnpp")
    tampered = p.universe_profiles.copy()
    rng = np.random.default_rng(0)
    s = p.universe_test_rows
    tampered[s] = rng.standard_normal(tampered[s].shape)
    q, *_ = _problem(small_data)
    q.universe_profiles = tampered
    q.cache["dnpp"] = dnpp_out
    assert np.allclose(ntk.predict_method_prior(q, "dnpp", dtype=np.float64), pred, atol=1e-9)


def test_mixed_is_the_union_of_the_two_regressions(small_data):
    p, *_ = _problem(small_data)
    from ntkjax.drugscreen.methods import predict

    p.predict_with = predict
    thr = int(np.median(p.train_counts()[p.test_cell]))
    mixed = ntk.predict_mixed(p, dense_method="ntk-dnpp-prior", threshold=thr)
    dense = p.train_counts()[p.test_cell] >= thr
    assert dense.any() and (~dense).any()
    assert np.array_equal(mixed[dense], p.method_output("ntk-dnpp-prior")[dense])
    assert np.array_equal(mixed[~dense], p.method_output("ntk-mcf7")[~dense])
