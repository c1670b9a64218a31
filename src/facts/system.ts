import type {FileState} from './types.js'
import type {Fact} from './fact.js'

// Tools netprov may use on a node; plan reports the missing ones its steps need.
export const TOOLS = ['ip', 'sysctl', 'modprobe', 'flock', 'sha256sum', 'base64', 'nft', 'iptables', 'iptables-save', 'iptables-restore', 'systemctl', 'nsenter', 'ping', 'timeout'] as const

/** `net/ipv4/ip_forward:1` lines (grep -H) -> {"net.ipv4.ip_forward": "1"}. */
export function parseSysctls(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    out[line.slice(0, i).replaceAll('/', '.')] = line.slice(i + 1).trim()
  }
  return out
}

// Read from /proc/sys directly: no dependency on procps, and a missing key (no br_netfilter) is simply absent.
export const sysctlFact: Fact<Record<string, string>> = {
  id: 'sysctls',
  argv: ['sh', '-c', 'cd /proc/sys && grep -Hs . net/ipv4/ip_forward net/ipv6/conf/all/forwarding net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables net/ipv4/conf/*/rp_filter; exit 0'],
  parse: parseSysctls,
}

export const toolsFact: Fact<string[]> = {
  id: 'tools',
  argv: ['sh', '-c', 'for t; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; exit 0', 'sh', ...TOOLS],
  parse: (stdout) => stdout.split('\n').filter(Boolean),
}

/** A file's exact content (base64 on the wire), or null when it does not exist. */
export function fileFact(path: string): Fact<string | null> {
  return {
    id: `file:${path}`,
    argv: ['sh', '-c', '[ -f "$1" ] || exit 3; base64 -w0 -- "$1"', 'sh', path],
    parse: (stdout, code) => (code === 3 ? null : Buffer.from(stdout.trim(), 'base64').toString('utf8')),
  }
}

/** Every name in a directory, or null when it does not exist. */
export function dirFact(id: string, path: string): Fact<string[] | null> {
  return {
    id,
    argv: ['sh', '-c', '[ -d "$1" ] || exit 3; ls -1A -- "$1"', 'sh', path],
    parse: (stdout, code) => (code === 3 ? null : stdout.split('\n').filter(Boolean).sort()),
  }
}

/** `755 <sha256>  name` per existing file of `names` in `dir`. */
export function parseBinaries(stdout: string): Record<string, FileState> {
  const out: Record<string, FileState> = {}
  for (const line of stdout.split('\n')) {
    const m = /^([0-7]{3,4}) ([0-9a-f]{64}) {2}(.+)$/.exec(line)
    if (m) out[m[3]!] = {mode: m[1]!, sha256: m[2]!}
  }
  return out
}

export function binariesFact(dir: string, names: readonly string[]): Fact<Record<string, FileState>> {
  return {
    id: 'binaries',
    argv: ['sh', '-c', 'cd "$1" 2>/dev/null || exit 0; shift; for f; do [ -f "$f" ] && printf "%s " "$(stat -c %a -- "$f")" && sha256sum -- "$f"; done; exit 0', 'sh', dir, ...names],
    parse: parseBinaries,
  }
}
