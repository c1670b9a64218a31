import type {Cluster, NodeSpec} from '../config/types.js'
import {gather} from '../facts/gather.js'
import {readNodeFacts} from '../facts/node.js'
import type {NodeFacts} from '../facts/types.js'
import {familyOf} from '../net/cidr.js'
import {nodeError} from '../plan/make-plan.js'
import {erroredPlan, planNode} from '../plan/planner.js'
import type {NodePlan} from '../plan/types.js'
import {RESOURCES} from '../resources/index.js'
import type {LocalFacts} from '../resources/resource.js'
import type {Transport} from '../transport/transport.js'
import {probeNames, unprobed} from './cni-checks.js'
import {parseConflist} from './conflist.js'
import {type PluginProbe, iptablesFact, nftFact, pluginVersionsFact} from './probe-facts.js'

// One node's state as verify needs it: the plan's facts plus verify's own (plugin VERSION answers,
// iptables and nftables rules), all in the same single round trip; then re-planned, as plan does.

export interface NodeState {
  node: NodeSpec
  transport: Transport
  plan: NodePlan
  facts?: NodeFacts
}

export function verifyFacts(cluster: Cluster) {
  const v6 = cluster.podCIDRs.some((c) => familyOf(c) === 6)
  return [pluginVersionsFact(cluster.cni.binDir, probeNames(cluster)), iptablesFact(4), ...(v6 ? [iptablesFact(6)] : []), nftFact]
}

export async function readNodeState(cluster: Cluster, node: NodeSpec, local: LocalFacts, transport: Transport): Promise<NodeState> {
  try {
    const facts = await readNodeFacts(transport, cluster, node, RESOURCES, verifyFacts(cluster))
    await probeEditedConflist(cluster, transport, facts)
    return {node, transport, plan: planNode(cluster, node, facts, local, RESOURCES), facts}
  } catch (e) {
    return {node, transport, plan: erroredPlan(node, nodeError(e))}
  }
}

/** A conflist someone edited may run plugins the gather did not probe: one more round trip, only then. */
async function probeEditedConflist(cluster: Cluster, transport: Transport, facts: NodeFacts): Promise<void> {
  const text = facts.files[`${cluster.cni.confDir}/${cluster.cni.confFile}`]
  const list = text ? parseConflist(text).list : undefined
  const probes = (facts.extra['verify.plugin-versions'] ?? {}) as Record<string, PluginProbe>
  const missing = list ? unprobed(list, probes) : []
  if (missing.length === 0) return
  const more = await gather(transport, [pluginVersionsFact(cluster.cni.binDir, missing)])
  facts.extra['verify.plugin-versions'] = {...probes, ...(more.get('verify.plugin-versions') as Record<string, PluginProbe>)}
}
