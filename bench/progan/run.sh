#!/usr/bin/env bash
# progan against dcgan at equal wall-clock time on 28×28 grey Fashion-MNIST (issue 16).
# Both models train side by side (two processes at once, so the machine's load falls on both
# alike; SERIAL=1 runs them one after the other) for BUDGET seconds of wall clock each, in
# segments: a segment is one epoch over the next slice of the training set (progan PG_CHUNK
# rows, dcgan DC_CHUNK rows; the slices walk through all 60 000 training images in order and
# wrap), the first a fresh `fit`, the others `fit --resume CKPT --data npy:SLICE --epochs 1`
# (the optimiser, the trainer's state and progan's growth state carry over). Every segment
# writes a model; the wall clock counts the fit processes only. Afterwards every model is
# scored with `genmodels eval MODEL --json` (feature Fréchet distance, n = NEVAL samples against
# the test set) and the script prints FID against wall clock for both, and the comparison at
# equal time: at each time t, each model's last checkpoint taken by t. progan's samples at
# every stage of its last model go to bench/progan/stages_K.png, those of the last checkpoint
# that trained at stage K to grown_K.png, dcgan's last to dcgan_samples.png.
# Usage: bench/progan/run.sh BUILD_DIR [BUDGET_SECONDS] [PROGAN_CONFIG_JSON]
#   default budget 1500 s per model; default progan config '{"fade_images": 6000, "stable_images": 6000,
#   "gp_every": 4, "fmap_base": 64}' (docs/gan.md: the recipe for a wall-clock budget)
#   env: PG_CHUNK (5000), DC_CHUNK (10000), PG_BATCH (16: the paper's low-resolution batch; 64 did worse), DC_BATCH (128), DC_CONFIG ('{}'),
#        NEVAL (10000), SEED (0), THREADS (2 per process), SERIAL (0), PNG (bench/progan: where
#        stages_K.png go; '' = none), KEEP=dir (keep data, models and logs), GENMODELS=path (the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh  # fail, step, gm_machine
ME=bench/progan/run.sh
[[ $# -ge 1 && $# -le 3 ]] || {
  echo "usage: $ME BUILD_DIR [BUDGET_SECONDS] [PROGAN_CONFIG_JSON]   (env: PG_CHUNK DC_CHUNK PG_BATCH DC_BATCH DC_CONFIG NEVAL SEED THREADS SERIAL PNG KEEP GENMODELS)" >&2
  exit 2
}
BUILD=$1
BUDGET=${2:-1500}
PG_CONFIG=${3:-'{"fade_images": 6000, "stable_images": 6000, "gp_every": 4, "fmap_base": 64}'}
PG_CHUNK=${PG_CHUNK:-5000}
DC_CHUNK=${DC_CHUNK:-10000}
PG_BATCH=${PG_BATCH:-16}
DC_BATCH=${DC_BATCH:-128}
DC_CONFIG=${DC_CONFIG:-'{}'}
NEVAL=${NEVAL:-10000}
SEED=${SEED:-0}
THREADS=${THREADS:-2}
SERIAL=${SERIAL:-0}
PNG=${PNG-bench/progan}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
PY=/usr/bin/python3
G=${GENMODELS:-$BUILD/tools/genmodels/genmodels}
[[ -x $G ]] || fail "no genmodels binary at $G" "build it (meson compile -C $BUILD) or set GENMODELS=path"
kinds=$("$G" kinds 2>/dev/null || true)
for k in progan dcgan; do
  grep -qw "$k" <<<"$kinds" || fail "$G has no $k kind" "rebuild from a tree that has it"
done
[[ $BUDGET =~ ^[0-9]+$ && $BUDGET -ge 1 ]] || fail "BUDGET_SECONDS must be a positive integer, not '$BUDGET'" "e.g. 1500"
for c in PG_CHUNK DC_CHUNK; do
  [[ ${!c} =~ ^[0-9]+$ && ${!c} -ge 1 && $((60000 % ${!c})) -eq 0 ]] ||
    fail "$c=${!c} does not divide the 60 000 training images" "pick a divisor, e.g. 5000, 10000 or 20000"
done
T=${KEEP:-$(mktemp -d)}
mkdir -p "$T"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$T"' EXIT
MACHINE=$(gm_machine 2>/dev/null | head -1 || true)

step "slicing the Fashion-MNIST training set into $T/data (progan $PG_CHUNK, dcgan $DC_CHUNK rows a slice)"
mkdir -p "$T/data"
$PY - "$T/data" "$PG_CHUNK" "$DC_CHUNK" <<'PY' >"$T/slices.txt" 2>&1 || fail "slicing the training set failed" "check that dataset-fashion-mnist and python3-numpy are installed" "$T/slices.txt"
import sys
sys.path.insert(0, "bench/torch")
import numpy as np
from common import load_fashion_grey
out, chunks = sys.argv[1], sorted(set(int(c) for c in sys.argv[2:]))
x = load_fashion_grey("train")[0].reshape(-1, 1, 28, 28)
for c in chunks:
    for i in range(len(x) // c):
        np.save(f"{out}/c{c}_{i}.npy", x[i * c:(i + 1) * c])
PY

# train NAME KIND CHUNK BATCH CONFIG: segments until BUDGET seconds of fit wall clock have passed.
train() {
  local name=$1 kind=$2 chunk=$3 batch=$4 config=$5
  local dir=$T/$name ck=$T/$name/model.ckpt seg=0 spent=0 t0 t1 slices=$((60000 / chunk))
  mkdir -p "$dir"
  : >"$dir/segments.tsv"
  while awk -v s="$spent" -v b="$BUDGET" 'BEGIN { exit !(s < b) }'; do
    seg=$((seg + 1))
    local data="npy:$T/data/c${chunk}_$(((seg - 1) % slices)).npy" out
    out=$(printf '%s/seg_%03d.safetensors' "$dir" "$seg")
    t0=$(date +%s.%N)
    if [[ $seg -eq 1 ]]; then
      "$G" fit "$kind" --data "$data" --shape 1,28,28 --config "$config" --epochs 1 --batch-size "$batch" \
        --seed "$SEED" --threads "$THREADS" --checkpoint-every 1 --checkpoint "$ck" --out "$out" --json \
        >"$dir/fit_$seg.json" 2>"$dir/fit_$seg.log" || fail "fit $kind (segment 1) failed" "read the log" "$dir/fit_$seg.log"
    else
      "$G" fit --resume "$ck" --data "$data" --epochs 1 --threads "$THREADS" --checkpoint-every 1 --checkpoint "$ck" \
        --out "$out" --json >"$dir/fit_$seg.json" 2>"$dir/fit_$seg.log" ||
        fail "fit --resume $kind (segment $seg) failed" "read the log" "$dir/fit_$seg.log"
    fi
    t1=$(date +%s.%N)
    spent=$(awk -v s="$spent" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", s + b - a }')
    printf '%d\t%s\t%d\t%s\n' "$seg" "$spent" $((seg * chunk)) "$out" >>"$dir/segments.tsv"
    step "$name: segment $seg done, ${spent} s of $BUDGET"
  done
}

step "training progan ($PG_CONFIG, batch $PG_BATCH) and dcgan ($DC_CONFIG, batch $DC_BATCH) for $BUDGET s each$([[ $SERIAL == 1 ]] && echo ', one after the other' || echo ', side by side')"
START=$(date -u +%H:%M)
if [[ $SERIAL == 1 ]]; then
  train progan progan "$PG_CHUNK" "$PG_BATCH" "$PG_CONFIG"
  train dcgan dcgan "$DC_CHUNK" "$DC_BATCH" "$DC_CONFIG"
else
  train progan progan "$PG_CHUNK" "$PG_BATCH" "$PG_CONFIG" &
  p1=$!
  train dcgan dcgan "$DC_CHUNK" "$DC_BATCH" "$DC_CONFIG" &
  p2=$!
  wait "$p1" || fail "the progan run failed" "read the message above"
  wait "$p2" || fail "the dcgan run failed" "read the message above"
fi
END=$(date -u +%H:%M)

for name in progan dcgan; do
  while IFS=$'\t' read -r seg _ _ model; do
    step "scoring $name segment $seg"
    "$G" eval "$model" --n "$NEVAL" --seed "$SEED" --threads "$THREADS" --json >"$T/$name/eval_$seg.json" 2>"$T/$name/eval_$seg.log" ||
      fail "eval of $model failed" "read the log (the first eval trains the feature classifier)" "$T/$name/eval_$seg.log"
  done <"$T/$name/segments.tsv"
done

LAST=$(tail -n 1 "$T/progan/segments.tsv" | cut -f4)
if [[ -n $PNG ]]; then
  step "sampling progan's stages into $PNG/stages_K.png"
  mkdir -p "$PNG"
  rm -f "$PNG"/stages_*.png
  for k in 1 2 3; do
    "$G" sample "$LAST" --stage "$k" --n 32 --columns 8 --seed "$SEED" --threads "$THREADS" --out "$PNG/stages_$k.png" \
      >"$T/sample_$k.txt" 2>&1 || { echo "stage $k: $(tail -n 1 "$T/sample_$k.txt")" >&2; break; }
  done
  # grown_K.png: the last checkpoint that was still training at stage K, drawn at that stage
  # (what stage K looked like as it grew; the final model's lower stages drift once their
  # to_rgb layer is no longer trained, which stages_K.png shows).
  rm -f "$PNG"/grown_*.png
  $PY - "$T/progan/segments.tsv" "$PG_CONFIG" <<'PY' >"$T/grown.tsv" || fail "reading progan's checkpoints failed" "read the message above"
import json, struct, sys
cfg = json.loads(sys.argv[2])
fade, stable = cfg.get("fade_images", 60000), cfg.get("stable_images", 60000)
last = {}
for line in open(sys.argv[1]):
    model = line.rstrip("\n").split("\t")[3]
    with open(model, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
        a, b = h["progress.images"]["data_offsets"]
        f.seek(8 + n + a)
        images = struct.unpack("<q", f.read(b - a))[0]
    k = 0 if images < stable else min(2, 1 + (images - stable) // (fade + stable))
    last[k + 1] = model
for k in sorted(last):
    print(f"{k}\t{last[k]}")
PY
  while IFS=$'\t' read -r k model; do
    [[ $model != "$LAST" ]] || continue # the last model's own stage: stages_K.png already
    "$G" sample "$model" --stage "$k" --n 32 --columns 8 --seed "$SEED" --threads "$THREADS" --out "$PNG/grown_$k.png" \
      >/dev/null 2>&1 || fail "sampling $model at stage $k failed" "run the sample command by hand"
  done <"$T/grown.tsv"
  "$G" sample "$(tail -n 1 "$T/dcgan/segments.tsv" | cut -f4)" --n 32 --columns 8 --seed "$SEED" --threads "$THREADS" \
    --out "$PNG/dcgan_samples.png" >/dev/null 2>&1 || fail "sampling dcgan failed" "run the sample command by hand"
fi

$PY - "$T" "$PG_CONFIG" <<'PY'
import json, struct, sys
T, pg_config = sys.argv[1], sys.argv[2]


def progress(path):
    """progan's progress.images tensor (i64) straight from the safetensors file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        a, b = header["progress.images"]["data_offsets"]
        f.seek(8 + n + a)
        return struct.unpack("<q", f.read(b - a))[0]


def phase(images, stages, fade, stable):  # progan_schedule.hpp's phase_at
    if images < stable or stages <= 1:
        return 0, 1.0
    after, cycle = images - stable, fade + stable
    k = 1 + after // cycle
    if k >= stages:
        return stages - 1, 1.0
    into = after % cycle
    return k, (into / fade if into < fade else 1.0)


def runs(name):
    rows = []
    for line in open(f"{T}/{name}/segments.tsv"):
        seg, t, images, model = line.split("\t")
        e = json.loads(open(f"{T}/{name}/eval_{seg}.json").read().strip().splitlines()[-1])
        rows.append(dict(seg=int(seg), t=float(t), images=int(images), model=model.strip(), fid=e["frechet_distance"],
                         cov=e["coverage"]))
    return rows


pg, dc = runs("progan"), runs("dcgan")
cfg = json.loads(open(f"{T}/progan/fit_1.json").read().strip().splitlines()[-1])["config"]
sides = [7, 14, 28]
print("progan (effective config " + json.dumps(cfg, separators=(",", ":")) + "):\n")
print("| segment | wall clock (s) | images shown to D | stage (side), α | feature Fréchet distance | coverage |")
print("|---|---|---|---|---|---|")
for r in pg:
    n = progress(r["model"])
    k, a = phase(n, 3, cfg["fade_images"], cfg["stable_images"])
    print(f"| {r['seg']} | {r['t']:.0f} | {n} | {k + 1} ({sides[k]}×{sides[k]}), {a:.2f} | {r['fid']:.2f} | {r['cov']:.3f} |")
print("\ndcgan:\n")
print("| segment | wall clock (s) | images (epochs) | feature Fréchet distance | coverage |")
print("|---|---|---|---|---|")
for r in dc:
    print(f"| {r['seg']} | {r['t']:.0f} | {r['images']} ({r['images'] / 60000:.2f}) | {r['fid']:.2f} | {r['cov']:.3f} |")


def at(rows, t):
    done = [r for r in rows if r["t"] <= t + 1e-9]
    return done[-1] if done else None


print("\nat equal wall clock (each model's last checkpoint by time t; t = each progan checkpoint):\n")
print("| t (s) | progan FID | dcgan FID (its checkpoint's time) | progan no worse? |")
print("|---|---|---|---|")
for r in pg:
    d = at(dc, r["t"])
    if d is None:
        print(f"| {r['t']:.0f} | {r['fid']:.2f} | (no dcgan checkpoint yet) | |")
    else:
        print(f"| {r['t']:.0f} | {r['fid']:.2f} | {d['fid']:.2f} ({d['t']:.0f} s) | {'yes' if r['fid'] <= d['fid'] else 'no'} |")
t = min(pg[-1]["t"], dc[-1]["t"])
p, d = at(pg, t), at(dc, t)
if p and d:
    print(f"\nat t = {t:.0f} s (the shorter run's end): progan {p['fid']:.2f}, dcgan {d['fid']:.2f}: "
          f"progan {'no worse than' if p['fid'] <= d['fid'] else 'WORSE than'} dcgan")
else:
    print(f"\nat t = {t:.0f} s one model has no checkpoint yet: raise the budget")
best_p, best_d = min(r["fid"] for r in pg), min(r["fid"] for r in dc)
print(f"best within the budget: progan {best_p:.2f}, dcgan {best_d:.2f}")
PY
echo
echo "command: PG_CHUNK=$PG_CHUNK DC_CHUNK=$DC_CHUNK PG_BATCH=$PG_BATCH DC_BATCH=$DC_BATCH DC_CONFIG='$DC_CONFIG' NEVAL=$NEVAL SEED=$SEED THREADS=$THREADS SERIAL=$SERIAL OMP_WAIT_POLICY=$OMP_WAIT_POLICY $ME $BUILD $BUDGET '$PG_CONFIG'"
echo "training $START–$END UTC; $MACHINE"
