#!/usr/bin/env bash
# cgan (class label) on grey Fashion-MNIST: fit, then `genmodels eval` draws 1 000 samples per
# class and reports the feature classifier's accuracy on them against the requested class, and
# the feature Frechet distance to the test set. Writes bench/gan/cgan_classes.png (row k =
# class k, ten samples each).
# Usage: bench/gan/cgan.sh [BUILD_DIR] [EPOCHS] [SEED] [CONFIG]   (defaults: build 5 0 {})
set -euo pipefail
cd "$(dirname "$0")/../.."
G=${GENMODELS:-${1:-build}/tools/genmodels/genmodels}
EPOCHS=${2:-5}
SEED=${3:-0}
CONFIG=${4:-"{}"}
T=${KEEP:-$(mktemp -d)}
mkdir -p "$T"
export OMP_NUM_THREADS=2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load average $(cut -d' ' -f1-3 /proc/loadavg); date $(date -u +%Y-%m-%dT%H:%MZ)"
echo "command: genmodels fit cgan --config '$CONFIG' --data fashion-mnist:train --epochs $EPOCHS --batch-size 128 --seed $SEED"
"$G" fit cgan --config "$CONFIG" --data fashion-mnist:train --epochs "$EPOCHS" --batch-size 128 --threads 2 \
  --seed "$SEED" --out "$T/c.safetensors" | head -1
"$G" eval "$T/c.safetensors" --threads 2 --json | tail -1 | tee "$T/eval.json"
labels=$(/usr/bin/python3 -c "print(','.join(str(k) for k in range(10) for _ in range(10)))")
"$G" sample "$T/c.safetensors" --n 100 --labels "$labels" --columns 10 --seed 1 --out bench/gan/cgan_classes.png >/dev/null
echo "wrote bench/gan/cgan_classes.png"
