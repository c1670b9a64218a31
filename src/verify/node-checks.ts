import type {Cluster} from '../config/types.js'
import {familyOf} from '../net/cidr.js'
import {type ConflistRead, conflistChecks, pluginChecks} from './cni-checks.js'
import type {ConfList} from './conflist.js'
import {forwardPolicyChecks} from './firewall-checks.js'
import {mtuCheck, rpFilterCheck, sysctlChecks} from './kernel-checks.js'
import type {NodeState} from './node-state.js'
import type {FirewallRead, PluginProbe} from './probe-facts.js'
import {nextHopChecks} from './route-checks.js'
import {stateChecks} from './state-checks.js'
import type {Check} from './types.js'

// Every check that needs only the facts of one node. Pure.

export interface NodeVerdict {
  checks: Check[]
  list?: ConfList // the installed conflist, when it parses
  blockers: string[] // why the data plane must not run here (it would change the node, or cannot work)
}

export function nodeChecks(cluster: Cluster, s: NodeState): NodeVerdict {
  const checks = stateChecks(cluster, s.node, s.plan)
  const f = s.facts
  if (s.plan.error || !f) return {checks, blockers: ['the node could not be read']}
  const cni: ConflistRead = conflistChecks(cluster, s.node, f)
  checks.push(...cni.checks)
  if (cni.list) checks.push(...pluginChecks(cluster, s.node, cni.list, (f.extra['verify.plugin-versions'] ?? {}) as Record<string, PluginProbe>))
  checks.push(...sysctlChecks(cluster, s.node, f))
  const rp = rpFilterCheck(cluster, s.node, f)
  if (rp) checks.push(rp)
  const bridgeConf = cni.list?.plugins.find((p) => p.type === 'bridge')
  checks.push(mtuCheck(cluster, s.node, f, typeof bridgeConf?.mtu === 'number' ? bridgeConf.mtu : undefined))
  checks.push(...nextHopChecks(cluster, s.node, f))
  checks.push(...forwardPolicyChecks(cluster, s.node, {iptables4: f.extra['verify.iptables4'] as FirewallRead | undefined, iptables6: f.extra['verify.iptables6'] as FirewallRead | undefined, nft: f.extra['verify.nft'] as FirewallRead | undefined}))
  return {checks, ...(cni.list ? {list: cni.list} : {}), blockers: cni.list ? dataPlaneBlockers(cluster, s, cni.list) : ['there is no usable conflist']}
}

/**
 * verify changes nothing but its own test objects. The bridge plugin repairs what it finds missing: it
 * creates the bridge, sets it up, adds the gateway address and turns on forwarding (as gateway). On a
 * node where ADD would do any of that, the data plane is skipped and the failed checks say why.
 */
export function dataPlaneBlockers(cluster: Cluster, s: NodeState, list: ConfList): string[] {
  const f = s.facts!
  const out: string[] = []
  for (const p of list.plugins.filter((x) => x.type === 'bridge')) {
    const name = typeof p.bridge === 'string' ? p.bridge : 'cni0'
    const link = f.links.find((l) => l.name === name)
    if (!link) {
      out.push(`the bridge ${name} does not exist (the bridge plugin would create it)`)
      continue
    }
    if (link.kind !== 'bridge') out.push(`${name} is not a bridge`)
    else if (!link.up) out.push(`the bridge ${name} is down (the bridge plugin would set it up)`)
    if (p.isGateway !== true && p.isDefaultGateway !== true) continue
    const ranges = ((p.ipam as {ranges?: {subnet?: string; gateway?: string}[][]} | undefined)?.ranges ?? []).flat()
    for (const r of ranges) {
      if (!r.subnet || !r.gateway) continue
      const want = `${r.gateway}/${r.subnet.split('/')[1]}`
      if (f.addresses.some((a) => a.dev === name && a.cidr === want)) continue
      // Another IPv4 address makes ADD fail with the plugin's own message, changing nothing: let it run.
      const conflict = familyOf(want) === 4 && p.forceAddress !== true && f.addresses.some((a) => a.dev === name && a.family === 4 && a.scope !== 'link')
      if (!conflict) out.push(`${name} lacks the gateway address ${want} (the bridge plugin would add it)`)
    }
    const fams = new Set(ranges.map((r) => (r.subnet ? familyOf(r.subnet) : 4)))
    if (fams.has(4) && f.sysctls['net.ipv4.ip_forward'] !== '1') out.push('IPv4 forwarding is off (the bridge plugin would turn it on)')
    if (fams.has(6) && f.sysctls['net.ipv6.conf.all.forwarding'] !== '1') out.push('IPv6 forwarding is off (the bridge plugin would turn it on)')
  }
  return out
}
