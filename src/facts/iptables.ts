import {canonical} from '../net/cidr.js'
import type {Fact} from './fact.js'
import type {Chains} from './nft.js'

// netprov's iptables chains (NETPROV-*) and the jumps to them from INPUT/FORWARD, for IPv4 and IPv6,
// normalised into the same nft-style lines the firewall resource wants:
//   "ipv4 NETPROV-INPUT" -> ["ct state established,related accept", ..., "drop"]
//   "ipv4 INPUT"         -> ["@1 jump NETPROV-INPUT"]   (the jump's position among INPUT's rules)
// A rule netprov would never write becomes "? <rule spec as iptables-save printed it>".

export type Family = 'ipv4' | 'ipv6'
export const BUILTIN = ['INPUT', 'FORWARD'] as const
export const CHAIN_PREFIX = 'NETPROV-'

export interface IptablesFacts {
  chains: Chains // netprov's, both families
  errors: string[] // a family whose rules could not be read (e.g. no ip6tables-save)
}

// Only the lines that matter (chain declarations and INPUT/FORWARD/NETPROV-* rules): kube-proxy's
// chains can be long. "@@ <tool>" frames each family; "@@ error ..." reports a failure.
const READ = `for t in iptables-save ip6tables-save; do
  echo "@@ $t"
  command -v "$t" >/dev/null 2>&1 || { echo "@@ error $t not found"; continue; }
  out=$("$t" -t filter 2>&1) || { printf '%s\\n' "$out" | head -3 | sed 's/^/@@ error /'; continue; }
  printf '%s\\n' "$out" | grep -E -e '^(:|-A (INPUT|FORWARD|${CHAIN_PREFIX}))'
done
exit 0`

export const iptablesFact: Fact<IptablesFacts> = {id: 'iptables-netprov', argv: ['sh', '-c', READ], parse: parseIptables}

export function parseIptables(stdout: string): IptablesFacts {
  const out: IptablesFacts = {chains: {}, errors: []}
  let family: Family | null = null
  const position: Record<string, number> = {}
  for (const line of stdout.split('\n')) {
    const frame = /^@@ (ip6?tables)-save$/.exec(line)
    if (frame) {
      family = frame[1] === 'iptables' ? 'ipv4' : 'ipv6'
      continue
    }
    if (!family) continue
    if (line.startsWith('@@ error ')) out.errors.push(`${family}: ${line.slice(9)}`)
    const decl = /^:(\S+) /.exec(line)
    if (decl?.[1]!.startsWith(CHAIN_PREFIX)) out.chains[`${family} ${decl[1]}`] ??= []
    const rule = /^-A (\S+) (.*)$/.exec(line)
    if (!rule) continue
    const [, chain, spec] = rule as unknown as [string, string, string]
    const key = `${family} ${chain}`
    if (chain.startsWith(CHAIN_PREFIX)) (out.chains[key] ??= []).push(ruleText(spec, family))
    else {
      position[key] = (position[key] ?? 0) + 1
      if (new RegExp(`(^| )-j ${CHAIN_PREFIX}`).test(spec)) (out.chains[key] ??= []).push(`@${position[key]} ${ruleText(spec, family)}`)
    }
  }
  return out
}

/** iptables-save's words, honouring its double quotes: `--comment "a b"` is one word. */
export function words(spec: string): string[] {
  return [...spec.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!))
}

const MODULES = new Set(['tcp', 'udp', 'conntrack', 'comment'])
const VERDICTS: Record<string, string> = {ACCEPT: 'accept', DROP: 'drop', RETURN: 'return'}

/** One iptables-save rule spec -> the nft-style line it means, or "? spec" when netprov would not write it. */
export function ruleText(spec: string, family: Family): string {
  const w = words(spec)
  const f: Record<string, string> = {}
  for (let i = 0; i < w.length; i += 2) {
    const [opt, val] = [w[i]!, w[i + 1]]
    if (val === undefined || !['-s', '-d', '-i', '-p', '-m', '--dport', '--ctstate', '--comment', '-j'].includes(opt)) return `? ${spec}`
    if (opt === '-m' && !MODULES.has(val)) return `? ${spec}`
    if (opt !== '-m' && opt !== '--comment') f[opt] = val
  }
  const ip = family === 'ipv4' ? 'ip' : 'ip6'
  const cidr = (c: string) => canonical(c.includes('/') ? c : `${c}/${family === 'ipv4' ? 32 : 128}`)
  const parts = [
    f['--ctstate'] && `ct state ${f['--ctstate'].toLowerCase().split(',').sort().join(',')}`,
    f['-i'] && `iifname "${f['-i']}"`,
    f['-s'] && `${ip} saddr ${cidr(f['-s'])}`,
    f['-d'] && `${ip} daddr ${cidr(f['-d'])}`,
    f['-p'] && (f['--dport'] ? `${f['-p']} dport ${f['--dport'].replace(':', '-')}` : `meta l4proto ${f['-p']}`),
  ]
  if (f['--dport'] && !f['-p']) return `? ${spec}`
  const target = f['-j']
  if (!target) return `? ${spec}`
  parts.push(VERDICTS[target] ?? `jump ${target}`)
  return parts.filter(Boolean).join(' ')
}
