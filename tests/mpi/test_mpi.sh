#!/usr/bin/env bash
# A distributed fit (docs/distributed.md) against the same fit on one process, on loopback:
# bernoulli exactly (summed integer counts), vae within float tolerance after a full epoch
# (summation order), a checkpoint of 2 ranks resumed on 1, rank 0 alone printing and writing,
# dcgan with synchronised batch norm, and a rank that fails making every rank return an error
# status within a bounded time.
# usage: test_mpi.sh GENMODELS MPIRUN COMPARE_MODELS.PY
# shellcheck source=tests/cli/harness.sh
source "$(dirname "$0")/../cli/harness.sh"
MPIRUN=$2
CMP=$3
# CI and the developers run as root; two cores: --oversubscribe.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
mpi() {  # mpi N ARGS...: `genmodels ARGS --distributed` on N ranks, bounded in time
  local n=$1
  shift
  timeout 120 "$MPIRUN" --oversubscribe -np "$n" "$G" "$@" --distributed
}
DATA=(--data builtin:bars-and-stripes:6 --threads 1)

# bernoulli: the same file, byte for byte (counts summed as integers)
expect 0 "bernoulli, 1 process" -- "$G" fit bernoulli "${DATA[@]}" --out "$T/b1.safetensors" --quiet
expect 0 "bernoulli, 2 ranks" -- mpi 2 fit bernoulli "${DATA[@]}" --out "$T/b2.safetensors" --quiet
expect 0 "bernoulli: 2 ranks equal 1 exactly" -- python3 "$CMP" "$T/b1.safetensors" "$T/b2.safetensors" --exact
if cmp -s "$T/b1.safetensors" "$T/b2.safetensors"; then ok; else bad "bernoulli: the files differ"; fi

# vae: one epoch of 6 steps (126 rows, batch 21, so the ranks' blocks have 11 and 10 rows)
VAE=(fit vae "${DATA[@]}" --epochs 1 --batch-size 21 --config '{"hidden": [16], "latent": 4}')
expect 0 "vae, 1 process" -- "$G" "${VAE[@]}" --seed 5 --out "$T/v1.safetensors" --quiet
expect 0 "vae, 2 ranks" -- mpi 2 "${VAE[@]}" --seed 5 --out "$T/v2.safetensors"
# rank 0 alone prints: one epoch line (the log, on stderr) and one "wrote" line
if [[ $(grep -c '^wrote' "$T/out") -eq 1 && $(cat "$T/out" "$T/err" | grep -c '^epoch 1/1') -eq 1 ]]; then ok; else
  bad "2 ranks: rank 0 alone should print"
  cat "$T/out" "$T/err"
fi
expect 0 "vae: 2 ranks equal 1 within float tolerance" -- \
  python3 "$CMP" "$T/v1.safetensors" "$T/v2.safetensors" --atol 1e-5 --rtol 1e-4
# The comparison can fail: another seed gives other parameters.
expect 0 "vae, another seed" -- "$G" "${VAE[@]}" --seed 6 --out "$T/v6.safetensors" --quiet
expect 1 "vae: another seed differs" -- python3 "$CMP" "$T/v1.safetensors" "$T/v6.safetensors" --atol 1e-5 --rtol 1e-4

# gan (MLP, no batch norm): both networks summed, z per global row; within float tolerance.
GAN=(fit gan "${DATA[@]}" --epochs 1 --batch-size 21 --seed 5 --config '{"g_hidden": [16], "d_hidden": [16], "latent": 4}')
expect 0 "gan, 1 process" -- "$G" "${GAN[@]}" --out "$T/g1.safetensors" --quiet
expect 0 "gan, 2 ranks" -- mpi 2 "${GAN[@]}" --out "$T/g2.safetensors" --quiet
expect 0 "gan: 2 ranks equal 1 within float tolerance" -- \
  python3 "$CMP" "$T/g1.safetensors" "$T/g2.safetensors" --atol 1e-5 --rtol 1e-4

# dcgan: batch norm synchronised over the ranks (--sync-batch-norm) equals one process within
# float tolerance; per-rank batch statistics (the default) do not (docs/distributed.md).
DC=(fit dcgan --data builtin:bars-and-stripes:8 --shape "8,8" --threads 1 --epochs 1 --seed 5
  --config '{"ngf": 8, "ndf": 8, "latent": 8}')
expect 0 "dcgan, 1 process" -- "$G" "${DC[@]}" --batch-size 64 --out "$T/d1.safetensors" --quiet
expect 0 "dcgan, 2 ranks, synchronised batch norm" -- mpi 2 "${DC[@]}" --batch-size 64 --sync-batch-norm --out "$T/ds.safetensors" --quiet
expect 0 "dcgan: 2 ranks with synchronised batch norm equal 1" -- \
  python3 "$CMP" "$T/d1.safetensors" "$T/ds.safetensors" --atol 1e-5 --rtol 1e-4
expect 0 "dcgan, 2 ranks, per-rank batch norm" -- mpi 2 "${DC[@]}" --batch-size 64 --out "$T/dn.safetensors" --quiet
expect 1 "dcgan: per-rank batch statistics differ" -- \
  python3 "$CMP" "$T/d1.safetensors" "$T/dn.safetensors" --atol 1e-5 --rtol 1e-4
expect 1 "--sync-batch-norm with a rank left without rows" -- mpi 2 "${DC[@]}" --batch-size 1 --sync-batch-norm \
  --out "$T/dx.safetensors" --quiet
contains "$T/err" "synchronised batch norm needs a row of every batch" "--sync-batch-norm refusal: its message"

# A checkpoint written by rank 0 of 2 ranks resumes on 1 process: 1 + 1 epochs equal 2.
VAE2=(fit vae "${DATA[@]}" --batch-size 21 --seed 5 --config '{"hidden": [16], "latent": 4}')
expect 0 "vae, 2 epochs on 1 process" -- "$G" "${VAE2[@]}" --epochs 2 --out "$T/two.safetensors" --quiet
expect 0 "vae, epoch 1 on 2 ranks with a checkpoint" -- \
  mpi 2 "${VAE2[@]}" --epochs 1 --checkpoint-every 1 --checkpoint "$T/ck.safetensors" --out "$T/one.safetensors" --quiet
expect 0 "vae, epoch 2 resumed on 1 process" -- \
  "$G" fit --resume "$T/ck.safetensors" --epochs 1 --threads 1 "${DATA[@]:0:2}" --out "$T/resumed.safetensors" --quiet
expect 0 "vae: resumed on another rank count equals 2 epochs" -- \
  python3 "$CMP" "$T/two.safetensors" "$T/resumed.safetensors" --atol 1e-5 --rtol 1e-4

# A rank that fails after its second step: every rank returns an error status, in bounded time,
# and no model file is written.
for rank in 1 0; do
  start=$(date +%s)
  mpi 2 "${VAE[@]}" --seed 5 --out "$T/failed.safetensors" --fail-rank-for-test "$rank" >"$T/out" 2>"$T/err"
  code=$?
  took=$(($(date +%s) - start))
  if [[ $code -ne 0 && $code -ne 124 && $took -lt 60 ]]; then ok; else bad "rank $rank fails: exit $code after $took s"; fi
  contains "$T/err" "rank $rank of 2: a failure injected" "rank $rank fails: its own message"
  contains "$T/err" "rank $((1 - rank)) of 2: rank $rank of 2 failed" "rank $rank fails: the other rank stops too"
  if [[ ! -e $T/failed.safetensors ]]; then ok; else bad "rank $rank fails: a model file was written"; fi
done

# A kind whose fit does not sum over ranks yet is refused, on every rank.
expect 2 "cyclegan is refused" -- mpi 2 fit cyclegan --data builtin:bars-and-stripes:8 --data-b builtin:bars-and-stripes:8 \
  --shape 8,8 --out "$T/c.safetensors" --quiet
finish mpi
