#!/usr/bin/env bash
# cyclegan on two Fashion-MNIST domains whose true translation is known: domain a = the first
# 30 000 training images, domain b = T(the other 30 000) for TASK's T (bench/cyclegan/domains.py:
# inversion 1-x, rotation 90 degrees counter-clockwise, flip). The model never sees pairs, so
# the score is how close G(test image) comes to T(test image): the mean absolute pixel error on
# [0,1], beside the do-nothing baseline mean |x - T(x)|, and the cycle error mean |F(G(x)) - x|.
#
# Steps: make the domains (domains.py), `genmodels fit cyclegan` on a.npy + b.npy (2 threads),
# `genmodels translate --to b` on the first NTEST test images, `translate --to a` on those
# translations (the cycle), score (score.py), the grid bench/cyclegan/TASK_grid.png (rows: test
# images, their translations, the cycle back; 8 each), then a markdown table row with the
# command, the date and the machine (gm_machine).
#
# Usage: bench/cyclegan/run.sh BUILD_DIR TASK EPOCHS [CONFIG_JSON]
#   TASK: inversion | rotation | flip;  CONFIG_JSON default '{"ngf":32,"ndf":64,"n_res":6}'
#   Environment:
#     N=rows          examples per domain (default 0 = all 30 000; one epoch of all of them is
#                     60 000 rows; PyTorch does 15-20 rows/s on 2 cores with the default
#                     config and batch, i.e. 50-65 min an epoch)
#     NTEST=rows      test images translated and scored (default 1000, at most 10 000)
#     BATCH=rows      batch size, half per domain (default 16);  SEED=s (default 0)
#     TORCH=1         also train the PyTorch reference (bench/torch/cyclegan.py) with the same
#                     data, config, batch, epochs and seed, and print its row too
#     KEEP=dir        keep the data, model, translations and logs there
#     GENMODELS=path  the binary (default BUILD_DIR/tools/genmodels/genmodels)
#     GRID_DIR=dir    where the grids go (default bench/cyclegan, the ones RESULTS.md shows:
#                     give another folder for a trial run)
#     OMP_WAIT_POLICY=passive on a machine where other processes compete for the cores: PyTorch
#                     (libgomp) measured 1.2 rows/s with the default policy against 19 passive
#                     beside a compiler; the script warns when the load average says so
set -euo pipefail
cd "$(dirname "$0")/../.."
ME=bench/cyclegan/run.sh
usage() {
  echo "usage: $ME BUILD_DIR inversion|rotation|flip EPOCHS [CONFIG_JSON]   (env: N NTEST BATCH SEED TORCH KEEP)" >&2
  exit 2
}
[[ $# -ge 3 && $# -le 4 ]] || usage
BUILD=$1
TASK=$2
EPOCHS=$3
CONFIG=${4:-'{"ngf":32,"ndf":64,"n_res":6}'}
N=${N:-0}
NTEST=${NTEST:-1000}
BATCH=${BATCH:-16}
SEED=${SEED:-0}
case $TASK in inversion | rotation | flip) ;; *) echo "$ME: unknown TASK '$TASK'" >&2; usage ;; esac
for v in EPOCHS N NTEST BATCH SEED; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$ME: $v must be a non-negative integer, got '${!v}'" >&2; usage; }
done
((EPOCHS >= 1 && NTEST >= 1 && NTEST <= 10000 && BATCH >= 2 && BATCH % 2 == 0)) ||
  { echo "$ME: need EPOCHS >= 1, 1 <= NTEST <= 10000 and an even BATCH >= 2" >&2; usage; }
CMDLINE="$ME $1 $2 $3"
[[ $# -lt 4 ]] || CMDLINE+=" '$4'"
[[ $N == 0 ]] || CMDLINE="N=$N $CMDLINE"
[[ $NTEST == 1000 ]] || CMDLINE="NTEST=$NTEST $CMDLINE"
[[ $BATCH == 16 ]] || CMDLINE="BATCH=$BATCH $CMDLINE"
[[ $SEED == 0 ]] || CMDLINE="SEED=$SEED $CMDLINE"
PY=/usr/bin/python3
source bench/lib.sh
OUT=${GRID_DIR:-bench/cyclegan}
mkdir -p "$OUT" || fail "cannot create GRID_DIR $OUT" "give a writable folder"
gm_setup "$BUILD"

# Every failure names the step, the command and what to do; LOG's tail is shown when set.
STEP="starting" HINT="" LOG=""
step() {
  STEP=$1 HINT=$2 LOG=${3:-}
  echo "[$(date -u +%H:%M:%S)] $STEP" >&2
}
on_error() {
  local rc=$1 line=$2 cmd=$3
  echo "$ME: FAILED while $STEP (exit $rc, line $line): $cmd" >&2
  if [[ -n $LOG && -s $LOG ]]; then
    echo "---- last lines of $LOG ----" >&2
    tail -n 15 "$LOG" >&2
    echo "----" >&2
  fi
  echo "what to do: $HINT" >&2
  [[ -n ${KEEP:-} ]] || echo "(rerun with KEEP=dir to keep the data and logs for a look)" >&2
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR
die() {
  echo "$ME: $1" >&2
  echo "what to do: $2" >&2
  exit 1
}

step "checking the tools" "see the message above"
[[ -x $G ]] || die "no genmodels binary at $G" \
  "build it (meson setup $BUILD --buildtype=release && meson compile -C $BUILD) or set GENMODELS=path/to/genmodels"
grep -qx cyclegan <<<"$("$G" kinds 2>/dev/null || true)" ||
  die "$G has no cyclegan kind (\`$G kinds\` does not list it)" "rebuild $BUILD from a tree that has the cyclegan kind"
$PY -c 'import numpy' 2>/dev/null || die "$PY cannot import numpy" "apt-get install python3-numpy"
FASHION=${GM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
[[ -r $FASHION/train-images-idx3-ubyte.gz && -r $FASHION/t10k-images-idx3-ubyte.gz ]] ||
  die "no Fashion-MNIST in $FASHION" "apt-get install dataset-fashion-mnist, or set GM_FASHION_MNIST_DIR to a folder with the IDX .gz files"
$PY -c 'import json, sys; c = json.loads(sys.argv[1]); assert isinstance(c, dict)' "$CONFIG" 2>/dev/null ||
  die "CONFIG_JSON is not a JSON object: $CONFIG" "give e.g. '{\"ngf\":32,\"ndf\":64,\"n_res\":6}' (quoted for the shell)"

MACHINE=$(gm_machine)
echo "$MACHINE"
LOAD=$(cut -d' ' -f1 /proc/loadavg)
if [[ ${OMP_WAIT_POLICY:-} != passive ]] && $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" "$LOAD"; then
  echo "warning: load average $LOAD before starting and OMP_WAIT_POLICY is not passive: spinning OpenMP workers" \
    "collapse under contention; consider OMP_WAIT_POLICY=passive $ME ..." >&2
fi
D=$T/data

step "making the $TASK domains in $D (bench/cyclegan/domains.py)" \
  "check that $PY runs bench/cyclegan/domains.py cyclegan --task $TASK --out DIR by hand, and that $T has space (~70 MB)" \
  "$T/domains.txt"
$PY bench/cyclegan/domains.py cyclegan --task "$TASK" --out "$D" --max-examples "$N" --n-test "$NTEST" >"$T/domains.txt" 2>&1
NA=$($PY -c 'import numpy as np, sys; print(np.load(sys.argv[1], mmap_mode="r").shape[0])' "$D/a.npy")

step "fitting cyclegan ($EPOCHS epochs of $NA + $NA rows, config $CONFIG, batch $BATCH)" \
  "read the log above: a rejected flag or config key means the cyclegan CLI differs from what this script assumes (fit cyclegan --data npy:A --data-b npy:B --shape 1,28,28 --config JSON); a crash or non-finite loss is a genmodels bug: rerun with KEEP=dir and a small N to reproduce it" \
  "$T/fit.log"
/usr/bin/time -v -o "$T/fit.time" "$G" fit cyclegan --data "npy:$D/a.npy" --data-b "npy:$D/b.npy" --shape 1,28,28 --config "$CONFIG" \
  --epochs "$EPOCHS" --batch-size "$BATCH" --seed "$SEED" --threads 2 --out "$T/model.safetensors" \
  >"$T/fit.txt" 2>"$T/fit.log"
cat "$T/fit.txt" >>"$T/fit.log"

step "translating $NTEST test images a -> b" \
  "check \`$G translate --help\` and \`$G info $T/model.safetensors\` (the domains must be named a and b); rerun with KEEP=dir" \
  "$T/translate_b.txt"
"$G" translate "$T/model.safetensors" --data "npy:$D/test_a.npy" --shape 1,28,28 --to b --threads 2 \
  --out "$T/translated.npy" >"$T/translate_b.txt" 2>&1

step "translating the translations back b -> a (the cycle)" \
  "as for a -> b; translate must read the (N,1,28,28) .npy it wrote itself" "$T/translate_a.txt"
"$G" translate "$T/model.safetensors" --data "npy:$T/translated.npy" --shape 1,28,28 --to a --threads 2 \
  --out "$T/cycled.npy" >"$T/translate_a.txt" 2>&1

step "scoring (bench/cyclegan/score.py)" \
  "the translations must be float32 (N, 784) or (N, 1, 28, 28) and finite; a non-finite translation is a genmodels bug" \
  "$T/score.txt"
{
  $PY bench/cyclegan/score.py "$T/translated.npy" "$D/test_target.npy" "$D/test_a.npy" --label translation
  $PY bench/cyclegan/score.py "$T/cycled.npy" "$D/test_a.npy" --label cycle
} >"$T/score.txt" 2>&1

step "writing $OUT/${TASK}_grid.png" "check that $OUT is writable" "$T/grid.txt"
$PY bench/cyclegan/score.py grid --out "$OUT/${TASK}_grid.png" "$D/test_a.npy" "$T/translated.npy" "$T/cycled.npy" \
  --n 8 >"$T/grid.txt" 2>&1

if [[ ${TORCH:-0} == 1 ]]; then
  step "training the PyTorch reference (bench/torch/cyclegan.py, same data, config, batch, epochs, seed)" \
    "run bench/torch/cyclegan.py --max-examples 64 --epochs 1 by hand; it needs python3-torch" "$T/torch.log"
  read -r NGF NDF NRES < <($PY -c 'import json, sys; c = json.loads(sys.argv[1]); print(c.get("ngf", 32), c.get("ndf", 64), c.get("n_res", 6))' "$CONFIG")
  /usr/bin/time -v -o "$T/torch.time" $PY bench/torch/cyclegan.py --task "$TASK" --epochs "$EPOCHS" --batch-size "$BATCH" --seed "$SEED" \
    --threads 2 --ngf "$NGF" --ndf "$NDF" --n-res "$NRES" --max-examples "$N" --n-test "$NTEST" \
    --out-translations "$T/torch_translated.npy" --out-cycled "$T/torch_cycled.npy" >"$T/torch.jsonl" 2>"$T/torch.log"
  {
    $PY bench/cyclegan/score.py "$T/torch_translated.npy" "$D/test_target.npy" "$D/test_a.npy" --label torch_translation
    $PY bench/cyclegan/score.py "$T/torch_cycled.npy" "$D/test_a.npy" --label torch_cycle
  } >>"$T/score.txt" 2>&1
  $PY bench/cyclegan/score.py grid --out "$OUT/${TASK}_torch_grid.png" "$D/test_a.npy" "$T/torch_translated.npy" \
    "$T/torch_cycled.npy" --n 8 >>"$T/grid.txt" 2>&1
fi

step "printing the table" "look at $T/fit.txt and $T/score.txt (KEEP=dir keeps them)" "$T/score.txt"
$PY - "$T" "$TASK" "$EPOCHS" "$CONFIG" "$BATCH" "$NA" "$NTEST" "$CMDLINE" "$MACHINE" "$OUT/${TASK}_grid.png" <<'PY'
import json, re, sys
T, task, epochs, config, batch, na, ntest, cmdline, machine, grid = sys.argv[1:]
epochs, na = int(epochs), int(na)
scores = {}
for line in open(f"{T}/score.txt"):
    if line.startswith("{"):
        r = json.loads(line)
        scores[r["label"]] = r
fit = open(f"{T}/fit.txt").read()
m = re.search(r"fitted \S+ on (\d+) examples of \d+ values in ([0-9.]+) s", fit)
if not m:
    sys.exit(f"run.sh: no 'fitted ... on N examples ... in X s' line in {T}/fit.txt:\n{fit}")
rows, seconds = int(m.group(1)), float(m.group(2))
if rows != 2 * na:
    print(f"note: genmodels fitted on {rows} rows; the two domains hold {2 * na}", file=sys.stderr)
def rss(path):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
    return int(m.group(1)) / 1024 if m else float("nan")
date = re.search(r"date (\S+);", machine)
date = date.group(1) if date else "?"
print()
print("| task | implementation | config | epochs x rows per domain | batch | translation MAE (test, n) | "
      "identity MAE | translation / identity | cycle MAE | training images/s | peak RSS MiB | command | date | machine |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
def row(impl, tr, cy, rate, peak):
    print(f"| {task} | {impl} | `{config}` | {epochs} x {na} | {batch} | {tr['mae']:.4f} ({tr['n']}) | "
          f"{tr['identity_mae']:.4f} | {tr['mae_over_identity']:.3f} | {cy['mae']:.4f} | {rate:.1f} | {peak:.0f} | "
          f"`{cmdline}` | {date} | {machine} |")
row("genmodels", scores["translation"], scores["cycle"], rows * epochs / seconds, rss(f"{T}/fit.time"))
if "torch_translation" in scores:
    recs = [json.loads(l) for l in open(f"{T}/torch.jsonl") if l.startswith("{")]
    ep = [r for r in recs if "epoch" in r]
    final = [r for r in recs if r.get("final")][0]
    rate = 2 * recs[0]["n_per_domain"] * len(ep) / sum(r["train_seconds"] for r in ep)
    row("PyTorch (bench/torch/cyclegan.py)", scores["torch_translation"], scores["torch_cycle"], rate,
        final["train_peak_rss_mib"])
print()
print(f"grid: {grid} (rows: test images, translations to b, cycled back to a)")
print("genmodels fit:", " ".join(fit.strip().splitlines()[:1]))
PY
