#!/bin/sh
# The "uses" figures of issue 3 (bench/RESULTS.md, "Uses: anomaly detection and features"):
# anomaly AUROC for nade and vae, logistic-regression accuracy on raw pixels, nade hidden
# units and vae posterior means. Logs (stderr progress + result lines) go to
# bench/uses/logs/STEP[-eEPOCHS].log.
#   bench/uses/run.sh [BUILD_DIR] [NADE_EPOCHS] [VAE_EPOCHS] [STEPS]
# STEPS: any of anomaly-nade anomaly-vae features-raw features-nade features-vae (default all).
set -eu
BUILD=${1:-build}
NADE_EPOCHS=${2:-20}
VAE_EPOCHS=${3:-20}
STEPS=${4:-"anomaly-nade anomaly-vae features-raw features-nade features-vae"}
cd "$(dirname "$0")/../.."
LOGS=bench/uses/logs
mkdir -p "$LOGS"
# The 2 cores are shared: spinning OpenMP (genmodels) or OpenBLAS (numpy) threads collapse
# under contention.
export OMP_WAIT_POLICY=passive OPENBLAS_NUM_THREADS=1
PY=/usr/bin/python3
for step in $STEPS; do
  case $step in
    anomaly-nade) set -- anomaly --kind nade --epochs "$NADE_EPOCHS"; tag=-e$NADE_EPOCHS ;;
    anomaly-vae) set -- anomaly --kind vae --epochs "$VAE_EPOCHS"; tag=-e$VAE_EPOCHS ;;
    features-raw) set -- features --kind raw; tag= ;;
    features-nade) set -- features --kind nade --epochs "$NADE_EPOCHS"; tag=-e$NADE_EPOCHS ;;
    features-vae) set -- features --kind vae --epochs "$VAE_EPOCHS" --means-only; tag=-e$VAE_EPOCHS ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
  log=$LOGS/$step$tag.log
  { echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC') load: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $PY bench/uses.py $* --build $BUILD"; } > "$log"
  start=$(date +%s)
  $PY bench/uses.py "$@" --build "$BUILD" >> "$log" 2>&1
  echo "# wall $(( $(date +%s) - start )) s, end $(date -u '+%H:%M:%S UTC') load: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$log"
  tail -n 3 "$log"
done
