"""Benchmark the CNTK engine: one JSON line per case.

    python experiments/bench_cntk.py            # all cases, each in a fresh process
    python experiments/bench_cntk.py --case 1   # one case

Fields: preset, prior, size, dtype, form, seconds_first (incl. compilation),
seconds_steady (best of the following runs), peak_rss_gib (the process's peak RSS),
plus check values (kernel at a few entries) so that runs can be compared.
Targets on a 2-core CPU (issue 3): case 1 <= 2 s steady and <= 3 GiB; case 2 <= 1 s;
case 3 <= 1 s; case 4 <= 5 s and <= 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    1: dict(preset="inpainting", prior="iid", size=128, dtype="float32", form="full"),
    2: dict(preset="inpainting", prior="iid", size=128, dtype="float32", form="compact"),
    3: dict(preset="autoencoder-4", prior="finite16", size=64, dtype="float64", form="full"),
    4: dict(preset="reconstruction-5-bilinear", prior="iid", size=128, dtype="float32", form="full"),
    # side by side with neural-tangents (--nt-python): the same net and a 3-channel U[0,1] prior
    5: dict(preset="autoencoder-4", prior="finite3", size=64, dtype="float32", form="full"),
    6: dict(preset="autoencoder-4", prior="finite3", size=64, dtype="float64", form="full"),
}


def run_case(n: int, repeats: int) -> dict:
    import numpy as np

    from ntkjax.cntk import kernel, presets, priors

    c = CASES[n]
    arch = presets.get(c["preset"])
    H = c["size"]
    if c["prior"] == "iid":
        prior = priors.iid()
    else:
        channels = int(c["prior"].removeprefix("finite"))
        prior = priors.finite(np.random.default_rng(0).uniform(size=(channels, H, H)))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        K = kernel(arch, prior, (H, H), dtype=c["dtype"], form=c["form"])
        times.append(time.perf_counter() - t0)
        check = [float(K.flat[0]), float(K.flat[K.size // 3])]
        del K
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    return {
        "case": n,
        **c,
        "seconds_first": round(times[0], 3),
        "seconds_steady": round(min(times[1:]), 3) if len(times) > 1 else None,
        "peak_rss_gib": round(peak, 3),
        "check": check,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", type=int, choices=sorted(CASES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--nt-python", metavar="PYTHON",
                    help="python of the pinned neural-tangents stack (experiments/oracle/requirements-nt.txt): "
                         "also time NT on cases 5-6 and print the ratio")
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.repeats)), flush=True)
        return
    for n in CASES:  # fresh process per case: peak RSS is per case
        out = subprocess.run([sys.executable, __file__, "--case", str(n), "--repeats", str(args.repeats)],
                             check=True, capture_output=True, text=True).stdout
        print(out.strip(), flush=True)
        if args.nt_python and n in (5, 6):
            ours = json.loads(out)
            nt = subprocess.run(
                [args.nt_python, str(Path(__file__).parent / "oracle" / "nt_timing.py"), "--preset-levels", "4",
                 "--size", str(CASES[n]["size"]), "--dtype", CASES[n]["dtype"], "--repeats", str(args.repeats - 1)],
                check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            nt = json.loads(nt)
            nt["case"] = n
            nt["nt_over_ntkjax_steady"] = round(nt["seconds_steady"] / ours["seconds_steady"], 1)
            print(json.dumps(nt), flush=True)


if __name__ == "__main__":
    main()
