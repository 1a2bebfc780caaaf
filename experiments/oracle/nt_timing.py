"""Time neural-tangents' kernel for an ntkjax architecture (run with the pinned NT stack).

    /tmp/ntvenv/bin/python experiments/oracle/nt_timing.py --preset-levels 4 --size 64 --dtype float32

Prints one JSON line: seconds_first, seconds_steady (best of the repeats), peak_rss_gib.
Used by experiments/bench_cntk.py --nt-python to put NT's time beside ntkjax's in one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def autoencoder(levels: int, slope: float = 0.01) -> list[dict]:
    conv = {"layer": "conv", "size": 3, "stride": 1}
    act = {"layer": "leaky_relu", "slope": slope}
    down = [conv, act, {"layer": "downsample"}] * levels
    up = [conv, act, {"layer": "upsample", "mode": "nearest"}] * levels
    return down + up + [conv]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset-levels", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    import jax

    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    from neural_tangents import stax

    from make_nt_fixtures import nt_network

    H = args.size
    layers, _ = nt_network(autoencoder(args.preset_levels), H, H)
    kernel_fn = jax.jit(stax.serial(*layers)[2], static_argnames=("get",))
    x = np.random.default_rng(0).uniform(size=(1, H, H, args.channels)).astype(args.dtype)
    times = []
    for _ in range(1 + args.repeats):
        t0 = time.perf_counter()
        k = kernel_fn(x, None, get="ntk")
        k.block_until_ready()
        times.append(time.perf_counter() - t0)
    print(json.dumps({
        "library": "neural-tangents", "levels": args.preset_levels, "size": H, "dtype": args.dtype,
        "channels": args.channels, "seconds_first": round(times[0], 3), "seconds_steady": round(min(times[1:]), 3),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
    }))


if __name__ == "__main__":
    main()
