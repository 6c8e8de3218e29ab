#!/usr/bin/env bash
# PixelCNN benchmarks (bench/RESULTS.md, "PixelCNN"), against build-p's static libraries.
#   bench/pixelcnn/run.sh conv [threads] [trials]   masked full kernels against rectangular ones
#   bench/pixelcnn/run.sh sample [threads]          incremental sampling against the full network per pixel
#   bench/pixelcnn/run.sh step THREADS F L M BATCH STEPS [SIDE]   one training step (bench_step.cpp)
#   GM_PIXELCNN_NO_RUN=1: build only (bench/pixelcnn/step.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
which=${1:-conv}
shift || true
build=${GM_PIXELCNN_BUILD_DIR:-build-p}
[[ -d $build ]] || meson setup "$build" >/dev/null
ninja -C "$build" lib/libgm_nn.a lib/libgm_core.a lib/libgm_models.a lib/libgm_data.a lib/libgm_io.a >/dev/null
out="$build/bench_pixelcnn_$which"
c++ -std=c++17 -O2 -fopenmp -Wall -Wextra -Ilib $(pkg-config --cflags fmt) \
  "bench/pixelcnn/bench_$which.cpp" -o "$out" \
  -Wl,--start-group "$build"/lib/libgm_models.a "$build"/lib/libgm_data.a "$build"/lib/libgm_io.a \
  "$build/lib/libgm_nn.a" "$build/lib/libgm_core.a" -Wl,--end-group -ldnnl $(pkg-config --libs fmt) -lz -lstb -ljpeg
[[ -n ${GM_PIXELCNN_NO_RUN:-} ]] || "$out" "$@"
