import {LOCK_DIR} from '../resources/markers.js'

// The node-side half of verify's data plane: a constant POSIX sh program that runs CNI plugins the way a
// container runtime does, in throwaway network namespaces. Every value comes from "$@" or from files
// netprov sends in a tar archive on stdin; nothing here is built from values. No JSON is parsed on the
// node: a plugin's config arrives as a prefix without its closing brace and the driver appends
// `,"prevResult":<previous output>}` or `}` (libcni buildOneConfig, done textually).
//
// The run's state lives in /run/netprov/verify/<run id> (the pods, configs and cached results), so a
// teardown needs nothing from netprov: it works after an interrupted setup, and a later verify reaps
// runs that were killed before they could clean up (older than 30 minutes and not locked).

export const VERIFY_STATE_ROOT = `${LOCK_DIR}/verify`

export const DRIVER = String.raw`set -u
d=$1 mode=$2 S=$3
shift 3
t=; command -v timeout >/dev/null 2>&1 && t='timeout 30'
mark() { printf '@@NV %s\n' "$*"; }
b64() { base64 -w0 < "$1" 2>/dev/null; }

# cni COMMAND CID NETNS IFNAME TYPE PREFIX PREVRESULT OUT: one plugin call, env as libcni sets it
cni() {
  { cat "$6"; if [ -n "$7" ] && [ -s "$7" ]; then printf ',"prevResult":'; cat "$7"; fi; printf '}'; } > "$8.in"
  bin=$(cat "$S/bin")
  if [ ! -x "$bin/$5" ]; then : > "$8"; printf 'failed to find plugin "%s" in path [%s]\n' "$5" "$bin" > "$8.err"; return 127; fi
  CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$3 CNI_IFNAME=$4 CNI_PATH=$bin \
  CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=netprov-verify;K8S_POD_NAME=$3;K8S_POD_INFRA_CONTAINER_ID=$2" \
    $t "$bin/$5" < "$8.in" > "$8" 2> "$8.err"
}
step() { printf '@@NV step %s %s %s %s %s\n' "$1" "$2" "$3" "$(b64 "$4")" "$(b64 "$4.err")"; }

# Records the source address of every echo request the pod receives (the no-NAT proof).
recorder() {
  if command -v nft >/dev/null 2>&1; then
    if ip netns exec "$1" nft -f "$d/recorder.nft" 2>/dev/null || ip netns exec "$1" nft -f "$d/recorder-plain.nft" 2>/dev/null; then echo nft; return; fi
  fi
  if command -v iptables >/dev/null 2>&1 && ip netns exec "$1" iptables -w 5 -A INPUT -p icmp --icmp-type echo-request -m recent --name netprov_verify --rsource --set 2>/dev/null; then
    ip netns exec "$1" ip6tables -w 5 -A INPUT -p ipv6-icmp --icmpv6-type echo-request -m recent --name netprov_verify6 --rsource --set 2>/dev/null
    echo iptables; return
  fi
  echo none
}

seen() {
  if ip netns exec "$2" nft list table inet netprov_verify > "$S/$1.seen" 2>/dev/null; then mark seen "$1" nft "$(b64 "$S/$1.seen")"
  elif ip netns exec "$2" cat /proc/net/xt_recent/netprov_verify > "$S/$1.seen" 2>/dev/null; then
    ip netns exec "$2" cat /proc/net/xt_recent/netprov_verify6 >> "$S/$1.seen" 2>/dev/null
    mark seen "$1" iptables "$(b64 "$S/$1.seen")"
  fi
}

# setup BIN IPAMDIR CHECK: per pod: netns, loopback ADD on lo, the chain's ADD on eth0 in list order,
# CHECK in list order with the cached result; then the recorder.
setup() {
  mkdir -p "$S" && exec 8>>"$S/lock" && flock 8 || { mark fatal "cannot lock $S"; exit 1; }
  printf '%s\n' "$1" > "$S/bin"; printf '%s\n' "$2" > "$S/ipam"
  cp "$d/pods" "$d/chain" "$d/delchain" "$d/lo.conf" "$S/" && cp "$d"/conf.* "$S/" || { mark fatal "cannot write $S"; exit 1; }
  if [ -n "$2" ]; then
    [ -d "$2" ] || : > "$S/ipam-created"
    [ -d "$(dirname "$2")" ] || : > "$S/ipam-parent-created"
  fi
  reap
  while read -r cid ns <&3; do
    if ! ip netns add "$ns" 2> "$S/$cid.nserr"; then mark netns "$cid" "$(b64 "$S/$cid.nserr")"; continue; fi
    cni ADD "$cid" "$ns" lo loopback "$S/lo.conf" "" "$S/$cid.lo"; step "$cid" ADD:lo $? "$S/$cid.lo"
    rc=0 prev=
    while read -r i typ <&4; do
      cni ADD "$cid" "$ns" eth0 "$typ" "$S/conf.$i" "$prev" "$S/$cid.add.$i"; rc=$?
      step "$cid" "ADD:$i" "$rc" "$S/$cid.add.$i"
      [ "$rc" -eq 0 ] || break
      cp "$S/$cid.add.$i" "$S/$cid.prev"; prev=$S/$cid.prev
    done 4< "$S/chain"
    [ "$rc" -eq 0 ] || continue
    cp "$S/$cid.prev" "$S/$cid.result"
    if [ "$3" = 1 ]; then
      while read -r i typ <&4; do
        cni CHECK "$cid" "$ns" eth0 "$typ" "$S/conf.$i" "$S/$cid.result" "$S/$cid.check.$i"; step "$cid" "CHECK:$i" $? "$S/$cid.check.$i"
      done 4< "$S/chain"
    fi
    mark recorder "$cid" "$(recorder "$ns")"
  done 3< "$S/pods"
  mark done
}

# port_probe PROTO HOST PORT: first line open (TCP refused or accepted, UDP answered with port
# unreachable), filtered (no answer) or rejected (an ICMP error other than port unreachable); then output.
port_probe() {
  if [ "$1" = tcp ]; then
    out=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$2" "$3" 2>&1); rc=$?
    if [ "$rc" -eq 0 ]; then echo open; elif [ "$rc" -eq 124 ]; then echo filtered
    else case $out in *"Connection refused"*) echo open ;; *) echo rejected ;; esac; fi
  else
    # The port-unreachable for one datagram shows up as the error of the next write. Stop at the first
    # one, so the target's ICMP rate limit (a burst of 6 per peer, then 1/s) is not used up; retry for 1.5 s.
    out=$(timeout 3 bash -c 'exec 3<>"/dev/udp/$0/$1"; for i in 1 2 3 4 5 6; do printf x >&3 || exit 0; sleep 0.3; done' "$2" "$3" 2>&1)
    case $out in *"Connection refused"*) echo open ;; *"No route"*|*"prohibited"*) echo rejected ;; *) echo filtered ;; esac
  fi
  printf '%s\n' "$out"
}

# probe: every ping (label netns target) and port probe (label proto host port) at once, then one line each.
probe() {
  ping_ok=1; command -v ping >/dev/null 2>&1 || { ping_ok=; [ ! -s "$d/pings" ] || mark noping; }
  port_ok=1; { command -v bash && command -v timeout; } >/dev/null 2>&1 || { port_ok=; [ ! -s "$d/ports" ] || mark noportprobe; }
  i=0
  while [ -n "$ping_ok" ] && read -r label ns target <&3; do
    ( ip netns exec "$ns" ping -n -c 2 -i 0.2 -W 2 "$target" > "$d/ping.$i" 2>&1; echo "$?" > "$d/ping.$i.rc" ) &
    i=$((i + 1))
  done 3< "$d/pings"
  i=0
  while [ -n "$port_ok" ] && read -r label proto host port <&3; do
    port_probe "$proto" "$host" "$port" > "$d/port.$i" 2>&1 &
    i=$((i + 1))
  done 3< "$d/ports"
  wait
  i=0
  while [ -n "$ping_ok" ] && read -r label ns target <&3; do
    mark ping "$label" "$(cat "$d/ping.$i.rc" 2>/dev/null || echo 1)" "$(b64 "$d/ping.$i")"
    i=$((i + 1))
  done 3< "$d/pings"
  i=0
  while [ -n "$port_ok" ] && read -r label proto host port <&3; do
    tail -n +2 "$d/port.$i" > "$d/port.$i.out"
    mark port "$label" "$(head -n 1 "$d/port.$i")" "$(b64 "$d/port.$i.out")"
    i=$((i + 1))
  done 3< "$d/ports"
  mark done
}

# teardown: what the recorders saw, DEL (lo, then the chain in reverse order, with the cached result),
# the namespaces; then anything left behind is named, and removed when it is provably this run's.
teardown() {
  mkdir -p "$S" && exec 8>>"$S/lock" || { mark fatal "cannot lock $S"; exit 1; }
  flock -w 60 8 || mark warning "setup still holds $S after 60s"
  if [ -f "$S/pods" ]; then
    while read -r cid ns <&3; do
      if [ -e "/run/netns/$ns" ]; then
        seen "$cid" "$ns"
        pids=$(ip netns pids "$ns" 2>/dev/null); [ -z "$pids" ] || kill $pids 2>/dev/null
      fi
      cni DEL "$cid" "$ns" lo loopback "$S/lo.conf" "" "$S/$cid.dlo"; step "$cid" DEL:lo $? "$S/$cid.dlo"
      while read -r i typ <&4; do
        cni DEL "$cid" "$ns" eth0 "$typ" "$S/conf.$i" "$S/$cid.result" "$S/$cid.del.$i"; step "$cid" "DEL:$i" $? "$S/$cid.del.$i"
      done 4< "$S/delchain"
      [ ! -e "/run/netns/$ns" ] || ip netns del "$ns" 2>/dev/null
    done 3< "$S/pods"
    leftovers
  fi
  # the run's dir, then /run/netprov/verify and /run/netprov when they are empty (made by this run)
  rm -rf "$S"; rmdir "$(dirname "$S")" "$(dirname "$(dirname "$S")")" 2>/dev/null
  mark done
}

leftovers() {
  while read -r cid ns <&3; do [ ! -e "/run/netns/$ns" ] || mark left netns "$ns"; done 3< "$S/pods"
  ipam=$(cat "$S/ipam")
  if [ -n "$ipam" ] && [ -d "$ipam" ]; then
    cut -d' ' -f1 "$S/pods" > "$S/cids"
    for f in "$ipam"/*; do
      b=$(basename -- "$f")
      [ -f "$f" ] || continue
      case $b in lock|last_reserved_ip*) continue ;; esac
      owner=$(head -n 1 "$f" | tr -d '\r')
      if printf '%s\n' "$owner" | grep -qxF -f "$S/cids"; then
        mark left ipam "$b"
        rm -f -- "$f" && mark removed ipam "$b"
      fi
    done
    if [ -f "$S/ipam-created" ]; then
      other=
      for f in "$ipam"/*; do case $(basename -- "$f") in lock|last_reserved_ip*|'*') ;; *) other=1 ;; esac; done
      [ -n "$other" ] || { rm -f -- "$ipam/lock" "$ipam"/last_reserved_ip*; rmdir -- "$ipam" 2>/dev/null; }
      [ ! -f "$S/ipam-parent-created" ] || rmdir -- "$(dirname "$ipam")" 2>/dev/null
    fi
  fi
  if [ -f "$d/links" ]; then
    while read -r l <&3; do
      if ip link show dev "$l" >/dev/null 2>&1; then mark left link "$l"; ip link del dev "$l" 2>/dev/null && mark removed link "$l"; fi
    done 3< "$d/links"
  fi
}

# Runs killed before their teardown (SIGKILL, lost connection): unlocked and older than 30 minutes.
reap() {
  for old in "$(dirname "$S")"/*; do
    [ "$old" != "$S" ] && [ -f "$old/pods" ] || continue
    [ -n "$(find "$old" -maxdepth 0 -mmin +30 2>/dev/null)" ] || continue
    flock -n "$old/lock" true || continue
    ( S=$old; teardown ) > /dev/null 2>&1 && mark reaped "$(basename -- "$old")"
  done
}

case $mode in
  setup) setup "$@" ;;
  probe) probe ;;
  teardown) teardown ;;
  *) mark fatal "unknown mode" ; exit 2 ;;
esac
`

/**
 * The one command that runs the driver: unpack the archive from stdin into a private temp dir, run it,
 * remove the dir. Hang-ups and broken pipes are ignored, so a driver whose netprov went away (Ctrl-C,
 * lost connection) still finishes its step and leaves a state the teardown can clean.
 */
export function driverArgv(mode: 'setup' | 'probe' | 'teardown', stateDir: string, args: readonly string[] = []): string[] {
  const boot = `trap '' HUP PIPE INT; d=$(mktemp -d "\${TMPDIR:-/tmp}/netprov-verify.XXXXXX") || exit 1; trap 'rm -rf "$d"' EXIT; tar -xf - -C "$d" || exit 1; sh "$d/driver.sh" "$d" "$@"`
  return ['sh', '-c', boot, 'netprov-verify', mode, stateDir, ...args]
}

// Sets of source addresses with a packet counter each (nft >= 0.9.x), or without counters (older nft).
export const RECORDER_NFT = `table inet netprov_verify {
  set seen4 { type ipv4_addr; flags dynamic; size 4096; counter; }
  set seen6 { type ipv6_addr; flags dynamic; size 4096; counter; }
  chain input {
    type filter hook input priority -300; policy accept;
    icmp type echo-request add @seen4 { ip saddr }
    icmpv6 type echo-request add @seen6 { ip6 saddr }
  }
}
`
export const RECORDER_NFT_PLAIN = RECORDER_NFT.replaceAll(' counter;', '')
