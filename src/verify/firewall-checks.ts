import type {Cluster, NodeSpec} from '../config/types.js'
import {familyOf} from '../net/cidr.js'
import {type PodNet, dedupeTables, forwardFix, forwardVerdicts} from './forward-policy.js'
import type {FirewallRead} from './probe-facts.js'
import {type Check, fail, pass, skip} from './types.js'

export interface FirewallFacts {
  iptables4?: FirewallRead
  iptables6?: FirewallRead
  nft?: FirewallRead
}

const tablesOf = (r: FirewallRead | undefined) => (r?.state === 'ok' ? r.tables : [])

/** One check per pod family: does any forward chain (iptables or nftables) drop pod traffic by default? */
export function forwardPolicyChecks(cluster: Cluster, node: NodeSpec, fw: FirewallFacts): Check[] {
  const n = node.name
  const families = [...new Set(cluster.podCIDRs.map(familyOf))]
  return families.map((family) => {
    const name = family === 4 ? 'forward policy' : 'forward policy IPv6'
    const ipt = family === 4 ? fw.iptables4 : fw.iptables6
    const readable = [ipt, fw.nft].filter((r) => r?.state === 'ok')
    if (readable.length === 0) {
      const why = [ipt, fw.nft].map((r) => (r?.state === 'error' ? r.message : null)).filter(Boolean)
      return skip(n, name, `cannot read the firewall: ${why.length ? why.join('; ') : 'neither iptables-save nor nft on the node'}`)
    }
    const net: PodNet = {family, cidrs: cluster.podCIDRs.filter((c) => familyOf(c) === family), bridge: cluster.bridge.name}
    const verdicts = forwardVerdicts(dedupeTables(tablesOf(ipt), tablesOf(fw.nft)), net)
    const dropping = verdicts.filter((v) => v.dropping)
    if (dropping.length) return fail(n, name, dropping.map((v) => `${v.where}: ${v.why}`).join('; '), dropping.map((v) => forwardFix(v, net)).join('; '))
    const seen = verdicts.length ? verdicts.map((v) => `${v.where}: ${v.why}`).join('; ') : 'no chain filters forwarded traffic'
    return pass(n, name, seen)
  })
}
