#!/usr/bin/env bash
# Trains each image preset for a given number of steps, samples a grid into docs/img/ and evaluates it.
# Usage: scripts/preset_runs.sh OUTDIR "preset:steps[:extra flags]" ...   (prints one JSON line per preset)
# Env: EVAL_N (generated samples for eval, default 5000), THREADS (native threads, default all cores).
set -euo pipefail
threads=${THREADS:+--threads $THREADS}
cd "$(dirname "$0")/.."
out=$1; shift
mkdir -p "$out" docs/img
for spec in "$@"; do
  IFS=: read -r preset steps extra <<<"$spec"
  run="$out/$preset"
  rm -rf "$run"
  start=$(date +%s)
  # shellcheck disable=SC2086
  node bin/gantry.js train "$preset" --steps "$steps" --out "$run" $extra $threads >"$run.train.log" 2>&1
  secs=$(( $(date +%s) - start ))
  node bin/gantry.js sample "$run" --n 100 --seed 1 --out "docs/img/samples-$preset.png" 2>"$run.sample.log"
  metrics=$(node bin/gantry.js eval "$run" --n "${EVAL_N:-5000}" $threads 2>"$run.eval.log" || echo '{}')
  echo "{\"preset\":\"$preset\",\"steps\":$steps,\"train_seconds\":$secs,\"eval\":$metrics}"
done
