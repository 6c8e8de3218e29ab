#!/usr/bin/env bash
# stargan on four domains with a hidden right answer (issue 15): four disjoint quarters of the
# Fashion-MNIST training images, quarter k passed through T_k (identity, inversion, rotation by
# 90°, horizontal flip; bench/cyclegan/domains.py), labels = k. Trained unpaired, the ideal map
# of a test image (domain 0) to domain k is T_k. Reports per domain: the mean absolute pixel
# error of translate(x, k) against T_k(x) on the first NTEST test images, the identity map's
# error, and the feature classifier's accuracy (`genmodels eval --images --labels`) on the
# translations against its accuracy on T_k(x) itself; writes bench/stargan/grid.png (row 0: the
# test images, row k: translated to domain k).
# Usage: bench/stargan/run.sh BUILD_DIR EPOCHS [CONFIG_JSON]
#   env: N (training rows in all, a quarter per domain; default all 60 000), NTEST (default 1000), BATCH (default 16),
#        SEED (0), KEEP=dir (keep data, model and outputs), GENMODELS=path (the binary),
#        GRID=path (default bench/stargan/grid.png, the one RESULTS.md shows: give another for a trial run;
#        a relative path is from the checkout's root)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh  # fail, step, gm_machine
ME=bench/stargan/run.sh
[[ $# -ge 2 && $# -le 3 ]] || { echo "usage: $ME BUILD_DIR EPOCHS [CONFIG_JSON]   (env: N NTEST BATCH SEED KEEP GENMODELS)" >&2; exit 2; }
BUILD=$1
EPOCHS=$2
CONFIG=${3:-'{}'}
N=${N:-0}
NTEST=${NTEST:-1000}
BATCH=${BATCH:-16}
SEED=${SEED:-0}
GRID=${GRID:-bench/stargan/grid.png}
PY=/usr/bin/python3
G=${GENMODELS:-$BUILD/tools/genmodels/genmodels}
[[ -x $G ]] || fail "no genmodels binary at $G" "build it (meson compile -C $BUILD) or set GENMODELS=path"
grep -qx stargan <<<"$("$G" kinds 2>/dev/null || true)" || fail "$G has no stargan kind" "rebuild from a tree that has it"
T=${KEEP:-$(mktemp -d)}
mkdir -p "$T"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$T"' EXIT
MACHINE=$(gm_machine 2>/dev/null | head -1 || true)

step "making the four domains in $T/data (bench/cyclegan/domains.py stargan)"
$PY bench/cyclegan/domains.py stargan --out "$T/data" --max-examples "$N" >"$T/domains.txt" 2>&1 ||
  fail "domains.py failed" "check that dataset-fashion-mnist and python3-numpy are installed" "$T/domains.txt"
D=$T/data
# The first NTEST test images, their classes and their four transforms.
$PY - "$D" "$NTEST" <<'PY' || fail "cutting the test set failed" "check NTEST (1..10000)"
import sys
import numpy as np
d, n = sys.argv[1], int(sys.argv[2])
for name in ["test", "test_classes"] + [f"test_T{k}" for k in range(4)]:
    np.save(f"{d}/{name}.npy", np.load(f"{d}/{name}.npy")[:n])
PY
step "fitting stargan ($EPOCHS epochs, config $CONFIG, batch $BATCH)"
/usr/bin/time -v -o "$T/fit.time" "$G" fit stargan --data "npy:$D/train.npy:$D/train_labels.npy" --shape 1,28,28 \
  --config "$CONFIG" --epochs "$EPOCHS" --batch-size "$BATCH" --seed "$SEED" --threads 2 --out "$T/model.safetensors" \
  >"$T/fit.txt" 2>"$T/fit.log" || fail "fit stargan failed" "read the log; a smaller config or batch may help" "$T/fit.log"
FIT_S=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$T/fit.txt" | head -1)
RSS=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$T/fit.time")
ROWS=$($PY -c "import numpy as np; print(np.load('$D/train.npy', mmap_mode='r').shape[0])")
for k in 0 1 2 3; do
  step "translating $NTEST test images to domain $k"
  "$G" translate "$T/model.safetensors" --data "npy:$D/test.npy" --shape 1,28,28 --to "$k" --threads 2 \
    --out "$T/to_$k.npy" >"$T/translate_$k.txt" 2>&1 || fail "translate --to $k failed" "read the log" "$T/translate_$k.txt"
  "$G" eval --images "$T/to_$k.npy" --labels "$D/test_classes.npy" --n "$NTEST" --json --threads 2 \
    >"$T/eval_to_$k.json" 2>"$T/eval_to_$k.log" || fail "eval of the translations failed" "read the log" "$T/eval_to_$k.log"
  "$G" eval --images "$D/test_T$k.npy" --labels "$D/test_classes.npy" --n "$NTEST" --json --threads 2 \
    >"$T/eval_T$k.json" 2>"$T/eval_T$k.log" || fail "eval of T(x) failed" "read the log" "$T/eval_T$k.log"
done
step "scoring"
$PY - "$T" "$D" "$NTEST" <<'PY' >"$T/table.md"
import json, sys
import numpy as np
T, D, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = json.load(open(f"{D}/domains.json"))["domains"]
x = np.load(f"{D}/test.npy")[:n]
def acc(path):
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            j = json.loads(line)
    for key in ("accuracy", "classifier_accuracy", "label_accuracy"):
        if key in j:
            return j[key]
    raise SystemExit(f"no accuracy in {path}: {j}")
print("| domain k | T_k | MAE translate(x, k) vs T_k(x) | identity map's MAE | classifier accuracy on translations | on T_k(x) | ratio |")
print("|---|---|---|---|---|---|---|")
for k, name in enumerate(names):
    y = np.load(f"{T}/to_{k}.npy").reshape(len(x), -1)[:n]
    t = np.load(f"{D}/test_T{k}.npy")[:n]
    a_tr, a_t = acc(f"{T}/eval_to_{k}.json"), acc(f"{T}/eval_T{k}.json")
    print(f"| {k} | {name} | {np.abs(y - t).mean():.4f} | {np.abs(x - t).mean():.4f} | {a_tr:.3f} | {a_t:.3f} | {a_tr / a_t:.2f} |")
PY
$PY bench/cyclegan/score.py grid --out "$GRID" --n 8 "$D/test.npy" "$T"/to_{0,1,2,3}.npy >/dev/null ||
  fail "writing the grid failed" "read the message above"

cat "$T/table.md"
echo
echo "fit: $EPOCHS epochs of $ROWS rows (4 domains), batch $BATCH, config $CONFIG: ${FIT_S:-?} s, peak RSS ${RSS:-?} MiB"
echo "command: N=$N NTEST=$NTEST BATCH=$BATCH SEED=$SEED $ME $BUILD $EPOCHS '$CONFIG'"
echo "$MACHINE; date $(date -u +%Y-%m-%dT%H:%MZ)"
