# Sourced by the command-line test scripts (tests/cli/test_*.sh, first argument: the genmodels
# executable): $G, a scratch folder $T removed at exit, the pass/fail counters and the checks.
# A script ends with `finish NAME`, which prints "NAME: N passed, N failed" and sets the status.
G=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
expect() {  # expect CODE DESCRIPTION -- command...: exit code must be CODE; output in $T/out, $T/err
  local code=$1 what=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [[ $got -eq $code ]]; then ok; else bad "$what: exit $got, expected $code"; cat "$T/out" "$T/err"; fi
}
contains() {  # contains FILE TEXT DESCRIPTION (TEXT: a basic regular expression)
  if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; cat "$1"; fi
}
contains_ere() {  # contains_ere FILE REGEX DESCRIPTION (an extended regular expression)
  if grep -Eq -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; cat "$1"; fi
}
finish() {
  echo "$1: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
