#!/usr/bin/env bash
# Builds bench/nade/nade_bench against a build folder's static libraries.
# Usage: bench/nade/build.sh [BUILD_DIR]   (default: build; run `ninja -C BUILD_DIR` first)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
g++ -std=c++17 -O2 -fopenmp -Ilib -I"$B" bench/nade/nade_bench.cpp -o "$B/nade_bench" \
  "$B"/lib/libgm_models.a "$B"/lib/libgm_nn.a "$B"/lib/libgm_io.a "$B"/lib/libgm_data.a "$B"/lib/libgm_core.a \
  -ldnnl -lfmt -lz -lstb -lpthread
echo "$B/nade_bench"
