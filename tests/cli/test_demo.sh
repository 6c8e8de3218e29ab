#!/usr/bin/env bash
# `genmodels demo` end to end on the built-in data (GM_FASHION_MNIST_DIR points nowhere, so
# the demo falls back to bars-and-stripes): every file it promises, the NLL lines of the
# model and the baseline, the summary, and the skip lines of a kind without log_prob or
# complete. Seconds. Usage: test_demo.sh GENMODELS_EXE
set -u
source "$(dirname "$0")/harness.sh"
is_png() { [[ -s "$1" && $(head -c 4 "$1" | tail -c 3) == PNG ]] && ok || bad "$1 is a PNG"; }
export GM_FASHION_MNIST_DIR="$T/no-fashion-mnist"

# The instant variant: markov writes every file.
D="$T/markov"
expect 0 "demo --kind markov" -- "$G" demo --kind markov --out-dir "$D"
contains_ere "$T/out" "using builtin:bars-and-stripes:4" "demo says it fell back to the built-in data"
contains_ere "$T/out" "^  markov +NLL +[0-9]+\.[0-9]+ ± [0-9.]+  \(exact\)" "demo prints the model's test NLL"
contains_ere "$T/out" "^  bernoulli +NLL +[0-9]+\.[0-9]+ ± [0-9.]+  \(independent pixels" "demo prints the baseline's test NLL"
contains_ere "$T/out" "test log-likelihood" "demo reports the test log-likelihood"
contains_ere "$T/out" "^  test NLL " "the summary has the test NLL"
contains_ere "$T/out" "^  baseline " "the summary has the baseline"
for f in samples.png completions.png anomalies.png; do is_png "$D/$f"; done
for f in model.safetensors summary.txt summary.json; do [[ -s "$D/$f" ]] && ok || bad "demo writes $f"; done
expect 0 "the demo's model file loads" -- "$G" info "$D/model.safetensors" --json
contains_ere "$T/out" '"kind":"markov"' "the demo's model is the markov chain"
/usr/bin/python3 - "$D/summary.json" <<'PY' && ok || bad "summary.json has the NLLs, the files and no skips"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["kind"] == "markov" and j["config"]["order"] == 8, j
assert j["test_nll_exact"] is True, j
assert 0 < j["test_nll_nats"] < j["baseline"]["test_nll_nats"], j  # bars: rows/columns are one value
assert set(j["files"]) == {"model", "samples", "completions", "anomalies"}, j["files"]
assert j["skipped"] == {}, j["skipped"]
PY

# The same seed gives the same pictures.
expect 0 "demo --kind markov again" -- "$G" demo --kind markov --out-dir "$T/again" --quiet
for f in samples.png completions.png anomalies.png; do
  cmp -s "$D/$f" "$T/again/$f" && ok || bad "the same seed gives the same $f"
done

# The default kind (nade) logs every epoch on stderr; --quiet silences it.
expect 0 "demo (nade) --epochs 2" -- "$G" demo --epochs 2 --out-dir "$T/nade"
contains_ere "$T/err" "^epoch 2/2 .*nats" "demo logs each epoch"
contains_ere "$T/out" "^  nade +NLL" "demo prints nade's test NLL"
expect 0 "demo --quiet" -- "$G" demo --epochs 2 --out-dir "$T/nade" --quiet
if grep -q "^epoch" "$T/err"; then bad "--quiet logs no epochs"; else ok; fi

# A kind without log_prob or complete: samples only, and a line saying why for the rest.
D="$T/gan"
expect 0 "demo --kind gan" -- "$G" demo --kind gan --epochs 1 --out-dir "$D" --quiet
contains_ere "$T/out" "^skipped completions.png: gan has no complete" "demo says why completions.png is missing"
contains_ere "$T/out" "^skipped anomalies.png: gan has no log_prob" "demo says why anomalies.png is missing"
contains_ere "$T/out" "^  bernoulli +NLL" "the baseline is scored even without the model's NLL"
is_png "$D/samples.png"
[[ ! -e "$D/completions.png" && ! -e "$D/anomalies.png" ]] && ok || bad "gan: no completions or anomalies"

# Usage errors.
expect 64 "demo --samples 0" -- "$G" demo --kind markov --samples 0 --out-dir "$T/x"
expect 6 "demo --kind unknown (GM_UNKNOWN_KIND)" -- "$G" demo --kind nonesuch --out-dir "$T/x"

finish demo
