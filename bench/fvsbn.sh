#!/usr/bin/env bash
# fvsbn against its PyTorch reference, side by side in one run: 20 epochs of Adam (lr 1e-3,
# batch 100) on binarised Fashion-MNIST, 2 threads each; test NLL, training images/s,
# log_prob and sampling throughput, peak memory.
# Usage: bench/fvsbn.sh [BUILD_DIR] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${2:-20}
source bench/lib.sh
gm_setup "${1:-build}"
gm_machine

/usr/bin/time -v /usr/bin/python3 bench/torch/fvsbn.py --epochs "$EPOCHS" --threads 2 >"$T/torch.jsonl" 2>"$T/torch.time"
/usr/bin/time -v "$G" fit fvsbn --data fashion-mnist:train --binarize 0.5 --epochs "$EPOCHS" --batch-size 100 \
  --threads 2 --out "$T/f.safetensors" >"$T/fit.txt" 2>"$T/gm.time"
"$G" log-prob "$T/f.safetensors" --data fashion-mnist:test --binarize 0.5 --threads 2 --json >"$T/lp.json"
"$G" sample "$T/f.safetensors" --n 1000 --threads 2 --out "$T/s.npy" >"$T/sample.txt"

/usr/bin/python3 - "$T" "$EPOCHS" <<'PY'
import json, re, sys
T, epochs = sys.argv[1], int(sys.argv[2])
sample_s = float(re.search(r"sampling took ([0-9.]+) s", open(f"{T}/sample.txt").read()).group(1))
rows = [json.loads(l) for l in open(f"{T}/torch.jsonl")]
ep = [r for r in rows if "epoch" in r]
final = [r for r in rows if r.get("final")][0]
torch_rate = sum(60000 for _ in ep) / sum(r["train_seconds"] for r in ep)
fit = open(f"{T}/fit.txt").read()
fit_s = float(re.search(r"in ([0-9.]+) s", fit).group(1))
gm_rate = 60000 * epochs / fit_s
lp = json.loads(open(f"{T}/lp.json").read().splitlines()[-1])
def rss(path):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read()).group(1)) / 1024
print(f"| | PyTorch 1.13 + OpenBLAS | genmodels | ratio |")
print(f"|---|---|---|---|")
print(f"| test NLL after {epochs} epochs (nats) | {final['test_nll']:.2f} | {lp['nll_nats']:.2f} | |")
print(f"| training images/s | {torch_rate:.0f} | {gm_rate:.0f} | {gm_rate / torch_rate:.2f}x |")
print(f"| log_prob images/s (10 000 test) | {final['log_prob_per_s']:.0f} | {10000 / lp['seconds']:.0f} | {10000 / lp['seconds'] / final['log_prob_per_s']:.2f}x |")
print(f"| samples/s (batch of 1 000) | {final['samples_per_s']:.0f} | {1000 / sample_s:.0f} | {1000 / sample_s / final['samples_per_s']:.2f}x |")
print(f"| peak RSS of training (MiB) | {rss(f'{T}/torch.time'):.0f} | {rss(f'{T}/gm.time'):.0f} | |")
print()
print("PyTorch per-epoch test NLL:", ", ".join(f"{r['test_nll']:.2f}" for r in ep))
PY
