import type {Cluster} from '../config/types.js'
import {readLocalFacts} from '../facts/local.js'
import {selectNodes} from '../plan/make-plan.js'
import {type TransportFactory, defaultTransport} from '../transport/for-node.js'
import {mapPool} from '../util/pool.js'
import {runDataPlane} from './data-plane.js'
import {nodeChecks} from './node-checks.js'
import {readNodeState} from './node-state.js'
import {type Check, type VerifyReport, summarizeChecks} from './types.js'

// netprov verify: state checks from one gather round trip per node (re-read, re-plan, plus what looks
// right but fails at pod start), then unless told not to, the data plane with real CNI test pods.

export interface VerifyOptions {
  nodes?: string[]
  connectivity: boolean
  transport?: TransportFactory
  handleSignals?: boolean
  progress?: (node: string, message: string) => void
}

export async function runVerify(cluster: Cluster, o: VerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now()
  const nodes = selectNodes(cluster, o.nodes)
  const factory = o.transport ?? defaultTransport
  const local = await readLocalFacts(cluster)
  const limit = Math.min(...nodes.map((n) => n.ssh.concurrency))
  const started = new Map<string, number>()
  const states = await mapPool(nodes, limit, (n) => {
    started.set(n.name, performance.now())
    return readNodeState(cluster, n, local, factory(n))
  })
  const verdicts = states.map((s) => nodeChecks(cluster, s))
  const checks: Check[] = verdicts.flatMap((v) => v.checks)
  try {
    if (o.connectivity) checks.push(...(await runDataPlane(cluster, states, verdicts, {limit, handleSignals: o.handleSignals, progress: o.progress})))
  } finally {
    await Promise.all(states.map((s) => s.transport.close()))
  }
  const sorted = reportOrder(checks, nodes.map((n) => n.name), verdicts.reduce((k, v) => k + v.checks.length, 0))
  const summary = summarizeChecks(sorted)
  return {
    ok: summary.fail === 0,
    checks: sorted,
    summary,
    nodes: states.map((s) => ({name: s.node.name, roundTrips: s.transport.roundTrips, ms: Math.round(performance.now() - (started.get(s.node.name) ?? t0))})),
    connectivity: o.connectivity,
    durationMs: Math.round(performance.now() - t0),
  }
}

const PHASES = [/^(data plane|cni )/, /^cleanup$/, /^(ping|no-nat|probes)/, /^firewall port/]

/** Per node in the file's order: state checks, test pods, cleanup, pings, ports; otherwise as made. */
export function reportOrder(checks: readonly Check[], nodes: readonly string[], stateCount: number): Check[] {
  const node = new Map(nodes.map((n, i) => [n, i]))
  const phase = (c: Check, i: number) => (i < stateCount ? 0 : 1 + Math.max(0, PHASES.findIndex((re) => re.test(c.check))))
  return checks
    .map((c, i) => ({c, i, p: phase(c, i)}))
    .sort((a, b) => (node.get(a.c.node) ?? 0) - (node.get(b.c.node) ?? 0) || a.p - b.p || a.i - b.i)
    .map((x) => x.c)
}
