#!/usr/bin/env bash
# pixelcnn against its PyTorch reference (bench/torch/pixelcnn.py) on Fashion-MNIST, equal
# configuration, epochs, batch, learning rate and training rows, one after the other in one run
# (genmodels with OMP_WAIT_POLICY=passive): test NLL in nats per image and bits/dim after every
# epoch, training images/s. bench/RESULTS.md, "PixelCNN".
#   bench/pixelcnn/quality.sh LEVELS F L EPOCHS [MAX_TRAIN] [MAX_TEST] [BATCH]
# LEVELS 256 (the bytes, --levels 256) or 2 (--binarize 0.5); MAX_TRAIN / MAX_TEST: the first N
# training / test images (0: all 60 000 / 10 000); BATCH 100 (genmodels' default).
# Environment: THREADS (2), LR (1e-3, both sides), SEED (genmodels 1, PyTorch 0: each side's
# initialisation and batch order), ONLY (genmodels | torch: run one side),
# KEEP=DIR keeps the models (DIR/epoch_N.safetensors, and epoch_N.ckpt.safetensors with Adam's state).
# genmodels trains one epoch per `fit` call, resuming the previous epoch's checkpoint (the
# optimiser state and the shuffling stream carry over), and scores each epoch's model.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../lib.sh
source bench/lib.sh
M=${1:?levels}
F=${2:?channels}
L=${3:?layers}
E=${4:?epochs}
NTR=${5:-0}
NTE=${6:-0}
B=${7:-100}
THREADS=${THREADS:-2}
LR=${LR:-1e-3}
SEED=${SEED:-}
gm_setup "${GM_PIXELCNN_BUILD_DIR:-build-p}" "$THREADS"
if [[ $M == 2 ]]; then quant=(--binarize 0.5); else quant=(--levels "$M"); fi
limit_tr=()
limit_te=()
[[ $NTR == 0 ]] || limit_tr=(--max-examples "$NTR")
[[ $NTE == 0 ]] || limit_te=(--max-examples "$NTE")
gm_machine passive
echo "config: M = $M, channels $F, layers $L, epochs $E, batch $B, lr $LR, threads $THREADS," \
  "training images ${NTR/#0/all}, test images ${NTE/#0/all}"
: >"$T/gm.jsonl"
if [[ ${ONLY:-genmodels} == genmodels ]]; then
  for ((e = 1; e <= E; e++)); do
    out="$T/epoch_$e.safetensors"
    if ((e == 1)); then
      start=(pixelcnn --config "{\"channels\": $F, \"layers\": $L}" --batch-size "$B" --lr "$LR" --seed "${SEED:-1}")
    else
      start=(--resume "$T/epoch_$((e - 1)).ckpt.safetensors")
    fi
    # The checkpoint (epoch_N.ckpt.safetensors) holds Adam's moments and the shuffling stream:
    # the next epoch resumes it (a plain model file would restart the optimiser).
    OMP_WAIT_POLICY=passive /usr/bin/time -f '%e %M' -o "$T/time" "$G" fit "${start[@]}" --epochs 1 \
      --checkpoint-every 1 --checkpoint "$T/epoch_$e.ckpt.safetensors" --threads "$THREADS" --data fashion-mnist:train "${quant[@]}" \
      "${limit_tr[@]}" --out "$out" --json >"$T/fit.json"
    read -r wall rss <"$T/time"
    OMP_WAIT_POLICY=passive "$G" log-prob "$out" --data fashion-mnist:test "${quant[@]}" "${limit_te[@]}" \
      --threads "$THREADS" --json | tail -n 1 >"$T/lp.json"
    /usr/bin/python3 - "$T" "$e" "$wall" "$rss" <<'PY' | tee -a "$T/gm.jsonl"
import json, sys
T, e, wall, rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
lp = json.loads(open(f"{T}/lp.json").read())
print(json.dumps({"impl": "genmodels", "epoch": e, "fit_wall_s": wall, "peak_rss_mib": rss // 1024,
                  "test_nll": lp["nll_nats"], "test_nll_stderr": lp["nll_stderr"], "bits_per_dim": lp["bits_per_dim"]}))
PY
  done
fi
: >"$T/torch.jsonl"
if [[ ${ONLY:-torch} == torch ]]; then
  (cd bench/torch && /usr/bin/python3 pixelcnn.py --levels "$M" --channels "$F" --layers "$L" --epochs "$E" \
    --batch "$B" --lr "$LR" --seed "${SEED:-0}" --threads "$THREADS" --max-train "$NTR" --max-test "$NTE" |
    grep -v '"blas"' |
    tee "$T/torch.jsonl")
fi
gm_machine passive
/usr/bin/python3 - "$T" "$M" "${NTR:-0}" <<'PY'
import json, sys
T, M, ntr = sys.argv[1], sys.argv[2], int(sys.argv[3]) or 60000
gm = [json.loads(l) for l in open(f"{T}/gm.jsonl") if l.strip()]
th = {r["epoch"]: r for r in (json.loads(l) for l in open(f"{T}/torch.jsonl") if '"epoch"' in l)}
print("| M | epoch | genmodels test NLL (nats) | bits/dim | PyTorch test NLL (nats) | bits/dim | training images/s genmodels / PyTorch |")
print("|---|---|---|---|---|---|---|")
for e in sorted(set(r["epoch"] for r in gm) | set(th)):
    g = next((r for r in gm if r["epoch"] == e), None)
    t = th.get(e)
    gs = f"{g['test_nll']:.2f} ± {g['test_nll_stderr']:.2f} | {g['bits_per_dim']:.4f}" if g else "— | —"
    ts = f"{t['test_nll']:.2f} ± {t['test_nll_stderr']:.2f} | {t['bits_per_dim']:.4f}" if t else "— | —"
    gr = f"{ntr / g['fit_wall_s']:.1f}" if g else "—"
    tr = f"{t['images_per_s']:.1f}" if t else "—"
    print(f"| {M} | {e} | {gs} | {ts} | {gr} / {tr} |")
PY
