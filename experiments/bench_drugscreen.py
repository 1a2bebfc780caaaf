"""Benchmark: seconds per drug-screening method for seeds x 10 folds on the CMap-sized synthetic
tensor, and peak memory. Prints one JSON object.

    PYTHONPATH=. python experiments/bench_drugscreen.py [--seeds 149] [--methods ...] [--out DIR]

Anchors (issue 6; the authors' code on a CMap-sized synthetic file): NTK with the MCF7 prior
17.5 min and 9.2 GB per seed, DNPP ~4.2 h per seed (25 min per fold), means 28 s. Targets on a
laptop-class CPU: each NTK prior <= 1 min and <= 4 GB per seed, DNPP <= 1 min, mean <= 10 s.
``--out`` also writes the protocol report (folds.csv, summary.md, ...) of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np


def main(argv=None) -> int:
    from ntkjax.drugscreen.methods import DEFAULT_METHODS, parse_methods
    from ntkjax.drugscreen.protocol import run_protocol
    from ntkjax.drugscreen.synthetic import make_synthetic

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="149")
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    t0 = time.perf_counter()
    data = make_synthetic(0)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = run_protocol(data, parse_methods(args.methods), seeds=seeds, folds=args.folds, progress=False)
    wall = time.perf_counter() - t0
    if args.out:
        from ntkjax.drugscreen.report import write_report

        write_report(res, args.out, title=f"Drug screening benchmark, synthetic CMap, seeds {args.seeds}")
    means = {}
    for m in res.methods:
        rows = [r for r in res.records if r["method"] == m and r["regime"] == "all"]
        means[m] = {k: float(np.mean([r[k] for r in rows])) for k in ("pearson_r", "mean_r2", "mean_cos")}
    out = {
        "data": {"n_obs": data.n_obs, "n_evaluated": res.n_profiles, "generate_seconds": round(t_gen, 2)},
        "seeds": seeds,
        "folds": args.folds,
        "seconds_per_method_total": {k: round(v, 2) for k, v in res.seconds.items()},
        "seconds_per_method_per_seed": {k: round(v / len(seeds), 2) for k, v in res.seconds.items()},
        "wall_seconds": round(wall, 2),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "quality_mean_over_folds": means,
        "anchors_authors_code_per_seed_seconds": {"ntk-mcf7": 1050, "dnpp": 15120, "mean": 28},
        "targets_per_seed_seconds": {"ntk-*": 60, "dnpp": 60, "mean": 10},
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
