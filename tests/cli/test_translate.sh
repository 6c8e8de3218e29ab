#!/usr/bin/env bash
# The command line of the translating kinds (docs/gan.md, "Translation"): fit cyclegan on two
# unpaired sets (--data, --data-b) and stargan on --domains or labelled data, info listing the
# domains, translate to a PNG of pairs and to .npy by name and by index, and the errors.
# Usage: test_translate.sh GENMODELS
set -u
# shellcheck source=harness.sh
source "$(dirname "$0")/harness.sh"
# Two small domains of 8×8 images: a holds values in [0, 0.5), b in [0.5, 1].
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(0)
np.save('$T/a.npy', (r.random((24, 64)) * 0.5).astype(np.float32))
np.save('$T/b.npy', (0.5 + r.random((20, 64)) * 0.5).astype(np.float32))
np.save('$T/c.npy', r.random((4, 36)).astype(np.float32))
np.save('$T/labels.npy', (np.arange(24) % 2).astype(np.int32))"
cfg='{"ngf": 2, "ndf": 2, "n_res": 1}'
expect 0 "fit cyclegan on two sets" -- "$G" fit cyclegan --data "npy:$T/a.npy" --data-b "npy:$T/b.npy" --shape 1,8,8 \
  --config "$cfg" --epochs 1 --batch-size 8 --threads 1 --out "$T/cg.gm"
contains "$T/out" "on 44 examples" "fit reads both domains"
expect 0 "info" -- "$G" info "$T/cg.gm"
contains "$T/out" "domains (translate --to NAME or INDEX): a, b" "info lists the domains"
contains "$T/out" "verbs: fit, translate" "info lists translate"
expect 0 "info --json" -- "$G" info "$T/cg.gm" --json
contains "$T/out" '"domains":\["a","b"\]' "info --json lists the domains"
expect 0 "translate to b, PNG" -- "$G" translate "$T/cg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --to b --out "$T/ab.png"
[[ -s $T/ab.png ]] && ok || bad "translate wrote no PNG"
expect 0 "translate to b, .npy" -- "$G" translate "$T/cg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --to b --out "$T/ab.npy"
expect 0 "translate to index 1" -- "$G" translate "$T/cg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --to 1 --out "$T/a1.npy"
cmp -s "$T/ab.npy" "$T/a1.npy" && ok || bad "--to b and --to 1 differ"
expect 0 "translate to a" -- "$G" translate "$T/cg.gm" --data "npy:$T/b.npy" --shape 1,8,8 --to a --out "$T/ba.npy"
/usr/bin/python3 -c "
import numpy as np, sys
y = np.load('$T/ab.npy').reshape(24, -1)
sys.exit(0 if y.shape == (24, 64) and y.min() >= 0 and y.max() <= 1 else 1)" && ok || bad "translations are not 24 rows in [0, 1]"

expect 1 "an unknown domain" -- "$G" translate "$T/cg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --to c --out "$T/x.npy"
contains "$T/err" '"a", "b"' "the message lists the domains"
expect 4 "rows of another width" -- "$G" translate "$T/cg.gm" --data "npy:$T/c.npy" --to b --out "$T/x.npy"
expect 1 "--data-b for a kind that does not translate" -- \
  "$G" fit bernoulli --data "npy:$T/a.npy" --data-b "npy:$T/b.npy" --out "$T/x.gm"
contains "$T/err" "translating kind" "the message says what --data-b is for"
expect 1 "sets of different widths" -- "$G" fit cyclegan --data "npy:$T/a.npy" --data-b "npy:$T/c.npy" --out "$T/x.gm"
contains "$T/err" "one image layout" "the message names both layouts"
expect 4 "cyclegan without domain b" -- "$G" fit cyclegan --data "npy:$T/a.npy" --shape 1,8,8 --out "$T/x.gm"
contains "$T/err" "gm_data.labels" "the message says how to give the domains"
expect 0 "cyclegan on one set with labels 0 and 1 works like --data-b" -- \
  "$G" fit cyclegan --data "npy:$T/a.npy:$T/labels.npy" --shape 1,8,8 --config "$cfg" --epochs 1 --threads 1 --out "$T/l.gm"
expect 64 "no data at all" -- "$G" fit cyclegan --out "$T/x.gm"

# stargan: one spec per domain with --domains (labels = the spec's index), or --data with labels.
expect 0 "fit stargan on three sets" -- "$G" fit stargan --domains "npy:$T/a.npy,npy:$T/b.npy,npy:$T/a.npy" \
  --shape 1,8,8 --config '{"ngf": 2, "ndf": 4, "n_res": 1, "d_steps": 2}' --epochs 1 --batch-size 8 --threads 1 \
  --out "$T/sg.gm"
contains "$T/out" "on 68 examples" "fit reads the three domains"
expect 0 "info" -- "$G" info "$T/sg.gm"
contains "$T/out" "domains (translate --to NAME or INDEX): 0, 1, 2" "info lists three domains"
expect 0 "translate to domain 2" -- "$G" translate "$T/sg.gm" --data "npy:$T/b.npy" --shape 1,8,8 --to 2 --out "$T/s2.npy"
expect 1 "domain 3 of 3" -- "$G" translate "$T/sg.gm" --data "npy:$T/b.npy" --shape 1,8,8 --to 3 --out "$T/x.npy"
expect 0 "fit stargan on labelled data" -- "$G" fit stargan --data "npy:$T/a.npy:$T/labels.npy" --shape 1,8,8 \
  --config '{"ngf": 2, "ndf": 4, "n_res": 1}' --epochs 1 --threads 1 --out "$T/sl.gm"
expect 1 "--domains and --data together" -- "$G" fit stargan --data "npy:$T/a.npy" --domains "npy:$T/a.npy,npy:$T/b.npy" \
  --out "$T/x.gm"
expect 1 "one domain" -- "$G" fit stargan --domains "npy:$T/a.npy" --out "$T/x.gm"

finish test_translate
