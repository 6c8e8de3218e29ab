#!/usr/bin/env bash
# The main job: set up (scripts/setup.sh), then fit the default model (nade) on binarised
# Fashion-MNIST and write into genmodels-demo/: samples.png, completions.png (the bottom half
# of test images filled in), anomalies.png (the most and least likely test images), the model
# file and summary.{txt,json} with the test NLL beside the independent-pixel baseline. About
# two minutes on two cores. Extra arguments go to `genmodels demo`, e.g. `--kind markov` (the
# instant variant), `--epochs 20`, `--out-dir DIR`, `--quiet`; `genmodels demo --help` lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# OpenMP workers that sleep instead of spinning: on a machine other processes share, spinning
# threads lose whole time slices (nade's epoch took 27 s spinning against 17 s passive beside
# two busy processes; README, "Threads"). Set OMP_WAIT_POLICY yourself to override.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
exec "${GM_BUILD_DIR:-build}/tools/genmodels/genmodels" demo "$@"
