#!/usr/bin/env bash
# progan end to end at 32×32 in colour (issue 16): 32×32 RGB patches of the two photographs
# Debian's python3-sklearn ships (`patches:DIR:32:STRIDE`), stages 4, 8, 16, 32. Fits progan for
# EPOCHS epochs, then writes its samples at every stage it reached to
# $PNG/colour_stage_K.png and 32 real patches to $PNG/colour_real.png. There is no
# feature Fréchet distance for colour 32×32 (the eval classifier is Fashion-MNIST's): the figure
# is that it trains through all four stages and the samples are shown.
# Usage: bench/progan/colour.sh BUILD_DIR [EPOCHS] [PROGAN_CONFIG_JSON]
#   default 3 epochs, config '{"fade_images": 2000, "stable_images": 2000}'
#   env: STRIDE (8: 7 700 patches), BATCH (32), SEED (0), THREADS (2), PNG (bench/progan),
#        KEEP=dir (keep the model and logs), GENMODELS=path (the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh  # fail, step, gm_machine
ME=bench/progan/colour.sh
[[ $# -ge 1 && $# -le 3 ]] || { echo "usage: $ME BUILD_DIR [EPOCHS] [PROGAN_CONFIG_JSON]   (env: STRIDE BATCH SEED THREADS PNG KEEP GENMODELS)" >&2; exit 2; }
BUILD=$1
EPOCHS=${2:-3}
CONFIG=${3:-'{"fade_images": 2000, "stable_images": 2000}'}
STRIDE=${STRIDE:-8}
BATCH=${BATCH:-32}
SEED=${SEED:-0}
THREADS=${THREADS:-2}
PNG=${PNG:-bench/progan}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
PY=/usr/bin/python3
G=${GENMODELS:-$BUILD/tools/genmodels/genmodels}
PHOTOS=/usr/lib/python3/dist-packages/sklearn/datasets/images
[[ -x $G ]] || fail "no genmodels binary at $G" "build it (meson compile -C $BUILD) or set GENMODELS=path"
grep -qw progan <<<"$("$G" kinds 2>/dev/null || true)" || fail "$G has no progan kind" "rebuild from a tree that has it"
[[ -e $PHOTOS/china.jpg ]] || fail "$PHOTOS/china.jpg is missing" "install python3-sklearn (scripts/setup.sh does)"
T=${KEEP:-$(mktemp -d)}
mkdir -p "$T" "$PNG"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$T"' EXIT
MACHINE=$(gm_machine 2>/dev/null | head -1 || true)
DATA="patches:$PHOTOS:32:$STRIDE"

echo "[$(date -u +%H:%M:%S)] fitting progan on $DATA ($EPOCHS epochs, $CONFIG, batch $BATCH)" >&2
/usr/bin/time -v -o "$T/fit.time" "$G" fit progan --data "$DATA" --config "$CONFIG" --epochs "$EPOCHS" \
  --batch-size "$BATCH" --seed "$SEED" --threads "$THREADS" --out "$T/model.safetensors" >"$T/fit.txt" 2>"$T/fit.log" ||
  fail "fit progan failed" "read the log; fewer epochs or a smaller config may help" "$T/fit.log"
RSS=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$T/fit.time")
rm -f "$PNG"/colour_stage_*.png
reached=0
for k in 1 2 3 4; do
  "$G" sample "$T/model.safetensors" --stage "$k" --n 32 --columns 8 --seed "$SEED" --threads "$THREADS" \
    --out "$PNG/colour_stage_$k.png" >"$T/sample_$k.txt" 2>&1 || { echo "stage $k: $(tail -n 1 "$T/sample_$k.txt")" >&2; break; }
  reached=$k
done
# 32 real patches, a fixed random choice, as a grid with the same 1-pixel border.
$PY - "$DATA" "$PNG/colour_real.png" "$G" "$T" <<'PY' || fail "writing the real patches failed" "check python3-numpy"
import struct, subprocess, sys, zlib
import numpy as np
spec, out, G, T = sys.argv[1:5]
# Windows of SIZE every STRIDE pixels, row by row, of each photograph (as patches: cuts them).
from PIL import Image  # python3-pil, a dependency of python3-sklearn
photos = spec.split(":")[1]
size, stride = int(spec.split(":")[2]), int(spec.split(":")[3])
patches = []
for name in ("china.jpg", "flower.jpg"):
    im = np.asarray(Image.open(f"{photos}/{name}").convert("RGB"), np.uint8)
    for i in range(0, im.shape[0] - size + 1, stride):
        for j in range(0, im.shape[1] - size + 1, stride):
            patches.append(im[i:i + size, j:j + size])
x = np.stack(patches)[np.random.default_rng(0).choice(len(patches), 32, replace=False)]
cols, rows, s = 8, 4, size
img = np.zeros((rows * (s + 1) + 1, cols * (s + 1) + 1, 3), np.uint8)
for n, p in enumerate(x):
    r, c = divmod(n, cols)
    img[1 + r * (s + 1):1 + r * (s + 1) + s, 1 + c * (s + 1):1 + c * (s + 1) + s] = p
raw = b"".join(b"\0" + row.tobytes() for row in img)
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
with open(out, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", img.shape[1], img.shape[0], 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
print(f"{len(patches)} patches of {size}x{size} cut (the fit saw as many, or the cut differs)", file=sys.stderr)
PY

echo "fit: $(grep -E '^fitted' "$T/fit.txt" || true)"
echo "last epochs: $(grep -E '^epoch' "$T/fit.log" "$T/fit.txt" 2>/dev/null | tail -n 2 | sed 's/^[^:]*://' | tr '\n' ';')"
echo "peak RSS ${RSS:-?} MiB; stages sampled: 1..$reached of 4 ($PNG/colour_stage_K.png; real patches: $PNG/colour_real.png)"
echo "command: STRIDE=$STRIDE BATCH=$BATCH SEED=$SEED THREADS=$THREADS OMP_WAIT_POLICY=$OMP_WAIT_POLICY $ME $BUILD $EPOCHS '$CONFIG'"
echo "$MACHINE"
