#!/usr/bin/env bash
# Every test: set up in a fresh build folder, then the C++ unit suites, the C ABI tests
# (compiled as C, shared and static), the command-line tests, the fuzz harnesses replaying
# their corpora, the sanitizer builds (scripts/sanitize.sh), the "as a user" group
# (install, then build and run a program in every language from outside the checkout) and
# the bindings' own runners. Ends with the line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export GM_BUILD_DIR=${GM_BUILD_DIR:-build-test}
rm -rf "$GM_BUILD_DIR"
scripts/setup.sh -Dwerror=true || { echo "tests: 0 passed, 1 failed"; exit 1; }

passed=0
failed=0
step_failures=
step() {  # step NAME COMMAND...: runs one test step and counts it
  echo "== $1"
  if "${@:2}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "== FAILED: $1"
    step_failures+="== FAILED: $1"$'\n'
  fi
}

# The meson suites count one by one (unit suites, C ABI from C, command line).
meson test -C "$GM_BUILD_DIR" --print-errorlogs --num-processes 2
log="$GM_BUILD_DIR/meson-logs/testlog.json"
passed=$(grep -c '"result": "OK"' "$log" || true)
failed=$(grep -vc '"result": "OK"' "$log" || true)
# Their names again at the very end: a CI log that keeps only its tail still says which failed.
meson_failures=$(scripts/meson_failures.py "$GM_BUILD_DIR")

step "C/C++ files match .clang-format" scripts/check_format.sh
step "sanitizers: ASan+UBSan (unit, capi, robustness, fuzz corpora) and TSan (threads on one model)" \
  scripts/sanitize.sh
step "as a user: install, then C, C++, CMake, Go, Rust and Python from outside the checkout" \
  tests/user/run.sh "$GM_BUILD_DIR"
if [[ -x bindings/run_tests.sh ]]; then
  step "bindings (Python, Rust, Go, C++)" bindings/run_tests.sh "$GM_BUILD_DIR"
fi

[[ -n $meson_failures ]] && echo "$meson_failures"
printf %s "$step_failures"
echo "tests: ${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
