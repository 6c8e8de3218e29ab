#!/usr/bin/env bash
# Builds the layer-kit micro-benchmark against build-nn's static libraries and runs it.
#   bench/nn/run.sh [threads]      (default 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${GM_NN_BUILD_DIR:-build-nn}
[[ -d $build ]] || meson setup "$build" >/dev/null
ninja -C "$build" lib/libgm_nn.a lib/libgm_core.a >/dev/null
out="$build/bench_nn_linear"
c++ -std=c++17 -O3 -fopenmp -Wall -Wextra -Ilib $(pkg-config --cflags xtensor fmt) \
  bench/nn/bench_linear.cpp -o "$out" \
  "$build/lib/libgm_nn.a" "$build/lib/libgm_core.a" -ldnnl $(pkg-config --libs fmt)
"$out" "${1:-2}"
