import type {Cluster, NodeSpec} from '../config/types.js'
import {NetprovError, UsageError} from '../errors.js'
import {readLocalFacts} from '../facts/local.js'
import {readNodeFacts} from '../facts/node.js'
import {RESOURCES} from '../resources/index.js'
import type {AnyResource, LocalFacts} from '../resources/resource.js'
import {type TransportFactory, defaultTransport} from '../transport/for-node.js'
import {mapPool} from '../util/pool.js'
import {VERSION} from '../version.js'
import {erroredPlan, planNode, summarize} from './planner.js'
import {type NodeError, type NodePlan, PLAN_FORMAT_VERSION, type Plan} from './types.js'

export interface PlanOptions {
  nodes?: string[] // --node filter
  transport?: TransportFactory
  resources?: readonly AnyResource[]
}

export function selectNodes(cluster: Cluster, names: readonly string[] = []): NodeSpec[] {
  const unknown = names.filter((n) => !cluster.nodes.some((x) => x.name === n))
  if (unknown.length) {
    throw new UsageError(`no node named ${unknown.join(', ')} in ${cluster.file}`, [`nodes in the file: ${cluster.nodes.map((n) => n.name).join(', ')}`])
  }
  return names.length ? cluster.nodes.filter((n) => names.includes(n.name)) : cluster.nodes
}

export function nodeError(e: unknown): NodeError {
  if (e instanceof NetprovError) return {code: e.code, message: e.message, suggestions: e.suggestions}
  return {code: 'UNEXPECTED', message: (e as Error).message ?? String(e), suggestions: []}
}

/** Reads one node (one round trip) and plans it. Errors are kept on the node, never thrown. */
export async function planOneNode(cluster: Cluster, node: NodeSpec, local: LocalFacts, opts: PlanOptions = {}): Promise<NodePlan> {
  const resources = opts.resources ?? RESOURCES
  const transport = (opts.transport ?? defaultTransport)(node)
  const t0 = performance.now()
  try {
    const facts = await readNodeFacts(transport, cluster, node, resources)
    const plan = planNode(cluster, node, facts, local, resources)
    return {...plan, stats: {roundTrips: transport.roundTrips, ms: Math.round(performance.now() - t0)}}
  } catch (e) {
    return {...erroredPlan(node, nodeError(e)), stats: {roundTrips: transport.roundTrips, ms: Math.round(performance.now() - t0)}}
  } finally {
    await transport.close()
  }
}

export async function makePlan(cluster: Cluster, opts: PlanOptions = {}): Promise<Plan> {
  const nodes = selectNodes(cluster, opts.nodes)
  const local = await readLocalFacts(cluster)
  const limit = Math.min(...nodes.map((n) => n.ssh.concurrency))
  const nodePlans = await mapPool(nodes, limit, (n) => planOneNode(cluster, n, local, opts))
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    netprovVersion: VERSION,
    createdAt: new Date().toISOString(),
    clusterFile: cluster.file,
    clusterName: cluster.name,
    nodes: nodePlans,
    summary: summarize(nodePlans),
  }
}
