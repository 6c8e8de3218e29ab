#!/usr/bin/env bash
# infogan on grey Fashion-MNIST without labels: fit with a 10-way categorical code (and 2
# continuous codes), encode the 10 000 test images (Q's category probabilities), and find the
# best one-to-one matching of codes to classes (Hungarian algorithm, scipy); prints the share
# of test images whose matched code is their class. Also writes bench/gan/infogan_codes.png:
# row k = category k, columns = 10 noise vectors (the same in every row).
# Usage: bench/gan/infogan.sh [BUILD_DIR] [EPOCHS] [SEED] [CONFIG]   (defaults: build 5 0 {})
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${2:-5}
SEED=${3:-0}
CONFIG=${4:-"{}"}
source bench/lib.sh
gm_setup "${1:-build}"
gm_machine
echo "command: genmodels fit infogan --config '$CONFIG' --data fashion-mnist:train --epochs $EPOCHS --batch-size 128 --seed $SEED"
"$G" fit infogan --config "$CONFIG" --data fashion-mnist:train --epochs "$EPOCHS" --batch-size 128 --threads 2 \
  --seed "$SEED" --out "$T/info.safetensors" | head -1
"$G" encode "$T/info.safetensors" --data fashion-mnist:test --out "$T/codes.npy" >/dev/null
/usr/bin/python3 - "$T" <<'PY'
import gzip, json, sys
import numpy as np
from scipy.optimize import linear_sum_assignment
T = sys.argv[1]
codes = np.load(f"{T}/codes.npy")
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", "rb") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
pred = codes[:, :10].argmax(1)
counts = np.zeros((10, 10), np.int64)
np.add.at(counts, (pred, labels), 1)
rows, cols = linear_sum_assignment(-counts)
acc = counts[rows, cols].sum() / len(labels)
print(f"codes used: {len(np.unique(pred))} of 10; matched accuracy on 10 000 test images: {acc:.4f}")
print("code -> class:", {int(r): int(c) for r, c in zip(rows, cols)})
json.dump({"matched_accuracy": float(acc), "mapping": {int(r): int(c) for r, c in zip(rows, cols)}},
          open(f"{T}/result.json", "w"))
PY
"$G" info "$T/info.safetensors" --json >"$T/info.json"
/usr/bin/python3 - "$T" <<'PY'
import json, sys
import numpy as np
T = sys.argv[1]
cfg = json.load(open(f"{T}/info.json"))["config"]
latent, cont, std = cfg["latent"], cfg["continuous"], cfg.get("noise_std", 1.0)
rng = np.random.default_rng(0)
z = (std * rng.standard_normal((10, latent))).astype(np.float32)
rows = []
for k in range(10):
    for j in range(10):
        code = np.zeros(10 + cont, np.float32)
        code[k] = 1.0
        rows.append(np.concatenate([z[j], code]))
np.save(f"{T}/grid_codes.npy", np.stack(rows))
PY
"$G" decode "$T/info.safetensors" --codes "$T/grid_codes.npy" --columns 10 --out "${GRID:-bench/gan/infogan_codes.png}" >/dev/null
echo "wrote ${GRID:-bench/gan/infogan_codes.png}"
