import type {Cluster, NodeSpec} from '../config/types.js'
import type {NodeFacts} from '../facts/types.js'
import {familyOf} from '../net/cidr.js'
import {lookupRoute, underlayDevice} from './node-net.js'
import {type Check, fail, pass, skip} from './types.js'

// Kernel settings pod traffic depends on, and the classic silent breakers among them.

const sysctlFix = (key: string, file: string) => `sysctl -w ${key}=1 now, and netprov apply -f ${file} to persist it in /etc/sysctl.d`

export function sysctlChecks(cluster: Cluster, node: NodeSpec, facts: NodeFacts): Check[] {
  const n = node.name
  const v4 = cluster.podCIDRs.some((c) => familyOf(c) === 4)
  const v6 = cluster.podCIDRs.some((c) => familyOf(c) === 6)
  const dual = v4 && v6
  const want: [string, string, string][] = [
    ...(v4 ? [['net.ipv4.ip_forward', 'IPv4 forwarding is off: the node does not route pod traffic to other nodes', 'IPv4 forwarding on'] as [string, string, string]] : []),
    ...(v6 ? [['net.ipv6.conf.all.forwarding', `IPv6 forwarding is off${dual ? ' in a dual-stack cluster: IPv4 works, IPv6 pod traffic silently goes nowhere' : ''}`, 'IPv6 forwarding on'] as [string, string, string]] : []),
    ['net.bridge.bridge-nf-call-iptables', 'bridged pod traffic bypasses iptables: kube-proxy Services and NetworkPolicies do not work for pods on the same node', 'bridged IPv4 traffic goes through iptables'],
    ...(v6 ? [['net.bridge.bridge-nf-call-ip6tables', 'bridged IPv6 pod traffic bypasses ip6tables', 'bridged IPv6 traffic goes through ip6tables'] as [string, string, string]] : []),
  ]
  return want.map(([key, broken, ok]) => {
    const v = facts.sysctls[key]
    if (v === '1') return pass(n, `sysctl ${key}`, `= 1: ${ok}`)
    if (v === undefined && key.startsWith('net.bridge.')) return fail(n, `sysctl ${key}`, `missing: br_netfilter is not loaded, ${broken.replace(/^bridged/, 'so bridged')}`, `modprobe br_netfilter; ${sysctlFix(key, cluster.file)}`)
    return fail(n, `sysctl ${key}`, `= ${v ?? 'missing'}: ${broken}`, sysctlFix(key, cluster.file))
  })
}

/**
 * Strict reverse-path filtering (rp_filter=1; the kernel uses max(all, interface)) drops a packet whose
 * source does not route back through the interface it came in on. On the interfaces pod traffic crosses
 * (the bridge, the underlay) that is harmless only while every pod source routes back symmetrically:
 * a missing or asymmetric route then turns into silent drops. Fail when that is the case now; pass
 * with a warning while routes are symmetric.
 */
export function rpFilterCheck(cluster: Cluster, node: NodeSpec, facts: NodeFacts): Check | undefined {
  const n = node.name
  if (!cluster.podCIDRs.some((c) => familyOf(c) === 4)) return undefined // rp_filter is IPv4 only
  const all = Number(facts.sysctls['net.ipv4.conf.all.rp_filter'] ?? 0)
  const effective = (dev: string) => Math.max(all, Number(facts.sysctls[`net.ipv4.conf.${dev}.rp_filter`] ?? 0))
  const underlay = underlayDevice(facts, node)
  const bridge = cluster.bridge.name
  const crossed = [bridge, ...(underlay ? [underlay] : [])].filter((d) => facts.links.some((l) => l.name === d))
  const strict = crossed.filter((d) => effective(d) === 1)
  const values = crossed.map((d) => `${d}=${effective(d)}`).join(', ')
  if (strict.length === 0) return pass(n, 'rp_filter', `not strict on the interfaces pod traffic crosses (${values || 'none found'}; 0 off, 2 loose)`)
  // Sources arriving on each strict interface, and where their route back leads.
  const sources: [string, string][] = [] // [dev it arrives on, source CIDR]
  if (strict.includes(bridge)) for (const c of node.podCIDRs.filter((x) => familyOf(x) === 4)) sources.push([bridge, c])
  if (underlay && strict.includes(underlay) && cluster.routing === 'host-gw') {
    for (const o of cluster.nodes.filter((x) => x.name !== n)) for (const c of o.podCIDRs.filter((x) => familyOf(x) === 4)) sources.push([underlay, c])
  }
  const broken = sources.filter(([dev, cidr]) => lookupRoute(facts, cidr.split('/')[0]!)?.dev !== dev)
  const fix = `sysctl -w net.ipv4.conf.all.rp_filter=2 ${strict.map((d) => `net.ipv4.conf.${d}.rp_filter=2`).join(' ')} (loose), persisted in /etc/sysctl.d`
  if (broken.length) {
    const why = broken.map(([dev, cidr]) => {
      const back = lookupRoute(facts, cidr.split('/')[0]!)
      return `${cidr} arrives on ${dev} but routes back ${back ? `via ${back.dev ?? back.via}` : 'nowhere (no route)'}`
    })
    return fail(n, 'rp_filter', `strict reverse-path filtering (rp_filter=1) on ${strict.join(', ')} drops pod traffic: ${why.join('; ')}`, `${fix}, or fix the routes`)
  }
  return pass(n, 'rp_filter', `warning: strict (rp_filter=1) on ${strict.join(', ')}; harmless only while every pod source routes back through the interface it arrives on (true now)`, fix)
}

// Only a spec MTU above the underlay's needs the cluster file changed; otherwise the node drifted and apply repairs it.
const mtuFix = (spec: number, underlay: number) =>
  spec > underlay ? `set spec.bridge.mtu to ${underlay} or less, then netprov apply` : `netprov apply (the cluster file's mtu ${spec} fits; the node drifted from it)`

/** A bridge (or pod veth) MTU above the underlay's: big packets between nodes are dropped, small ones pass. */
export function mtuCheck(cluster: Cluster, node: NodeSpec, facts: NodeFacts, conflistMtu: number | undefined): Check {
  const n = node.name
  const dev = underlayDevice(facts, node)
  const link = dev ? facts.links.find((l) => l.name === dev) : undefined
  if (!link) return skip(n, 'bridge mtu', `no interface holds the node address ${node.address}: cannot tell the underlay MTU`)
  const br = facts.links.find((l) => l.name === cluster.bridge.name)
  const sizes: [string, number][] = [[`spec.bridge.mtu`, cluster.bridge.mtu]]
  if (br) sizes.push([`${br.name} MTU`, br.mtu])
  if (conflistMtu !== undefined) sizes.push(['the conflist\'s pod MTU', conflistMtu])
  const over = sizes.filter(([, m]) => m > link.mtu)
  if (over.length) {
    return fail(n, 'bridge mtu', `${over.map(([w, m]) => `${w} ${m}`).join(', ')} > ${dev} MTU ${link.mtu}: pod packets larger than ${link.mtu} bytes are dropped between nodes (small pings pass, real traffic stalls)`, mtuFix(cluster.bridge.mtu, link.mtu))
  }
  return pass(n, 'bridge mtu', `${sizes.map(([w, m]) => `${w} ${m}`).join(', ')} <= ${dev} MTU ${link.mtu}`)
}
