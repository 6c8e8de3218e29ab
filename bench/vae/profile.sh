#!/usr/bin/env bash
# Where a vae training step spends its time (784-400-20 Bernoulli, batch 100, binarised
# Fashion-MNIST):
#  1. perf record of a 2-epoch fit: shares by library and the top symbols ("[JIT]" is
#     oneDNN's generated GEMM and eltwise code);
#  2. ONEDNN_VERBOSE over 200 steps: microseconds per step of every oneDNN primitive.
# Usage: bench/vae/profile.sh [BUILD_DIR] [THREADS]     (defaults: build 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${2:-1}
source bench/lib.sh
gm_setup "${1:-build}" "$THREADS"
perf record -q -o "$T/perf.data" "$G" fit vae --data fashion-mnist:train --binarize 0.5 --epochs 2 \
  --threads "$THREADS" --out "$T/v.safetensors" | grep fitted
perf report -i "$T/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8 || true
echo
perf report -i "$T/perf.data" --no-children --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -12 || true
echo
ONEDNN_VERBOSE=1 "$G" fit vae --data fashion-mnist:train --max-examples 20000 --binarize 0.5 --epochs 1 \
  --threads "$THREADS" --out "$T/v.safetensors" >"$T/verbose.txt"
/usr/bin/python3 - "$T/verbose.txt" <<'PY'
import collections, re, sys
lines = open(sys.argv[1]).read().splitlines()
steps = 200
agg = collections.defaultdict(lambda: [0, 0.0])
for line in lines:
    if line.startswith("onednn_verbose,exec"):
        f = line.split(",")
        agg[(f[3], f[-2])][0] += 1
        agg[(f[3], f[-2])][1] += float(f[-1])
total = sum(v[1] for v in agg.values())
print(f"oneDNN per training step ({steps} steps of batch 100):")
for (kind, shape), (n, ms) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
    print(f"  {ms / steps * 1000:7.1f} us  {kind:8s} {shape}")
print(f"  {total / steps * 1000:7.1f} us  all oneDNN primitives")
fit = [l for l in lines if l.startswith("fitted")][0]
seconds = float(re.search(r"in ([0-9.]+) s", fit).group(1))
print(f"  {seconds / steps * 1e6:7.1f} us  the whole step (trainer, Adam, losses included; verbose adds overhead)")
PY
