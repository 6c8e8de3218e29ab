#!/usr/bin/env bash
# Every test: set up in a fresh build folder, then the C++ unit suites, the C ABI tests
# (compiled as C, shared and static), the command-line tests and the bindings' own
# runners. Ends with the line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export GM_BUILD_DIR=${GM_BUILD_DIR:-build-test}
rm -rf "$GM_BUILD_DIR"
scripts/setup.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }

meson test -C "$GM_BUILD_DIR" --print-errorlogs --num-processes 2
status=$?
log="$GM_BUILD_DIR/meson-logs/testlog.json"
passed=$(grep -c '"result": "OK"' "$log" || true)
failed=$(grep -vc '"result": "OK"' "$log" || true)
echo "tests: ${passed} passed, ${failed} failed"
exit $status
