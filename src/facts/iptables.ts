import {canonical} from '../net/cidr.js'
import type {Fact} from './fact.js'
import type {Chains} from './nft.js'

// netprov's iptables chains and its jumps to them from INPUT/FORWARD, for IPv4 and IPv6, normalised
// into the same nft-style lines the firewall resource wants:
//   "ipv4 NETPROV-INPUT" -> ["ct state established,related accept", ..., "drop"]
//   "ipv4 INPUT"         -> ["@1 jump NETPROV-INPUT"]   (the jump's position among INPUT's rules)
// netprov writes every rule with the comment "netprov". What is netprov's, exactly:
//   - a chain named exactly NETPROV-INPUT or NETPROV-FORWARD that holds a rule with that comment, or
//     that one of netprov's jumps leads to (any other NETPROV-* chain is someone else's);
//   - a rule in INPUT/FORWARD that carries the comment and jumps to one of those chains.
// A rule in netprov's chains that it would never write (no comment, other matches) becomes
// "? <rule spec as iptables-save printed it>"; so does one of its jumps in any form but its own. So
// every line says how to name the rule exactly as it exists (`-D` deletes only exact matches).
// Someone else's chain with netprov's name and someone else's rules jumping to netprov's names are
// reported separately: netprov never touches them.

export type Family = 'ipv4' | 'ipv6'
export const BUILTIN = ['INPUT', 'FORWARD'] as const
/** The chains netprov makes, by exact name (both families). */
export const NETPROV_CHAINS = ['NETPROV-INPUT', 'NETPROV-FORWARD'] as const
/** The comment on every rule netprov writes. */
export const COMMENT = 'netprov'

/** A rule netprov did not write that jumps (or goes) to a chain with one of netprov's names. */
export interface ForeignJump {
  family: Family
  chain: string // the chain it is in
  target: string
  spec: string // as iptables-save printed it
}

export interface IptablesFacts {
  chains: Chains // netprov's, both families
  /** Chains with one of netprov's names that carry none of its marks: someone else's ("ipv4 NETPROV-INPUT"). */
  foreignChains?: string[]
  foreignJumps?: ForeignJump[]
  errors: string[] // a family whose rules could not be read (e.g. no ip6tables-save)
}

// Only the lines that matter (chain declarations, INPUT/FORWARD and netprov's chains, and any rule that
// jumps to one of netprov's names): kube-proxy's chains can be long. "@@ <tool>" frames each family;
// "@@ error ..." reports a failure.
const NAMES = NETPROV_CHAINS.join('|')
const READ = `for t in iptables-save ip6tables-save; do
  echo "@@ $t"
  command -v "$t" >/dev/null 2>&1 || { echo "@@ error $t not found"; continue; }
  out=$("$t" -t filter 2>&1) || { printf '%s\\n' "$out" | head -3 | sed 's/^/@@ error /'; continue; }
  printf '%s\\n' "$out" | grep -E -e '^:' -e '^-A (INPUT|FORWARD|${NAMES}) ' -e ' -[jg] (${NAMES})( |$)'
done
exit 0`

export const iptablesFact: Fact<IptablesFacts> = {id: 'iptables-netprov', argv: ['sh', '-c', READ], parse: parseIptables}

const isOurs = (name: string) => (NETPROV_CHAINS as readonly string[]).includes(name)
const isBuiltin = (name: string) => (BUILTIN as readonly string[]).includes(name)

/** Does the rule carry netprov's comment? */
export function marked(spec: string): boolean {
  const w = words(spec)
  return w.some((x, i) => x === '--comment' && w[i + 1] === COMMENT)
}

/** Where the rule jumps or goes (-j / -g), if anywhere. */
function target(spec: string): string | undefined {
  const w = words(spec)
  const i = w.findIndex((x) => x === '-j' || x === '-g')
  return i >= 0 ? w[i + 1] : undefined
}

/** The one form in which netprov writes its jump to `chain` (and iptables-save prints it). */
export const jumpSpec = (chain: string) => `-m comment --comment ${COMMENT} -j ${chain}`

export function parseIptables(stdout: string): IptablesFacts {
  const out: IptablesFacts = {chains: {}, foreignChains: [], foreignJumps: [], errors: []}
  let family: Family | null = null
  let declared = new Set<string>()
  let rules: [string, string][] = []
  const finish = () => {
    if (family) classify(out, family, declared, rules)
    declared = new Set()
    rules = []
  }
  for (const line of stdout.split('\n')) {
    const frame = /^@@ (ip6?tables)-save$/.exec(line)
    if (frame) {
      finish()
      family = frame[1] === 'iptables' ? 'ipv4' : 'ipv6'
      continue
    }
    if (!family) continue
    if (line.startsWith('@@ error ')) out.errors.push(`${family}: ${line.slice(9)}`)
    const decl = /^:(\S+) /.exec(line)
    if (decl) declared.add(decl[1]!)
    const rule = /^-A (\S+) (.*)$/.exec(line)
    if (rule) rules.push([rule[1]!, rule[2]!])
  }
  finish()
  return out
}

function classify(out: IptablesFacts, family: Family, declared: Set<string>, rules: [string, string][]): void {
  const jumpsOfOurs = rules.filter(([chain, spec]) => isBuiltin(chain) && marked(spec) && isOurs(target(spec) ?? ''))
  const ours = new Set<string>(NETPROV_CHAINS.filter((name) => declared.has(name) && (rules.some(([c, s]) => c === name && marked(s)) || jumpsOfOurs.some(([, s]) => target(s) === name))))
  for (const name of NETPROV_CHAINS) if (declared.has(name) && !ours.has(name)) out.foreignChains!.push(`${family} ${name}`)
  for (const name of ours) out.chains[`${family} ${name}`] = []
  const position: Record<string, number> = {}
  for (const r of rules) {
    const [chain, spec] = r
    if (ours.has(chain)) {
      out.chains[`${family} ${chain}`]!.push(ruleText(spec, family))
      continue
    }
    if (isBuiltin(chain)) position[chain] = (position[chain] ?? 0) + 1
    const to = target(spec)
    if (jumpsOfOurs.includes(r)) (out.chains[`${family} ${chain}`] ??= []).push(`@${position[chain]} ${spec === jumpSpec(to!) ? `jump ${to}` : `? ${spec}`}`)
    else if (to && isOurs(to)) out.foreignJumps!.push({family, chain, target: to, spec})
  }
}

/** iptables-save's words, honouring its double quotes: `--comment "a b"` is one word. */
export function words(spec: string): string[] {
  return [...spec.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!))
}

const MODULES = new Set(['tcp', 'udp', 'conntrack', 'comment'])
const VERDICTS: Record<string, string> = {ACCEPT: 'accept', DROP: 'drop', RETURN: 'return'}

/**
 * One iptables-save rule spec -> the nft-style line it means, or "? spec" when netprov would not write
 * it: other matches, or not exactly one comment, "netprov".
 */
export function ruleText(spec: string, family: Family): string {
  const w = words(spec)
  const f: Record<string, string> = {}
  const comments: string[] = []
  for (let i = 0; i < w.length; i += 2) {
    const [opt, val] = [w[i]!, w[i + 1]]
    if (val === undefined || !['-s', '-d', '-i', '-p', '-m', '--dport', '--ctstate', '--comment', '-j'].includes(opt)) return `? ${spec}`
    if (opt === '-m' && !MODULES.has(val)) return `? ${spec}`
    if (opt === '--comment') comments.push(val)
    else if (opt !== '-m') f[opt] = val
  }
  if (comments.length !== 1 || comments[0] !== COMMENT) return `? ${spec}`
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
