#!/usr/bin/env bash
# puzzlegan on Fashion-MNIST (issue 16): fit on the training images, then from K = 3 patches of
# 8×8 cut from each of the first NTEST test images (seeded positions; on the object, or anywhere
# with KEY=random) generate the whole image (`genmodels complete --patches 3`) and report
#   - the mean |generated − patch| inside the patches (the issue asks ≤ 0.10),
#   - how often the feature classifier (`genmodels eval --images --labels`) gives the generated
#     image the source image's class (the issue asks ≥ 70%), beside its accuracy on the source
#     images themselves;
# and write bench/puzzlegan/grid.png (per input: the patches on grey, generated, original).
# Usage: bench/puzzlegan/run.sh BUILD_DIR EPOCHS [CONFIG_JSON]
#   env: N (training rows, default all 60 000), NTEST (1000), BATCH (64), SEED (0), THREADS (2),
#        KEY (object | random: where the test patches are cut, default object),
#        MODEL=file (score this fitted model instead of fitting one; EPOCHS and CONFIG then only label the run),
#        KEEP=dir (keep the model and outputs), GENMODELS=path (the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh  # fail, step, gm_machine
ME=bench/puzzlegan/run.sh
[[ $# -ge 2 && $# -le 3 ]] || { echo "usage: $ME BUILD_DIR EPOCHS [CONFIG_JSON]   (env: N NTEST BATCH SEED THREADS KEY MODEL KEEP GENMODELS)" >&2; exit 2; }
BUILD=$1
EPOCHS=$2
CONFIG=${3:-'{}'}
N=${N:-0}
NTEST=${NTEST:-1000}
BATCH=${BATCH:-64}
SEED=${SEED:-0}
THREADS=${THREADS:-2}
KEY=${KEY:-object}
PY=/usr/bin/python3
G=${GENMODELS:-$BUILD/tools/genmodels/genmodels}
[[ -x $G ]] || fail "no genmodels binary at $G" "build it (meson compile -C $BUILD) or set GENMODELS=path"
grep -qx puzzlegan <<<"$("$G" kinds 2>/dev/null || true)" || fail "$G has no puzzlegan kind" "rebuild from a tree that has it"
T=${KEEP:-$(mktemp -d)}
mkdir -p "$T"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$T"' EXIT
MACHINE=$(gm_machine 2>/dev/null | head -1 || true)
MAX=()
[[ $N == 0 ]] || MAX=(--max-examples "$N")

step "the test labels ($NTEST) for the classifier"
$PY - "$T/labels.npy" "$NTEST" <<'PY' || fail "reading the Fashion-MNIST test labels failed" "install dataset-fashion-mnist (or set GM_FASHION_MNIST_DIR)"
import gzip, os, sys
import numpy as np
d = os.environ.get("GM_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
with gzip.open(f"{d}/t10k-labels-idx1-ubyte.gz", "rb") as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int32)
np.save(sys.argv[1], y[: int(sys.argv[2])])
PY
if [[ -n ${MODEL:-} ]]; then
  [[ -s $MODEL ]] || fail "MODEL=$MODEL is not a model file" "give the path of a fitted puzzlegan model"
  cp "$MODEL" "$T/model.safetensors"
  echo "fitted elsewhere: $MODEL" >"$T/fit.txt"
else
  step "fitting puzzlegan ($EPOCHS epochs, config $CONFIG, batch $BATCH)"
  /usr/bin/time -v -o "$T/fit.time" "$G" fit puzzlegan --data fashion-mnist:train "${MAX[@]}" --config "$CONFIG" \
    --epochs "$EPOCHS" --batch-size "$BATCH" --seed "$SEED" --threads "$THREADS" --out "$T/model.safetensors" \
    >"$T/fit.txt" 2>"$T/fit.log" || fail "fit puzzlegan failed" "read the log" "$T/fit.log"
fi
FIT_S=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$T/fit.txt" | head -1)
step "generating from 3 patches of the first $NTEST test images"
"$G" complete "$T/model.safetensors" --data fashion-mnist:test --max-examples "$NTEST" --patches 3 --patch-size 8 \
  --key-patches "$KEY" --seed 1 --threads "$THREADS" --out "$T/gen.npy" >"$T/complete.txt" 2>&1 ||
  fail "complete --patches failed" "read the log" "$T/complete.txt"
L1=$(sed -n 's/.*inside the patches: \([0-9.]*\).*/\1/p' "$T/complete.txt")
"$G" complete "$T/model.safetensors" --data fashion-mnist:test --max-examples 8 --patches 3 --patch-size 8 \
  --key-patches "$KEY" --seed 1 --threads "$THREADS" --out bench/puzzlegan/grid.png >/dev/null 2>&1 ||
  fail "writing the grid failed" "run the complete command by hand"
step "classifying the generated images and the originals"
"$G" eval --images "$T/gen.npy" --labels "$T/labels.npy" --n "$NTEST" --json --threads "$THREADS" >"$T/eval_gen.json" \
  2>"$T/eval_gen.log" || fail "eval of the generated images failed" "read the log" "$T/eval_gen.log"
$PY - "$T/orig.npy" "$NTEST" <<'PY' || fail "cutting the test images failed" "check NTEST (1..10000)"
import gzip, os, sys
import numpy as np
d = os.environ.get("GM_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
with gzip.open(f"{d}/t10k-images-idx3-ubyte.gz", "rb") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255.0
np.save(sys.argv[1], x[: int(sys.argv[2])])
PY
"$G" eval --images "$T/orig.npy" --labels "$T/labels.npy" --n "$NTEST" --json --threads "$THREADS" >"$T/eval_orig.json" \
  2>"$T/eval_orig.log" || fail "eval of the originals failed" "read the log" "$T/eval_orig.log"
acc() { $PY -c "
import json, sys
j = [json.loads(l) for l in open('$1') if l.strip().startswith('{')][-1]
print(next(j[k] for k in ('accuracy', 'classifier_accuracy', 'label_accuracy') if k in j))"; }
A_GEN=$(acc "$T/eval_gen.json")
A_ORIG=$(acc "$T/eval_orig.json")
echo "| L1 inside the patches | class agreement (generated) | classifier on the originals | fit |"
echo "|---|---|---|---|"
echo "| $L1 | $A_GEN | $A_ORIG | ${FIT_S:-?} s |"
echo "command: ${MODEL:+MODEL=$MODEL }N=$N NTEST=$NTEST BATCH=$BATCH SEED=$SEED THREADS=$THREADS KEY=$KEY $ME $BUILD $EPOCHS '$CONFIG'"
echo "grid: bench/puzzlegan/grid.png (per input: patches on grey, generated, original)"
echo "$MACHINE; date $(date -u +%Y-%m-%dT%H:%MZ)"
