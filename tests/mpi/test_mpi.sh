#!/usr/bin/env bash
# A distributed fit (docs/distributed.md) against the same fit on one process, on loopback:
# bernoulli exactly (summed integer counts), vae within float tolerance after a full epoch
# (summation order), a checkpoint of 2 ranks resumed on 1, rank 0 alone printing and writing,
# dcgan with synchronised batch norm, and a rank that fails making every rank return an error
# status within a bounded time; cyclegan, stargan, progan and puzzlegan on 2 ranks equal 1;
# categorical and markov (counts summed) give the file of one process, with and without --shard.
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

# The four kinds with their own steps (docs/distributed.md, "The multi-step GANs"): a 2-rank fit
# equals the 1-process fit within the same tolerance. Tiny 8×8 data; batch sizes that split
# unevenly or leave a partial last batch.
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(0)
np.save('$T/a.npy', (r.random((24, 64)) * 0.5).astype(np.float32))
np.save('$T/b.npy', (0.5 + r.random((20, 64)) * 0.5).astype(np.float32))
x = np.full((24, 8, 8), 0.1, np.float32)
for i in range(24):
    y0, x0 = r.integers(0, 6, 2)
    x[i, y0:y0 + 3, x0:x0 + 3] = 0.9
np.save('$T/parts.npy', x.reshape(24, 64))
np.save('$T/pg.npy', r.random((32, 64)).astype(np.float32))"
twins() {  # twins NAME SKIP ARGS...: the fit on 1 process and on 2 ranks, then the comparison
  local name=$1 skip=$2
  shift 2
  expect 0 "$name, 1 process" -- "$G" "$@" --threads 1 --seed 5 --out "$T/$name-1.safetensors" --quiet
  expect 0 "$name, 2 ranks" -- mpi 2 "$@" --threads 1 --seed 5 --out "$T/$name-2.safetensors" --quiet
  expect 0 "$name: 2 ranks equal 1 within float tolerance" -- \
    python3 "$CMP" "$T/$name-1.safetensors" "$T/$name-2.safetensors" --atol 1e-5 --rtol 1e-4 ${skip:+--skip "$skip"}
}
same_npy() {  # same_npy A B WHAT: two outputs equal within the suite's tolerance
  if /usr/bin/python3 -c "
import numpy as np, sys
a, b = np.load('$1'), np.load('$2')
sys.exit(0 if a.shape == b.shape and np.allclose(a, b, atol=1e-5, rtol=1e-4) else 1)"; then ok; else bad "$3"; fi
}
# stargan and puzzlegan: G's first convolution reads channels that are constant over the image
# (stargan's target-domain maps, puzzlegan's tiled z) and an instance norm follows it, so the
# centre tap of those channels shifts every pixel of a map alike and the norm removes it: its
# gradient is 0 in exact arithmetic, and Adam turns the rounding left there (1e-12, differing
# between 1 and 2 ranks) into steps of the learning rate's size. Those few weights (6 of 392,
# 16 of 432) differ by up to ~1e-3 and change no output; the comparison skips that tensor and
# compares what the models compute instead (every other tensor: the tolerance above).
# cyclegan: a history buffer of 4 images, full after the first batch, so its random swaps run
# on every later batch (the buffers must evolve as on one process); 44 rows, batch 10.
twins cyclegan "" fit cyclegan --data "npy:$T/a.npy" --data-b "npy:$T/b.npy" --shape 1,8,8 --epochs 1 --batch-size 10 \
  --config '{"ngf": 2, "ndf": 2, "n_res": 1, "pool_size": 4}'
# stargan: three domains, random target domains per row, G every second step; batch 9.
twins stargan g.0.weight fit stargan --domains "npy:$T/a.npy,npy:$T/b.npy,npy:$T/a.npy" --shape 1,8,8 --epochs 1 \
  --batch-size 9 --config '{"ngf": 2, "ndf": 4, "n_res": 1, "d_steps": 2}'
for m in 1 2; do
  expect 0 "stargan ($m): translate to domain 2" -- \
    "$G" translate "$T/stargan-$m.safetensors" --data "npy:$T/b.npy" --shape 1,8,8 --to 2 --out "$T/st$m.npy"
done
same_npy "$T/st1.npy" "$T/st2.npy" "stargan: the 2-rank model translates otherwise"
# progan: 2 epochs through stage 0, a fade and stage 1 (the schedule counts the global batch);
# batch 12 = 3 minibatch-stddev groups of 4, dealt 2 + 1 to the ranks; the last batch of 8 rows.
twins progan "" fit progan --data "npy:$T/pg.npy" --shape 1,8,8 --epochs 2 --batch-size 12 \
  --config '{"latent": 4, "fmap_base": 8, "fmap_max": 4, "fade_images": 24, "stable_images": 16}'
# puzzlegan: key patches and z per row; batch 7.
twins puzzlegan g.0.weight fit puzzlegan --data "npy:$T/parts.npy" --shape 1,8,8 --epochs 1 --batch-size 7 \
  --config '{"parts": 2, "patch_size": 4, "nef": 2, "ngf": 2, "ndf": 2, "noise": 2}'
for m in 1 2; do
  expect 0 "puzzlegan ($m): complete from 2 patches" -- "$G" complete "$T/puzzlegan-$m.safetensors" \
    --data "npy:$T/parts.npy" --shape 1,8,8 --patches 2 --patch-size 4 --seed 3 --out "$T/pz$m.npy"
done
same_npy "$T/pz1.npy" "$T/pz2.npy" "puzzlegan: the 2-rank model completes otherwise"
# Sharded reading (--shard, docs/distributed.md "Sharded reading"): each rank keeps only its
# stripes of the file; the striped order is the same on 1, 2 and 4 ranks (but not the order of a
# fit without --distributed). 50 rows in batches of 7: a partial last batch of 1 row.
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(1)
np.save('$T/v.npy', (r.random((50, 16)) > 0.5).astype(np.float32))
np.save('$T/vl.npy', (np.arange(50) % 3).astype(np.int32))"
SH=(fit vae --data "npy:$T/v.npy" --epochs 2 --batch-size 7 --threads 1 --seed 5 --config '{"hidden": [16], "latent": 4}')
for n in 1 2 4; do
  expect 0 "vae --shard on $n ranks" -- mpi "$n" "${SH[@]}" --shard --out "$T/s$n.safetensors" --quiet
done
expect 0 "--shard: 2 ranks equal 1" -- python3 "$CMP" "$T/s1.safetensors" "$T/s2.safetensors" --atol 1e-5 --rtol 1e-4
expect 0 "--shard: 4 ranks equal 1" -- python3 "$CMP" "$T/s1.safetensors" "$T/s4.safetensors" --atol 1e-5 --rtol 1e-4
expect 0 "vae without --distributed" -- "$G" "${SH[@]}" --out "$T/s0.safetensors" --quiet
expect 1 "--shard: the striped order is not the order of one process" -- \
  python3 "$CMP" "$T/s0.safetensors" "$T/s1.safetensors" --atol 1e-5 --rtol 1e-4
# A checkpoint of a sharded fit on 2 ranks resumes sharded on 4: 1 + 1 epochs equal 2.
expect 0 "--shard: epoch 1 on 2 ranks with a checkpoint" -- mpi 2 fit vae --data "npy:$T/v.npy" --epochs 1 \
  --batch-size 7 --threads 1 --seed 5 --config '{"hidden": [16], "latent": 4}' --shard --checkpoint-every 1 \
  --checkpoint "$T/sck.safetensors" --out "$T/sone.safetensors" --quiet
expect 0 "--shard: epoch 2 resumed on 4 ranks" -- mpi 4 fit --resume "$T/sck.safetensors" --epochs 1 --threads 1 \
  --data "npy:$T/v.npy" --shard --out "$T/sres.safetensors" --quiet
expect 0 "--shard: resumed on another rank count equals 2 epochs" -- \
  python3 "$CMP" "$T/s1.safetensors" "$T/sres.safetensors" --atol 1e-5 --rtol 1e-4
# bernoulli sums the counts of the shards: the file of one process, byte for byte.
expect 0 "bernoulli --shard, 2 ranks" -- mpi 2 fit bernoulli --data "npy:$T/v.npy" --shard --out "$T/bs2.safetensors" --quiet
expect 0 "bernoulli, 1 process" -- "$G" fit bernoulli --data "npy:$T/v.npy" --out "$T/bs1.safetensors" --quiet
expect 0 "bernoulli --shard equals 1 process exactly" -- python3 "$CMP" "$T/bs1.safetensors" "$T/bs2.safetensors" --exact
# categorical and markov sum their counts too, with and without --shard: one process's file.
/usr/bin/python3 -c "
import numpy as np
np.save('$T/lv.npy', np.random.default_rng(2).random((45, 12)).astype(np.float32))"
LV=(--data "npy:$T/lv.npy" --levels 5 --threads 1)
for spec in "categorical|{}" "markov|{\"order\": 2}" "markov|{\"order\": 1, \"tied\": true}"; do
  IFS='|' read -r kind cfg <<<"$spec"
  expect 0 "$kind $cfg, 1 process" -- "$G" fit "$kind" --config "$cfg" "${LV[@]}" --out "$T/c1.safetensors" --quiet
  for n in 2 3; do
    for shard in "" --shard; do
      expect 0 "$kind $cfg $shard, $n ranks" -- mpi "$n" fit "$kind" --config "$cfg" "${LV[@]}" ${shard:+"$shard"} \
        --out "$T/c$n.safetensors" --quiet
      if cmp -s "$T/c1.safetensors" "$T/c$n.safetensors"; then ok; else bad "$kind $cfg $shard: $n ranks differ from 1 process"; fi
    done
  done
done
# fvsbn starts from the data's marginals: summed over the shards, the same start on any rank count.
FV=(fit fvsbn --data "npy:$T/v.npy" --epochs 1 --batch-size 7 --threads 1 --seed 5)
expect 0 "fvsbn --shard, 1 rank" -- mpi 1 "${FV[@]}" --shard --out "$T/fs1.safetensors" --quiet
expect 0 "fvsbn --shard, 2 ranks" -- mpi 2 "${FV[@]}" --shard --out "$T/fs2.safetensors" --quiet
expect 0 "fvsbn --shard: 2 ranks equal 1" -- python3 "$CMP" "$T/fs1.safetensors" "$T/fs2.safetensors" --atol 1e-5 --rtol 1e-4
NA=(fit nade --data "npy:$T/v.npy" --epochs 1 --batch-size 7 --threads 1 --seed 5 --config '{"hidden": 8}')
expect 0 "nade --shard, 1 rank" -- mpi 1 "${NA[@]}" --shard --out "$T/ns1.safetensors" --quiet
expect 0 "nade --shard, 2 ranks" -- mpi 2 "${NA[@]}" --shard --out "$T/ns2.safetensors" --quiet
expect 0 "nade --shard: 2 ranks equal 1" -- python3 "$CMP" "$T/ns1.safetensors" "$T/ns2.safetensors" --atol 1e-5 --rtol 1e-4
# Labels travel with the rows: cgan --shard on 2 ranks equals 1 rank.
CG=(fit cgan --data "npy:$T/v.npy:$T/vl.npy" --epochs 1 --batch-size 7 --threads 1 --seed 5
  --config '{"architecture": "mlp", "g_hidden": [16], "d_hidden": [16], "latent": 4}')
expect 0 "cgan --shard, 1 rank" -- mpi 1 "${CG[@]}" --shard --out "$T/cs1.safetensors" --quiet
expect 0 "cgan --shard, 2 ranks" -- mpi 2 "${CG[@]}" --shard --out "$T/cs2.safetensors" --quiet
expect 0 "cgan --shard: 2 ranks equal 1" -- python3 "$CMP" "$T/cs1.safetensors" "$T/cs2.safetensors" --atol 1e-5 --rtol 1e-4
# Refused: a kind whose batches need more than the striped order, a validation split, a spec
# that does not stream.
expect 2 "progan --shard is refused" -- mpi 2 fit progan --data "npy:$T/pg.npy" --shape 1,8,8 --shard \
  --out "$T/x.safetensors" --quiet
contains "$T/err" "does not read shards yet" "progan --shard: the message says so"
expect 1 "--shard with a validation split is refused" -- mpi 2 "${SH[@]}" --shard --validation 0.2 \
  --out "$T/x.safetensors" --quiet
expect 1 "--shard on builtin: is refused" -- mpi 2 "${VAE[@]}" --shard --out "$T/x.safetensors" --quiet
contains "$T/err" "drop --shard" "--shard on builtin: the message says what to do"

finish mpi
