# Shared by the bench scripts: source it after `cd` to the repository root.
#
# gm_setup BUILD_DIR [THREADS]
#   G: the genmodels binary of BUILD_DIR ($GENMODELS overrides); T: a work folder, $KEEP (kept)
#   or a temporary one removed at exit; exports OMP_NUM_THREADS=THREADS (default 2).
# gm_machine [WAIT]
#   The line every figure in bench/RESULTS.md carries: cores, CPU model, load average, the
#   OpenMP wait policy (WAIT, else $OMP_WAIT_POLICY), the date, and the BLAS that
#   libblas.so.3 points at (PyTorch's: the reference BLAS would flatter genmodels).
# fail MESSAGE WHAT_TO_DO [LOG]
#   Says what failed (prefixed with the script's $ME), what to do, and the last lines of LOG
#   when it is a non-empty file; exits 1.
# step TEXT...
#   A time-stamped progress line on stderr.

fail() {
  echo "${ME:-$0}: $1" >&2
  echo "what to do: $2" >&2
  [[ -z ${3:-} || ! -s $3 ]] || { echo "---- last lines of $3 ----" >&2; tail -n 15 "$3" >&2; }
  exit 1
}

step() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

gm_setup() {
  G=${GENMODELS:-${1:-build}/tools/genmodels/genmodels}
  if [[ -n ${KEEP:-} ]]; then
    T=$KEEP
    mkdir -p "$T"
  else
    T=$(mktemp -d)
    trap 'rm -rf "$T"' EXIT
  fi
  export OMP_NUM_THREADS=${2:-2}
}

gm_machine() {
  echo "machine: $(nproc --all) cores, $(lscpu | sed -n 's/^Model name: *//p'), load average $(cut -d' ' -f1-3 /proc/loadavg);" \
    "OMP_WAIT_POLICY ${1:-${OMP_WAIT_POLICY:-default}}; date $(date -u +%Y-%m-%dT%H:%MZ);" \
    "libblas.so.3 -> $(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p')"
}
