#!/usr/bin/env bash
# The explicit-likelihood kinds on 256-level Fashion-MNIST (docs/levels.md): fit on the 60 000
# training images quantised to 256 levels (the bytes as they are), score the 10 000 test
# images; NLL in nats per image and bits per dimension. Prints a Markdown table, one row per
# "NAME|KIND|CONFIG|EPOCHS" argument (EPOCHS is ignored by the closed-form kinds), and writes
# a PNG grid of 64 samples per model into $KEEP (or a temporary folder) as NAME.png.
# Usage: bench/levels.sh BUILD_DIR [ROW...]
#   default rows: categorical, markov k = 1 (untied; alpha 1).
#   e.g. bench/levels.sh build 'nade 100|nade|{"hidden": 100}|5' 'pixelcnn|pixelcnn|{}|2'
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh
gm_setup "${1:-build}"
shift || true
rows=("$@")
if [[ ${#rows[@]} -eq 0 ]]; then
  rows=('categorical|categorical|{}|1' 'markov k = 1|markov|{"order": 1}|1')
fi
gm_machine
echo
echo "| model | test NLL (nats/image) | bits/dim | fit wall (s) | peak RSS (MiB) |"
echo "|---|---|---|---|---|"
for row in "${rows[@]}"; do
  IFS='|' read -r name kind config epochs <<<"$row"
  file="$T/${name// /_}.safetensors"
  /usr/bin/time -f '%e %M' -o "$T/time" "$G" fit "$kind" --config "$config" --epochs "${epochs:-1}" \
    --data fashion-mnist:train --levels 256 --quiet --out "$file" >"$T/fit.log" 2>&1 ||
    { echo "bench/levels.sh: fit of '$name' failed:" >&2; cat "$T/fit.log" >&2; exit 1; }
  read -r wall rss_kb <"$T/time"
  json=$("$G" log-prob "$file" --data fashion-mnist:test --levels 256 --json | tail -n 1)
  "$G" sample "$file" --n 64 --seed 1 --out "$T/${name// /_}.png" >/dev/null
  /usr/bin/python3 - "$name" "$wall" "$rss_kb" "$json" <<'PY'
import json, sys
name, wall, rss, j = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]) / 1024, json.loads(sys.argv[4])
print(f"| {name} | {j['nll_nats']:.2f} ± {j['nll_stderr']:.2f} | {j['bits_per_dim']:.4f} | {wall:.1f} | {rss:.0f} |")
PY
done
