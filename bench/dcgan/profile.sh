#!/usr/bin/env bash
# Where a dcgan training step spends its time (28x28 Fashion-MNIST, batch 128, ngf = ndf = 64):
# ONEDNN_VERBOSE over STEPS steps, microseconds per step of every oneDNN primitive and shape,
# against the whole step.
# Usage: bench/dcgan/profile.sh [BUILD_DIR] [THREADS] [STEPS]     (defaults: build 2 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${2:-2}
STEPS=${3:-20}
source bench/lib.sh
gm_setup "${1:-build}" "$THREADS"
ONEDNN_VERBOSE=1 "$G" fit dcgan --data fashion-mnist:train --max-examples $((STEPS * 128)) --epochs 1 \
  --batch-size 128 --threads "$THREADS" --out "$T/g.safetensors" >"$T/verbose.txt"
/usr/bin/python3 - "$T/verbose.txt" "$STEPS" <<'PY'
import collections, re, sys
lines = open(sys.argv[1]).read().splitlines()
steps = int(sys.argv[2])
agg = collections.defaultdict(lambda: [0, 0.0])
for line in lines:
    if line.startswith("onednn_verbose,exec"):
        f = line.split(",")
        key = (f[3], f[5].split()[0] if len(f) > 5 else "", f[-2])
        agg[key][0] += 1
        agg[key][1] += float(f[-1])
total = sum(v[1] for v in agg.values())
print(f"oneDNN per training step ({steps} steps of batch 128):")
for (kind, prop, shape), (n, ms) in sorted(agg.items(), key=lambda kv: -kv[1][1])[:25]:
    print(f"  {ms / steps * 1000:8.1f} us  {n // steps:2d}x {kind:22s} {prop:18s} {shape}")
print(f"  {total / steps * 1000:8.1f} us  all oneDNN primitives")
fit = [l for l in lines if l.startswith("fitted")][0]
seconds = float(re.search(r"in ([0-9.]+) s", fit).group(1))
print(f"  {seconds / steps * 1e6:8.1f} us  the whole step (verbose adds overhead)")
PY
