#!/usr/bin/env bash
# Benchmark: netprov plan / apply / plan-again / apply-again on a local lab of N nodes (needs root).
# Prints one markdown row per size: wall time and max RSS of each command, SSH round trips per node.
#   bash bench/plan-apply.sh 3 20 50
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-3 20 50}")
[ -f dist/commands/plan.js ] || npm run -s build
export CI=true NO_COLOR=1
measure() { # measure LABEL cmd... -> "wall_s rss_mb exit"
  local rc=0 t rss
  /usr/bin/time -o /tmp/np-bench.time -f '%e %M' node bin/run.js "$@" >/tmp/np-bench.out 2>/tmp/np-bench.err || rc=$?
  read -r t rss < <(tail -n1 /tmp/np-bench.time)  # GNU time puts 'Command exited with...' first
  echo "$t $((rss / 1024)) $rc"
}
echo "| nodes | lab up | plan (fresh) | apply | plan (converged) | apply (no-op) | round trips/node: plan, apply (after its plan) |"
echo "|---|---|---|---|---|---|---|"
for n in ${sizes[*]}; do
  name=bn$n
  node bin/run.js lab down --name "$name" >/dev/null 2>&1 || true
  /usr/bin/time -o /tmp/np-bench.time -f '%e' node bin/run.js lab up --name "$name" --nodes "$n" --subnet 172.31.199.0/24 >/dev/null
  up=$(tail -n1 /tmp/np-bench.time)
  f=/run/netprov-lab/$name/netprov.yaml
  read -r p1 r1 c1 <<<"$(measure plan -f "$f" --detailed-exitcode)"
  rt_plan=$(node bin/run.js plan -f "$f" --json 2>/dev/null | node -e 'const p=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(Math.max(...p.nodes.map(n=>n.stats.roundTrips)))')
  read -r a1 ra1 ca1 <<<"$(measure apply -f "$f" --yes --json)"
  rt_apply=$(node -e 'const r=JSON.parse(require("fs").readFileSync("/tmp/np-bench.out","utf8"));console.log(Math.max(...r.nodes.map(n=>n.stats.roundTrips)))')
  read -r p2 r2 c2 <<<"$(measure plan -f "$f" --detailed-exitcode)"
  read -r a2 ra2 ca2 <<<"$(measure apply -f "$f" --yes)"
  [ "$c1" = 2 ] && [ "$ca1" = 0 ] && [ "$c2" = 0 ] && [ "$ca2" = 0 ] || echo "WARNING: unexpected exit codes: plan $c1 apply $ca1 plan $c2 apply $ca2" >&2
  echo "| $n | ${up}s | ${p1}s, ${r1} MB | ${a1}s, ${ra1} MB | ${p2}s, ${r2} MB | ${a2}s, ${ra2} MB | $rt_plan, $rt_apply |"
  node bin/run.js lab down --name "$name" >/dev/null
done
