#!/usr/bin/env bash
# vae 784-400(ReLU)-20 with a Bernoulli decoder against its PyTorch reference
# (bench/torch/vae.py), side by side in one run: EPOCHS epochs of Adam (lr 1e-3, batch 100)
# on binarised Fashion-MNIST, 2 threads each. Prints the test ELBO (k = 1), the IWAE bound
# with k = 500 on the first 2 000 test images, training images/s and the peak resident
# memory of each training process (/usr/bin/time -v).
#
# Usage: bench/vae/run.sh [BUILD_DIR] [EPOCHS] [SEED]     (defaults: build 20 0)
#   GENMODELS=path/to/genmodels overrides BUILD_DIR/tools/genmodels/genmodels;
#   KEEP=dir keeps every log and the model file there.
# On a machine where other processes compete for the cores, run it with
# OMP_WAIT_POLICY=passive (both sides use libgomp): spinning OpenMP workers then cost both
# programs 30x (measured: PyTorch 368 images/s, genmodels ~700, against 13 500 and 20 500).
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${2:-20}
SEED=${3:-0}
source bench/lib.sh
gm_setup "${1:-build}"

gm_machine

/usr/bin/time -v /usr/bin/python3 bench/torch/vae.py --epochs "$EPOCHS" --threads 2 >"$T/torch.jsonl" 2>"$T/torch.time"
/usr/bin/time -v "$G" fit vae --data fashion-mnist:train --binarize 0.5 --epochs "$EPOCHS" --batch-size 100 \
  --threads 2 --seed "$SEED" --out "$T/v.safetensors" >"$T/fit.txt" 2>"$T/gm.time"
"$G" log-prob "$T/v.safetensors" --data fashion-mnist:test --binarize 0.5 --samples 1 --threads 2 --json \
  >"$T/elbo.json"
start=$(date +%s%N)
"$G" log-prob "$T/v.safetensors" --data fashion-mnist:test --binarize 0.5 --samples 500 --max-examples 2000 \
  --threads 2 --json >"$T/iwae.json"
iwae_ms=$(( ($(date +%s%N) - start) / 1000000 ))

/usr/bin/python3 - "$T" "$EPOCHS" "$iwae_ms" <<'PY'
import json, re, sys
T, epochs, iwae_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(l) for l in open(f"{T}/torch.jsonl")]
info = rows[0]
ep = [r for r in rows if "epoch" in r]
final = [r for r in rows if r.get("final")][0]
torch_rate = 60000 * len(ep) / sum(r["train_seconds"] for r in ep)
fit = open(f"{T}/fit.txt").read()
fit_s = float(re.search(r"in ([0-9.]+) s", fit).group(1))
gm_rate = 60000 * epochs / fit_s
elbo = json.loads(open(f"{T}/elbo.json").read().splitlines()[-1])
iwae = json.loads(open(f"{T}/iwae.json").read().splitlines()[-1])
iwae_key = [k for k in final if k.startswith("iwae_k")][0]
def rss(path):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read()).group(1)) / 1024
blas = re.search(r"BLAS_INFO=([^,]*)", " ".join(info["blas"]))
print(f"PyTorch {info['torch']} (BLAS_INFO={blas.group(1) if blas else '?'}), threads {info['threads']}")
print()
print("| vae 784-400-20, Bernoulli | PyTorch + OpenBLAS | genmodels | ratio |")
print("|---|---|---|---|")
print(f"| test NLL, ELBO (k = 1), nats | {final['test_nll_elbo']:.2f} | {elbo['nll_nats']:.2f} ± {elbo['nll_stderr']:.2f} | |")
print(f"| NLL bound k = 500, first 2 000 test images | {final[iwae_key]:.2f} | {iwae['nll_nats']:.2f} ± {iwae['nll_stderr']:.2f} | |")
print(f"| training images/s ({epochs} epochs) | {torch_rate:.0f} | {gm_rate:.0f} | {gm_rate / torch_rate:.2f}x |")
print(f"| peak RSS of the training process, MiB | {rss(f'{T}/torch.time'):.0f} | {rss(f'{T}/gm.time'):.0f} | {rss(f'{T}/gm.time') / rss(f'{T}/torch.time'):.2f}x |")
print(f"| k = 500 bound on 2 000 images, s | {final['iwae_seconds']:.1f} | {iwae['seconds']:.1f} (command {iwae_ms / 1000:.1f}) | |")
print()
print("PyTorch per-epoch test NLL (ELBO):", ", ".join(f"{r['test_nll_elbo']:.2f}" for r in ep))
print("PyTorch per-epoch images/s:", ", ".join(f"{r['images_per_s']:.0f}" for r in ep))
PY
