import {familyOf, overlaps} from '../net/cidr.js'
import type {NodeSpec} from '../config/types.js'
import type {Finding} from '../plan/types.js'
import {ROUTE_PROTO} from './markers.js'
import type {Resource} from './resource.js'

// host-gw: on each node, every other node's pod CIDR via that node's address. netprov's routes carry
// its own protocol number, so routes of removed nodes are found and deleted, and routes anyone else
// made into the pod network are reported, never touched.
interface PodRoute {
  dst: string
  via: string
}

const ip = (cidr: string) => (familyOf(cidr) === 6 ? ['ip', '-6'] : ['ip', '-4'])

/** The node's address of a family: the next hop for its pod CIDR of that family (Linux cannot route IPv6 via IPv4). */
const nextHop = (n: NodeSpec, cidr: string) => (n.addresses ?? [n.address]).find((a) => familyOf(a) === familyOf(cidr))

export const route: Resource<PodRoute> = {
  kind: 'route',
  desired({cluster, node}) {
    if (cluster.routing !== 'host-gw') return []
    return cluster.nodes
      .filter((n) => n.name !== node.name)
      .flatMap((n) => n.podCIDRs.flatMap((dst) => {
        const via = nextHop(n, dst)
        return via ? [{dst, via}] : []
      }))
  },
  actual({cluster, node, facts}) {
    const owned = facts.routes.filter((r) => r.protocol === ROUTE_PROTO).map((r) => ({dst: r.dst, via: r.via ?? ''}))
    const findings: Finding[] = []
    const ownConnected = (r: {dev: string | null; dst: string}) => r.dev === cluster.bridge.name && node.podCIDRs.includes(r.dst)
    for (const r of facts.routes) {
      if (r.protocol === ROUTE_PROTO || r.dst === 'default' || ownConnected(r)) continue
      if (!cluster.podCIDRs.some((p) => overlaps(p, r.dst))) continue
      const wanted = cluster.routing === 'host-gw' && cluster.nodes.some((n) => n.name !== node.name && n.podCIDRs.includes(r.dst))
      findings.push({
        severity: wanted ? 'error' : 'warning',
        kind: 'route',
        id: r.dst,
        message: `route ${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''} (proto ${r.protocol}) into the pod network was not made by netprov`,
        fix: wanted ? `delete it by hand (ip route del ${r.dst}) so netprov can route ${r.dst}` : 'check who made it: netprov leaves it alone',
      })
    }
    // Dual-stack needs a next hop of the same family: Linux does not route IPv6 via an IPv4 gateway.
    if (cluster.routing === 'host-gw') {
      for (const n of cluster.nodes) {
        if (n.name === node.name) continue
        for (const c of n.podCIDRs.filter((p) => !nextHop(n, p))) {
          findings.push({severity: 'warning', kind: 'route', id: c, message: `no route to ${n.name}'s ${c}: the node has no IPv${familyOf(c)} address to route it via`, fix: `give ${n.name} an IPv${familyOf(c)} address too (nodes[].address: [IPv4, IPv6])`})
        }
      }
    }
    return {owned, findings}
  },
  key: (r) => r.dst,
  same: (w, h) => w.via === h.via,
  steps(action, before, after) {
    if ((action === 'create' || action === 'update') && after) {
      return [{op: 'exec', argv: [...ip(after.dst), 'route', 'replace', after.dst, 'via', after.via, 'proto', ROUTE_PROTO]}]
    }
    if (action === 'delete' && before) {
      return [{op: 'exec', argv: [...ip(before.dst), 'route', 'del', before.dst, 'proto', ROUTE_PROTO], tolerate: 'No such process'}]
    }
    return []
  },
  show: (r) => `via ${r.via}`,
  reason: (action, before, after) =>
    action === 'update' && before && after ? `next hop ${before.via} -> ${after.via}` : action === 'delete' ? 'no node has this pod CIDR any more' : undefined,
}
