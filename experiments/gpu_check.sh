#!/usr/bin/env bash
# GPU check (issue 4): kernel, expansion and EigenPro steps of a 512x512 large-hole inpainting
# (s = 6 preset, 10 epochs), timings printed as JSON. Runs unchanged on CPU (slower).
# Usage: experiments/gpu_check.sh [extra bench_inpaint.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export XLA_PYTHON_CLIENT_PREALLOCATE=false
python - <<'PY'
import jax, json
print(json.dumps({"backend": jax.default_backend(), "devices": [str(d) for d in jax.devices()]}))
PY
exec python experiments/bench_inpaint.py --solver eigenpro --epochs 10 --no-biharmonic "$@"
