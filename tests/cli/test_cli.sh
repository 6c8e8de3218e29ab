#!/usr/bin/env bash
# The genmodels command line end to end: every verb, its outputs, and its error exits
# (the exit code is the GM_* status). Usage: test_cli.sh GENMODELS_EXE
set -u
G=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
expect() {  # expect CODE DESCRIPTION -- command...: exit code must be CODE
  local code=$1 what=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [[ $got -eq $code ]]; then ok; else bad "$what: exit $got, expected $code"; cat "$T/out" "$T/err"; fi
}
contains() {  # contains FILE TEXT DESCRIPTION
  if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; cat "$1"; fi
}

expect 0 "kinds" -- "$G" kinds
contains "$T/out" "markov" "kinds lists markov"
expect 0 "help" -- "$G" --help
contains "$T/out" "log-prob" "help lists log-prob"

BARS=builtin:bars-and-stripes:3
expect 0 "fit bernoulli" -- "$G" fit bernoulli --data $BARS --out "$T/b.safetensors"
expect 0 "fit markov" -- "$G" fit markov --data $BARS --config '{"order": 2, "alpha": 0.5}' --out "$T/m.safetensors"
contains "$T/out" '"order":2' "fit prints the effective configuration"

expect 0 "info --json" -- "$G" info "$T/m.safetensors" --json
contains "$T/out" '"kind":"markov"' "info names the kind"
contains "$T/out" '"parameters":36' "markov k=2 on 9 pixels has a (9, 4) table"
expect 0 "info" -- "$G" info "$T/m.safetensors"
contains "$T/out" "p F64 \[9, 4\]" "info lists the tensor"

expect 0 "log-prob --json" -- "$G" log-prob "$T/m.safetensors" --data $BARS --json
tail -n 1 "$T/out" > "$T/json"
/usr/bin/python3 - "$T/json" <<'PY' && ok || bad "log-prob JSON has n, nll_nats, bits_per_dim"
import json, math, sys
j = json.load(open(sys.argv[1]))
assert j["n"] == 14 and j["d"] == 9, j
assert math.isclose(j["bits_per_dim"], j["nll_nats"] / (9 * math.log(2)), rel_tol=1e-12), j
assert 0 < j["nll_nats"] < 9 * math.log(2), j
PY

expect 0 "sample png" -- "$G" sample "$T/m.safetensors" --n 16 --out "$T/s.png" --seed 3
[[ $(head -c 4 "$T/s.png" | tail -c 3) == PNG ]] && ok || bad "sample writes a PNG"
expect 0 "sample npy" -- "$G" sample "$T/m.safetensors" --n 5 --out "$T/s.npy" --seed 3
expect 0 "sample npy again" -- "$G" sample "$T/m.safetensors" --n 5 --out "$T/s2.npy" --seed 3
cmp -s "$T/s.npy" "$T/s2.npy" && ok || bad "the same seed gives the same samples"
/usr/bin/python3 -c "
import numpy as np, sys
a = np.load('$T/s.npy')
assert a.shape == (5, 1, 3, 3) and a.dtype == np.float32 and set(np.unique(a)) <= {0.0, 1.0}, a.shape
" && ok || bad "sample .npy has shape (5, 1, 3, 3) and binary values"

# npy data in, log-prob of the samples, and non-binary npy data rejected
expect 0 "log-prob npy" -- "$G" log-prob "$T/m.safetensors" --data "npy:$T/s.npy"
/usr/bin/python3 -c "import numpy as np; np.save('$T/half.npy', np.full((3, 9), 0.5, np.float32))"
expect 4 "non-binary data is GM_INVALID_DATA" -- "$G" log-prob "$T/m.safetensors" --data "npy:$T/half.npy"
contains "$T/err" "binar" "the message suggests binarising"
expect 0 "--binarize fixes it" -- "$G" log-prob "$T/m.safetensors" --data "npy:$T/half.npy" --binarize 0.5
/usr/bin/python3 -c "import numpy as np; np.save('$T/wide.npy', np.zeros((3, 10), np.float32))"
expect 4 "wrong width is GM_INVALID_DATA" -- "$G" log-prob "$T/m.safetensors" --data "npy:$T/wide.npy"

expect 0 "complete png" -- "$G" complete "$T/m.safetensors" --data $BARS --hide bottom-half --out "$T/c.png"
expect 0 "complete npy" -- "$G" complete "$T/m.safetensors" --data $BARS --hide left-half --out "$T/c.npy"

expect 0 "log-prob --out writes every example's log p" -- "$G" log-prob "$T/m.safetensors" --data $BARS --out "$T/lp.npy"
/usr/bin/python3 -c "
import numpy as np, math
lp = np.load('$T/lp.npy')
assert lp.shape == (14,) and lp.dtype == np.float64 and (lp < 0).all(), lp
" && ok || bad "log-prob --out is a float64 array of 14 negative values"
/usr/bin/python3 -c "import numpy as np; np.save('$T/z.npy', np.zeros((2, 3), np.float32))"
expect 2 "decode is GM_UNSUPPORTED for markov" -- "$G" decode "$T/m.safetensors" --codes "$T/z.npy" --out "$T/d.png"
expect 2 "encode is GM_UNSUPPORTED for markov" -- "$G" encode "$T/m.safetensors" --data $BARS --out "$T/z.npy"
contains "$T/err" "no latent space" "encode says why"
expect 6 "unknown kind is GM_UNKNOWN_KIND" -- "$G" fit markow --data $BARS --out "$T/x.safetensors"
expect 5 "unknown config key is GM_INVALID_CONFIG" -- "$G" fit markov --data $BARS --config '{"ordr": 2}' --out "$T/x.safetensors"
expect 1 "mistyped spec is GM_INVALID_ARGUMENT" -- "$G" fit markov --data nonsense:x --out "$T/x.safetensors"
expect 8 "missing IDX file is GM_IO_ERROR" -- "$G" fit markov --data idx:/nonexistent.gz --out "$T/x.safetensors"
expect 8 "missing Fashion-MNIST is GM_IO_ERROR" -- \
  env GM_FASHION_MNIST_DIR=/nonexistent "$G" fit markov --data fashion-mnist:train --out "$T/x.safetensors"
contains "$T/err" "dataset-fashion-mnist" "the message names the Debian package"

head -c 100 "$T/m.safetensors" > "$T/trunc.safetensors"
expect 9 "truncated model is GM_CORRUPT_FILE" -- "$G" info "$T/trunc.safetensors"
expect 9 "sample from a truncated model is GM_CORRUPT_FILE" -- "$G" sample "$T/trunc.safetensors" --out "$T/x.png"
expect 1 "an output that is neither .png nor .npy is GM_INVALID_ARGUMENT" -- "$G" sample "$T/m.safetensors" --out "$T/x.txt"

# The main job, on the built-in set (Fashion-MNIST is the benchmark's business).
expect 0 "demo falls back to bars-and-stripes" -- env GM_FASHION_MNIST_DIR=/nonexistent "$G" demo --out-dir "$T/demo"
contains "$T/out" "test log-likelihood" "demo reports the test log-likelihood"
[[ -s "$T/demo/samples.png" && -s "$T/demo/model.safetensors" ]] && ok || bad "demo writes samples.png and the model"

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
