#!/usr/bin/env bash
# The command line on M-level pixels (docs/levels.md): --levels M on data commands, the level
# count kept by fit, log-prob --json's levels and bits_per_dim, PNG output of levels, and the
# errors. Usage: test_levels.sh GENMODELS
set -u
# shellcheck source=harness.sh
source "$(dirname "$0")/harness.sh"
data=builtin:bars-and-stripes:4

expect 0 "fit categorical on 4 levels" -- "$G" fit categorical --data $data --levels 4 --out "$T/c4.gm"
expect 0 "info shows the model" -- "$G" info "$T/c4.gm"
contains "$T/out" "pixels of 4 levels" "info names the level count"
expect 0 "info --json" -- "$G" info "$T/c4.gm" --json
contains "$T/out" '"levels":4' "info --json has the level count"
expect 0 "log-prob --json" -- "$G" log-prob "$T/c4.gm" --data $data --levels 4 --json
contains "$T/out" '"levels":4' "log-prob --json reports the model's levels"
contains_ere "$T/out" '"bits_per_dim":[0-9.]+' "log-prob --json reports bits_per_dim"
expect 0 "log-prob without --levels: the model's own M" -- "$G" log-prob "$T/c4.gm" --data $data --levels 4
expect 0 "sample a PNG of levels" -- "$G" sample "$T/c4.gm" --n 9 --out "$T/s.png"
[[ -s $T/s.png ]] && ok || bad "sample wrote no PNG"
expect 0 "sample .npy keeps the levels" -- "$G" sample "$T/c4.gm" --n 9 --out "$T/s.npy"
expect 0 "complete on levels" -- "$G" complete "$T/c4.gm" --data $data --levels 4 --hide bottom-half --out "$T/c.png"

expect 4 "other levels than the model's" -- "$G" log-prob "$T/c4.gm" --data $data --levels 8
contains "$T/err" "the data has 8 levels" "the message names both level counts"
/usr/bin/python3 -c "import numpy as np; np.save('$T/half.npy', np.full((2, 16), 0.5, np.float32))"
expect 4 "values that are not levels" -- "$G" log-prob "$T/c4.gm" --data "npy:$T/half.npy"
contains "$T/err" "integers in \[0, 4)" "the message says what a level is"
expect 4 "bernoulli refuses 4 levels" -- "$G" fit bernoulli --data $data --levels 4 --out "$T/b.gm"
contains "$T/err" "categorical" "the message names a kind for M levels"
expect 64 "--levels and --binarize exclude each other" -- \
  "$G" fit categorical --data $data --levels 4 --binarize 0.5 --out "$T/x.gm"
expect 64 "--levels 1 is out of range" -- "$G" fit categorical --data $data --levels 1 --out "$T/x.gm"
expect 64 "--levels 257 is out of range" -- "$G" fit categorical --data $data --levels 257 --out "$T/x.gm"
expect 0 "--levels 2 is binary" -- "$G" fit bernoulli --data $data --levels 2 --out "$T/b2.gm"

finish test_levels
