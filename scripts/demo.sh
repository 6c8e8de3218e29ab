#!/usr/bin/env bash
# The main job: set up, then fit the default model on binarised Fashion-MNIST and write
# genmodels-demo/samples.png and the test log-likelihood. Extra arguments go to
# `genmodels demo` (e.g. --kind bernoulli --config '{}').
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec "${GM_BUILD_DIR:-build}/tools/genmodels/genmodels" demo "$@"
