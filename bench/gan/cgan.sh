#!/usr/bin/env bash
# cgan (class label) on grey Fashion-MNIST: fit, then `genmodels eval` draws 1 000 samples per
# class and reports the feature classifier's accuracy on them against the requested class, and
# the feature Frechet distance to the test set. Writes bench/gan/cgan_classes.png (row k =
# class k, ten samples each).
# Usage: bench/gan/cgan.sh [BUILD_DIR] [EPOCHS] [SEED] [CONFIG]   (defaults: build 5 0 {})
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${2:-5}
SEED=${3:-0}
CONFIG=${4:-"{}"}
source bench/lib.sh
gm_setup "${1:-build}"
gm_machine
echo "command: genmodels fit cgan --config '$CONFIG' --data fashion-mnist:train --epochs $EPOCHS --batch-size 128 --seed $SEED"
"$G" fit cgan --config "$CONFIG" --data fashion-mnist:train --epochs "$EPOCHS" --batch-size 128 --threads 2 \
  --seed "$SEED" --out "$T/c.safetensors" | head -1
"$G" eval "$T/c.safetensors" --threads 2 --json | tail -1 | tee "$T/eval.json"
labels=$(/usr/bin/python3 -c "print(','.join(str(k) for k in range(10) for _ in range(10)))")
"$G" sample "$T/c.safetensors" --n 100 --labels "$labels" --columns 10 --seed 1 --out bench/gan/cgan_classes.png >/dev/null
echo "wrote bench/gan/cgan_classes.png"
