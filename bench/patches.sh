#!/usr/bin/env bash
# RGB at 256 levels: 8×8 colour patches of the two photographs Debian's python3-sklearn ships
# (patches:<folder>:8 gives 8480 patches of 3×8×8), a fixed random 1000 of them held out.
# Fits categorical (independent pixels) and pixelcnn on the other 7480, scores the 1000, and
# writes $KEEP/patches.png: 32 real held-out patches (top four rows) above 32 pixelcnn
# samples (bottom four). Prints a Markdown table.
# Usage: bench/patches.sh BUILD_DIR [PIXELCNN_CONFIG] [EPOCHS]
#   default: '{"channels": 64, "layers": 7}' for 10 epochs
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh
gm_setup "${1:-build}"
config=${2:-'{"channels": 64, "layers": 7}'}
epochs=${3:-10}
photos=/usr/lib/python3/dist-packages/sklearn/datasets/images
if [[ ! -e $photos/china.jpg ]]; then
  echo "bench/patches.sh: $photos/china.jpg is missing: install python3-sklearn (scripts/setup.sh does)" >&2
  exit 1
fi
export GENMODELS_LIBRARY=${GENMODELS_LIBRARY:-$(dirname "$(dirname "$(dirname "$G")")")/capi/libgenmodels.so}
/usr/bin/python3 - "$photos" "$T" <<'PY'
import sys
sys.path.insert(0, "bindings/python")
import numpy as np
import genmodels
photos, out = sys.argv[1], sys.argv[2]
x = np.array(genmodels.Dataset(f"patches:{photos}:8").images)  # (8480, 3, 8, 8) in [0, 1]
order = np.random.default_rng(0).permutation(len(x))
np.save(f"{out}/test.npy", x[order[:1000]])
np.save(f"{out}/train.npy", x[order[1000:]])
PY
gm_machine passive
echo
echo "| model | held-out NLL (nats/patch) | bits/dim | fit wall (s) |"
echo "|---|---|---|---|"
for row in "categorical|categorical|{}" "pixelcnn $config, $epochs epochs|pixelcnn|$config"; do
  IFS='|' read -r name kind cfg <<<"$row"
  start=$(date +%s.%N)
  OMP_WAIT_POLICY=passive "$G" fit "$kind" --config "$cfg" --epochs "$epochs" --data "npy:$T/train.npy" \
    --levels 256 --quiet --out "$T/$kind.safetensors" >/dev/null
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  json=$(OMP_WAIT_POLICY=passive "$G" log-prob "$T/$kind.safetensors" --data "npy:$T/test.npy" --levels 256 --json |
    tail -n 1)
  /usr/bin/python3 - "$name" "$json" "$wall" <<'PY'
import json, sys
name, j, wall = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
print(f"| {name} | {j['nll_nats']:.1f} ± {j['nll_stderr']:.1f} | {j['bits_per_dim']:.3f} | {wall:.0f} |")
PY
done
OMP_WAIT_POLICY=passive "$G" sample "$T/pixelcnn.safetensors" --n 32 --seed 1 --out "$T/samples.npy" >/dev/null
/usr/bin/python3 - "$T" <<'PY'
import sys
sys.path.insert(0, "bindings/python")
import numpy as np
import genmodels
t = sys.argv[1]
real = np.load(f"{t}/test.npy")[:32]
fake = np.load(f"{t}/samples.npy").reshape(-1, 3, 8, 8) / 255.0
both = np.concatenate([real, fake]).astype(np.float32)
both = both.repeat(4, axis=2).repeat(4, axis=3)  # 8x8 patches drawn 4x larger (nearest neighbour)
genmodels.write_png_grid(f"{t}/patches.png", both, columns=8)
PY
echo
echo "wrote $T/patches.png (top: 32 held-out patches; bottom: 32 pixelcnn samples)"
