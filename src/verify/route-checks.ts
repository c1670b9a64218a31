import type {Cluster, NodeSpec} from '../config/types.js'
import type {NodeFacts} from '../facts/types.js'
import {familyOf} from '../net/cidr.js'
import {ROUTE_PROTO} from '../resources/markers.js'
import {onLinkDevice} from './node-net.js'
import {type Check, fail, pass} from './types.js'

// host-gw sends pod traffic straight to the other node's address: that next hop must be on-link
// (covered by a connected route), or the kernel refuses the route ("Nexthop has invalid gateway") or
// sends it to a router that does not know the pod network.
export function nextHopChecks(cluster: Cluster, node: NodeSpec, facts: NodeFacts): Check[] {
  if (cluster.routing !== 'host-gw') return []
  const n = node.name
  const vias = new Set<string>()
  for (const o of cluster.nodes) if (o.name !== n && o.podCIDRs.some((c) => familyOf(c) === familyOf(o.address))) vias.add(o.address)
  for (const r of facts.routes) if (r.protocol === ROUTE_PROTO && r.via) vias.add(r.via)
  return [...vias].map((via) => {
    const link = onLinkDevice(facts, via, cluster.bridge.name)
    const peer = cluster.nodes.find((o) => o.address === via)?.name
    const who = peer ? ` (${peer})` : ''
    return link
      ? pass(n, `route next hop ${via}`, `${via}${who} is on-link via ${link.dev} (${link.dst})`)
      : fail(n, `route next hop ${via}`, `no connected route covers ${via}${who}: host-gw needs every node on one L2 segment`, 'put the nodes on one subnet (check the address of the underlay interface), or use an overlay and spec.routing: none')
  })
}
