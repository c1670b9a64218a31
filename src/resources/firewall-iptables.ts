import type {Cluster, NodeSpec} from '../config/types.js'
import {BUILTIN, COMMENT, type Family, NETPROV_CHAINS, jumpSpec} from '../facts/iptables.js'
import type {Chains} from '../facts/nft.js'
import {forwardRules, inputRules} from './firewall-rules.js'

// The iptables backend: chains NETPROV-INPUT / NETPROV-FORWARD (IPv4 with iptables, IPv6 with
// ip6tables), jumped to from the top of INPUT and FORWARD, every rule commented "netprov" (each chain
// holds at least one, so a chain of netprov's is recognised by its content alone). A change is one
// `iptables-restore --noflush` file per family: only netprov's chains and its own jumps are touched, in
// one transaction, and every rule it deletes is named exactly as iptables-save printed it.

export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6']
const [INPUT, FORWARD] = NETPROV_CHAINS

/** What netprov wants, in the normalised form the iptables fact reads back. */
export function iptablesChains(cluster: Cluster, node: NodeSpec): Chains {
  const chains: Chains = {}
  for (const fam of FAMILIES) {
    const f = fam === 'ipv4' ? 4 : 6
    chains[`${fam} INPUT`] = [`@1 jump ${INPUT}`]
    chains[`${fam} FORWARD`] = [`@1 jump ${FORWARD}`]
    chains[`${fam} ${INPUT}`] = [...inputRules(cluster, node, [f]), 'drop'] // the allow-list's end
    chains[`${fam} ${FORWARD}`] = [...forwardRules(cluster, [f]), 'return'] // no match: back to FORWARD (explicitly: never an empty chain)
  }
  return chains
}

const TARGETS: Record<string, string> = {accept: 'ACCEPT', drop: 'DROP', return: 'RETURN'}

/**
 * A normalised line -> iptables rule spec, commented "netprov". "? spec" lines are kept as they were.
 * netprov's jump is exactly the form iptables-save prints (`-D` must name the rule as it exists).
 */
export function ruleSpec(line: string): string {
  if (line.startsWith('? ')) return line.slice(2)
  if (/^jump \S+$/.test(line)) return jumpSpec(line.slice(5))
  const w = line.split(' ')
  const out: string[] = []
  let i = 0
  while (i < w.length) {
    const [a, b, c] = [w[i]!, w[i + 1], w[i + 2]]
    if (a === 'ct' && b === 'state') out.push('-m', 'conntrack', '--ctstate', c!.toUpperCase()), (i += 3)
    else if (a === 'iifname') out.push('-i', b!.replaceAll('"', '')), (i += 2)
    else if (a === 'meta' && b === 'l4proto') out.push('-p', c!), (i += 3)
    else if ((a === 'ip' || a === 'ip6') && (b === 'saddr' || b === 'daddr')) out.push(b === 'saddr' ? '-s' : '-d', c!), (i += 3)
    else if ((a === 'tcp' || a === 'udp') && b === 'dport') out.push('-p', a, '-m', a, '--dport', c!.replace('-', ':')), (i += 3)
    else if (a === 'jump') out.push('-m', 'comment', '--comment', COMMENT, '-j', b!), (i += 2)
    else if (TARGETS[a]) out.push('-m', 'comment', '--comment', COMMENT, '-j', TARGETS[a]), (i += 1)
    else throw new Error(`netprov bug: no iptables form for "${line}"`)
  }
  return out.join(' ')
}

const ofFamily = (chains: Chains | null, fam: Family) =>
  Object.entries(chains ?? {})
    .filter(([k]) => k.startsWith(`${fam} `))
    .map(([k, lines]) => [k.slice(fam.length + 1), lines] as const)

/** "@3 jump X" -> [3, "jump X"] */
const jump = (line: string): [number, string] => {
  const m = /^@(\d+) (.*)$/.exec(line)!
  return [Number(m[1]), m[2]!]
}

/**
 * The iptables-restore --noflush input that turns `from` (what is on the node) into `to`, for one
 * family; null when neither has anything of that family. Declaring a chain creates or flushes it;
 * jumps are deleted by their exact spec and re-inserted at their position, lowest first. A chain that
 * goes is flushed, and deleted unless `pinned` (rules netprov did not write still jump to it: deleting
 * it would fail, and netprov never deletes those rules).
 */
export function transition(from: Chains | null, to: Chains | null, fam: Family, pinned: ReadonlySet<string> = new Set()): string | null {
  const was = ofFamily(from, fam)
  const will = ofFamily(to, fam)
  if (was.length === 0 && will.length === 0) return null
  const own = (xs: typeof was) => xs.filter(([name]) => (NETPROV_CHAINS as readonly string[]).includes(name))
  const builtin = (xs: typeof was) => xs.filter(([name]) => (BUILTIN as readonly string[]).includes(name))
  const keep = new Set(own(will).map(([name]) => name))
  const gone = own(was).filter(([name]) => !keep.has(name))
  const lines = ['*filter', ...own(will).map(([name]) => `:${name} - [0:0]`)]
  for (const [name, rules] of builtin(was)) for (const r of rules) lines.push(`-D ${name} ${ruleSpec(jump(r)[1])}`)
  lines.push(...gone.map(([name]) => `-F ${name}`), ...gone.filter(([name]) => !pinned.has(name)).map(([name]) => `-X ${name}`))
  for (const [name, rules] of own(will)) for (const r of rules) lines.push(`-A ${name} ${ruleSpec(r)}`)
  for (const [name, rules] of builtin(will)) {
    for (const [pos, r] of rules.map(jump).sort((a, b) => a[0] - b[0])) lines.push(`-I ${name} ${pos} ${ruleSpec(r)}`)
  }
  return [...lines, 'COMMIT', ''].join('\n')
}
