#!/usr/bin/env bash
# nade against its PyTorch references on binarised Fashion-MNIST (x >= 0.5 -> 1), 2 threads
# each, run back to back in one session.
#
#   bench/nade/run.sh speed [BUILD_DIR]
#       training images/s against bench/torch/nade.py --impl loop (autograd, one pixel at a
#       time); log_prob and sampling throughput against the batched PyTorch implementation
#       (bench/nade/torch_speed.py: nade.py's timing section without the epochs before it).
#   bench/nade/run.sh curve EPOCHS [BUILD_DIR]
#       the genmodels test-NLL curve (nade_bench: test set scored after every epoch), then
#       the same through the command line (fit --epochs EPOCHS, log-prob); the fit does not
#       depend on the thread count, so the two agree. The PyTorch curve is the slow part:
#       /usr/bin/python3 bench/torch/nade.py --impl batched --epochs EPOCHS --threads 2
#       (about 20 min an epoch here); run it separately.
# Needs: ninja -C BUILD_DIR (default build), then bench/nade/build.sh BUILD_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-speed}
if [ "$MODE" = curve ]; then EPOCHS=${2:?epochs}; B=${3:-build}; else B=${2:-build}; fi
export OMP_NUM_THREADS=2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x "$B/nade_bench" ] || bench/nade/build.sh "$B" >/dev/null

if [ "$MODE" = speed ]; then
  /usr/bin/python3 bench/torch/nade.py --impl loop --batches 5 --threads 2 >"$T/loop.jsonl"
  /usr/bin/python3 bench/nade/torch_speed.py --threads 2 --repeat 3 >"$T/batched.jsonl"
  "$B/nade_bench" --steps 600 --threads 2 >"$T/gm.jsonl"
  /usr/bin/python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
def rows(name):
    return [json.loads(l) for l in open(f"{T}/{name}.jsonl")]
loop = [r for r in rows("loop") if r.get("final")][0]
batched = [r for r in rows("batched") if "repeat" in r]
gm = [r for r in rows("gm") if r.get("final")][0]
lp = max(r["log_prob_per_s"] for r in batched)
sp = max(r["samples_per_s"] for r in batched)
print("| | PyTorch 1.13 + OpenBLAS | genmodels | ratio | required |")
print("|---|---|---|---|---|")
print(f"| training images/s (batch 100; PyTorch: autograd loop NADE) | {loop['images_per_s']:.0f} | "
      f"{gm['train_images_per_s']:.0f} | {gm['train_images_per_s'] / loop['images_per_s']:.0f}x | 20x |")
print(f"| log_prob images/s (10 000 test; PyTorch: batched) | {lp:.0f} | {gm['log_prob_per_s']:.0f} | "
      f"{gm['log_prob_per_s'] / lp:.0f}x | 2x |")
print(f"| samples/s (1 000; PyTorch: batched) | {sp:.0f} | {gm['samples_per_s']:.0f} | "
      f"{gm['samples_per_s'] / sp:.0f}x | 2x |")
print()
print("PyTorch batched repeats (log_prob/s, samples/s; best used):",
      ", ".join(f"{r['log_prob_per_s']:.0f}/{r['samples_per_s']:.0f}" for r in batched))
print(f"genmodels training: {gm['steps']} steps of 100 images, kernels {rows('gm')[0]['kernels']}")
PY
elif [ "$MODE" = curve ]; then
  G=$B/tools/genmodels/genmodels
  "$B/nade_bench" --epochs "$EPOCHS" --threads 2 | tee "$T/curve.jsonl"
  "$G" fit nade --data fashion-mnist:train --binarize 0.5 --epochs "$EPOCHS" --threads 2 --out "$T/m.safetensors"
  "$G" log-prob "$T/m.safetensors" --data fashion-mnist:test --binarize 0.5 --threads 2
else
  echo "usage: $0 speed [BUILD_DIR] | curve EPOCHS [BUILD_DIR]" >&2
  exit 2
fi
