#!/usr/bin/env bash
# One pixelcnn training step (forward, loss, backward, Adam) against the PyTorch reference of the
# same network (bench/torch/pixelcnn.py --steps), side by side: ROUNDS rounds, each running
# genmodels (OMP_WAIT_POLICY=passive) then PyTorch on every configuration, 2 threads each;
# prints seconds per step (median over the rounds) and the ratio. bench/RESULTS.md, "PixelCNN".
#   bench/pixelcnn/step.sh [ROUNDS] [STEPS] [CONFIG...]    CONFIG: F,L,M,BATCH (default: the
#   four of RESULTS.md: 64,7 and 32,5 at M = 256 and 2, batch 64, 28x28)
# GM_PIXELCNN_BEFORE=BINARY: also run that bench_step build (an older tree's) in each round,
# first, reported as "before".
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../lib.sh
source bench/lib.sh
rounds=${1:-3}
steps=${2:-3}
shift 2 || shift $# || true
configs=("$@")
[[ ${#configs[@]} -gt 0 ]] || configs=(64,7,256,64 32,5,256,64 64,7,2,64 32,5,2,64)
GM_PIXELCNN_NO_RUN=1 bench/pixelcnn/run.sh step
build=${GM_PIXELCNN_BUILD_DIR:-build-p}
gm_setup "$build" 2
gm_machine passive
for r in $(seq 1 "$rounds"); do
  for c in "${configs[@]}"; do
    IFS=, read -r F L M B <<<"$c"
    if [[ -n ${GM_PIXELCNN_BEFORE:-} ]]; then
      OMP_WAIT_POLICY=passive "$GM_PIXELCNN_BEFORE" 2 "$F" "$L" "$M" "$B" "$steps" | sed "s/^/before $c /" >>"$T/log"
    fi
    OMP_WAIT_POLICY=passive "$build/bench_pixelcnn_step" 2 "$F" "$L" "$M" "$B" "$steps" | sed "s/^/gm $c /" >>"$T/log"
    (cd bench/torch && /usr/bin/python3 pixelcnn.py --steps "$steps" --channels "$F" --layers "$L" --levels "$M" \
      --batch "$B" --threads 2 | grep '"final"' | sed "s/^/torch $c /") >>"$T/log"
  done
  echo "round $r done: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
gm_machine passive
/usr/bin/python3 - "$T/log" "${configs[@]}" <<'PY'
import json, statistics, sys
rows = [l.split(" ", 2) for l in open(sys.argv[1])]
before = any(r[0] == "before" for r in rows)
head = "| F, L | M | batch | " + ("genmodels before s/step | PyTorch / before | " if before else "")
print(head + "genmodels s/step | PyTorch s/step | PyTorch / genmodels |")
print("|---" * (head.count("|") + 2) + "|")
def cell(v):
    return f"{statistics.median(v):.2f} ({', '.join(f'{x:.2f}' for x in v)})"
for c in sys.argv[2:]:
    F, L, M, B = c.split(",")
    t = {who: [json.loads(j)["seconds_per_step"] for w, cc, j in rows if w == who and cc == c]
         for who in ("before", "gm", "torch")}
    g, p = statistics.median(t["gm"]), statistics.median(t["torch"])
    extra = f"{cell(t['before'])} | {p / statistics.median(t['before']):.2f} | " if before else ""
    print(f"| {F}, {L} | {M} | {B} | {extra}{cell(t['gm'])} | {cell(t['torch'])} | {p / g:.2f} |")
PY
