import {familyOf} from '../net/cidr.js'
import type {Resource} from './resource.js'

// The gateway address of the node's pod CIDR on the bridge. Every other global address on netprov's
// bridge is stale (say, from an earlier pod CIDR) and replaced: the CNI bridge plugin refuses to
// start pods while the bridge has an IPv4 address other than the IPAM gateway.
interface BridgeAddress {
  cidr: string
  dev: string
}

const ip = (cidr: string) => (familyOf(cidr) === 6 ? ['ip', '-6'] : ['ip'])

export const bridgeAddress: Resource<BridgeAddress> = {
  kind: 'bridge-address',
  // Nothing goes onto a device that holds the bridge's name but is not a bridge (the bridge kind reports it).
  desired: ({cluster, node, facts}) =>
    facts.links.some((l) => l.name === cluster.bridge.name && l.kind !== 'bridge') ? [] : node.gateways.map((cidr) => ({cidr, dev: cluster.bridge.name})),
  actual({cluster, node, facts}) {
    const dev = cluster.bridge.name
    const owned = facts.addresses.filter((a) => a.dev === dev && a.scope !== 'link').map((a) => ({cidr: a.cidr, dev}))
    const findings = facts.addresses
      .filter((a) => a.dev !== dev && node.gateways.some((g) => g.split('/')[0] === a.cidr.split('/')[0]))
      .map((a) => ({
        severity: 'error' as const,
        kind: 'bridge-address',
        id: node.gateways.find((g) => g.split('/')[0] === a.cidr.split('/')[0])!,
        message: `the gateway address is already on ${a.dev} (${a.cidr}), not on ${dev}`,
        fix: `remove it from ${a.dev}, or change the node's podCIDR`,
      }))
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
