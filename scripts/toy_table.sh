#!/usr/bin/env bash
# Runs `gantry train <preset> --seed S` for seeds 1..10 and prints a markdown table of the final
# mode-coverage eval (2,500 samples from the EMA generator) and the wall time of each run.
# Usage: scripts/toy_table.sh <preset> [first_seed] [last_seed]
set -euo pipefail
preset=${1:?usage: scripts/toy_table.sh <preset> [first_seed] [last_seed]}
first=${2:-1}
last=${3:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/toy_table.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "| seed | modes | high-quality % | wall s |"
echo "|---:|---:|---:|---:|"
sum_modes=0; sum_hq=0; sum_wall=0; n=0
for seed in $(seq "$first" "$last"); do
  start=$(date +%s.%N)
  json=$(node "$here/bin/gantry.js" train "$preset" --seed "$seed" --out "$tmp/s$seed" 2>"$tmp/s$seed.err" | tail -n 1) || {
    echo "| $seed | failed: $(tail -n 1 "$tmp/s$seed.err") | | |"; continue; }
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  modes=$(node -e 'const r=JSON.parse(process.argv[1]); process.stdout.write(`${r.modes_covered}/${r.num_modes}`)' "$json")
  hq=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).high_quality_pct.toFixed(1))' "$json")
  printf '| %s | %s | %s | %.0f |\n' "$seed" "$modes" "$hq" "$wall"
  sum_modes=$(echo "$sum_modes + ${modes%/*}" | bc); sum_hq=$(echo "$sum_hq + $hq" | bc); sum_wall=$(echo "$sum_wall + $wall" | bc); n=$((n + 1))
done
if [ "$n" -gt 0 ]; then
  printf '| mean | %.2f | %.1f | %.0f |\n' "$(echo "$sum_modes / $n" | bc -l)" "$(echo "$sum_hq / $n" | bc -l)" "$(echo "$sum_wall / $n" | bc -l)"
fi
