#!/usr/bin/env bash
# cyclegan training throughput against PyTorch, interleaved: ROUNDS rounds of one short epoch
# (N rows of each domain, so 2N rows; batch BATCH = BATCH/2 of each domain; 2 threads) of
# PyTorch (bench/torch/cyclegan.py) then of genmodels (`fit cyclegan`, same config and batch),
# so both sides see the same machine load; prints every round's images/s (rows of both domains
# per second of training, data loading excluded on both sides) and the median ratio. The data
# is the inversion task's (bench/cyclegan/domains.py); the task does not change the cost.
# The quality comparison is bench/cyclegan/run.sh.
# Usage: bench/cyclegan/speed.sh [BUILD_DIR] [N] [ROUNDS]     (defaults: build 256 3)
#   CONFIG='{"ngf":32,"ndf":64,"n_res":6}' (ngf, ndf, n_res for both sides), BATCH=16;
#   GENMODELS=path overrides BUILD_DIR/tools/genmodels/genmodels; KEEP=dir keeps the logs.
#   PyTorch does 15-20 rows/s here with the default config: a round of N = 256 takes ~30 s of it.
# On a machine where other processes compete for the cores, run it with OMP_WAIT_POLICY=passive
# (both sides use libgomp; PyTorch fell from 19 to 1.2 rows/s beside a compiler with spinning
# workers); the script warns when the load average before it starts suggests that.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh  # fail, step, gm_machine
ME=bench/cyclegan/speed.sh
N=${2:-256}
ROUNDS=${3:-3}
CONFIG=${CONFIG:-'{"ngf":32,"ndf":64,"n_res":6}'}
BATCH=${BATCH:-16}
PY=/usr/bin/python3
gm_setup "${1:-build}"

[[ $N =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ && $BATCH =~ ^[1-9][0-9]*$ && $((BATCH % 2)) == 0 ]] ||
  fail "N and ROUNDS must be positive integers and BATCH a positive even one (got N=$N ROUNDS=$ROUNDS BATCH=$BATCH)" \
    "usage: $ME [BUILD_DIR] [N] [ROUNDS], env CONFIG BATCH"
[[ -x $G ]] || fail "no genmodels binary at $G" "build it (meson compile -C ${1:-build}) or set GENMODELS=path"
grep -qx cyclegan <<<"$("$G" kinds 2>/dev/null || true)" || fail "$G has no cyclegan kind" "rebuild from a tree that has it"
read -r NGF NDF NRES < <($PY -c 'import json, sys; c = json.loads(sys.argv[1]); print(c.get("ngf", 32), c.get("ndf", 64), c.get("n_res", 6))' "$CONFIG" 2>/dev/null) ||
  fail "CONFIG is not a JSON object: $CONFIG" "give e.g. CONFIG='{\"ngf\":32,\"ndf\":64,\"n_res\":6}'"
[[ -n ${NRES:-} ]] || fail "CONFIG is not a JSON object: $CONFIG" "give e.g. CONFIG='{\"ngf\":32,\"ndf\":64,\"n_res\":6}'"
$PY bench/cyclegan/domains.py cyclegan --task inversion --out "$T/data" --max-examples "$N" --n-test 1 >"$T/domains.txt" 2>&1 ||
  fail "could not make the domains (bench/cyclegan/domains.py)" "run it by hand; it needs python3-numpy and dataset-fashion-mnist" "$T/domains.txt"

gm_machine
LOAD=$(cut -d' ' -f1 /proc/loadavg)
if [[ ${OMP_WAIT_POLICY:-} != passive ]] && $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" "$LOAD"; then
  echo "warning: load average $LOAD and OMP_WAIT_POLICY is not passive: consider OMP_WAIT_POLICY=passive $ME ..." >&2
fi
echo "cyclegan config $CONFIG, batch $BATCH ($((BATCH / 2)) + $((BATCH / 2))), $N + $N rows a round, 2 threads"
echo
echo "| round | PyTorch images/s | genmodels images/s | ratio |"
echo "|---|---|---|---|"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  $PY bench/torch/cyclegan.py --epochs 1 --max-examples "$N" --threads 2 --batch-size "$BATCH" --seed "$r" \
    --ngf "$NGF" --ndf "$NDF" --n-res "$NRES" >"$T/t$r.jsonl" 2>"$T/t$r.log" ||
    fail "round $r: bench/torch/cyclegan.py failed" "run it by hand with --max-examples 64; it needs python3-torch" "$T/t$r.log"
  t=$($PY -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if '\"epoch\"' in l][0]['images_per_s'])" "$T/t$r.jsonl")
  "$G" fit cyclegan --data "npy:$T/data/a.npy" --data-b "npy:$T/data/b.npy" --shape 1,28,28 --config "$CONFIG" \
    --epochs 1 --batch-size "$BATCH" --seed "$r" --threads 2 --json --out "$T/g.safetensors" >"$T/g$r.json" 2>"$T/g$r.log" ||
    fail "round $r: genmodels fit cyclegan failed" \
      "read the log: a rejected flag means the CLI differs from what this script assumes (fit cyclegan --data npy:A --data-b npy:B --shape 1,28,28 --config JSON --json)" "$T/g$r.log"
  s=$($PY -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')][-1]['seconds'])" "$T/g$r.json") ||
    fail "round $r: no JSON line with \"seconds\" from fit --json" "look at $T/g$r.json (KEEP=dir keeps it)"
  g=$($PY -c "print(2 * $N / $s)")
  ratio=$($PY -c "print(f'{$g / $t:.2f}')")
  ratios+=("$ratio")
  printf '| %d | %.1f | %.1f | %sx |\n' "$r" "$t" "$g" "$ratio"
done
echo "median ratio: $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")x"
