#!/usr/bin/env bash
# Builds a layer-kit micro-benchmark against build-nn's static libraries and runs it.
#   bench/nn/run.sh [threads]          Linear against the square product (bench_linear.cpp)
#   bench/nn/run.sh binary [threads]   binary-input products against dense (bench_binary.cpp)
set -euo pipefail
cd "$(dirname "$0")/../.."
which=linear
if [[ ${1:-} == binary ]]; then which=binary; shift; fi
build=${GM_NN_BUILD_DIR:-build-nn}
[[ -d $build ]] || meson setup "$build" >/dev/null
ninja -C "$build" lib/libgm_nn.a lib/libgm_core.a >/dev/null
out="$build/bench_nn_$which"
c++ -std=c++17 -O3 -fopenmp -Wall -Wextra -Ilib $(pkg-config --cflags xtensor fmt) \
  "bench/nn/bench_$which.cpp" -o "$out" \
  "$build/lib/libgm_nn.a" "$build/lib/libgm_core.a" -ldnnl $(pkg-config --libs fmt)
"$out" "${1:-2}"
