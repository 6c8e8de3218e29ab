# Shared by the test drivers that run a list of cases and end with a table
# (bindings/run_tests.sh, tests/user/run.sh): source it, call `run NAME COMMAND...` per case,
# then `summary TITLE`, which prints the table and returns non-zero if any case failed.
declare -a case_names case_results

run() {  # run NAME COMMAND...: prints a header, runs it, records ok/FAILED and its time
  local name=$1 start=$SECONDS
  shift
  echo
  echo "=== $name"
  if "$@"; then case_results+=("ok"); else case_results+=("FAILED"); fi
  case_names+=("$name ($((SECONDS - start)) s)")
}

summary() {  # summary TITLE
  local i status=0
  echo
  echo "=== $1: summary"
  for i in "${!case_names[@]}"; do
    printf '  %-60s %s\n' "${case_names[$i]}" "${case_results[$i]}"
    [[ ${case_results[$i]} == ok ]] || status=1
  done
  return $status
}
