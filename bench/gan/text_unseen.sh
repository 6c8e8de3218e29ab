#!/usr/bin/env bash
# Text to image on sentences no caption template contains (issue 17): cgan with
# {"condition": "text"} fitted on Fashion-MNIST with --captions builtin, then REPEAT samples
# per sentence of bench/gan/unseen_sentences.tsv (class<TAB>sentence: plurals, adjectives,
# the garment once among other words) and the feature classifier's accuracy against the
# class meant — over all sentences, per class and per sentence — beside the built-in
# held-out templates' figure (REPEAT_HELD samples per held-out caption), and the variety within a
# sentence (bench/gan/sentence_spread.py: 0 for a generator that ignores z, ~1 as varied as the data).
# Usage: bench/gan/text_unseen.sh [BUILD_DIR] [EPOCHS] [CONFIG] [NAME]
#   defaults: build 3 '{"condition":"text"}' new. MODEL=FILE scores that model instead of
#   fitting one; KEEP=DIR keeps the work folder (the model is DIR/t2i.safetensors);
#   CLASSIFIER=FILE the feature classifier (default: eval's cache); GRID=FILE.png writes the
#   sentence -> 8 samples grid of one sentence per class (the first of each class); SEED=S
#   the fit's seed (default 0); TRUNCATION=T samples with --truncation T (the truncation trick).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
EPOCHS=${2:-3}
CONFIG=${3:-'{"condition":"text"}'}
NAME=${4:-new}
REPEAT=${REPEAT:-10}
REPEAT_HELD=${REPEAT_HELD:-10}
SENTENCES=bench/gan/unseen_sentences.tsv
TRUNC=()
[[ -n "${TRUNCATION:-}" ]] && TRUNC=(--truncation "$TRUNCATION")
CLF=()
[[ -n "${CLASSIFIER:-}" ]] && CLF=(--classifier "$CLASSIFIER")
source bench/lib.sh
gm_setup "$B"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
gm_machine

M=${MODEL:-$T/t2i.safetensors}
if [[ -z "${MODEL:-}" ]]; then
  FIT=(fit cgan --config "$CONFIG" --data fashion-mnist:train --captions builtin --text-dim 1024 --epochs "$EPOCHS"
       --batch-size 64 --seed "${SEED:-0}" --threads 2)
  echo "command: genmodels ${FIT[*]}"
  start=$(date +%s)
  "$G" "${FIT[@]}" --out "$M" --quiet | grep -v '^wrote' || true
  echo "fit wall time: $(( $(date +%s) - start )) s"
fi
echo "model: $M"

acc() {  # acc IMAGES.npy LABELS.npy -> the eval JSON line
  "$G" eval --images "$1" --labels "$2" --n 1000000 "${CLF[@]}" --json | tail -n 1
}

# Unseen sentences, REPEAT samples each.
/usr/bin/python3 - "$SENTENCES" "$REPEAT" "$T" <<'PY'
import sys
import numpy as np
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
r, T = int(sys.argv[2]), sys.argv[3]
open(f"{T}/unseen.txt", "w").write("".join(f"{s}\n" * r for _, s in rows))
np.save(f"{T}/unseen_labels.npy", np.repeat(np.array([int(c) for c, _ in rows], dtype=np.int32), r))
PY
"$G" sample "$M" --texts "$T/unseen.txt" --seed 2 "${TRUNC[@]}" --out "$T/unseen.npy" >/dev/null
acc "$T/unseen.npy" "$T/unseen_labels.npy" > "$T/unseen.json"
/usr/bin/python3 bench/gan/sentence_spread.py "$T/unseen.npy" "$T/unseen_labels.npy" "$REPEAT" > "$T/spread.json"
# Per sentence: the classifier's verdict on each image (eval scores every labelled row; one
# eval per sentence would load the classifier 50 times, so the images are scored once per
# class asked and split here).
/usr/bin/python3 - "$T" "$REPEAT" "$SENTENCES" > "$T/per_sentence_prep.txt" <<'PY'
import sys
import numpy as np
T, r = sys.argv[1], int(sys.argv[2])
x = np.load(f"{T}/unseen.npy")
n = x.shape[0] // r
for i in range(n):
    np.save(f"{T}/s_{i}.npy", x[i * r:(i + 1) * r])
print(n)
PY
n=$(cat "$T/per_sentence_prep.txt")
for i in $(seq 0 $((n - 1))); do
  c=$(sed -n "$((i + 1))p" "$SENTENCES" | cut -f1)
  /usr/bin/python3 -c "import numpy as np, sys; np.save(sys.argv[1], np.full($REPEAT, $c, dtype=np.int32))" "$T/s_${i}_l.npy"
  "$G" eval --images "$T/s_$i.npy" --labels "$T/s_${i}_l.npy" --n "$REPEAT" "${CLF[@]}" --json 2>/dev/null | tail -n 1 \
    > "$T/s_$i.json" || echo '{}' > "$T/s_$i.json"
done

# Built-in held-out templates, every synonym, REPEAT_HELD samples each.
"$G" captions --held-out --repeat "$REPEAT_HELD" --out "$T/held.txt" --labels-out "$T/held_labels.npy" >/dev/null
"$G" sample "$M" --texts "$T/held.txt" --seed 2 "${TRUNC[@]}" --out "$T/held.npy" >/dev/null
acc "$T/held.npy" "$T/held_labels.npy" > "$T/held.json"

/usr/bin/python3 - "$T" "$SENTENCES" "$NAME" "$REPEAT" <<'PY'
import json, sys
T, S, name, r = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = [l.rstrip("\n").split("\t") for l in open(S) if l.strip()]
u, h = json.load(open(f"{T}/unseen.json")), json.load(open(f"{T}/held.json"))
pc = lambda j: " ".join(f"{100 * a:.0f}" for a in j["per_class_accuracy"])
print(f"| {name} | unseen sentences ({len(rows)} x {r}) | {100 * u['classifier_accuracy']:.1f}% | {pc(u)} |")
print(f"| {name} | built-in held-out templates ({h['n']} images) | {100 * h['classifier_accuracy']:.1f}% | {pc(h)} |")
sp = json.load(open(f"{T}/spread.json"))
print()
print(f"unseen sentences: recall {u['recall']:.3f}, FD {u['frechet_distance']:.1f}; within-sentence spread "
      f"{sp['spread']:.4f} = {sp['ratio']:.2f} of real images' within-class {sp['real_spread']:.4f} "
      f"(bench/gan/sentence_spread.py); held-out templates: FD {h['frechet_distance']:.1f}, recall {h['recall']:.3f}")
print()
print(f"per sentence ({name}), right of {r}:")
for i, (c, s) in enumerate(rows):
    j = json.load(open(f"{T}/s_{i}.json"))
    right = round(j.get("classifier_accuracy", float("nan")) * r) if j else "?"
    print(f"  {c}  {right:>2}/{r}  {s}")
PY

if [[ -n "${GRID:-}" ]]; then  # one sentence per class (its first), 8 samples each
  awk -F'\t' '!seen[$1]++ { for (k = 0; k < 8; ++k) print $2 }' "$SENTENCES" > "$T/grid.txt"
  "$G" sample "$M" --texts "$T/grid.txt" --seed 3 "${TRUNC[@]}" --columns 8 --out "$GRID" >/dev/null
  echo "grid: $GRID (rows: $(awk -F'\t' '!seen[$1]++ { printf "%s\"%s\"", sep, $2; sep = ", " }' "$SENTENCES"))"
fi
echo "work folder: $T"
