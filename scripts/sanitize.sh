#!/usr/bin/env bash
# The sanitizer part of the test command (issue 12): two builds of their own beside the
# normal one, each running the tests a sanitizer can judge.
#
#  1. build-asan (ASan + UBSan, -O3 -g1 like the shipped library): the C++ unit suites (meson suite "unit"), the
#     C ABI tests from C, shared and static ("capi"), the failure injection and C ABI
#     concurrency tests ("robustness"), and every fuzz harness replaying its checked-in corpus
#     ("fuzz": fuzz/replay_main.cpp, no clang needed). Leak checking is on: a leak fails the test that
#     leaked.
#  2. build-tsan (TSan, -O3 -g1): the tests whose concurrency is std::threads calling
#     one model at once — tests/robustness/test_concurrency (every kind, every verb, from the
#     C ABI) and the test cases of the C++ suites that start std::threads (listed below).
#     They run with OMP_NUM_THREADS=1 and threads = 1 per call. Why not the whole suites:
#     the library's OpenMP is GCC's libgomp, which is not built with TSan; its barriers are
#     futexes and atomics TSan cannot see, so every parallel region whose threads touch the
#     same data before and after a barrier is reported as a race (false positives by the
#     hundred). A suppressions file for libgomp does not help: the "racing" accesses are in
#     our own instrumented loops, not in libgomp, and suppressing them would hide real races
#     too. So TSan checks what OpenMP cannot explain away — several host threads on one model,
#     the promise of genmodels.h, "Thread safety" — and OpenMP's own loops are covered by the
#     tests that compare 1 thread with 2 bit for bit. One exception inside: nn's concurrency
#     case also runs 4 host threads with 2 OpenMP threads each, all inside oneDNN (not
#     instrumented either); ignore_noninstrumented_modules=1 keeps TSan from judging the
#     memset/memcpy oneDNN's OpenMP workers make (their barrier is invisible to TSan), while
#     every access our own code makes is still checked. tests/sanitizers/tsan.supp is empty.
#
# Why -O3 and not debugoptimized: the checks are of the code users run (the library ships at
# -O3). Why -g1 (line tables) and not -g: a sanitizer report needs function names, files and
# lines, which -g1 has; full debug information made UBSan's -O3 compiles 1.4-2.3x slower
# (io/safetensors.cpp 46 s against 33 s, cyclegan.cpp 38 s against 16 s) for nothing a report
# prints.
#
# Exit status: 0 when every test passes with no sanitizer report, else 1. The closing lines
# summarise each sanitizer: tests passed/failed and reports by type. Folders: $GM_ASAN_DIR,
# $GM_TSAN_DIR (default build-asan, build-tsan); an existing folder is reused (incremental).
# Arguments: "asan" or "tsan" to run only that half.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
asan_dir=${GM_ASAN_DIR:-build-asan}
tsan_dir=${GM_TSAN_DIR:-build-tsan}
which=${1:-all}

# Reports make a test fail with these exit codes, so a report is never mistaken for a pass.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=66:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:print_summary=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0:exitcode=66"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1:exitcode=67"
export TSAN_OPTIONS="halt_on_error=0:exitcode=68:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$root/tests/sanitizers/tsan.supp:print_suppressions=0"

summary=()
status=0

# configure DIR SANITIZER [CPP_ARG...]: meson setup once, then keep the options right on reuse.
configure() {
  local dir=$1 sanitize=$2
  shift 2
  local cpp_args="'-g1'" arg
  for arg in "$@"; do cpp_args+=",'$arg'"; done
  local opts=(--buildtype=release -Ddebug=false "-Dc_args=['-g1']" "-Dcpp_args=[$cpp_args]"
    "-Db_sanitize=$sanitize" -Db_lundef=false -Dwerror=false)
  if [[ -f "$dir/build.ninja" ]]; then
    meson configure "$dir" "${opts[@]}" >/dev/null
  else
    meson setup "$dir" "${opts[@]}" >"$dir.setup.log" 2>&1 || {
      cat "$dir.setup.log"
      rm -f "$dir.setup.log"
      return 1
    }
    rm -f "$dir.setup.log"
  fi
}

# build_tests DIR SUITE...: builds only the executables of those suites' tests (not the
# command line, not the other tests), so a sanitizer build costs what it checks.
build_tests() {
  local dir=$1
  shift
  local targets
  # Regenerate first (ninja's build.ninja rule reruns meson when a meson.build changed): the
  # introspection below reads the build files, and a stale list misses tests added since.
  ninja -C "$dir" build.ninja >/dev/null || return 1
  targets=$(meson introspect "$dir" --tests | python3 -c '
import json, os, sys
suites = set(sys.argv[2:])
build = os.path.realpath(sys.argv[1])
out = set()
for t in json.load(sys.stdin):
    if suites & {s.split(":")[-1] for s in t["suite"]}:
        exe = os.path.realpath(t["cmd"][0])
        if exe.startswith(build + os.sep):
            out.add(os.path.relpath(exe, build))
print("\n".join(sorted(out)))' "$dir" "$@") || return 1
  # shellcheck disable=SC2086 # one target a line
  ninja -C "$dir" $targets
}

# reports LOG...: counts sanitizer reports by type in the given logs.
reports() {
  cat "$@" 2>/dev/null | grep -oE 'ERROR: AddressSanitizer: [a-z-]+|ERROR: LeakSanitizer: detected memory leaks|runtime error: [a-z ]{1,40}|WARNING: ThreadSanitizer: [a-z -]+|ERROR: ThreadSanitizer: [a-z -]+' |
    sed -E 's/ +$//' | sort | uniq -c | sed -E 's/^ +//' | paste -sd ';' - | sed 's/;/; /g'
}

run_asan() {
  local t0=$SECONDS
  echo "== sanitize: ASan + UBSan build in $asan_dir"
  if ! configure "$asan_dir" address,undefined || ! build_tests "$asan_dir" unit capi robustness fuzz; then
    summary+=("ASan+UBSan: build FAILED")
    status=1
    return
  fi
  # The meson tests with their own timeouts x3: a sanitized test is 2-5x slower.
  meson test -C "$asan_dir" --no-rebuild --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
    --suite unit --suite capi --suite robustness --suite fuzz
  local rc=$?
  local log="$asan_dir/meson-logs/testlog.json"
  local ok bad found
  ok=$(grep -c '"result": "OK"' "$log" || true)
  bad=$(grep -vc '"result": "OK"' "$log" || true)
  found=$(reports "$asan_dir/meson-logs/testlog.txt")
  ((rc != 0 || bad != 0)) && status=1
  [[ -n $found ]] && status=1
  summary+=("ASan+UBSan (unit, capi, robustness, fuzz corpus replay): $ok passed, $bad failed; reports: ${found:-none} ($((SECONDS - t0)) s)")
  local names
  names=$(scripts/meson_failures.py "$asan_dir")
  [[ -n $names ]] && summary+=("$names")
}

# The C++ test cases that start std::threads on one model (doctest -tc filters).
tsan_cases=(
  "test_nn|inference from 4 threads on one model equals the single-thread result"
  "test_models|vae: inference verbs run concurrently on one model"
  "test_cpp_binding|8 threads calling log_prob and sample on one model agree with one thread"
)

run_tsan() {
  local t0=$SECONDS
  echo "== sanitize: TSan build in $tsan_dir"
  # GCC 12 instruments the ifunc resolvers of target_clones functions (lib/nn/optim.cpp,
  # bce_row.cpp, ...), and the dynamic loader runs them before TSan is initialised: SIGSEGV
  # before main. The TSan build turns the attribute into a harmless one (the default code
  # path only; dispatch is not what TSan checks).
  if ! configure "$tsan_dir" thread '-Dtarget_clones(...)=unused' ||
    ! ninja -C "$tsan_dir" tests/robustness/test_concurrency tests/test_nn tests/test_models tests/cpp_binding/test_cpp_binding; then
    summary+=("TSan: build FAILED")
    status=1
    return
  fi
  local logdir="$tsan_dir/sanitize-logs"
  rm -rf "$logdir"
  mkdir -p "$logdir"
  local ok=0 bad=0
  # tsan_run NAME COMMAND...: one test; its output goes to the terminal and to NAME's log.
  tsan_run() {
    local name=$1 log="$logdir/$1.log"
    shift
    echo "-- $name"
    if OMP_NUM_THREADS=1 "$@" >"$log" 2>&1 && ! grep -q 'ThreadSanitizer' "$log"; then
      ok=$((ok + 1))
      tail -n 2 "$log"
    else
      bad=$((bad + 1))
      cat "$log"
      echo "-- FAILED: $name"
    fi
  }
  tsan_run concurrency "$tsan_dir/tests/robustness/test_concurrency"
  local entry exe path
  for entry in "${tsan_cases[@]}"; do
    exe=${entry%%|*}
    path="$tsan_dir/tests/$exe"
    [[ $exe == test_cpp_binding ]] && path="$tsan_dir/tests/cpp_binding/$exe"
    tsan_run "$exe" "$path" "--test-case=${entry#*|}"
  done
  local found
  found=$(reports "$logdir"/*.log)
  ((bad != 0)) && status=1
  [[ -n $found ]] && status=1
  summary+=("TSan (std::thread concurrency, OMP_NUM_THREADS=1): $ok passed, $bad failed; reports: ${found:-none} ($((SECONDS - t0)) s)")
}

start=$SECONDS
[[ $which == all || $which == asan ]] && run_asan
[[ $which == all || $which == tsan ]] && run_tsan
echo "== sanitize summary ($((SECONDS - start)) s)"
for line in "${summary[@]}"; do echo "  $line"; done
if ((status == 0)); then echo "sanitize: OK (no sanitizer reports)"; else echo "sanitize: FAILED"; fi
exit $status
