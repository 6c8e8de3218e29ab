#!/usr/bin/env bash
# The command line of puzzlegan (docs/gan.md, "Whole images from parts"): fit on 8×8 images,
# complete --patches K to a PNG (patches, generated image, original) and to .npy, the same
# seed giving the same images, and the errors (a patch size the model does not take, --hide
# with --patches, a kind without the verb, a model without --patches).
# Usage: test_parts.sh GENMODELS
set -u
# shellcheck source=harness.sh
source "$(dirname "$0")/harness.sh"
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(0)
x = np.full((24, 8, 8), 0.1, np.float32)
for i in range(24):
    y0, x0 = r.integers(0, 6, 2)
    x[i, y0:y0 + 3, x0:x0 + 3] = 0.9
np.save('$T/a.npy', x.reshape(24, 64))
np.save('$T/bin.npy', (x.reshape(24, 64) > 0.5).astype(np.float32))"
cfg='{"parts": 2, "patch_size": 4, "nef": 2, "ngf": 2, "ndf": 2, "noise": 2}'
expect 0 "fit puzzlegan" -- "$G" fit puzzlegan --data "npy:$T/a.npy" --shape 1,8,8 --config "$cfg" --epochs 1 \
  --batch-size 8 --threads 1 --out "$T/pg.gm"
expect 0 "info" -- "$G" info "$T/pg.gm"
contains "$T/out" "complete_from_parts" "info lists the verb"
expect 0 "complete from 2 patches, PNG" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --patches 2 \
  --patch-size 4 --seed 3 --out "$T/p.png"
[[ -s $T/p.png ]] && ok || bad "complete --patches wrote no PNG"
contains "$T/out" "wrote 24 images generated from 2 patches of 4x4" "the message says what was written"
contains "$T/out" "inside the patches" "the message gives the L1 inside the patches"
expect 0 "complete from 2 patches, .npy" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 \
  --patches 2 --seed 3 --out "$T/p1.npy"
expect 0 "again, the same seed" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --patches 2 \
  --seed 3 --out "$T/p2.npy"
cmp -s "$T/p1.npy" "$T/p2.npy" && ok || bad "the same seed gave other images"
expect 0 "patches at random positions" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 \
  --patches 2 --seed 3 --key-patches random --out "$T/pr.npy"
cmp -s "$T/p1.npy" "$T/pr.npy" && bad "--key-patches random cut the same patches as object" || ok
expect 64 "--key-patches elsewhere" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --patches 2 \
  --key-patches elsewhere --out "$T/x.png"
expect 0 "three patches (another k than the model's K)" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" \
  --shape 1,8,8 --patches 3 --out "$T/p3.npy"
/usr/bin/python3 -c "
import numpy as np, sys
y = np.load('$T/p1.npy').reshape(24, -1)
sys.exit(0 if y.shape == (24, 64) and y.min() >= 0 and y.max() <= 1 else 1)" && ok || bad "generated images are not 24 rows in [0, 1]"

expect 1 "a patch size the model does not take" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 \
  --patches 2 --patch-size 8 --out "$T/x.png"
contains "$T/err" "takes patches of 4x4" "the message gives the model's patch size"
expect 64 "--hide with --patches" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --patches 2 \
  --hide centre --out "$T/x.png"
expect 64 "--patches 0" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --patches 0 --out "$T/x.png"
expect 2 "puzzlegan without --patches" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,8,8 --out "$T/x.png"
contains "$T/err" "complete_from_parts" "the message points to the parts"
expect 4 "rows of another width" -- "$G" complete "$T/pg.gm" --data "npy:$T/a.npy" --shape 1,4,16 --patches 2 \
  --out "$T/x.npy"
expect 0 "fit bernoulli" -- "$G" fit bernoulli --data "npy:$T/bin.npy" --shape 1,8,8 --out "$T/b.gm"
expect 2 "a kind without the verb" -- "$G" complete "$T/b.gm" --data "npy:$T/bin.npy" --shape 1,8,8 --patches 2 \
  --out "$T/x.png"
contains "$T/err" "only puzzlegan" "the message says which kind has it"

finish test_parts
