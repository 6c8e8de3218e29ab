#!/usr/bin/env bash
# dcgan against its PyTorch reference (bench/torch/dcgan.py, the PyTorch DCGAN example's step
# scaled to 28x28: G latent 100 -> 2ngf x 7x7 -> ngf x 14x14 -> 1 x 28x28, D mirrored, ngf = ndf
# = 64, Adam 2e-4 / (0.5, 0.999), batch 128), side by side in one run on grey-level
# Fashion-MNIST (60 000 training images), 2 threads each. Prints the Frechet distance of
# 10 000 samples of each (`genmodels eval --images`), training images/s and the peak resident
# memory of each training process (/usr/bin/time -v); writes 8x8 grids of the first 64
# samples of each to bench/dcgan/torch_samples.png and bench/dcgan/genmodels_samples.png.
#
# Usage: bench/dcgan/run.sh [BUILD_DIR] [EPOCHS] [SEED]     (defaults: build 25 0; 25 epochs
#   is the DCGAN example's default; PyTorch takes ~3 min an epoch on 2 cores)
#   GENMODELS=path/to/genmodels overrides BUILD_DIR/tools/genmodels/genmodels;
#   KEEP=dir keeps every log, both sample sets and the model file there.
# On a machine where other processes compete for the cores, run it with
# OMP_WAIT_POLICY=passive (both sides use libgomp; spinning workers collapse under contention).
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${2:-25}
SEED=${3:-0}
OUT=bench/dcgan
source bench/lib.sh
gm_setup "${1:-build}"

gm_machine

# The real test images as a floor for the distance; scoring them first also trains the
# feature classifier into eval's cache if it is not there, before anything is timed.
/usr/bin/python3 - "$T/real.npy" <<'PY'
import sys
sys.path.insert(0, "bench/torch")
import numpy as np
from common import load_fashion_grey
np.save(sys.argv[1], load_fashion_grey("test")[0])
PY
"$G" eval --images "$T/real.npy" --json >"$T/eval_real.json"

/usr/bin/time -v /usr/bin/python3 bench/torch/dcgan.py --epochs "$EPOCHS" --threads 2 --batch-size 128 \
  --seed "$SEED" --ngf 64 --ndf 64 --latent 100 --samples 10000 --out-samples "$T/torch.npy" \
  >"$T/torch.jsonl" 2>"$T/torch.time"
/usr/bin/time -v "$G" fit dcgan --data fashion-mnist:train --epochs "$EPOCHS" --batch-size 128 \
  --threads 2 --seed "$SEED" --out "$T/g.safetensors" >"$T/fit.txt" 2>"$T/gm.time"
"$G" sample "$T/g.safetensors" --n 10000 --seed "$SEED" --threads 2 --out "$T/gm.npy" >"$T/sample.txt"
"$G" sample "$T/g.safetensors" --n 64 --seed 0 --threads 2 --out "$OUT/genmodels_samples.png" >/dev/null
"$G" eval --images "$T/torch.npy" --json >"$T/eval_torch.json"
"$G" eval --images "$T/gm.npy" --json >"$T/eval_gm.json"

/usr/bin/python3 - "$T" "$EPOCHS" "$OUT" <<'PY'
import json, re, struct, sys, zlib
import numpy as np
T, epochs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def png_grid(path, x, cols=8, h=28, w=28):
    """Grey PNG grid like genmodels' write_png_grid: [0,1] clamped, 1-pixel black border."""
    x = np.clip(np.nan_to_num(x[: cols * cols], nan=0.0), 0.0, 1.0)
    rows = -(-len(x) // cols)
    img = np.zeros((rows * (h + 1) + 1, cols * (w + 1) + 1), np.uint8)
    for i, im in enumerate(x):
        r, c = divmod(i, cols)
        img[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = \
            (im.reshape(h, w) * 255.0 + 0.5).astype(np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in img)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", img.shape[1], img.shape[0], 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


png_grid(f"{out}/torch_samples.png", np.load(f"{T}/torch.npy"))
rows = [json.loads(l) for l in open(f"{T}/torch.jsonl")]
info = rows[0]
ep = [r for r in rows if "epoch" in r]
final = [r for r in rows if r.get("final")][0]
torch_rate = info["n_train"] * len(ep) / sum(r["train_seconds"] for r in ep)
fit = open(f"{T}/fit.txt").read()
fit_s = float(re.search(r"in ([0-9.]+) s", fit).group(1))
gm_rate = 60000 * epochs / fit_s
def last_json(path):
    return json.loads([l for l in open(path).read().splitlines() if l.startswith("{")][-1])
fd_real = last_json(f"{T}/eval_real.json")["frechet_distance"]
fd_t = last_json(f"{T}/eval_torch.json")["frechet_distance"]
fd_g = last_json(f"{T}/eval_gm.json")["frechet_distance"]
def rss(path):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read()).group(1)) / 1024
gm_s = np.load(f"{T}/gm.npy")
blas = re.search(r"BLAS_INFO=([^,]*)", " ".join(info["blas"]))
print(f"PyTorch {info['torch']} (BLAS_INFO={blas.group(1) if blas else '?'}), threads {info['threads']}")
print()
print(f"| dcgan ngf = ndf = 64, latent 100, {epochs} epochs | PyTorch + OpenBLAS | genmodels | ratio | target |")
print("|---|---|---|---|---|")
print(f"| Frechet distance, 10 000 samples (real test images: {fd_real:.2f}) | {fd_t:.2f} | {fd_g:.2f} | {fd_g / fd_t:.2f}x"
      f" | <= 1.10x: {'met' if fd_g <= 1.10 * fd_t else '**not met**'} |")
print(f"| training images/s, 2 threads | {torch_rate:.0f} | {gm_rate:.0f} | {gm_rate / torch_rate:.2f}x"
      f" | >= 1.3x: {'met' if gm_rate >= 1.3 * torch_rate else '**not met**'} |")
# PyTorch's process also samples and checks afterwards: its training peak is the one it reports
# before sampling (the whole process, /usr/bin/time -v, is printed beside it).
torch_rss = final["train_peak_rss_mib"]
print(f"| peak RSS of training, MiB (PyTorch whole process: {rss(f'{T}/torch.time'):.0f})"
      f" | {torch_rss:.0f} | {rss(f'{T}/gm.time'):.0f} | {rss(f'{T}/gm.time') / torch_rss:.2f}x | |")
print(f"| sample mean / std (test images: {np.load(f'{T}/real.npy').mean():.3f} / {np.load(f'{T}/real.npy').std():.3f})"
      f" | {final['sample_mean']:.3f} / {final['sample_std']:.3f} | {gm_s.mean():.3f} / {gm_s.std():.3f} | | |")
print()
print("PyTorch per-epoch loss_d / loss_g:", ", ".join(f"{r['loss_d']:.3f}/{r['loss_g']:.3f}" for r in ep))
print("PyTorch per-epoch images/s:", ", ".join(f"{r['images_per_s']:.0f}" for r in ep))
print("genmodels:", fit.strip().splitlines()[-1])
print(f"grids: {out}/torch_samples.png, {out}/genmodels_samples.png")
PY
