#!/usr/bin/env bash
# Throughput against the PyTorch reference, interleaved: ROUNDS rounds of EPOCHS epochs of each
# (all 60 000 training images, batch 100, 2 threads), so that both sides see the same
# machine load; prints every round and the median ratios. The quality comparisons are
# bench/fvsbn.sh and bench/vae/run.sh (20 epochs, run one after the other).
#   KIND vae:   training images/s (bench/torch/vae.py, 784-400-20)
#   KIND fvsbn: training images/s, log_prob images/s (10 000 test images) and samples/s
#               (1 000 samples), the latter two after each round's epoch
# Usage: bench/speed.sh vae|fvsbn [BUILD_DIR] [ROUNDS] [EPOCHS]     (defaults: build 3 1)
# With EPOCHS > 1 each round trains that many epochs on each side (PyTorch's rate: the mean
# over its epochs; its first epoch is its fastest, 19 k against 16 k images/s for the vae).
# The OpenMP wait policy of each side: TORCH_WAIT=passive|active and GM_WAIT=... (default:
# OMP_WAIT_POLICY as given, else libgomp's default). Why it matters: bench/RESULTS.md, fvsbn.
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=$1
ROUNDS=${3:-3}
EPOCHS=${4:-1}
source bench/lib.sh
gm_setup "${2:-build}"
TORCH_WAIT=${TORCH_WAIT:-${OMP_WAIT_POLICY:-}}
GM_WAIT=${GM_WAIT:-${OMP_WAIT_POLICY:-}}
unset OMP_WAIT_POLICY
gm_machine "PyTorch ${TORCH_WAIT:-default}, genmodels ${GM_WAIT:-default}"

case $KIND in
  vae) torch_cmd=(bench/torch/vae.py --epochs "$EPOCHS" --threads 2 --iwae-n 0) ;;
  fvsbn) torch_cmd=(bench/torch/fvsbn.py --epochs "$EPOCHS" --threads 2) ;;
  *) echo "bench/speed.sh: KIND must be vae or fvsbn" >&2; exit 2 ;;
esac

for r in $(seq 1 "$ROUNDS"); do
  env ${TORCH_WAIT:+OMP_WAIT_POLICY=$TORCH_WAIT} /usr/bin/python3 "${torch_cmd[@]}" >"$T/torch.jsonl" 2>/dev/null
  [[ -n $GM_WAIT ]] && export OMP_WAIT_POLICY=$GM_WAIT
  "$G" fit "$KIND" --data fashion-mnist:train --binarize 0.5 --epochs "$EPOCHS" --batch-size 100 --threads 2 \
    --out "$T/m.safetensors" >"$T/fit.txt"
  if [[ $KIND == fvsbn ]]; then
    "$G" log-prob "$T/m.safetensors" --data fashion-mnist:test --binarize 0.5 --threads 2 --json >"$T/lp.json"
    "$G" sample "$T/m.safetensors" --n 1000 --threads 2 --out "$T/s.npy" >"$T/sample.txt"
  fi
  unset OMP_WAIT_POLICY
  /usr/bin/python3 - "$T" "$r" "$KIND" "$EPOCHS" >>"$T/rounds.jsonl" <<'PY'
import json, re, sys
T, r, kind, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rows = [json.loads(l) for l in open(f"{T}/torch.jsonl")]
ep = [x for x in rows if "epoch" in x]
torch_train = 60000 * len(ep) / sum(x["train_seconds"] for x in ep)
fit_s = float(re.search(r" in ([0-9.]+) s", open(f"{T}/fit.txt").read()).group(1))
out = {"round": r, "train": [torch_train, 60000 * epochs / fit_s]}
if kind == "fvsbn":
    final = [x for x in rows if x.get("final")][0]
    lp = json.loads(open(f"{T}/lp.json").read().splitlines()[-1])
    sample_s = float(re.search(r"sampling took ([0-9.]+) s", open(f"{T}/sample.txt").read()).group(1))
    out["log_prob"] = [final["log_prob_per_s"], 10000 / lp["seconds"]]
    out["sampling"] = [final["samples_per_s"], 1000 / sample_s]
print(json.dumps(out))
PY
done

/usr/bin/python3 - "$T/rounds.jsonl" <<'PY'
import json, statistics, sys
rounds = [json.loads(l) for l in open(sys.argv[1])]
print("| round | measure | PyTorch | genmodels | ratio |")
print("|---|---|---|---|---|")
for x in rounds:
    for key in ("train", "log_prob", "sampling"):
        if key in x:
            t, g = x[key]
            print(f"| {x['round']} | {key} /s | {t:.0f} | {g:.0f} | {g / t:.2f}x |")
for key in ("train", "log_prob", "sampling"):
    ratios = [x[key][1] / x[key][0] for x in rounds if key in x]
    if ratios:
        print(f"median {key} ratio: {statistics.median(ratios):.2f}x")
PY
