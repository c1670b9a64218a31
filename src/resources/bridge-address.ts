import {familyOf} from '../net/cidr.js'
import type {Finding} from '../plan/types.js'
import type {Resource} from './resource.js'

// The gateway address of the node's pod CIDR on the bridge. Every other global address on netprov's
// bridge is stale (say, from an earlier pod CIDR) and replaced: the CNI bridge plugin refuses to
// start pods while the bridge has an IPv4 address other than the IPAM gateway.
// Two things are never netprov's, whatever the bridge name: addresses on a device that holds the name
// but is not a bridge (reported by the bridge kind), and the node's own address.
interface BridgeAddress {
  cidr: string
  dev: string
}

const ip = (cidr: string) => (familyOf(cidr) === 6 ? ['ip', '-6'] : ['ip'])
const host = (cidr: string) => cidr.split('/')[0]!

export const bridgeAddress: Resource<BridgeAddress> = {
  kind: 'bridge-address',
  desired: ({cluster, node, facts}) =>
    facts.links.some((l) => l.name === cluster.bridge.name && l.kind !== 'bridge') ? [] : node.gateways.map((cidr) => ({cidr, dev: cluster.bridge.name})),
  actual({cluster, node, facts}) {
    const dev = cluster.bridge.name
    const nodeAddresses = new Set(node.addresses ?? [node.address])
    const isBridge = facts.links.some((l) => l.name === dev && l.kind === 'bridge')
    const onBridge = isBridge ? facts.addresses.filter((a) => a.dev === dev && a.scope !== 'link') : []
    const findings: Finding[] = onBridge
      .filter((a) => nodeAddresses.has(host(a.cidr)))
      .map((a) => ({
        severity: 'error',
        kind: 'bridge-address',
        id: a.cidr,
        message: `the node's own address ${a.cidr} is on ${dev}: netprov will not remove it`,
        fix: `choose another spec.bridge.name: ${dev} carries the node's address`,
      }))
    for (const a of facts.addresses) {
      const gw = node.gateways.find((g) => host(g) === host(a.cidr))
      if (a.dev !== dev && gw) {
        findings.push({severity: 'error', kind: 'bridge-address', id: gw, message: `the gateway address is already on ${a.dev} (${a.cidr}), not on ${dev}`, fix: `remove it from ${a.dev}, or change the node's podCIDR`})
      }
    }
    const owned = onBridge.filter((a) => !nodeAddresses.has(host(a.cidr))).map((a) => ({cidr: a.cidr, dev}))
    return {owned, findings}
  },
  key: (a) => a.cidr,
  same: () => true,
  steps(action, before, after) {
    if (action === 'create' && after) return [{op: 'exec', argv: [...ip(after.cidr), 'addr', 'add', after.cidr, 'dev', after.dev], tolerate: 'File exists'}]
    if (action === 'delete' && before) return [{op: 'exec', argv: [...ip(before.cidr), 'addr', 'del', before.cidr, 'dev', before.dev], tolerate: 'Cannot assign requested address'}]
    return []
  },
  show: (a) => a.cidr,
  reason: (action, before) => (action === 'delete' && before ? `stale address on ${before.dev}` : undefined),
}
