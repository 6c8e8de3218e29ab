#!/usr/bin/env bash
# Runs every binding's own test runner, and every example, against the library built in
# BUILD_DIR (a meson build folder, already built):
#   C++     meson test --suite cpp_binding, and examples/example.cpp built with pkg-config
#           (shared) and against libgenmodels.a (static)
#   Python  /usr/bin/python3 -m unittest (plus examples/example.py)
#   Rust    cargo test --offline (plus cargo run --example example)
#   Go      go vet + go test (plus go run ./examples/example)
#   Layout  bindings/layout/print_layout.c prints genmodels.h's structs (offsetof, sizeof)
#           and constants as JSON ($GENMODELS_LAYOUT_JSON); each binding's layout test
#           (Python tests/test_layout.py, Rust tests/layout.rs, Go layout_test.go) compares
#           its own declarations with it
# It installs nothing. Each runner prints its own summary; the closing table says which
# failed, and the exit status is non-zero if any did.
#   bindings/run_tests.sh BUILD_DIR
# shellcheck disable=SC2317  # the step functions are called through run
set -uo pipefail
build=$(realpath "${1:?usage: bindings/run_tests.sh BUILD_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
if [[ ! -e $build/capi/libgenmodels.so || ! -e $build/capi/libgenmodels.a ]]; then
  echo "run_tests: no libgenmodels in $build/capi; build it first (ninja -C $build)" >&2
  exit 2
fi

export GENMODELS_LIBRARY=$build/capi/libgenmodels.so  # Python (ctypes)
export GENMODELS_BUILD_DIR=$build                       # Rust build.rs: the static archive
export PKG_CONFIG_PATH=$build/capi${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}  # Go, C++: the build-tree .pc
export CARGO_TARGET_DIR=$build/bindings/cargo GOFLAGS=-mod=mod GOPROXY=off
# Go caches cgo packages with the link flags of their first build (it does not rerun
# pkg-config): a cache of its own per build folder, so an install elsewhere cannot leak in.
export GOCACHE=$build/bindings/go-cache
python=${PYTHON:-/usr/bin/python3}
work=$build/bindings
mkdir -p "$work"

# The C compiler's view of genmodels.h, for the layout tests (which skip without it).
export GENMODELS_LAYOUT_JSON=$work/layout.json
rm -f "$GENMODELS_LAYOUT_JSON"
if ! cc -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$root/include" "$here/layout/print_layout.c" \
  -o "$work/print_layout" || ! "$work/print_layout" >"$GENMODELS_LAYOUT_JSON"; then
  echo "run_tests: bindings/layout/print_layout.c failed; the layout tests cannot run" >&2
  rm -f "$GENMODELS_LAYOUT_JSON"
fi

# shellcheck source=../scripts/cases.sh
source "$root/scripts/cases.sh"

cpp_test() {
  if [[ ! -x $build/tests/cpp_binding/test_cpp_binding ]]; then
    echo "tests/cpp_binding is not built in $build (is subdir('cpp_binding') in tests/meson.build?)"
    return 1
  fi
  meson test -C "$build" --no-rebuild --suite cpp_binding --print-errorlogs
}

cpp_example() {
  local src=$here/cpp/examples/example.cpp flags=(-std=c++17 -O2 -Wall -Wextra -Wpedantic -Werror)
  # shellcheck disable=SC2046  # pkg-config prints lists of flags
  c++ "${flags[@]}" $(pkg-config --cflags genmodels) "$src" -o "$work/example_cpp" $(pkg-config --libs genmodels) &&
    c++ "${flags[@]}" $(pkg-config --cflags genmodels) "$src" -o "$work/example_cpp_static" \
      "$build/capi/libgenmodels.a" $(pkg-config --static --libs-only-l --libs-only-other genmodels | sed 's/-lgenmodels//') &&
    ! ldd "$work/example_cpp_static" | grep -q libgenmodels &&
    "$work/example_cpp" && "$work/example_cpp_static" >/dev/null
}

docs_show_examples() {  # docs/bindings.md and docs/install.md quote these files verbatim
  "$python" - "$root" <<'PY'
import sys
root = sys.argv[1]
quoted = {"docs/bindings.md": ("bindings/cpp/examples/example.cpp", "bindings/python/examples/example.py",
                               "bindings/rust/examples/example.rs", "bindings/go/examples/example/main.go"),
          "docs/install.md": ("tests/user/go/go.mod", "tests/user/rust/Cargo.toml",
                              "tests/user/cmake/CMakeLists.txt")}
stale = [f"{doc} ({p})" for doc, files in quoted.items() for p in files
         if open(f"{root}/{p}").read().rstrip("\n") not in open(f"{root}/{doc}").read()]
print("out of date: " + ", ".join(stale) if stale else "the docs show every example verbatim")
sys.exit(1 if stale else 0)
PY
}

layouts() {  # each binding's structs and constants against the C compiler's (the suites run them too)
  [[ -s $GENMODELS_LAYOUT_JSON ]] || { echo "no $GENMODELS_LAYOUT_JSON"; return 1; }
  (cd "$here/python" && "$python" -m unittest tests.test_layout) &&
    (cd "$here/rust" && cargo test --offline --quiet --test layout) &&
    (cd "$here/go" && go test -count=1 -run TestLayoutMatchesGenmodelsH .)
}

run "struct layouts match genmodels.h" layouts
run "C++ binding (meson test)" cpp_test
run "C++ example" cpp_example
run "Python binding (unittest)" bash -c "cd '$here/python' && '$python' -m unittest discover -s tests"
run "Python example" env PYTHONPATH="$here/python" "$python" "$here/python/examples/example.py"
run "Rust binding (cargo test)" bash -c "cd '$here/rust' && cargo test --offline --quiet"
run "Rust example" bash -c "cd '$here/rust' && cargo run --offline --quiet --example example"
run "Go binding (go test)" bash -c "cd '$here/go' && go vet ./... && go test ./..."
run "Go example" bash -c "cd '$here/go' && go run ./examples/example"
run "docs quote the examples" docs_show_examples

summary "bindings"
