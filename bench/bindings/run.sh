#!/usr/bin/env bash
# Per-call overhead of log_prob on ONE example (bernoulli, d = 784, threads = 1) through
# each binding versus the direct C call, both measured in the same process (101 interleaved
# rounds of 1000 calls each; the fastest round of each, i.e. the least disturbed by other
# load), and the Python no-copy evidence. Prints a table; exits 1 if a budget is exceeded.
#   bench/bindings/run.sh BUILD_DIR      (BUILD_DIR: a built meson build folder)
set -euo pipefail
build=$(realpath "${1:?usage: bench/bindings/run.sh BUILD_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$build/bench-bindings
mkdir -p "$work"
export PKG_CONFIG_PATH=$build/capi GENMODELS_LIBRARY=$build/capi/libgenmodels.so GENMODELS_BUILD_DIR=$build
export GOFLAGS=-mod=mod GOPROXY=off CARGO_TARGET_DIR=$build/bindings/cargo-bench
python=${PYTHON:-/usr/bin/python3}
private=$(pkg-config --static --libs-only-l --libs-only-other genmodels | sed 's/-lgenmodels//')

echo "building the benchmarks..." >&2
# shellcheck disable=SC2086  # $private is a list of flags
c++ -std=c++17 -O2 -I"$root/include" -I"$here" "$here/bench_cpp.cpp" -o "$work/bench_cpp" \
  "$build/capi/libgenmodels.a" $private
cc -O2 -shared -fPIC -DGMB_API= -I"$root/include" -x c "$here/direct.h" -o "$work/direct.so" \
  -L"$build/capi" -Wl,-rpath,"$build/capi" -lgenmodels
cargo build --quiet --release --offline --manifest-path "$here/rust/Cargo.toml"
(cd "$here/go" && go build -o "$work/bench_go" .)

out=$work/results.txt
{
  "$work/bench_cpp"
  "$CARGO_TARGET_DIR/release/genmodels-bench"
  "$work/bench_go"
  PYTHONPATH=$root/bindings/python "$python" "$here/bench_python.py" "$work/direct.so"
} >"$out"

awk '
  BEGIN { budget["cpp"] = 1000; budget["rust"] = 1000; budget["go"] = 3000; budget["python"] = 20000
          name["cpp"] = "C++ (genmodels.hpp)"; name["rust"] = "Rust"; name["go"] = "Go (cgo)"; name["python"] = "Python (ctypes)"
          printf "%-22s %12s %12s %12s %10s\n", "log_prob, 1 x 784", "direct C", "binding", "overhead", "budget"
          bad = 0 }
  $1 in budget { o = $3 - $2; ok = o <= budget[$1] ? "ok" : "OVER"; bad += ok == "OVER"
          printf "%-22s %9.2f us %9.2f us %9.2f us %7.0f us  %s\n", name[$1], $2 / 1e3, $3 / 1e3, o / 1e3, budget[$1] / 1e3, ok }
  $1 == "go" && NF > 3 { cgo = sprintf("Go: the direct call through one bare cgo transition takes %.2f us.\n", $4 / 1e3) }
  $1 == "nocopy" { notes = notes "  " $0 "\n" }
  END { printf "\n%sPython input arrays (log_prob, threads = 1):\n%s", cgo, notes; exit bad > 0 }
' "$out"
