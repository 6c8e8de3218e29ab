#!/usr/bin/env bash
# Training a user can watch, stop and resume (issue 13), from the command line: the per-epoch
# log when piped, --quiet, --json, and a fit killed with SIGKILL mid-run and resumed from its
# checkpoint writing the same model file as the uninterrupted fit (one MLP kind, one conv kind).
# Usage: test_resume.sh GENMODELS_EXE
set -u
source "$(dirname "$0")/harness.sh"

/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(5)
np.save('$T/x.npy', (r.random((96, 1, 8, 8)) < 0.3).astype(np.float32))
" || { echo "test_resume: FAILED: numpy (python3-numpy) is needed to write the test data"; exit 1; }
D=(--data "npy:$T/x.npy")

# The log, piped: one plain line per epoch, nothing else on stderr; --quiet: none; --json: one line.
"$G" fit nade "${D[@]}" --config '{"hidden": 8}' --epochs 3 --out "$T/a.safetensors" >"$T/out" 2>"$T/err"
[[ $(grep -c '^epoch [1-3]/3  train [0-9.]* nats  .* images/s  elapsed 0:0[0-9]  eta ' "$T/err") -eq 3 ]] && ok ||
  { bad "piped fit logs one line per epoch"; cat "$T/err"; }
[[ $(wc -l <"$T/err") -eq 3 ]] && ok || bad "piped, the log is only the epoch lines (no progress redraws)"
"$G" fit nade "${D[@]}" --config '{"hidden": 8}' --epochs 3 --quiet --out "$T/a.safetensors" >"$T/out" 2>"$T/err"
[[ ! -s "$T/err" ]] && ok || bad "--quiet logs nothing"
"$G" fit nade "${D[@]}" --config '{"hidden": 8}' --epochs 6 --validation 0.25 --patience 2 --lr 0.3 --json \
  --out "$T/a.safetensors" >"$T/out" 2>"$T/err"
/usr/bin/python3 -c "
import json, sys
j = json.loads(open('$T/out').read())
assert j['kind'] == 'nade' and j['epochs_run'] >= 1 and j['validation_loss'] is not None, j
assert 1 <= j['best_epoch'] <= j['epoch'] and j['images_per_second'] > 0, j
" && ok || { bad "fit --json prints one JSON line with the run's figures"; cat "$T/out"; }

# Kill and resume. The fit writes a checkpoint after every epoch; it is killed (SIGKILL, no
# chance to clean up) as soon as the first checkpoint exists, then resumed: the model file
# must equal the uninterrupted fit's byte for byte.
kill_and_resume() {  # kill_and_resume KIND CONFIG EPOCHS
  local kind=$1 cfg=$2 epochs=$3
  "$G" fit "$kind" "${D[@]}" --config "$cfg" --epochs "$epochs" --batch-size 16 --seed 4 --quiet \
    --out "$T/whole.safetensors" >/dev/null || { bad "$kind: the uninterrupted fit failed"; return; }
  rm -f "$T/run.ckpt" "$T/run.safetensors"
  "$G" fit "$kind" "${D[@]}" --config "$cfg" --epochs "$epochs" --batch-size 16 --seed 4 --quiet \
    --checkpoint-every 1 --checkpoint "$T/run.ckpt" --out "$T/run.safetensors" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 2000); do [[ -e "$T/run.ckpt" ]] && break; sleep 0.005; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [[ -e "$T/run.safetensors" ]]; then
    bad "$kind: the fit finished before it was killed (make the test's run longer)"
    return
  fi
  "$G" fit --resume "$T/run.ckpt" "${D[@]}" --quiet --out "$T/resumed.safetensors" >"$T/out" 2>&1 ||
    { bad "$kind: resume failed"; cat "$T/out"; return; }
  cmp -s "$T/resumed.safetensors" "$T/whole.safetensors" && ok ||
    bad "$kind: killed and resumed differs from the uninterrupted fit"
}
kill_and_resume nade '{"hidden": 16}' 400
kill_and_resume dcgan '{"ngf": 4, "ndf": 4, "latent": 8}' 150

# What --resume refuses, and how.
"$G" fit --resume "$T/whole.safetensors" "${D[@]}" --out "$T/x.safetensors" >"$T/out" 2>"$T/err"
[[ $? -eq 1 ]] && grep -q "give --epochs N" "$T/err" && ok || { bad "resume of a plain file asks for --epochs"; cat "$T/err"; }
"$G" fit --resume "$T/whole.safetensors" "${D[@]}" --epochs 1 --quiet --out "$T/x.safetensors" >/dev/null 2>&1 && ok ||
  bad "resume of a plain file with --epochs continues its parameters"
"$G" fit --resume "$T/run.ckpt" "${D[@]}" --config '{}' --out "$T/x.safetensors" >"$T/out" 2>"$T/err"
[[ $? -eq 1 ]] && grep -q "drop --config" "$T/err" && ok || { bad "resume refuses --config"; cat "$T/err"; }
"$G" fit "${D[@]}" --out "$T/x.safetensors" >"$T/out" 2>"$T/err"
[[ $? -eq 64 ]] && grep -q "genmodels: error: a model kind (or --resume FILE) is required" "$T/err" && ok ||
  { bad "fit without a kind is a usage error"; cat "$T/err"; }

finish resume
