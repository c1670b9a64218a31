#!/usr/bin/env bash
# How long `netprov lab up` and `netprov lab down` take, through the CLI as a user runs them.
#   bash bench/lab-up.sh [RUNS] [NODE COUNTS...]      default: 3 runs of 3 and of 50 nodes
# Needs root and a build (npm run build). Prints one line per size: median and min/max wall time of
# `up` (with its internal phases from --json) and of `down`, plus the load average when it started.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
sizes=("${@:-3}")
[ $# -gt 0 ] || sizes=(3 50)
name=bench$$
name=${name:0:8}
trap 'node bin/run.js lab down --name "$name" >/dev/null 2>&1 || true' EXIT
node bin/run.js lab down --name "$name" >/dev/null

ms() { echo $(( $(date +%s%N) / 1000000 )); }
stats() { # median min max of the arguments
  printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%d ms (min %d, max %d)", a[int((NR+1)/2)], a[1], a[NR]}'
}

echo "netprov lab bench: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $runs runs per size"
for n in "${sizes[@]}"; do
  ups=() downs=() phases=()
  for ((i = 0; i < runs; i++)); do
    t=$(ms)
    out=$(node bin/run.js lab up --name "$name" --nodes "$n" --subnet auto --json)
    ups+=($(( $(ms) - t )))
    phases+=("$(node -e 'const t=JSON.parse(require("fs").readFileSync(0)).timingsMs; console.log(Object.entries(t).map(([k,v])=>k+"="+v).join(" "))' <<<"$out")")
    t=$(ms)
    node bin/run.js lab down --name "$name" >/dev/null
    downs+=($(( $(ms) - t )))
  done
  printf '%3d nodes: up %s; down %s\n' "$n" "$(stats "${ups[@]}")" "$(stats "${downs[@]}")"
  printf '           up phases (ms, per run): %s\n' "${phases[@]}"
done
