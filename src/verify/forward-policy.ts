import {familyOf} from '../net/cidr.js'
import {overlapsAny} from './node-net.js'
import type {Cond, FwRule, FwTable} from './firewall-model.js'

// The classic silent breaker: a forward chain that drops by default (Docker sets iptables FORWARD to
// DROP; firewalld ends its forward chain with a reject) with nothing accepting pod traffic. Pods then
// get addresses and reach their gateway, but nothing across the bridge or to other nodes.

export interface PodNet {
  family: 4 | 6
  cidrs: string[] // the cluster's pod CIDRs of that family
  bridge: string
}

export interface ChainVerdict {
  where: string // "iptables filter FORWARD", "nft inet firewalld filter_FORWARD"
  dropping: boolean
  why: string // "policy DROP, nothing accepts 10.244.0.0/16" / "accepted by: -s 10.244.0.0/16 -j ACCEPT"
}

function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name
}

/** Does the condition select pod traffic (from or to the pod network, or through the bridge)? */
function podish(c: Cond, net: PodNet): boolean {
  if (c.kind === 'saddr' || c.kind === 'daddr') return !c.neg && c.cidrs.some((x) => familyOf(x) === net.family && net.cidrs.some((p) => overlapsAny(p, x)))
  if (c.kind === 'iif' || c.kind === 'oif') return !c.neg && c.names.some((n) => ifaceMatches(n, net.bridge))
  return false
}

const applies = (r: FwRule, net: PodNet) => r.conds.every((c) => c.kind === 'ct' || podish(c, net))
const unconditional = (r: FwRule) => r.conds.length === 0

type Walk = {end: 'accepted' | 'dropped'; rule: FwRule} | {end: 'fallthrough'}

function walk(t: FwTable, chain: string, net: PodNet, depth: number): Walk {
  const c = t.chains.get(chain)
  if (!c || depth > 8) return {end: 'fallthrough'}
  for (const r of c.rules) {
    const v = r.verdict
    if (!v) continue
    if (v.kind === 'accept' && applies(r, net) && (unconditional(r) || r.conds.some((x) => podish(x, net)))) return {end: 'accepted', rule: r}
    if ((v.kind === 'drop' || v.kind === 'reject') && unconditional(r)) return {end: 'dropped', rule: r}
    if ((v.kind === 'jump' || v.kind === 'goto') && applies(r, net)) {
      const inner = walk(t, v.target, net, depth + 1)
      if (inner.end !== 'fallthrough' || v.kind === 'goto') return inner
    }
    if (v.kind === 'return' && unconditional(r)) return {end: 'fallthrough'}
  }
  return {end: 'fallthrough'}
}

const label = (t: FwTable, chain: string) => (t.backend === 'nft' ? `nft ${t.name} chain ${chain}` : `${t.backend} ${t.name} ${chain}`)

/** Every forward base chain of the tables that see this family, and whether it drops pod traffic. */
export function forwardVerdicts(tables: readonly FwTable[], net: PodNet): ChainVerdict[] {
  const out: ChainVerdict[] = []
  for (const t of tables.filter((x) => x.family === 'both' || x.family === net.family)) {
    for (const c of [...t.chains.values()].filter((x) => x.forward)) {
      const w = walk(t, c.name, net, 0)
      const where = label(t, c.name)
      if (w.end === 'accepted') out.push({where, dropping: false, why: `${c.policy === 'drop' ? 'policy DROP, but ' : ''}pod traffic accepted by: ${w.rule.text}`})
      else if (w.end === 'dropped') out.push({where, dropping: true, why: `"${w.rule.text}" drops everything before any rule accepts ${net.cidrs.join(', ')}`})
      else if (c.policy === 'drop') out.push({where, dropping: true, why: `policy DROP and no rule accepts ${net.cidrs.join(', ')} (or traffic through ${net.bridge})`})
      else out.push({where, dropping: false, why: 'policy ACCEPT'})
    }
  }
  return out
}

/** iptables-nft tables show up in both views: keep the iptables-save view of them (it decodes xt matches). */
export function dedupeTables(iptables: readonly FwTable[], nft: readonly FwTable[]): FwTable[] {
  const viaNft = new Set<string>(iptables.filter((t) => t.backend === 'iptables').map((t) => (t.family === 6 ? 'ip6 filter' : 'ip filter')))
  return [...iptables, ...nft.filter((t) => !viaNft.has(t.name))]
}

export function forwardFix(v: ChainVerdict, net: PodNet): string {
  const cidr = net.cidrs[0]!
  if (v.where.startsWith('nft ')) {
    const [, fam, table, , chain] = v.where.split(' ')
    const ip = net.family === 6 ? 'ip6' : 'ip'
    return `accept pod traffic before the drop: nft insert rule ${fam} ${table} ${chain} ${ip} saddr ${cidr} accept; nft insert rule ${fam} ${table} ${chain} ${ip} daddr ${cidr} accept (and persist it)`
  }
  const cmd = net.family === 6 ? 'ip6tables' : 'iptables'
  return `${cmd} -I FORWARD -s ${cidr} -j ACCEPT && ${cmd} -I FORWARD -d ${cidr} -j ACCEPT (persist it; Docker sets FORWARD to DROP at start), or ${cmd} -P FORWARD ACCEPT`
}
