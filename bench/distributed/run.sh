#!/usr/bin/env bash
# Distributed fit (docs/distributed.md): (1) the same answer on 1, 2 and 4 ranks after a full
# epoch with the global batch and seed fixed — bernoulli, vae, gan, dcgan (per-rank and synchronised
# batch norm); (2) throughput of vae and
# dcgan on 1 process and on 2 ranks, side by side. Prints what bench/RESULTS.md
# "Distributed fit" records.
# usage: bench/distributed/run.sh [same|speed|all] [BUILD_DIR]   (default: all, build)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-all}
G=${2:-build}/tools/genmodels/genmodels
CMP=tests/mpi/compare_models.py
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
run() {  # run N ARGS...: genmodels ARGS on N ranks (1: a plain process)
  local n=$1
  shift
  if [[ $n -eq 1 ]]; then "$G" "$@"; else mpirun --oversubscribe -np "$n" "$G" "$@" --distributed; fi
}
echo "load: $(uptime)"

if [[ $MODE != speed ]]; then
echo "== same answer after one epoch (ranks 1, 2, 4 against 1)"
F=(--data fashion-mnist:test --threads 1 --quiet)
declare -A ARGS=(
  [bernoulli]="--binarize 0.5 --max-examples 2000"
  [vae]="--binarize 0.5 --max-examples 2000 --epochs 1 --batch-size 100 --seed 7"
  [gan]="--max-examples 2000 --epochs 1 --batch-size 100 --seed 7"
  [dcgan]="--shape 28,28 --max-examples 512 --epochs 1 --batch-size 64 --seed 7"
)
for kind in bernoulli vae gan dcgan; do
  for n in 1 2 4; do
    # shellcheck disable=SC2086
    run "$n" fit "$kind" "${F[@]}" ${ARGS[$kind]} --out "$W/$kind.$n.safetensors" >/dev/null
  done
  for n in 2 4; do
    exact=()
    [[ $kind == bernoulli ]] && exact=(--exact)
    echo -n "$kind, $n ranks against 1: "
    python3 "$CMP" "$W/$kind.1.safetensors" "$W/$kind.$n.safetensors" "${exact[@]}" --atol 1e-5 --rtol 1e-4 || true
    if [[ $kind == dcgan && $n -eq 2 ]]; then
      # The floor of rounding: one process on 2 threads against 1 thread (other summation orders).
      # shellcheck disable=SC2086
      "$G" fit dcgan --data fashion-mnist:test --threads 2 --quiet ${ARGS[dcgan]} --out "$W/dcgan.t2.safetensors" >/dev/null
      echo -n "  1 process, 2 threads against 1 thread: "
      python3 "$CMP" "$W/$kind.1.safetensors" "$W/dcgan.t2.safetensors" --atol 1e-5 --rtol 1e-4 || true
    fi
    if [[ $kind == dcgan ]]; then
      # shellcheck disable=SC2086
      run "$n" fit dcgan "${F[@]}" ${ARGS[dcgan]} --sync-batch-norm --out "$W/dcgan.sync.$n.safetensors" >/dev/null
      echo -n "  --sync-batch-norm, $n ranks against 1: "
      python3 "$CMP" "$W/$kind.1.safetensors" "$W/dcgan.sync.$n.safetensors" --atol 1e-5 --rtol 1e-4 || true
    fi
  done
done

fi
if [[ $MODE != same ]]; then
echo "== throughput (images/s of the fit, --json), load: $(uptime)"
T=(--data fashion-mnist:train --quiet --json)
declare -A SPEED=(
  [vae]="--binarize 0.5 --max-examples 12000 --epochs 1 --batch-size 100"
  [dcgan]="--shape 28,28 --max-examples 1536 --epochs 1 --batch-size 64"
)
for kind in vae dcgan; do
  for rep in 1 2; do
    # shellcheck disable=SC2086
    one2=$(run 1 fit "$kind" "${T[@]}" ${SPEED[$kind]} --threads 2 --out "$W/s.safetensors" | tail -1)
    # shellcheck disable=SC2086
    one1=$(run 1 fit "$kind" "${T[@]}" ${SPEED[$kind]} --threads 1 --out "$W/s.safetensors" | tail -1)
    # shellcheck disable=SC2086
    two=$(run 2 fit "$kind" "${T[@]}" ${SPEED[$kind]} --threads 1 --out "$W/s.safetensors" | tail -1)
    ips() { python3 -c "import json, sys; print(round(json.loads(sys.argv[1])['images_per_second']))" "$1"; }
    echo "$kind (repeat $rep): 1 process x 2 threads $(ips "$one2"), 1 process x 1 thread $(ips "$one1"), 2 ranks x 1 thread $(ips "$two") images/s; load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
fi
for kind in vae gan dcgan; do
  [[ -f $W/$kind.1.safetensors ]] && "$G" info "$W/$kind.1.safetensors" | grep parameters
done
true
