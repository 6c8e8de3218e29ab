#!/usr/bin/env bash
# The genmodels command line end to end: every verb, its outputs, and its error exits
# (the exit code is the GM_* status). Usage: test_cli.sh GENMODELS_EXE
set -u
source "$(dirname "$0")/harness.sh"

expect 0 "kinds" -- "$G" kinds
contains "$T/out" "markov" "kinds lists markov"
contains "$T/out" "complete_samples" "kinds lists the configuration keys"
expect 0 "kinds --json" -- "$G" kinds --json
contains "$T/out" '"config":\[{"default":1.0,"doc":' "kinds --json carries each kind's schema"
expect 0 "kinds --markdown" -- "$G" kinds --markdown
contains "$T/out" '^| `markov` | `order` | integer | `1` | \[1, 12\] |' "kinds --markdown is a table"
expect 5 "unknown key names the known ones" -- "$G" fit markov --data builtin:bars-and-stripes:3 --config '{"ordr": 2}' --out "$T/x.safetensors"
contains "$T/err" 'this kind takes: order, alpha' "unknown key names the known ones"
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
expect 0 "complete takes --threads" -- "$G" complete "$T/m.safetensors" --data $BARS --hide left-half --threads 1 \
  --out "$T/c1.npy"
/usr/bin/python3 -c "
import numpy as np, sys
sys.exit(0 if np.array_equal(np.load('$T/c.npy'), np.load('$T/c1.npy')) else 1)" && ok || bad "complete: the same seed gives the same completions on 1 thread"

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

# Usage errors (issue 12): "genmodels: error:" and exit 64 (EX_USAGE), never a GM_* number.
usage() {  # usage DESCRIPTION -- command...: exit 64 with the error prefix and where the usage is
  expect 64 "$@"
  contains "$T/err" "genmodels: error: " "$1: the error prefix"
  contains "$T/err" "usage: genmodels" "$1: says where the usage is"
}
usage "--epochs 0" -- "$G" fit markov --data $BARS --epochs 0 --out "$T/x.safetensors"
usage "--epochs 99999999999999999999" -- "$G" fit markov --data $BARS --epochs 99999999999999999999 --out "$T/x.safetensors"
usage "--binarize nan" -- "$G" fit markov --data $BARS --binarize nan --out "$T/x.safetensors"
usage "--binarize 2 (every pixel would be 0)" -- "$G" fit markov --data $BARS --binarize 2 --out "$T/x.safetensors"
usage "--seed -1" -- "$G" fit markov --data $BARS --seed -1 --out "$T/x.safetensors"
usage "--threads 2147483647" -- "$G" fit markov --data $BARS --threads 2147483647 --out "$T/x.safetensors"
usage "an unknown flag" -- "$G" sample "$T/m.safetensors" --frobnicate --out "$T/x.png"
usage "no command" -- "$G"
expect 5 "a duplicate config key is GM_INVALID_CONFIG" -- \
  "$G" fit markov --data $BARS --config '{"order": 2, "order": 3}' --out "$T/x.safetensors"
expect 8 "a missing model file is GM_IO_ERROR" -- "$G" info "$T/no-such-model.safetensors"
contains "$T/err" "genmodels: error: cannot open" "a missing model file names the file"

head -c 100 "$T/m.safetensors" > "$T/trunc.safetensors"
expect 9 "truncated model is GM_CORRUPT_FILE" -- "$G" info "$T/trunc.safetensors"
expect 9 "sample from a truncated model is GM_CORRUPT_FILE" -- "$G" sample "$T/trunc.safetensors" --out "$T/x.png"
expect 1 "an output that is neither .png nor .npy is GM_INVALID_ARGUMENT" -- "$G" sample "$T/m.safetensors" --out "$T/x.txt"

# Image layout: --shape gives flat rows one (checked against d), fit stores it, --hide needs
# one, and data whose own layout disagrees with the model's is refused.
/usr/bin/python3 -c "
import numpy as np
np.save('$T/zeros64.npy', np.zeros((20, 64), np.float32))
np.save('$T/ones64.npy', np.ones((3, 64), np.float32))
np.save('$T/ones4x16.npy', np.ones((3, 4, 16), np.float32))
np.save('$T/ones8x8.npy', np.ones((3, 1, 8, 8), np.float32))
"
# alpha 1e-6 on all-zero rows: every hidden pixel is drawn as 0 (p ~ 5e-8), every input is 1.
expect 0 "fit flat rows" -- "$G" fit bernoulli --data "npy:$T/zeros64.npy" --config '{"alpha": 1e-6}' --out "$T/flat.safetensors"
expect 1 "--hide on data and a model without a layout is GM_INVALID_ARGUMENT" -- \
  "$G" complete "$T/flat.safetensors" --data "npy:$T/ones64.npy" --hide bottom-half --out "$T/x.npy"
contains "$T/err" "needs an image layout" "the message says --hide needs a layout"
contains "$T/err" "--shape 1,8,8" "the message says how to give one"
[[ ! -e "$T/x.npy" ]] && ok || bad "a refused complete writes nothing"
expect 0 "complete --hide bottom-half --shape 1,8,8" -- "$G" complete "$T/flat.safetensors" --data "npy:$T/ones64.npy" \
  --shape 1,8,8 --hide bottom-half --out "$T/half.npy"
/usr/bin/python3 -c "
import numpy as np
a = np.load('$T/half.npy')
assert a.shape == (3, 1, 8, 8), a.shape
assert (a[:, :, :4, :] == 1).all() and (a[:, :, 4:, :] == 0).all(), a[0, 0]
" && ok || bad "exactly the bottom four rows of each 8x8 image are drawn, the top four kept"
expect 0 "complete --hide top-half --shape 8,8 (H,W)" -- "$G" complete "$T/flat.safetensors" --data "npy:$T/ones64.npy" \
  --shape 8,8 --hide top-half --out "$T/top.npy"
/usr/bin/python3 -c "
import numpy as np
a = np.load('$T/top.npy')
assert (a[:, :, :4, :] == 0).all() and (a[:, :, 4:, :] == 1).all(), a[0, 0]
" && ok || bad "top-half hides exactly the top four rows"
expect 1 "sample --out .png without a layout is GM_INVALID_ARGUMENT" -- "$G" sample "$T/flat.safetensors" --out "$T/x.png"
contains "$T/err" "--shape C,H,W" "the message says to refit with --shape"
expect 0 "fit --shape 1,8,8" -- "$G" fit bernoulli --data "npy:$T/zeros64.npy" --shape 1,8,8 --out "$T/laid.safetensors"
expect 0 "info shows the layout" -- "$G" info "$T/laid.safetensors"
contains "$T/out" "1 x 8 x 8 image" "info prints the stored layout"
expect 0 "info --json shows the layout" -- "$G" info "$T/laid.safetensors" --json
contains "$T/out" '"data_shape":{"channels":1,"d":64,"height":8,"width":8}' "info --json has the stored layout"
expect 0 "sample --out .png with the stored layout" -- "$G" sample "$T/laid.safetensors" --n 4 --out "$T/laid.png"
[[ $(head -c 4 "$T/laid.png" | tail -c 3) == PNG ]] && ok || bad "sample writes a PNG once the model has a layout"
expect 0 "complete --hide uses the model's layout" -- "$G" complete "$T/laid.safetensors" --data "npy:$T/ones64.npy" \
  --hide centre --out "$T/centre.png"
expect 0 "log-prob of flat rows against a laid-out model" -- "$G" log-prob "$T/laid.safetensors" --data "npy:$T/ones64.npy"
expect 0 "log-prob of 1x8x8 images against a 1x8x8 model" -- "$G" log-prob "$T/laid.safetensors" --data "npy:$T/ones8x8.npy"
expect 4 "log-prob of 4x16 images against a 1x8x8 model is GM_INVALID_DATA" -- \
  "$G" log-prob "$T/laid.safetensors" --data "npy:$T/ones4x16.npy"
contains "$T/err" "1x4x16" "the message names the data's layout"
contains "$T/err" "1x8x8" "the message names the model's layout"
expect 4 "log-prob --shape 2,4,8 against a 1x8x8 model is GM_INVALID_DATA" -- \
  "$G" log-prob "$T/laid.safetensors" --data "npy:$T/ones64.npy" --shape 2,4,8
for s in 1,8,9 0,8,8 8 1,1,8,8 a,b,c 1,,8; do
  expect 1 "fit --shape $s is GM_INVALID_ARGUMENT" -- "$G" fit bernoulli --data "npy:$T/zeros64.npy" --shape $s \
    --out "$T/x.safetensors"
done
expect 1 "fit --shape 1,8,9 ..." -- "$G" fit bernoulli --data "npy:$T/zeros64.npy" --shape 1,8,9 --out "$T/x.safetensors"
contains "$T/err" "C\*H\*W must equal d" "a --shape of the wrong size says what must hold"
expect 1 "--shape that contradicts the data's own layout is GM_INVALID_ARGUMENT" -- \
  "$G" log-prob "$T/laid.safetensors" --data "npy:$T/ones4x16.npy" --shape 1,8,8
[[ ! -e "$T/x.safetensors" ]] && ok || bad "a refused fit writes no model"

# The main job, on the built-in set (Fashion-MNIST is the benchmark's business).
expect 0 "demo falls back to bars-and-stripes" -- env GM_FASHION_MNIST_DIR=/nonexistent "$G" demo --out-dir "$T/demo"
contains "$T/out" "test log-likelihood" "demo reports the test log-likelihood"
[[ -s "$T/demo/samples.png" && -s "$T/demo/model.safetensors" ]] && ok || bad "demo writes samples.png and the model"

# classifier and eval, on 200 synthetic 28×28 images (a bright square whose place is the
# class): one quick epoch, so the figures mean nothing — only the plumbing is checked.
/usr/bin/python3 - "$T" <<'PY'
import numpy as np, sys
t = sys.argv[1]
rng = np.random.default_rng(0)
y = np.arange(200) % 10
x = 0.3 * rng.random((200, 28, 28), dtype=np.float32)
for i, c in enumerate(y):
    r, q = 2 + 9 * (c // 5), 1 + 5 * (c % 5)
    x[i, r:r + 8, q:q + 8] += 0.6
np.save(f"{t}/fx.npy", x.reshape(200, 784))
np.save(f"{t}/fy.npy", y.astype(np.int32))
np.save(f"{t}/fx_u8.npy", np.round(x * 255).astype(np.uint8).reshape(200, 1, 28, 28))
np.save(f"{t}/fx_bad.npy", 2 * x)
np.save(f"{t}/fx_bin.npy", (x > 0.5).astype(np.float32).reshape(200, 784))
PY
F="npy:$T/fx.npy:$T/fy.npy"
expect 0 "classifier trains" -- "$G" classifier --data "$F" --test "$F" --epochs 1 --out "$T/c.safetensors"
contains "$T/out" "test accuracy" "classifier prints the test accuracy"
expect 4 "classifier on 3×3 data is GM_INVALID_DATA" -- "$G" classifier --data $BARS --out "$T/x.safetensors"
contains "$T/err" "28×28" "the message names the image size"
expect 4 "classifier without labels is GM_INVALID_DATA" -- "$G" classifier --data "npy:$T/fx.npy" --out "$T/x.safetensors"
expect 0 "eval --images --json" -- "$G" eval --images "$T/fx.npy" --reference "$F" --classifier "$T/c.safetensors" --json
tail -n 1 "$T/out" > "$T/json"
/usr/bin/python3 - "$T/json" <<'PY' && ok || bad "eval of a set against itself: distance 0, n = 200"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["n"] == 200 and abs(j["frechet_distance"]) < 1e-6 and len(j["class_shares"]) == 10, j
PY
expect 0 "eval reads uint8 (N, 1, 28, 28)" -- "$G" eval --images "$T/fx_u8.npy" --reference "$F" --classifier "$T/c.safetensors"
contains "$T/out" "Fréchet distance" "eval prints the distance"
expect 4 "images outside [0, 1] are GM_INVALID_DATA" -- "$G" eval --images "$T/fx_bad.npy" --reference "$F" --classifier "$T/c.safetensors"
expect 1 "eval without MODEL or --images is GM_INVALID_ARGUMENT" -- "$G" eval --reference "$F" --classifier "$T/c.safetensors"
expect 0 "fit bernoulli on 784 binary values" -- "$G" fit bernoulli --data "npy:$T/fx_bin.npy" --out "$T/b784.safetensors"
expect 0 "eval samples a model" -- "$G" eval "$T/b784.safetensors" --reference "$F" --classifier "$T/c.safetensors" --n 100 --json
contains "$T/out" '"n":100' "eval uses --n samples"
expect 1 "eval with both MODEL and --images is GM_INVALID_ARGUMENT" -- \
  "$G" eval "$T/b784.safetensors" --images "$T/fx.npy" --reference "$F" --classifier "$T/c.safetensors"
expect 2 "eval of a 3×3 model is GM_UNSUPPORTED" -- "$G" eval "$T/m.safetensors" --reference "$F" --classifier "$T/c.safetensors"
contains "$T/err" "28×28 grey images" "the message says what eval needs"
# eval --truncation samples as sample --truncation does; refused where it means nothing.
expect 0 "fit a tiny 28×28 dcgan for eval" -- "$G" fit dcgan --data "npy:$T/fx.npy" --shape 1,28,28 \
  --config '{"ngf":2,"ndf":2,"latent":4}' --epochs 1 --batch-size 50 --threads 1 --out "$T/dc28.safetensors"
expect 0 "eval --truncation samples the model truncated" -- "$G" eval "$T/dc28.safetensors" --truncation 0.5 \
  --reference "$F" --classifier "$T/c.safetensors" --n 100 --json
contains "$T/out" '"truncation":0.5' "eval names the truncation it sampled with"
expect 1 "eval --truncation of a kind without a latent is GM_INVALID_ARGUMENT" -- "$G" eval "$T/b784.safetensors" \
  --truncation 1 --reference "$F" --classifier "$T/c.safetensors" --n 100
contains "$T/err" "Gaussian latent" "the message names the kinds that take it"
expect 1 "eval --images --truncation is GM_INVALID_ARGUMENT" -- "$G" eval --images "$T/fx.npy" --truncation 1 \
  --reference "$F" --classifier "$T/c.safetensors"
contains "$T/err" "scored as given" "the message says why"
expect 9 "a model file as the classifier is GM_CORRUPT_FILE" -- \
  "$G" eval --images "$T/fx.npy" --reference "$F" --classifier "$T/m.safetensors"
contains "$T/err" "not a feature classifier" "the message says what the file is"
head -c 1000 "$T/c.safetensors" > "$T/c_trunc.safetensors"
expect 9 "a truncated classifier is GM_CORRUPT_FILE" -- \
  "$G" eval --images "$T/fx.npy" --reference "$F" --classifier "$T/c_trunc.safetensors"
mkdir -p "$T/cache" && cp "$T/c.safetensors" "$T/cache/fashion-mnist-classifier.safetensors"
expect 0 "eval finds the classifier in GENMODELS_CACHE" -- env GENMODELS_CACHE="$T/cache" "$G" eval --images "$T/fx.npy" --reference "$F"
expect 8 "a missing cached classifier is trained first (here: no Fashion-MNIST, GM_IO_ERROR)" -- \
  env GENMODELS_CACHE="$T/empty" GM_FASHION_MNIST_DIR=/nonexistent "$G" eval --images "$T/fx.npy" --reference "$F"
contains "$T/err" "training one on fashion-mnist:train" "eval says it trains the classifier"

# interpolate: latent paths through a decoder; kinds without one say so.
/usr/bin/python3 -c "
import numpy as np
rng = np.random.default_rng(0)
np.save('$T/img8.npy', rng.random((32, 1, 8, 8)).astype(np.float32))
"
expect 0 "fit a tiny dcgan" -- "$G" fit dcgan --data "npy:$T/img8.npy" --config '{"ngf":4,"ndf":4,"latent":6}' \
  --epochs 1 --batch-size 16 --threads 1 --out "$T/dc.safetensors"
expect 0 "interpolate writes a rows x steps grid" -- "$G" interpolate "$T/dc.safetensors" --rows 3 --steps 5 --out "$T/paths.npy"
/usr/bin/python3 -c "
import numpy as np, sys
a = np.load('$T/paths.npy'); sys.exit(0 if a.shape[0] == 15 and a.min() >= 0 and a.max() <= 1 else 1)
" && ok || bad "interpolate: 15 images in [0, 1]"
expect 2 "interpolate needs a decoder (GM_UNSUPPORTED)" -- "$G" interpolate "$T/b.safetensors" --out "$T/x.png"

# Conditions end to end on 40 tiny labelled images (1×8×8, a bright quarter per class mod 4):
# text cgan with builtin captions and with a captions file, label cgan, per-epoch grids.
/usr/bin/python3 - "$T" <<'PY'
import numpy as np, sys
t = sys.argv[1]
rng = np.random.default_rng(1)
y = np.arange(40) % 10
x = 0.1 * rng.random((40, 1, 8, 8), dtype=np.float32)
for i, c in enumerate(y):
    r, q = 4 * ((c % 4) // 2), 4 * (c % 2)
    x[i, 0, r:r + 4, q:q + 4] += 0.8
np.save(f"{t}/q.npy", x)
np.save(f"{t}/qy.npy", y.astype(np.int32))
np.save(f"{t}/qz.npy", rng.standard_normal((3, 8)).astype(np.float32))
with open(f"{t}/q.txt", "w") as f:
    f.writelines(f"a square in corner {c % 4}\n" for c in y)
with open(f"{t}/q_short.txt", "w") as f:
    f.write("only one line\n")
PY
Q="npy:$T/q.npy:$T/qy.npy"
TEXT_CFG='{"condition": "text", "ngf": 4, "ndf": 4, "latent": 8, "embed": 8}'
expect 0 "fit cgan text --captions builtin --grid-dir" -- "$G" fit cgan --data "$Q" --config "$TEXT_CFG" \
  --captions builtin --text-dim 64 --epochs 2 --batch-size 10 --grid-dir "$T/grids" --out "$T/ct.safetensors"
contains "$T/out" '"condition_dim":64' "the fitted text width is in the configuration"
contains "$T/out" 'captions: builtin' "fit says where the captions came from"
[[ -s "$T/grids/epoch_001.png" && -s "$T/grids/epoch_002.png" ]] && ok || bad "--grid-dir writes one PNG per epoch"
expect 0 "sample --text" -- "$G" sample "$T/ct.safetensors" --text "a pair of trousers" --n 6 --seed 2 --out "$T/ct.npy"
expect 0 "sample --text again" -- "$G" sample "$T/ct.safetensors" --text "a pair of trousers" --n 6 --seed 2 --out "$T/ct2.npy"
cmp -s "$T/ct.npy" "$T/ct2.npy" && ok || bad "the same sentence and seed give the same images"
expect 0 "sample another --text" -- "$G" sample "$T/ct.safetensors" --text "an ankle boot" --n 6 --seed 2 --out "$T/ct3.npy"
/usr/bin/python3 -c "
import numpy as np
a, b = np.load('$T/ct.npy'), np.load('$T/ct3.npy')
assert a.shape == (6, 1, 8, 8) and a.min() >= 0 and a.max() <= 1, a.shape
assert not np.array_equal(a, b)
" && ok || bad "text samples are (6, 1, 8, 8) in [0, 1] and depend on the sentence"
expect 1 "a text cgan needs --text" -- "$G" sample "$T/ct.safetensors" --n 2 --out "$T/x.npy"
contains "$T/err" "--text" "the message names --text"
expect 1 "--label for a text cgan is GM_INVALID_ARGUMENT" -- "$G" sample "$T/ct.safetensors" --label 1 --out "$T/x.npy"
expect 0 "decode --text" -- "$G" decode "$T/ct.safetensors" --codes "$T/qz.npy" --text "a bag" --out "$T/cd.npy"
/usr/bin/python3 -c "import numpy as np; a = np.load('$T/cd.npy'); assert a.shape == (3, 1, 8, 8)" && ok || bad "decode --text shape"
expect 0 "fit cgan text --captions FILE" -- "$G" fit cgan --data "$Q" --config "$TEXT_CFG" --captions "$T/q.txt" \
  --text-dim 32 --epochs 1 --batch-size 10 --grid-dir "$T/fgrids" --out "$T/cf.safetensors"
[[ -s "$T/fgrids/epoch_001.png" ]] && ok || bad "--grid-dir with a captions file"
# The learned sentence encoder (subword-ids-v3) driven by a user's captions file, on data
# without labels: fit, then sample from a sentence (issue 17). --text-dim 256 = 8 word slots
# (32 ids each): a sentence's words after the 8th are not read.
V3_CFG='{"condition": "text", "text_features": "subword-ids-v3", "ngf": 4, "ndf": 4, "latent": 8, "embed": 8}'
expect 0 "fit cgan text subword-ids-v3 --captions FILE (no labels)" -- "$G" fit cgan --data "npy:$T/q.npy" \
  --config "$V3_CFG" --captions "$T/q.txt" --text-dim 256 --epochs 2 --batch-size 10 --out "$T/cv3.safetensors"
contains "$T/out" "captions: $T/q.txt" "fit names the captions file"
contains "$T/out" '"text_features":"subword-ids-v3"' "the encoder's feature version is in the configuration"
expect 0 "info of a subword-ids-v3 cgan" -- "$G" info "$T/cv3.safetensors"
contains "$T/out" "g.text.table" "the model holds the learned encoder's word-piece table"
expect 0 "sample --text (subword-ids-v3)" -- "$G" sample "$T/cv3.safetensors" --text "a square in corner 2" --n 5 \
  --seed 4 --out "$T/cv3a.npy"
expect 0 "sample --text again (subword-ids-v3)" -- "$G" sample "$T/cv3.safetensors" --text "a square in corner 2" \
  --n 5 --seed 4 --out "$T/cv3b.npy"
cmp -s "$T/cv3a.npy" "$T/cv3b.npy" && ok || bad "subword-ids-v3: the same sentence and seed give the same images"
expect 0 "sample another --text (subword-ids-v3)" -- "$G" sample "$T/cv3.safetensors" --text "a square in corner 1" \
  --n 5 --seed 4 --out "$T/cv3c.npy"
/usr/bin/python3 -c "
import numpy as np
a, c = np.load('$T/cv3a.npy'), np.load('$T/cv3c.npy')
assert a.shape == (5, 1, 8, 8) and a.min() >= 0 and a.max() <= 1, a.shape
assert not np.array_equal(a, c)
" && ok || bad "subword-ids-v3 samples are (5, 1, 8, 8) in [0, 1] and depend on the sentence"
! grep -q "note:" "$T/err" && ok || bad "a sentence within the word slots gets no note"
# Words past the last slot are not read: fit and sample say so (and how many sentences).
expect 0 "sample --text past the 8 word slots (subword-ids-v3)" -- "$G" sample "$T/cv3.safetensors" \
  --text "a small bright square drawn in the top left corner of the picture" --n 2 --out "$T/x.npy"
contains "$T/err" "note: 1 of 1 sentences have more than 8 words" "sample notes the words it does not read"
expect 0 "fit with captions longer than --text-dim's word slots" -- "$G" fit cgan --data "npy:$T/q.npy" \
  --config "$V3_CFG" --captions "$T/q.txt" --text-dim 64 --epochs 1 --batch-size 10 --out "$T/x.safetensors"
contains "$T/err" "more than 2 words.*a larger --text-dim" "fit notes the dropped words and names --text-dim"
expect 1 "subword-ids-v3 with a width not a multiple of 32 is GM_INVALID_ARGUMENT" -- "$G" fit cgan \
  --data "npy:$T/q.npy" --config "$V3_CFG" --captions "$T/q.txt" --text-dim 40 --epochs 1 --out "$T/x.safetensors"
contains "$T/err" "multiple of 32" "the message says the width must be a multiple of 32"
# The sentence-class matching loss (text_match) takes each sentence's class from the labels.
V3M_CFG='{"condition": "text", "text_features": "subword-ids-v3", "text_match": 1, "ngf": 4, "ndf": 4, "latent": 8, "embed": 8}'
expect 0 "fit cgan text_match --captions FILE (labels)" -- "$G" fit cgan --data "$Q" --config "$V3M_CFG" \
  --captions "$T/q.txt" --text-dim 256 --epochs 1 --batch-size 10 --out "$T/cv3m.safetensors"
contains "$T/out" '"classes":10' "text_match: the class count comes from the labels"
expect 0 "info of a text_match cgan" -- "$G" info "$T/cv3m.safetensors"
contains "$T/out" "g.match.weight F32 \\[10, 8\\]" "text_match: G's class prototypes are saved"
expect 0 "sample --texts (text_match)" -- "$G" sample "$T/cv3m.safetensors" --texts "$T/q.txt" --out "$T/cv3m.npy"
expect 4 "text_match without labels is GM_INVALID_DATA" -- "$G" fit cgan --data "npy:$T/q.npy" --config "$V3M_CFG" \
  --captions "$T/q.txt" --text-dim 256 --epochs 1 --out "$T/x.safetensors"
contains "$T/err" "text_match" "the message names text_match"
# Conditioning augmentation (text_augment): g.augment saved; one sentence's samples differ.
V3A_CFG='{"condition": "text", "text_features": "subword-ids-v3", "text_augment": 1, "ngf": 4, "ndf": 4, "latent": 8, "embed": 8}'
expect 0 "fit cgan text_augment --captions FILE" -- "$G" fit cgan --data "$Q" --config "$V3A_CFG" \
  --captions "$T/q.txt" --text-dim 256 --epochs 1 --batch-size 10 --out "$T/cv3g.safetensors"
expect 0 "info of a text_augment cgan" -- "$G" info "$T/cv3g.safetensors"
contains "$T/out" "g.augment.weight F32 \\[16, 8\\]" "text_augment: G's [mu | log sigma^2] layer is saved"
expect 0 "sample --text (text_augment)" -- "$G" sample "$T/cv3g.safetensors" --text "a square in corner 1" \
  --n 5 --seed 4 --out "$T/cv3g.npy"
expect 4 "a captions file with fewer lines than rows is GM_INVALID_DATA" -- "$G" fit cgan --data "$Q" \
  --config "$TEXT_CFG" --captions "$T/q_short.txt" --out "$T/x.safetensors"
expect 8 "a missing captions file is GM_IO_ERROR" -- "$G" fit cgan --data "$Q" --config "$TEXT_CFG" \
  --captions "$T/none.txt" --out "$T/x.safetensors"
expect 4 "--captions builtin without labels is GM_INVALID_DATA" -- "$G" fit cgan --data "npy:$T/q.npy" \
  --config "$TEXT_CFG" --captions builtin --out "$T/x.safetensors"
expect 1 "a text cgan without --captions is GM_INVALID_ARGUMENT" -- "$G" fit cgan --data "$Q" --config "$TEXT_CFG" \
  --out "$T/x.safetensors"
contains "$T/err" "--captions" "the message names --captions"
expect 1 "--captions for markov is GM_INVALID_ARGUMENT" -- "$G" fit markov --data $BARS --captions builtin \
  --out "$T/x.safetensors"

expect 0 "fit cgan labels --grid-dir" -- "$G" fit cgan --data "$Q" --config '{"ngf": 4, "ndf": 4, "latent": 8}' \
  --epochs 1 --batch-size 10 --grid-dir "$T/lgrids" --out "$T/cl.safetensors"
[[ -s "$T/lgrids/epoch_001.png" ]] && ok || bad "--grid-dir for a label cgan"
expect 0 "sample --label" -- "$G" sample "$T/cl.safetensors" --label 3 --n 4 --out "$T/cl.npy"
expect 0 "sample --labels (n = their count)" -- "$G" sample "$T/cl.safetensors" --labels 0,1,9 --out "$T/cl3.npy"
/usr/bin/python3 -c "import numpy as np; assert np.load('$T/cl3.npy').shape == (3, 1, 8, 8)" && ok || bad "--labels sets n"
expect 1 "--label outside the classes is GM_INVALID_ARGUMENT" -- "$G" sample "$T/cl.safetensors" --label 10 --out "$T/x.npy"
expect 1 "--labels count other than --n is GM_INVALID_ARGUMENT" -- "$G" sample "$T/cl.safetensors" --labels 0,1 --n 3 \
  --out "$T/x.npy"
expect 1 "--text for a label cgan is GM_INVALID_ARGUMENT" -- "$G" sample "$T/cl.safetensors" --text "a bag" --out "$T/x.npy"
expect 0 "decode --label" -- "$G" decode "$T/cl.safetensors" --codes "$T/qz.npy" --label 2 --out "$T/cld.npy"
expect 1 "decode of a label cgan without a label is GM_INVALID_ARGUMENT" -- "$G" decode "$T/cl.safetensors" \
  --codes "$T/qz.npy" --out "$T/x.npy"
expect 1 "--label for markov is GM_INVALID_ARGUMENT" -- "$G" sample "$T/m.safetensors" --label 1 --out "$T/x.npy"
contains "$T/err" "conditional" "the message says the model is not conditional"
/usr/bin/python3 -c "import numpy as np; np.save('$T/flat.npy', np.random.default_rng(0).random((20, 64), dtype=np.float32))"
expect 1 "--grid-dir on data without an image layout is GM_INVALID_ARGUMENT" -- "$G" fit gan --data "npy:$T/flat.npy" \
  --config '{"g_hidden": [8], "d_hidden": [8], "latent": 4}' --epochs 1 --grid-dir "$T/x" --out "$T/x.safetensors"
expect 0 "sample --texts (n = its lines)" -- "$G" sample "$T/ct.safetensors" --texts "$T/q.txt" --out "$T/ctf.npy"
/usr/bin/python3 -c "import numpy as np; assert np.load('$T/ctf.npy').shape == (40, 1, 8, 8)" && ok || bad "--texts sets n"
expect 1 "--texts with another --n is GM_INVALID_ARGUMENT" -- "$G" sample "$T/ct.safetensors" --texts "$T/q.txt" --n 3 \
  --out "$T/x.npy"

# captions: the built-in phrasings, as text for people and benchmarks
expect 0 "captions lists the phrasings" -- "$G" captions
contains "$T/out" "held-out templates (" "captions lists the held-out templates"
contains "$T/out" "ankle boot" "captions lists the classes"
expect 0 "captions --held-out --template --repeat" -- "$G" captions --held-out --template 0 --repeat 2 \
  --out "$T/held.txt" --labels-out "$T/held.npy"
/usr/bin/python3 -c "
import numpy as np
lines = open('$T/held.txt').read().splitlines(); y = np.load('$T/held.npy')
assert len(lines) == len(y) and len(y) % 2 == 0 and set(y) == set(range(10)), (len(lines), len(y))
assert lines[0] == lines[1] and y.dtype == np.int32
" && ok || bad "held-out captions: two of each, one label per line, every class"
expect 1 "captions --template out of range is GM_INVALID_ARGUMENT" -- "$G" captions --held-out --template 99
expect 0 "captions --train" -- "$G" captions --train --data "$Q" --out "$T/train.txt"
[[ $(wc -l < "$T/train.txt") -eq 40 ]] && ok || bad "captions --train writes one caption per row"
"$G" fit cgan --data "$Q" --config "$TEXT_CFG" --captions builtin --text-dim 64 --epochs 1 --out "$T/x.safetensors" \
  > "$T/fitout" 2>&1
grep -qF "e.g. \"$(head -n 1 "$T/train.txt")\"" "$T/fitout" && ok || bad "captions --train gives the captions fit attaches"

# eval --labels: the classifier's accuracy on images against given classes (all rows)
expect 0 "eval --images --labels --json" -- "$G" eval --images "$T/fx.npy" --labels "$T/fy.npy" --reference "$F" \
  --classifier "$T/c.safetensors" --json
tail -n 1 "$T/out" > "$T/json"
/usr/bin/python3 - "$T/json" <<'PY' && ok || bad "eval --labels reports accuracy over the 200 labelled images"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["labelled"] == 200 and 0 <= j["classifier_accuracy"] <= 1 and len(j["per_class_accuracy"]) == 10, j
PY
/usr/bin/python3 -c "import numpy as np; np.save('$T/fy_short.npy', np.zeros(5, np.int32)); np.save('$T/fy_bad.npy', np.full(200, 12, np.int32))"
expect 4 "eval --labels of the wrong length is GM_INVALID_DATA" -- "$G" eval --images "$T/fx.npy" \
  --labels "$T/fy_short.npy" --reference "$F" --classifier "$T/c.safetensors"
expect 4 "eval --labels outside [0, 10) is GM_INVALID_DATA" -- "$G" eval --images "$T/fx.npy" \
  --labels "$T/fy_bad.npy" --reference "$F" --classifier "$T/c.safetensors"
expect 1 "eval --labels without --images is GM_INVALID_ARGUMENT" -- "$G" eval "$T/b784.safetensors" \
  --labels "$T/fy.npy" --reference "$F" --classifier "$T/c.safetensors"

# fit --chunk-size: bernoulli and markov fitted 7 rows at a time (the first chunk from scratch, then
# warm starts that add counts) write the same bytes as the one-shot fit; other kinds and specs refused.
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(13)
np.save('$T/chunk.npy', (r.random((45, 4, 4)) * 255).astype(np.uint8))
"
for cfg in '{}' '{"order": 2}'; do
  kind=bernoulli; [[ $cfg == '{}' ]] || kind=markov
  expect 0 "fit $kind --chunk-size 7" -- "$G" fit $kind --config "$cfg" --data "npy:$T/chunk.npy" --binarize 0.5 \
    --chunk-size 7 --out "$T/chunked.safetensors"
  contains "$T/out" "7 chunks of up to 7 rows" "fit --chunk-size says how many chunks it read"
  expect 0 "fit $kind one-shot" -- "$G" fit $kind --config "$cfg" --data "npy:$T/chunk.npy" --binarize 0.5 \
    --out "$T/whole.safetensors"
  cmp -s "$T/chunked.safetensors" "$T/whole.safetensors" && ok || bad "$kind fitted in chunks of 7 differs from the one-shot fit"
done
expect 1 "fit nade --chunk-size is GM_INVALID_ARGUMENT" -- "$G" fit nade --data "npy:$T/chunk.npy" --binarize 0.5 \
  --chunk-size 7 --out "$T/x.safetensors"
contains "$T/err" "nade trains in epochs over all rows: drop --chunk-size" "the message says why and what to do"
expect 1 "fit --chunk-size on builtin: is GM_INVALID_ARGUMENT" -- "$G" fit bernoulli --data $BARS --chunk-size 7 \
  --out "$T/x.safetensors"
contains "$T/err" "drop --chunk-size" "the message names the specs that stream"


# progan's --stage (issue 16): 0 = the current stage (as gm_sample_options.stage), K = stage K
# upsampled to the data's size, a stage the model lacks refused with its range.
/usr/bin/python3 -c "import numpy as np; np.save('$T/pg.npy', np.random.RandomState(0).rand(32, 64).astype(np.float32))"
expect 0 "fit progan on 8x8 images" -- "$G" fit progan --data "npy:$T/pg.npy" --shape 1,8,8 --epochs 2 \
  --batch-size 16 --config '{"fade_images":16,"stable_images":16}' --out "$T/pg.safetensors" --quiet
expect 0 "sample --stage 0 (the current stage)" -- "$G" sample "$T/pg.safetensors" --n 2 --stage 0 --out "$T/pg0.npy"
expect 0 "sample (no --stage)" -- "$G" sample "$T/pg.safetensors" --n 2 --out "$T/pg_default.npy"
cmp -s "$T/pg0.npy" "$T/pg_default.npy" && ok || bad "--stage 0 differs from the default"
expect 0 "sample --stage 1 (4x4, upsampled)" -- "$G" sample "$T/pg.safetensors" --n 2 --stage 1 --out "$T/pg1.npy"
/usr/bin/python3 -c "
import numpy as np, sys
x = np.load('$T/pg1.npy').reshape(2, 8, 8)
sys.exit(0 if x.shape == (2, 8, 8) and np.array_equal(x[:, ::2, ::2], x[:, 1::2, 1::2]) else 1)" && ok ||
  bad "stage 1 samples are not 4x4 blocks upsampled to 8x8"
expect 1 "sample --stage 9 is refused" -- "$G" sample "$T/pg.safetensors" --n 2 --stage 9 --out "$T/pg9.npy"
contains "$T/err" "this model has stages 1 to 2" "the message gives the model's stages"

# progan on a folder of 64×64 colour PNGs (issue 16: "works on 64×64 inputs too"): five stages
# 4 → 64, grown to the last one, sampled there and at stage 2 (16×16, upsampled).
mkdir -p "$T/pg64"
/usr/bin/python3 - "$T/pg64" <<'PY'
import struct, sys, zlib
import numpy as np
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
rng = np.random.RandomState(1)
for i in range(8):
    img = np.zeros((64, 64, 3), np.uint8)
    img[..., i % 3] = 40
    y, x = rng.randint(0, 40, 2)
    img[y:y + 24, x:x + 24] = rng.randint(100, 255, 3)
    raw = b"".join(b"\x00" + row.tobytes() for row in img)
    with open(f"{sys.argv[1]}/img{i}.png", "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
expect 0 "fit progan on a folder of 64x64 colour images" -- "$G" fit progan --data "images:$T/pg64" --epochs 9 \
  --batch-size 8 --threads 1 --out "$T/pg64.safetensors" --quiet \
  --config '{"latent":8,"fmap_base":16,"fmap_max":8,"fade_images":8,"stable_images":8,"mbstd_group":4}'
expect 0 "info of the 64x64 progan" -- "$G" info "$T/pg64.safetensors"
contains "$T/out" "3 x 64 x 64 image" "info gives the 64x64 colour layout"
contains "$T/out" "growth: stage 5 of 5 (64x64), 72 images shown" "info gives the stage reached"
expect 0 "sample it at stage 5 (64x64)" -- "$G" sample "$T/pg64.safetensors" --n 2 --stage 5 --out "$T/pg64_5.npy"
expect 0 "sample it at stage 2 (16x16, upsampled)" -- "$G" sample "$T/pg64.safetensors" --n 2 --stage 2 \
  --out "$T/pg64_2.npy"
/usr/bin/python3 -c "
import numpy as np, sys
a, b = np.load('$T/pg64_5.npy').reshape(2, 3, 64, 64), np.load('$T/pg64_2.npy').reshape(2, 3, 64, 64)
blocky = np.array_equal(b, b[:, :, ::4, ::4].repeat(4, axis=2).repeat(4, axis=3))
sys.exit(0 if blocky and not np.array_equal(a, a[:, :, ::4, ::4].repeat(4, axis=2).repeat(4, axis=3)) else 1)" && ok ||
  bad "stage 2 is not 16x16 upsampled, or stage 5 is"
expect 0 "sample it to a PNG" -- "$G" sample "$T/pg64.safetensors" --n 4 --out "$T/pg64.png"
[[ -s $T/pg64.png ]] && ok || bad "no PNG of 64x64 samples"

finish cli
