#!/usr/bin/env bash
# pixelcnn against its PyTorch reference (bench/torch/pixelcnn.py) on Fashion-MNIST, equal
# configuration, epochs, batch and training rows, one after the other in one run, 2 threads each
# (genmodels with OMP_WAIT_POLICY=passive): test NLL in nats per image and bits/dim, training
# images/s. bench/RESULTS.md, "PixelCNN".
#   bench/pixelcnn/quality.sh LEVELS F L EPOCHS [MAX_TRAIN] [MAX_TEST] [BATCH]
# LEVELS 256 (the bytes, --levels 256) or 2 (--binarize 0.5); MAX_TRAIN / MAX_TEST: the first N
# training / test images (0: all 60 000 / 10 000); BATCH 100 (genmodels' default).
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
gm_setup "${GM_PIXELCNN_BUILD_DIR:-build-p}" 2
if [[ $M == 2 ]]; then quant=(--binarize 0.5); else quant=(--levels "$M"); fi
limit_tr=()
limit_te=()
[[ $NTR == 0 ]] || limit_tr=(--max-examples "$NTR")
[[ $NTE == 0 ]] || limit_te=(--max-examples "$NTE")
gm_machine passive
echo "config: M = $M, channels $F, layers $L, epochs $E, batch $B, training images ${NTR/#0/all}, test images ${NTE/#0/all}"
OMP_WAIT_POLICY=passive /usr/bin/time -f '%e %M' -o "$T/time" "$G" fit pixelcnn \
  --config "{\"channels\": $F, \"layers\": $L}" --epochs "$E" --batch-size "$B" --threads 2 --seed 1 \
  --data fashion-mnist:train "${quant[@]}" "${limit_tr[@]}" --out "$T/m.safetensors" --json >"$T/fit.json"
read -r wall rss <"$T/time"
OMP_WAIT_POLICY=passive "$G" log-prob "$T/m.safetensors" --data fashion-mnist:test "${quant[@]}" "${limit_te[@]}" \
  --threads 2 --json | tail -n 1 >"$T/lp.json"
echo "genmodels: fit wall ${wall} s, peak RSS $((rss / 1024)) MiB; fit $(tail -n 1 "$T/fit.json"); log-prob $(cat "$T/lp.json")"
(cd bench/torch && /usr/bin/python3 pixelcnn.py --levels "$M" --channels "$F" --layers "$L" --epochs "$E" \
  --batch "$B" --threads 2 --max-train "$NTR" --max-test "$NTE" | grep -v '"blas"' >"$T/torch.jsonl")
echo "PyTorch: $(tail -n 1 "$T/torch.jsonl")"
gm_machine passive
/usr/bin/python3 - "$T" "$wall" "$M" <<'PY'
import json, math, sys
T, wall, M = sys.argv[1], float(sys.argv[2]), sys.argv[3]
fit = json.loads(open(f"{T}/fit.json").read().strip().splitlines()[-1])
lp = json.loads(open(f"{T}/lp.json").read())
t = [json.loads(l) for l in open(f"{T}/torch.jsonl") if '"epoch"' in l][-1]
n = t["train_images"] * t["epoch"]
print("| M | implementation | test NLL (nats) | bits/dim | training images/s |")
print("|---|---|---|---|---|")
print(f"| {M} | genmodels | {lp['nll_nats']:.2f} ± {lp['nll_stderr']:.2f} | {lp['bits_per_dim']:.4f} | {n / wall:.1f} (fit wall {wall:.0f} s) |")
print(f"| {M} | PyTorch | {t['test_nll']:.2f} ± {t['test_nll_stderr']:.2f} | {t['bits_per_dim']:.4f} | {t['images_per_s']:.1f} (training only) |")
PY
