#!/usr/bin/env bash
# "As a user": installs a build into a temporary prefix, checks what it holds, then from a temporary folder
# outside the checkout builds and runs, the way docs/install.md and docs/bindings.md say,
#   C    with pkg-config: genmodels (shared) and genmodels-static
#   C++  genmodels.hpp with pkg-config, and with CMake find_package (shared and static)
#   Go   a module with the documented go.mod lines (static by default)
#   Rust a crate with a path dependency on bindings/rust
#   Py   `pip install --no-build-isolation <repo>` in a fresh venv --system-site-packages
# Each fits bernoulli on one small .npy and must print the known mean NLL. No
# LD_LIBRARY_PATH or GENMODELS_LIBRARY is set; the only variables are the ones the docs
# name (PKG_CONFIG_PATH / CMAKE_PREFIX_PATH for a prefix outside /usr and /usr/local).
#   tests/user/run.sh BUILD_DIR      (a configured and built meson folder; its prefix is changed)
# shellcheck disable=SC2317  # the step functions are called through run
set -uo pipefail
build=$(realpath "${1:?usage: tests/user/run.sh BUILD_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=/usr/bin/python3
work=$(mktemp -d -t genmodels-user.XXXXXX)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH GENMODELS_LIBRARY GENMODELS_BUILD_DIR PKG_CONFIG_PATH
cd "$work" || exit 1

prefix=$work/prefix
echo "as a user: installing into $prefix"
meson configure "$build" -Dprefix="$prefix" >/dev/null || { echo "as a user: meson configure failed"; exit 1; }
meson install -C "$build" --quiet >/dev/null || { echo "as a user: meson install failed"; exit 1; }
pcdir=$(dirname "$(find "$prefix" -name genmodels.pc -path '*pkgconfig*' | head -1)")

# The data: 4 rows of 4 pixels. Column counts 3, 1, 0, 3; bernoulli's default alpha = 1
# gives p = (c + 1) / (n + 2), and the expected mean NLL follows in closed form.
"$python" - "$work/x.npy" <<'PY' || exit 1
import sys, math
import numpy as np
x = np.array([[1, 0, 0, 1], [1, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float32)
np.save(sys.argv[1], x)
p = (x.sum(0) + 1) / (len(x) + 2)
nll = -np.mean([sum(math.log(p[j] if v else 1 - p[j]) for j, v in enumerate(r)) for r in x])
open(sys.argv[1] + ".expected", "w").write(f"nll {nll:.6f}")
PY
expected=$(cat "$work/x.npy.expected")
echo "as a user: expecting '$expected' from every language"

# shellcheck source=../../scripts/cases.sh
source "$root/scripts/cases.sh"
check() {  # check PROGRAM...: runs it and compares its NLL line with the expected one
  local out
  out=$("$@" "$work/x.npy") || { echo "$* failed: $out"; return 1; }
  echo "$out"
  [[ $out == *"$expected" ]] || { echo "expected '$expected'"; return 1; }
}
not_linked_to_so() {  # a static build must run without libgenmodels.so, and carry the archive's own
  # dependencies: libjpeg (the JPEG decoder, lib/data/image_folder.cpp) stands for them, named by
  # genmodels-static.pc, the CMake target, and through the .pc Go's and Rust's links
  if ldd "$1" | grep -q libgenmodels; then echo "$1 still needs libgenmodels.so"; return 1; fi
  if ! ldd "$1" | grep -q 'libjpeg\.so'; then echo "$1 does not link libjpeg (genmodels-static.pc's private libs)"; return 1; fi
}

installed_files() {  # what meson install must put in the prefix, and the program runs
  local f missing=0
  for f in include/genmodels/genmodels.h include/genmodels/genmodels.hpp bin/genmodels; do
    [[ -e $prefix/$f ]] || { echo "not installed: $f"; missing=1; }
  done
  for f in libgenmodels.so libgenmodels.so.1 libgenmodels.a pkgconfig/genmodels.pc \
    pkgconfig/genmodels-static.pc cmake/genmodels/genmodelsConfig.cmake \
    cmake/genmodels/genmodelsConfigVersion.cmake; do
    [[ -e $pcdir/../$f ]] || { echo "not installed: <libdir>/$f"; missing=1; }
  done
  ((missing == 0)) && "$prefix/bin/genmodels" kinds >/dev/null
}
c_case() {
  local pc="env PKG_CONFIG_PATH=$pcdir pkg-config"
  # shellcheck disable=SC2046,SC2086  # pkg-config prints lists of flags
  cc -std=c11 -Wall -Werror "$here/use_genmodels.c" $($pc --cflags --libs genmodels) -o c_shared &&
    check ./c_shared &&
    cc -std=c11 -Wall -Werror "$here/use_genmodels.c" $($pc --cflags --libs genmodels-static) -o c_static &&
    not_linked_to_so c_static && check ./c_static &&
    cc -std=c11 -Wall -Werror "$root/examples/c/quickstart.c" $($pc --cflags --libs genmodels) -lm -o quickstart &&
    local out && out=$(./quickstart) && head -1 <<<"$out" && grep -q "30 patterns, NLL 7.44" <<<"$out"
}
cpp_case() {
  local pc="env PKG_CONFIG_PATH=$pcdir pkg-config"
  # shellcheck disable=SC2046,SC2086
  c++ -std=c++17 -Wall -Werror "$here/use_genmodels.cpp" $($pc --cflags --libs genmodels) -o cpp_shared &&
    check ./cpp_shared
}
cmake_case() {
  mkdir -p cmake && cp "$here/cmake/CMakeLists.txt" cmake/ && cp "$here/use_genmodels.cpp" . &&
    cmake -S cmake -B cmake/build -DCMAKE_PREFIX_PATH="$prefix" >cmake.log 2>&1 &&
    cmake --build cmake/build >>cmake.log 2>&1 || { cat cmake.log; return 1; }
  check cmake/build/use_genmodels && not_linked_to_so cmake/build/use_genmodels_static &&
    check cmake/build/use_genmodels_static
}
# Go caches a cgo package with the link flags pkg-config gave when it was first built, and
# does not ask again: a cache shared with the build-tree tests would link their -L folder
# (or a deleted prefix). A user's own machine has no such neighbour, so this case gets its own.
go_case() {
  mkdir -p go && cp "$here/go/main.go" go/ &&
    sed "s|/path/to/genmodels|$root|" "$here/go/go.mod" >go/go.mod &&
    (cd go && PKG_CONFIG_PATH=$pcdir GOCACHE=$work/go-cache go build -o ../go_app .) &&
    not_linked_to_so go_app && check ./go_app
}
rust_case() {
  mkdir -p rust/src && cp "$here/rust/src/main.rs" rust/src/ &&
    sed "s|/path/to/genmodels|$root|" "$here/rust/Cargo.toml" >rust/Cargo.toml &&
    (cd rust && PKG_CONFIG_PATH=$pcdir cargo build --offline --quiet) &&
    not_linked_to_so rust/target/debug/myapp && check rust/target/debug/myapp
}
python_case() {
  "$python" -m venv --system-site-packages venv &&
    venv/bin/pip install --quiet --no-build-isolation --config-settings builddir="$build/user-python" "$root" ||
    return 1
  # The wheel holds the library: a platform tag, never py3-none-any.
  local tag
  tag=$(grep -h '^Tag:' venv/lib/python3*/site-packages/genmodels-*.dist-info/WHEEL)
  echo "wheel $tag"
  [[ $tag != *none-any* ]] || return 1
  (cd / && check "$work/venv/bin/python" "$here/use_genmodels.py") &&
    (cd / && "$work/venv/bin/python" -c 'import genmodels, sys; print("python: genmodels", genmodels.__version__)')
}

run "installed files, and the installed genmodels program runs" installed_files
run "C, pkg-config genmodels and genmodels-static" c_case
run "C++, genmodels.hpp with pkg-config" cpp_case
run "C++, CMake find_package (shared and static)" cmake_case
run "Go, the documented go.mod lines" go_case
run "Rust, a path dependency" rust_case
run "Python, pip install of the repository in a venv" python_case

summary "as a user"
