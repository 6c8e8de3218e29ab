#!/usr/bin/env bash
# Installs the Debian packages genmodels needs (only those missing) and configures and
# builds it in ./build (or $GM_BUILD_DIR). Run as root on Debian 12 (or with sudo).
# Every step that fails prints its own output and one line saying what to do.
# Extra arguments go to `meson setup` on the first configure (e.g. --prefix=/opt/genmodels).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # compilers and build tools
  g++ make meson ninja-build cmake pkg-config   # make: CMake's default generator (tests/user)
  # libraries; ocl-icd-opencl-dev: Debian's oneDNN CMake config calls find_package(OpenCL)
  # and fails without its headers (only a "recommends" of libdnnl-dev)
  libdnnl-dev ocl-icd-opencl-dev xtensor-dev doctest-dev libstb-dev libjpeg62-turbo-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  # data-parallel fit (meson option mpi, docs/distributed.md): Open MPI's headers and mpirun
  libopenmpi-dev openmpi-bin
  # data for the demo and the benchmarks
  dataset-fashion-mnist
  # bindings: Python (numpy, pip + meson-python for `pip install .`, venv for the tests;
  # python3-build and patchelf for `python3 -m build`), Go
  python3-numpy python3-sklearn python3-pip python3-venv python3-mesonpy python3-build patchelf golang-go
  # the format check of scripts/test.sh; the fuzz harnesses' replay tests need libFuzzer's
  # FuzzedDataProvider.h (fuzz/meson.build)
  clang-format libclang-rt-14-dev
)
# Rust: the machine's own cargo if there is one, else Debian's.
command -v cargo >/dev/null 2>&1 || packages+=(cargo)

log=$(mktemp -t genmodels-setup.XXXXXX)
trap 'rm -f "$log"' EXIT
who=setup
# shellcheck source=scripts/lib/packages.sh
source scripts/lib/packages.sh  # the working folder is the checkout (cd above)

install_missing "${packages[@]}"

build=${GM_BUILD_DIR:-build}
if [[ ! -f "$build/build.ninja" ]]; then
  step "meson setup $build" \
    "read the meson log above (a missing dependency means a package this script does not install: report it); delete '$build' and run again" \
    meson setup "$build" --buildtype=release "$@"
fi
echo "setup: building in $build (a few minutes the first time)"
step "build (ninja -C $build)" "read the compiler output above; 'rm -rf $build' and run again if the folder is stale" \
  ninja -C "$build"
echo "setup: built $build"
