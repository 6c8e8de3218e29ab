#!/usr/bin/env bash
# Text to image on grey Fashion-MNIST: cgan with {"condition": "text"} (GAN-CLS, Reed et al.
# 2016) fitted on the 60 000 training images, each with a caption drawn from the TRAIN
# phrasings (`genmodels captions` lists them). Then, for every class and every HELD-OUT
# phrasing (templates and words never seen in training), REPEAT samples per caption, and the
# Fashion-MNIST feature classifier's accuracy on them against the class asked for — per
# held-out template, over all of them, and for the train phrasings on the test labels.
# Writes bench/gan/text2image_epochs.png (the fixed-seed grid after the last epoch: one row
# per class, "a photo of ..."), bench/gan/text2image_heldout.png (one row per class, one
# column per held-out phrasing, canonical name) and bench/gan/text2image_mix.png (fixed z,
# condition walked linearly between two sentences; bench/gan/text_mix.cpp).
# Usage: bench/gan/text2image.sh [BUILD_DIR] [EPOCHS] [CONFIG] [SEED]
#   defaults: build 4 '{"condition":"text"}' (ngf = ndf = 64) 0; REPEAT=50, KEEP=DIR keeps
#   the work folder, CLASSIFIER=FILE picks the feature classifier (default: eval's cache),
#   MAX_EXAMPLES=N fits on the first N images only (a smoke test, not the benchmark).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
EPOCHS=${2:-4}
CONFIG=${3:-'{"condition":"text"}'}
SEED=${4:-0}
REPEAT=${REPEAT:-50}
CLF=()
[[ -n "${CLASSIFIER:-}" ]] && CLF=(--classifier "$CLASSIFIER")
source bench/lib.sh
gm_setup "$B"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
gm_machine

FIT=(fit cgan --config "$CONFIG" --data fashion-mnist:train --captions builtin --text-dim 1024 --epochs "$EPOCHS"
     --batch-size 64 --seed "$SEED" --threads 2)
[[ -n "${MAX_EXAMPLES:-}" ]] && FIT+=(--max-examples "$MAX_EXAMPLES")
echo "command: genmodels ${FIT[*]}"
start=$(date +%s)
"$G" "${FIT[@]}" --grid-dir "$T/grids" --out "$T/t2i.safetensors" | grep -v '^wrote'
echo "fit wall time: $(( $(date +%s) - start )) s"

acc() {  # acc NAME IMAGES.npy LABELS.npy: one line of classifier accuracy, per class
  "$G" eval --images "$2" --labels "$3" --n 1000000 "${CLF[@]}" --json | tail -n 1 > "$T/$1.json"
  /usr/bin/python3 - "$1" "$T/$1.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
print(f"| {sys.argv[1]} | {j['n']} | {100 * j['classifier_accuracy']:.1f}% | "
      + " ".join(f"{100 * a:.0f}" for a in j["per_class_accuracy"]) + " |")
PY
}

echo
echo "| phrasings | images | classifier accuracy | per class (t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, boot) |"
echo "|---|---|---|---|"
"$G" captions --train --data fashion-mnist:test --seed 1 --out "$T/train.txt" --labels-out "$T/train_labels.npy" >/dev/null
"$G" sample "$T/t2i.safetensors" --texts "$T/train.txt" --seed 1 --out "$T/train.npy" >/dev/null
acc "train phrasings (test labels)" "$T/train.npy" "$T/train_labels.npy"
templates=$("$G" captions | sed -n 's/^held-out templates (\([0-9]*\)).*/\1/p')
for k in $(seq 0 $((templates - 1))); do
  t=$("$G" captions | sed -n "/^held-out templates/,\$p" | sed -n "s/^  $k \"\(.*\)\"$/\1/p")
  "$G" captions --held-out --template "$k" --repeat "$REPEAT" --out "$T/held_$k.txt" --labels-out "$T/held_$k.npy" >/dev/null
  "$G" sample "$T/t2i.safetensors" --texts "$T/held_$k.txt" --seed 2 --out "$T/held_x_$k.npy" >/dev/null
  acc "held-out \"$t\"" "$T/held_x_$k.npy" "$T/held_$k.npy"
done
"$G" captions --held-out --repeat "$REPEAT" --out "$T/held.txt" --labels-out "$T/held_labels.npy" >/dev/null
"$G" sample "$T/t2i.safetensors" --texts "$T/held.txt" --seed 2 --out "$T/held.npy" >/dev/null
acc "**all held-out phrasings**" "$T/held.npy" "$T/held_labels.npy"

# Figures: the last epoch's fixed-seed grid; the held-out phrasings (row = class, two columns
# per held-out template with the class's canonical name); the walk between two sentences.
last=$(ls "$T/grids" | sort | tail -n 1)
cp "$T/grids/$last" bench/gan/text2image_epochs.png
for k in $(seq 0 $((templates - 1))); do
  "$G" captions --held-out --template "$k" --out "$T/fig_$k.txt" --labels-out "$T/fig_$k.npy" >/dev/null
done
/usr/bin/python3 - "$T" "$templates" <<'PY'
import sys
import numpy as np
T, K = sys.argv[1], int(sys.argv[2])
rows = []
for c in range(10):
    for k in range(K):
        lines = open(f"{T}/fig_{k}.txt").read().splitlines()
        labels = np.load(f"{T}/fig_{k}.npy")
        rows += [lines[int(np.argmax(labels == c))]] * 2  # the first caption of class c: its canonical name
open(f"{T}/fig.txt", "w").write("\n".join(rows) + "\n")
PY
"$G" sample "$T/t2i.safetensors" --texts "$T/fig.txt" --seed 3 --columns $((2 * templates)) \
  --out bench/gan/text2image_heldout.png >/dev/null
LIBDIR=$(cd "$B/capi" && pwd)
c++ -std=c++17 -O2 -Iinclude bench/gan/text_mix.cpp -L"$LIBDIR" -lgenmodels -Wl,-rpath,"$LIBDIR" -o "$T/text_mix"
"$T/text_mix" "$T/t2i.safetensors" bench/gan/text2image_mix.png "a pair of trousers" "an ankle boot" 4 8 3
"$T/text_mix" "$T/t2i.safetensors" bench/gan/text2image_mix2.png "a t-shirt" "a dress" 4 8 3
echo "figures: bench/gan/text2image_epochs.png ($last), bench/gan/text2image_heldout.png, bench/gan/text2image_mix.png, bench/gan/text2image_mix2.png; work folder $T"
