import type {Cluster, NodeSpec} from '../config/types.js'
import type {AnyResource} from '../resources/resource.js'
import type {Transport} from '../transport/transport.js'
import type {Fact} from './fact.js'
import {gather} from './gather.js'
import {addressesFact, linksFact, routes4Fact, routes6Fact} from './ip.js'
import {GENERATION_FILE} from '../resources/markers.js'
import {fileFact, sysctlFact, toolsFact} from './system.js'
import type {FileState, NodeFacts} from './types.js'

const BASE: readonly Fact[] = [linksFact, addressesFact, routes4Fact, routes6Fact, sysctlFact, toolsFact, fileFact(GENERATION_FILE)]

/** The facts a node's plan needs: the base set plus what each resource kind asks for. */
export function factsFor(cluster: Cluster, node: NodeSpec, resources: readonly AnyResource[]): Fact[] {
  const all = [...BASE, ...resources.flatMap((r) => r.facts?.(cluster, node) ?? [])]
  return [...new Map(all.map((f) => [f.id, f])).values()]
}

/** Parsed fact values -> NodeFacts. Pure: tests feed it captured output. */
export function assembleFacts(values: ReadonlyMap<string, unknown>, cluster: Cluster): NodeFacts {
  const files: Record<string, string | null> = {}
  const extra: Record<string, unknown> = {}
  for (const [id, v] of values) {
    if (id.startsWith('file:')) files[id.slice(5)] = v as string | null
    else if (!['links', 'addresses', 'routes4', 'routes6', 'sysctls', 'tools', 'binaries', 'confDir'].includes(id)) extra[id] = v
  }
  const bins = (values.get('binaries') ?? {}) as Record<string, FileState>
  const binaries: Record<string, FileState | null> = {}
  for (const p of cluster.cni.plugins) binaries[`${cluster.cni.binDir}/${p}`] = bins[p] ?? null
  return {
    links: (values.get('links') ?? []) as NodeFacts['links'],
    addresses: (values.get('addresses') ?? []) as NodeFacts['addresses'],
    routes: [...((values.get('routes4') ?? []) as NodeFacts['routes']), ...((values.get('routes6') ?? []) as NodeFacts['routes'])],
    sysctls: (values.get('sysctls') ?? {}) as Record<string, string>,
    files,
    binaries,
    confDir: (values.get('confDir') ?? null) as string[] | null,
    tools: (values.get('tools') ?? []) as string[],
    extra,
  }
}

/** One round trip: everything the planner needs from this node, plus `extra` facts in the same trip (verify's). */
export async function readNodeFacts(transport: Transport, cluster: Cluster, node: NodeSpec, resources: readonly AnyResource[], extra: readonly Fact[] = []): Promise<NodeFacts> {
  const values = await gather(transport, [...factsFor(cluster, node, resources), ...extra])
  return assembleFacts(values, cluster)
}
