#!/usr/bin/env bash
# netprov's main job, end to end, on a local lab (needs root): installs what is needed, brings up
# 3 nodes (network namespaces with their own sshd), then validate, plan, apply, plan again, verify.
# The lab is named "demo" (NETPROV_DEMO_LAB=NAME for another name) and is recreated on every run;
# it takes a free /24 of 172.31.0.0/16, so it does not clash with other labs or the host's routes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (the lab creates network namespaces)" >&2; exit 1; }
bash scripts/setup.sh
name=${NETPROV_DEMO_LAB:-demo}
np() { echo; echo "\$ netprov $*"; local rc=0; node bin/run.js "$@" || rc=$?; echo "(exit $rc)"; return $rc; }
step() { echo; echo "== $*"; }

step "1. a 3-node lab"
dir=/run/netprov-lab/$name
# Recreate only a lab this script made (it leaves a mark); never someone else's lab of the same name.
if [ -e "$dir" ] && [ ! -e "$dir/.made-by-demo" ]; then
  echo "demo: a lab named $name exists and was not made by this demo; run with NETPROV_DEMO_LAB=othername" >&2
  exit 1
fi
np lab up --name "$name" --nodes 3 --recreate --subnet auto
touch "$dir/.made-by-demo"
file=$dir/netprov.yaml

step "2. check the cluster file"
np validate -f "$file"

step "3. what would change (exit 2 = changes pending)"
rc=0; np plan -f "$file" --detailed-exitcode || rc=$?
[ "$rc" = 2 ] || { echo "demo: expected pending changes (exit 2), got $rc" >&2; exit 1; }

step "4. make the changes"
np apply -f "$file" --yes

step "5. nothing left to do (exit 0)"
np plan -f "$file" --detailed-exitcode

if [ -f dist/commands/verify.js ]; then
  step "6. prove it: state checks and real test pods across nodes"
  np verify -f "$file"
fi

echo
echo "Done. Look around:  ssh -F /run/netprov-lab/$name/ssh_config node1 ip route"
echo "Tear the lab down:  node bin/run.js lab down --name $name"
