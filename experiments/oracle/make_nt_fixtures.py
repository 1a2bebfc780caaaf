"""Regenerate the neural-tangents oracle fixtures in ``tests/fixtures/nt/``.

Runs in its own virtual environment with the pinned old stack of
``requirements-nt.txt`` (neural-tangents 0.6.5 does not import on jax >= 0.6)::

    python3.11 -m venv /tmp/ntvenv
    /tmp/ntvenv/bin/pip install --index-url https://pypi.org/simple -r experiments/oracle/requirements-nt.txt
    /tmp/ntvenv/bin/python experiments/oracle/make_nt_fixtures.py            # writes tests/fixtures/nt/

Each fixture is the exact infinite-width NTK and NNGP of one architecture (written in
ntkjax's JSON format) for matrix completion from a fixed finite prior Z (Proposition 1,
Appendix J; resampling layers by the corollaries of Appendix L), computed by NT's
``kernel_fn`` in float64 on one image of shape (1, H, W, c).

Layer mapping (ntkjax -> NT), chosen so that NT computes *our* convention exactly:

* ``conv q, stride 1``  -> ``stax.Conv(1, (q, q), padding='CIRCULAR', W_std=1, b_std=None,
  parameterization='ntk')``: NT's finite layer is ``W_std * conv(W, x) / sqrt(C_in q^2)``,
  W ~ N(0, 1) -- ours with W_std = 1.
* ``conv q, stride 2``  -> the stride-1 conv above followed by ``downsample``. (NT's circular
  stride-2 conv is centred on odd pixels; ours keeps even pixels -- checked below.)
* ``downsample``        -> ``stax.AvgPool((1, 1), strides=(2, 2))`` (keeps pixels 0, 2, 4, ...).
* ``upsample nearest``  -> ``stax.ImageResize((-1, 2h, 2w, -1), 'nearest')`` (out[i] = in[i // 2]).
* ``relu``              -> ``stax.ABRelu(0, sqrt 2)``; ``leaky_relu a`` -> ``stax.ABRelu(a c, c)``
  with c = sqrt(2 / (1 + a^2)), i.e. exactly the normalised activation c * phi.

NT's input covariance for an image with c channels is ``x x^T / c`` (divided by the channel
count), which is our Sigma0 = sum_c Z_c Z_c^T / C, and NT starts the NTK at 0 before the
first layer, as we do. Hence the derived scale factor between the two conventions is exactly 1
for both the NTK and the NNGP (K_ntkjax = FACTOR * K_NT). A second, equivalent mapping (plain
``stax.Relu`` / ``stax.LeakyRelu`` and the normalising constant moved into the next conv's
``W_std = c``) is computed as a cross-check: in NTK parameterisation ``W_std`` multiplies the
layer's input covariance and its incoming NTK alike, so moving c through the linear
resampling layers into the next conv changes nothing (derivation in README.md). Both
mappings and an independent loop-over-pixel-pairs restatement of the recursions (this file,
``brute_force_kernels``) must agree before anything is written.

NT 0.6.5 stores kernels with reversed spatial axes after an odd number of convs
(``Kernel.is_reversed``) and its ImageResize mishandles that state for rectangular images;
``nt_kernels`` undoes it (README.md, "Pitfalls").
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
OUT_DIR = REPO / "tests" / "fixtures" / "nt"

#: K_ntkjax = FACTOR * K_NT (and the same for the NNGP); derived in the module docstring/README.
FACTOR_NTK = 1.0
FACTOR_NNGP = 1.0
FACTOR_DERIVATION = (
    "NT layer map: conv -> stax.Conv(W_std=1, b_std=None, padding=CIRCULAR, ntk param) whose finite "
    "layer is W*x/sqrt(C_in q^2) with W~N(0,1), identical to ntkjax; relu -> ABRelu(0, sqrt2), "
    "leaky a -> ABRelu(a c, c), c = sqrt(2/(1+a^2)), identical to ntkjax's normalised activations; "
    "AvgPool((1,1),strides=(2,2)) and ImageResize(nearest) are the same fixed linear maps as ntkjax's "
    "downsample / nearest upsample (Appendix L, K -> A K A^T); NT's input covariance is x x^T / "
    "n_channels = ntkjax Sigma0 = sum_c Z_c Z_c^T / C, and NT's NTK starts at 0 as ntkjax's does. "
    "Every layer's kernel map is therefore the same function in both libraries, so K_ntkjax = 1 * K_NT "
    "for the NTK and the NNGP. Cross-checked: the equivalent mapping relu -> stax.Relu with the "
    "constant c moved into the next conv's W_std (NTK parameterisation scales the next layer's NNGP and "
    "NTK contributions by W_std^2 = c^2, exactly what c*phi does) and a loop-over-pixel-pairs "
    "restatement of the recursions agree with it."
)

# ---------------------------------------------------------------------------------------------
# Cases, in ntkjax's architecture JSON format.

C3 = {"layer": "conv", "size": 3, "stride": 1}
C5 = {"layer": "conv", "size": 5, "stride": 1}
C5S2 = {"layer": "conv", "size": 5, "stride": 2}
RELU = {"layer": "relu"}
LEAKY = {"layer": "leaky_relu", "slope": 0.1}
DOWN = {"layer": "downsample"}
UPN = {"layer": "upsample", "mode": "nearest"}

CASES: dict[str, dict] = {
    "a_conv3_relu_x2": {
        "doc": "conv3-relu-conv3-relu-conv3, no resampling",
        "arch": [C3, RELU, C3, RELU, C3],
        "sizes": [(8, 8), (8, 16)],  # 16x16 adds nothing without resampling; keeps fixtures small
    },
    "b_down_up_nearest": {
        "doc": "one downsample and one nearest upsample",
        "arch": [C3, RELU, DOWN, C3, RELU, UPN, C3],
    },
    "c_leaky_two_levels_conv5": {
        "doc": "leaky_relu(0.1), two down/up levels, size-5 convs (one at the 4x4 level for H=8)",
        "arch": [C5, LEAKY, DOWN, C5, LEAKY, DOWN, C3, LEAKY, UPN, C3, LEAKY, UPN, C3],
    },
    "d_stride2_conv5": {
        "doc": "a size-5 stride-2 conv inside the net (NT side: stride-1 conv + "
               "AvgPool((1,1), strides=(2,2)); NT's own strided circular conv centres on odd pixels)",
        "arch": [C3, RELU, C5S2, RELU, C3, RELU, UPN, C3],
    },
}
SIZES = [(8, 8), (16, 16), (8, 16)]  # default for a case without "sizes"
N_CHANNELS = 3
SEED = 20240607


def prior(H: int, W: int, c: int = N_CHANNELS, seed: int = SEED) -> np.ndarray:
    """The fixed finite prior Z, shape (c, H, W), entries U[0, 1] (seeded per size)."""
    rng = np.random.default_rng([seed, H, W])
    return rng.uniform(0.0, 1.0, size=(c, H, W))


def act_constant(slope: float) -> float:
    """c with c^2 E[phi(u)^2] = 1 for phi = leaky(slope) (slope 0: ReLU)."""
    return math.sqrt(2.0 / (1.0 + slope**2))


def expand(arch: list[dict]) -> list[dict]:
    """Rewrite every stride-2 conv as a stride-1 conv followed by a downsample (our convention)."""
    out: list[dict] = []
    for layer in arch:
        if layer["layer"] == "conv" and layer.get("stride", 1) == 2:
            out += [{**layer, "stride": 1}, {"layer": "downsample"}]
        else:
            out.append(dict(layer))
    return out


# ---------------------------------------------------------------------------------------------
# neural-tangents side.


def nt_network(arch: list[dict], H: int, W: int, mapping: str = "abrelu"):
    """NT stax layers for ``arch`` on an (H, W) image; returns (layers, descriptions).

    ``mapping='abrelu'``: normalised activations as ABRelu, every conv W_std = 1.
    ``mapping='wstd'``: plain Relu/LeakyRelu, the constant moved into the next conv's W_std.
    """
    from neural_tangents import stax

    layers, desc = [], []
    h, w = H, W
    pending = 1.0  # activation constant not yet absorbed (mapping 'wstd')
    for layer in expand(arch):
        kind = layer["layer"]
        if kind == "conv":
            q = int(layer["size"])
            layers.append(stax.Conv(1, (q, q), strides=(1, 1), padding="CIRCULAR", W_std=pending,
                                    b_std=None, parameterization="ntk"))
            desc.append(f"Conv(1, ({q},{q}), strides=(1,1), padding='CIRCULAR', W_std={pending!r}, "
                        "b_std=None, parameterization='ntk')")
            pending = 1.0
        elif kind in ("relu", "leaky_relu"):
            a = float(layer.get("slope", 0.0))
            c = act_constant(a)
            if mapping == "abrelu":
                layers.append(stax.ABRelu(a * c, c))
                desc.append(f"ABRelu({a * c!r}, {c!r})")
            else:
                layers.append(stax.LeakyRelu(a) if a else stax.Relu())
                desc.append(f"LeakyRelu({a!r})" if a else "Relu()")
                pending *= c
        elif kind == "downsample":
            layers.append(stax.AvgPool((1, 1), strides=(2, 2), padding="VALID"))
            desc.append("AvgPool((1,1), strides=(2,2), padding='VALID')")
            h, w = h // 2, w // 2
        elif kind == "upsample" and layer.get("mode", "nearest") == "nearest":
            h, w = 2 * h, 2 * w
            layers.append(stax.ImageResize((-1, h, w, -1), "nearest"))
            desc.append(f"ImageResize((-1, {h}, {w}, -1), 'nearest')")
        else:
            raise ValueError(f"layer {layer} has no NT mapping here")
    if pending != 1.0:
        raise ValueError("mapping 'wstd' needs a conv after every activation")
    if (h, w) != (H, W):
        raise ValueError(f"architecture maps {H}x{W} to {h}x{w}")
    return layers, desc


def _segments(layers: list, desc: list[str]) -> list[list]:
    """Split the layer list before every AvgPool / ImageResize."""
    segs: list[list] = [[]]
    for layer, d in zip(layers, desc):
        if d.startswith(("AvgPool", "ImageResize")) and segs[-1]:
            segs.append([])
        segs[-1].append(layer)
    return segs


def nt_kernels(arch: list[dict], Z: np.ndarray, mapping: str = "abrelu"):
    """(NTK, NNGP) from NT's kernel_fn, each in ntkjax's layout (H, W, H, W)."""
    from neural_tangents import stax

    c, H, W = Z.shape
    layers, desc = nt_network(arch, H, W, mapping)
    x = np.ascontiguousarray(Z.transpose(1, 2, 0)[None])  # (1, H, W, c), NHWC
    # NT stores a Kernel's spatial axes reversed, (W, W', H, H'), after every odd number of
    # shared-weight convs (`Kernel.is_reversed`) and does not undo it at the end. Its
    # ImageResize kernel_fn resizes by the unreversed target shape, which is wrong for
    # rectangular images in that state, so the net runs as segments split before each
    # resampling layer, restoring the natural order in between (a pure relabelling).
    k = x
    for n, seg in enumerate(_segments(layers, desc)):
        if n > 0 and k.is_reversed:
            k = k.reverse()
        k = stax.serial(*seg)[2](k, None) if n == 0 else stax.serial(*seg)[2](k)
    if k.is_reversed:
        k = k.reverse()
    out = []
    for a in (k.ntk, k.nngp):
        a = np.asarray(a, dtype=np.float64)
        assert a.shape == (1, 1, H, H, W, W), a.shape  # NT: (N1, N2, H, H', W, W')
        out.append(a[0, 0].transpose(0, 2, 1, 3))  # -> (H, W, H', W')
    return out[0], out[1], desc


def check_nt_resampling_conventions() -> dict:
    """Verify on finite arrays: AvgPool((1,1),(2,2)) keeps even pixels, ImageResize nearest is
    out[i] = in[i // 2]; and record where NT's circular stride-2 conv is centred."""
    import jax
    import jax.numpy as jnp
    from neural_tangents import stax

    H, W = 8, 6
    x = np.arange(H * W, dtype=np.float64).reshape(1, H, W, 1) + 1.0
    _, apply, _ = stax.AvgPool((1, 1), strides=(2, 2), padding="VALID")
    down = np.asarray(apply((), jnp.asarray(x)))
    assert np.array_equal(down, x[:, ::2, ::2, :]), "AvgPool((1,1),(2,2)) must keep even pixels"

    _, apply, _ = stax.ImageResize((1, 2 * H, 2 * W, -1), "nearest")
    up = np.asarray(apply((), jnp.asarray(x)))
    ii, jj = np.meshgrid(np.arange(2 * H) // 2, np.arange(2 * W) // 2, indexing="ij")
    assert np.array_equal(up[0, :, :, 0], x[0, ii, jj, 0]), "nearest resize must be out[i] = in[i//2]"

    # NT circular stride-2 conv with a centre-delta filter returns the input at its centres.
    init, apply, _ = stax.Conv(1, (3, 3), strides=(2, 2), padding="CIRCULAR", b_std=None)
    _, (Wt, b) = init(jax.random.PRNGKey(0), x.shape)
    delta = np.zeros(Wt.shape)
    delta[1, 1, 0, 0] = 3.0  # HWIO; norm is W_std / sqrt(1 * 9) = 1/3
    y = np.asarray(apply((jnp.asarray(delta), b), jnp.asarray(x)))[0, :, :, 0]
    flat = {float(v): divmod(n, W) for n, v in enumerate(x[0, :, :, 0].ravel())}
    centres = [flat[float(v)] for v in y.ravel()]  # exact: x holds distinct integers
    rows = sorted({int(r) for r, _ in centres})
    cols = sorted({int(c) for _, c in centres})
    centres_even = np.array_equal(y, x[0, ::2, ::2, 0])
    return {
        "avgpool_1x1_stride2_keeps": "even pixels 0,2,4,... (verified on an 8x6 array)",
        "imageresize_nearest": "out[i] = in[i // 2] (verified on an 8x6 array, x2 both axes)",
        "nt_circular_stride2_conv_centre_rows": rows,
        "nt_circular_stride2_conv_centre_cols": cols,
        "nt_circular_stride2_conv_centred_on_even": bool(centres_even),
    }


# ---------------------------------------------------------------------------------------------
# Independent restatement: explicit loops over pixel pairs, straight from the definitions.


def _duals(rho: float, slope: float) -> tuple[float, float]:
    """Normalised dual and its derivative of leaky(slope) at correlation rho (own derivation:
    leaky(x) = a x + (1-a) relu(x), E[relu u relu v] = (sqrt(1-r^2) + (pi - acos r) r) / 2pi,
    E[u relu v] = r / 2, P(u>0, v>0) = (pi - acos r) / 2pi)."""
    a = slope
    r = min(1.0, max(-1.0, rho))
    th = math.acos(r)
    rr = (math.sqrt(max(0.0, 1.0 - r * r)) + (math.pi - th) * r) / (2 * math.pi)
    e = a * a * r + a * (1 - a) * r + (1 - a) ** 2 * rr
    de = (1 + a * a) * (math.pi - th) / (2 * math.pi) + a * th / math.pi
    c2 = 2.0 / (1.0 + a * a)
    return c2 * e, c2 * de


def brute_force_kernels(arch: list[dict], Z: np.ndarray):
    """(NTK, NNGP) in (H, W, H, W) by loops over pixel pairs: Sigma0 = sum_c Z_c Z_c^T / C,
    conv: Sigma' = mean over the q x q shared shift window of Sigma, K' = Sigma' + mean(K);
    activation: Sigma' = sqrt(s s') dual(rho), K' = K * dual'(rho); downsample keeps even pixels,
    nearest upsample indexes i // 2 (Appendix L)."""
    C, H, W = Z.shape
    S = np.einsum("cij,ckl->ijkl", Z, Z) / C
    K = np.zeros_like(S)
    for layer in expand(arch):
        kind = layer["layer"]
        h, w = S.shape[:2]
        pairs = list(itertools.product(range(h), range(w), range(h), range(w)))
        if kind == "conv":
            q = int(layer["size"])
            r = (q - 1) // 2
            S2, K2 = np.empty_like(S), np.empty_like(K)
            for i, j, k, l in pairs:
                s = kk = 0.0
                for a in range(-r, r + 1):
                    for b in range(-r, r + 1):
                        idx = ((i + a) % h, (j + b) % w, (k + a) % h, (l + b) % w)
                        s += S[idx]
                        kk += K[idx]
                S2[i, j, k, l] = s / q**2
                K2[i, j, k, l] = s / q**2 + kk / q**2
            S, K = S2, K2
        elif kind in ("relu", "leaky_relu"):
            slope = float(layer.get("slope", 0.0))
            S2, K2 = np.empty_like(S), np.empty_like(K)
            for i, j, k, l in pairs:
                n = math.sqrt(S[i, j, i, j] * S[k, l, k, l])
                d, dd = _duals(S[i, j, k, l] / n, slope)
                S2[i, j, k, l] = n * d
                K2[i, j, k, l] = K[i, j, k, l] * dd
            S, K = S2, K2
        elif kind == "downsample":
            S, K = S[::2, ::2, ::2, ::2].copy(), K[::2, ::2, ::2, ::2].copy()
        elif kind == "upsample":
            S2 = np.empty((2 * h, 2 * w, 2 * h, 2 * w))
            K2 = np.empty_like(S2)
            for i, j, k, l in itertools.product(range(2 * h), range(2 * w), range(2 * h), range(2 * w)):
                S2[i, j, k, l] = S[i // 2, j // 2, k // 2, l // 2]
                K2[i, j, k, l] = K[i // 2, j // 2, k // 2, l // 2]
            S, K = S2, K2
        else:
            raise ValueError(layer)
    return K, S


# ---------------------------------------------------------------------------------------------


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def sanity(K: np.ndarray) -> dict:
    H, W = K.shape[:2]
    M = K.reshape(H * W, H * W)
    ev = np.linalg.eigvalsh((M + M.T) / 2)
    return {
        "symmetry_rel": rel_err(M, M.T),
        "min_eig_over_max": float(ev[0] / ev[-1]),
        "finite": bool(np.isfinite(M).all()),
    }


def versions() -> dict:
    import jax
    import jaxlib
    import neural_tangents as nt

    return {
        "neural_tangents": nt.__version__,
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def save_fixture(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Atomic write of a plain-array .npz (no object arrays, loadable with allow_pickle=False)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
        with np.load(tmp, allow_pickle=False) as chk:  # must round-trip without pickle
            assert set(chk.files) == set(arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: tests/fixtures/nt)")
    p.add_argument("--brute-max-pixels", type=int, default=256,
                   help="run the loop restatement for images up to this many pixels (default 256)")
    p.add_argument("--tol", type=float, default=1e-12, help="agreement required before writing")
    p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    args = p.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    vers = versions()
    conv = check_nt_resampling_conventions()
    print(json.dumps({"versions": vers, "conventions": conv}))
    if conv["nt_circular_stride2_conv_centred_on_even"]:
        raise SystemExit("unexpected: NT stride-2 circular conv centred on even pixels; revisit mapping")

    written = []
    for name, case in CASES.items():
        for H, W in case.get("sizes", SIZES):
            Z = prior(H, W)
            ntk, nngp, desc = nt_kernels(case["arch"], Z, "abrelu")
            ntk_w, nngp_w, desc_w = nt_kernels(case["arch"], Z, "wstd")
            checks = {
                "wstd_mapping_rel_ntk": rel_err(ntk_w, ntk),
                "wstd_mapping_rel_nngp": rel_err(nngp_w, nngp),
                "ntk": sanity(ntk),
                "nngp": sanity(nngp),
            }
            if H * W <= args.brute_max_pixels:
                bk, bs = brute_force_kernels(case["arch"], Z)
                checks["brute_force_rel_ntk"] = rel_err(FACTOR_NTK * ntk, bk)
                checks["brute_force_rel_nngp"] = rel_err(FACTOR_NNGP * nngp, bs)
            errs = [v for k, v in checks.items() if k.endswith(("_ntk", "_nngp"))]
            errs += [checks[k]["symmetry_rel"] for k in ("ntk", "nngp")]
            ok = (max(errs) <= args.tol and checks["ntk"]["min_eig_over_max"] > -1e-12
                  and checks["nngp"]["min_eig_over_max"] > -1e-12 and checks["ntk"]["finite"])
            meta = {
                "case": name,
                "doc": case["doc"],
                "size": [H, W],
                "layout": "K[i, j, k, l] = K(pixel (i, j), pixel (k, l)); NT's (1, 1, H, H, W, W) "
                          "transposed by (0, 2, 1, 3) after dropping the batch axes",
                "prior": {"kind": "finite", "channels": N_CHANNELS, "distribution": "U[0,1]",
                          "seed": [SEED, H, W], "generator": "numpy.random.default_rng",
                          "layout": "(c, H, W); NT input Z.transpose(1, 2, 0)[None], NHWC",
                          "sigma0": "sum_c Z_c Z_c^T / C"},
                "factor_ntk": FACTOR_NTK,
                "factor_nngp": FACTOR_NNGP,
                "factor_meaning": "K_ntkjax = factor * K_NT",
                "factor_derivation": FACTOR_DERIVATION,
                "nt_layers": desc,
                "nt_layers_crosscheck": desc_w,
                "versions": vers,
                "conventions": conv,
                "checks": checks,
            }
            print(json.dumps({"case": name, "size": [H, W], "ok": ok, "checks": checks}))
            if not ok:
                raise SystemExit(f"{name} {H}x{W}: checks failed, nothing written for it")
            arrays = {
                "ntk": ntk,
                "nngp": nngp,
                "Z": Z,
                "arch_json": np.array(json.dumps(case["arch"])),
                "meta_json": np.array(json.dumps(meta, sort_keys=True)),
            }
            path = args.out / f"{name}_{H}x{W}.npz"
            if not args.dry_run:
                save_fixture(path, arrays)
                written.append(path)
    total = sum(p.stat().st_size for p in written)
    for path in written:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(json.dumps({"file": str(path.relative_to(REPO)), "bytes": path.stat().st_size,
                          "sha256_16": digest}))
    print(json.dumps({"files": len(written), "total_bytes": total}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
