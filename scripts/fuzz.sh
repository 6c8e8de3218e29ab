#!/usr/bin/env bash
# Fuzzing (issue 12): builds the libFuzzer harnesses of fuzz/ in their own folder (clang,
# ASan + UBSan, the library instrumented for coverage) and runs them. fuzz/README.md has the
# harness list, the figures and what to do with a crash.
#
#   scripts/fuzz.sh [--time SECONDS] [harness...]   fuzz each harness SECONDS (default 10) over a
#                                                   copy of fuzz/corpus/<harness>, one at a time
#   scripts/fuzz.sh --regress [harness...]          run each harness once over its corpus (no
#                                                   fuzzing, about a minute): the test command's step
#   scripts/fuzz.sh --keep-going --time S [h...]    a campaign: libFuzzer's fork mode (one worker)
#                                                   goes on after a crash and counts them
#   scripts/fuzz.sh --crashes [harness...]          run the saved reproducers of fuzz/crashes/
#   scripts/fuzz.sh --make-corpus                   regenerate fuzz/corpus/ (fuzz_make_corpus)
#   scripts/fuzz.sh --build                         only set up and build
# Harnesses: model_file config npy idx images captions roundtrip (default: all).
#
# Needs clang, libFuzzer (libclang-rt-14-dev) and LLVM's OpenMP (libomp-14-dev: clang's
# -fopenmp links libomp) besides the library's own build dependencies; missing Debian packages
# are installed with apt-get as scripts/setup.sh does (root or sudo). Build folder:
# $GM_FUZZ_BUILD_DIR (default build-fuzz); crash reproducers and logs: $GM_FUZZ_OUT (default
# build-fuzz/fuzz-out). Exit status: 0 when no harness crashed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GM_FUZZ_BUILD_DIR:-build-fuzz}
out=${GM_FUZZ_OUT:-$build/fuzz-out}
all_harnesses=(model_file config npy idx images captions roundtrip)

mode=fuzz
seconds=10
harnesses=()
while (($#)); do
  case $1 in
    --time)
      seconds=${2:?--time needs SECONDS}
      shift
      ;;
    --time=*) seconds=${1#--time=} ;;
    --regress) mode=regress ;;
    --keep-going) mode=campaign ;;
    --crashes) mode=crashes ;;
    --make-corpus) mode=corpus ;;
    --build) mode=build ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "fuzz: unknown option $1 (see scripts/fuzz.sh --help)" >&2
      exit 2
      ;;
    *)
      [[ " ${all_harnesses[*]} " == *" $1 "* ]] || {
        echo "fuzz: unknown harness '$1'; the harnesses are: ${all_harnesses[*]}" >&2
        exit 2
      }
      harnesses+=("$1")
      ;;
  esac
  shift
done
((${#harnesses[@]})) || harnesses=("${all_harnesses[@]}")
[[ $seconds =~ ^[0-9]+$ && $seconds -ge 1 ]] || {
  echo "fuzz: --time takes a whole number of seconds >= 1, got '$seconds'" >&2
  exit 2
}

log=$(mktemp -t genmodels-fuzz.XXXXXX)
work=$(mktemp -d -t genmodels-fuzz-corpus.XXXXXX)
trap 'rm -rf "$log" "$work"' EXIT
who=fuzz
# shellcheck source=scripts/lib/packages.sh
source scripts/lib/packages.sh  # the working folder is the checkout (cd above)

# ---------------------------------------------------------------- packages
packages=(
  # clang with libFuzzer and the sanitizer runtimes, and LLVM's OpenMP runtime (clang's -fopenmp)
  clang libclang-rt-14-dev libomp-14-dev
  # the library's build dependencies (as scripts/setup.sh)
  meson ninja-build cmake pkg-config libdnnl-dev ocl-icd-opencl-dev xtensor-dev libstb-dev libjpeg62-turbo-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
)
install_missing "${packages[@]}"

# ---------------------------------------------------------------- build
# The library's objects get -fsanitize=fuzzer-no-link (coverage for libFuzzer) and UBSan
# findings abort (-fno-sanitize-recover), so libFuzzer records them as crashes.
flags="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
opts=(-Dfuzz=true -Dtests=false "-Db_sanitize=address,undefined" -Db_lundef=false --buildtype=debugoptimized
  "-Dc_args=$flags" "-Dcpp_args=$flags")
if [[ -f "$build/build.ninja" ]]; then
  step "meson configure $build" "delete '$build' and run again" meson configure "$build" "${opts[@]}"
else
  step "meson setup $build (clang)" \
    "read the meson log above; a missing dependency means a package this script does not install: report it" \
    env CC=clang CXX=clang++ meson setup "$build" "${opts[@]}"
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz/fuzz_$h"); done
[[ $mode == corpus ]] && targets=(fuzz/fuzz_make_corpus)
echo "fuzz: building ${targets[*]} in $build (about 10 minutes on 2 cores the first time)"
step "build (ninja -C $build)" "read the compiler output above; 'rm -rf $build' and run again if the folder is stale" \
  ninja -C "$build" "${targets[@]}"

if [[ $mode == build ]]; then
  echo "fuzz: built"
  exit 0
fi
if [[ $mode == corpus ]]; then
  rm -rf "$work/corpus"
  "$build/fuzz/fuzz_make_corpus" "$work/corpus"
  for h in "${all_harnesses[@]}"; do
    rm -rf "fuzz/corpus/$h"
    mkdir -p "fuzz/corpus/$h"
    cp "$work/corpus/$h"/* "fuzz/corpus/$h/"
  done
  echo "fuzz: wrote fuzz/corpus/ ($(find fuzz/corpus -type f | wc -l) seeds, $(du -sk fuzz/corpus | cut -f1) KiB)"
  exit 0
fi

# ---------------------------------------------------------------- run
# abort_on_error=1 and halt_on_error make every report a crash libFuzzer records; one
# OpenMP thread keeps the two cores for one harness at a time.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:symbolize=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# field NAME LINE: the number after "NAME:" in a libFuzzer status line.
field() { sed -nE "s/.*[[:space:]]$1:? +([0-9]+).*/\1/p" <<<"$2" | tail -n 1; }

rows=()
crashed=0
for h in "${harnesses[@]}"; do
  exe="$build/fuzz/fuzz_$h"
  hlog="$out/$h.log"
  dict=()
  [[ -f "fuzz/$h.dict" ]] && dict=("-dict=fuzz/$h.dict")
  rm -f "$out/$h-"*
  t0=$SECONDS
  status=0
  case $mode in
    regress)
      echo "== fuzz $h: the corpus fuzz/corpus/$h once"
      "$exe" -runs=0 -timeout=60 "${dict[@]}" -artifact_prefix="$out/$h-" "fuzz/corpus/$h" >"$hlog" 2>&1 || status=$?
      ;;
    crashes)
      reproducers=("fuzz/crashes/$h"/*)
      [[ -e ${reproducers[0]} ]] || continue
      echo "== fuzz $h: the ${#reproducers[@]} reproducers of fuzz/crashes/$h"
      # Each alone: -runs over files stops at the first crash.
      : >"$hlog"
      still=0
      for r in "${reproducers[@]}"; do
        "$exe" -timeout=60 -artifact_prefix="$out/$h-" "$r" >>"$hlog" 2>&1 || {
          status=1
          still=$((still + 1))
          echo "   still crashes: $r"
        }
      done
      ;;
    fuzz | campaign)
      echo "== fuzz $h: ${seconds} s over a copy of fuzz/corpus/$h"
      rm -rf "${work:?}/$h"
      mkdir -p "$work/$h"
      cp "fuzz/corpus/$h"/* "$work/$h/" 2>/dev/null || true
      extra=()
      [[ $mode == campaign ]] && extra=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
      "$exe" -max_total_time="$seconds" -timeout=60 -print_final_stats=1 "${extra[@]}" "${dict[@]}" \
        -artifact_prefix="$out/$h-" "$work/$h" >"$hlog" 2>&1 || status=$?
      ;;
  esac
  # Figures: the last status line (INITED / pulse / NEW / DONE, or fork mode's "#N: cov:").
  last=$(grep -E '^#[0-9]+:?[[:space:]]' "$hlog" | tail -n 1 || true)
  runs=$(grep -oE '^stat::number_of_executed_units: [0-9]+' "$hlog" | awk '{print $2}' | tail -n 1 || true)
  [[ -n $runs ]] || runs=$(sed -nE 's/^#([0-9]+):?[[:space:]].*/\1/p' <<<"$last")
  cov=$(field cov "$last")
  ft=$(field ft "$last")
  artifacts=()
  while IFS= read -r a; do artifacts+=("$a"); done < <(ls "$out/$h-"* 2>/dev/null)
  crashes=${#artifacts[@]}
  if [[ $mode == campaign ]]; then
    c=$(sed -nE 's#.*oom/timeout/crash: ([0-9]+)/([0-9]+)/([0-9]+).*#\1 \2 \3#p' <<<"$last")
    [[ -n $c ]] && crashes=$(awk '{print $1 + $2 + $3}' <<<"$c")
  fi
  [[ $mode == crashes ]] && crashes=$still
  ((status != 0 && crashes == 0)) && crashes=1
  rows+=("$(printf '%-11s %12s %7s %8s %8s %6ss' "$h" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$crashes" $((SECONDS - t0)))")
  if ((crashes > 0 || status != 0)); then
    crashed=1
    echo "   CRASH ($crashes): log $hlog"
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|genmodels fuzz finding|SUMMARY' "$hlog" | sort | uniq -c | head -n 8 | sed 's/^/   /'
    for a in "${artifacts[@]}"; do echo "   reproducer: $a"; done
    ((${#artifacts[@]})) && {
      echo "   what to do: reproduce with $exe ${artifacts[0]}; shrink it with $exe -minimize_crash=1 -runs=10000 ${artifacts[0]};"
      echo "   save it as fuzz/crashes/$h/<name>, fix the library, then move it into fuzz/corpus/$h/ (fuzz/README.md)"
    }
  else
    echo "   ok: ${runs:-?} executions, cov ${cov:-?}, ft ${ft:-?}"
  fi
done

echo "== fuzz summary ($mode$([[ $mode == fuzz || $mode == campaign ]] && echo ", ${seconds} s each"))"
printf '  %-11s %12s %7s %8s %8s %7s\n' harness executions cov ft crashes time
for r in "${rows[@]}"; do echo "  $r"; done
if ((crashed)); then
  echo "fuzz: FAILED (a harness crashed; reproducers and logs in $out)"
  exit 1
fi
echo "fuzz: OK (no crashes)"
