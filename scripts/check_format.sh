#!/usr/bin/env bash
# Checks every tracked C and C++ file against .clang-format; --fix rewrites them in place.
# Needs clang-format (Debian: clang-format); the version is pinned by name when present,
# since another major version formats a few constructs differently.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z $cf ]]; then
  echo "check_format: clang-format is not installed; apt-get install clang-format" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
if [[ ${1:-} == --fix ]]; then
  "$cf" -i "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
elif "$cf" --dry-run --Werror "${files[@]}" 2>/tmp/check_format.$$; then
  rm -f /tmp/check_format.$$
  echo "check_format: ${#files[@]} files match .clang-format"
else
  grep -o '^[^:]*:[0-9]*' /tmp/check_format.$$ | sort -u | head -20 >&2
  rm -f /tmp/check_format.$$
  echo "check_format: the files above differ from .clang-format; run scripts/check_format.sh --fix" >&2
  exit 1
fi
