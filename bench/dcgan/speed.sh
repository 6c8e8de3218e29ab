#!/usr/bin/env bash
# dcgan training throughput against PyTorch, interleaved: ROUNDS rounds of one short epoch
# (N images, batch 128, 2 threads) of each, so both sides see the same machine load; prints
# every round's images/s and the median ratio. The quality comparison is bench/dcgan/run.sh.
# Usage: bench/dcgan/speed.sh [BUILD_DIR] [N] [ROUNDS]     (defaults: build 6400 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${2:-6400}
ROUNDS=${3:-3}
source bench/lib.sh
gm_setup "${1:-build}"
gm_machine
echo "| round | PyTorch images/s | genmodels images/s | ratio |"
echo "|---|---|---|---|"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  /usr/bin/python3 bench/torch/dcgan.py --epochs 1 --max-examples "$N" --threads 2 --samples 0 >"$T/t.jsonl" 2>/dev/null
  t=$(/usr/bin/python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if '\"epoch\"' in l][0]['images_per_s'])" "$T/t.jsonl")
  "$G" fit dcgan --data fashion-mnist:train --max-examples "$N" --epochs 1 --batch-size 128 --threads 2 \
    --out "$T/g.safetensors" >"$T/g.txt"
  s=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$T/g.txt" | head -1)
  g=$(/usr/bin/python3 -c "print($N / $s)")
  ratio=$(/usr/bin/python3 -c "print(f'{$g / $t:.2f}')")
  ratios+=("$ratio")
  printf '| %d | %.0f | %.0f | %sx |\n' "$r" "$t" "$g" "$ratio"
done
echo "median ratio: $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")x"
