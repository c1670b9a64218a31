import {Listr} from 'listr2'
import type {Cluster} from '../config/types.js'
import {StalePlanError} from '../errors.js'
import {readLocalFacts} from '../facts/local.js'
import {makePlan} from '../plan/make-plan.js'
import {summarize} from '../plan/planner.js'
import {type PlanFile, clusterDigest} from '../plan/planfile.js'
import type {Plan} from '../plan/types.js'
import {RESOURCES} from '../resources/index.js'
import {type TransportFactory, defaultTransport} from '../transport/for-node.js'
import {mapPool} from '../util/pool.js'
import {type NodeResult, applyNode} from './apply-node.js'

export type Progress = 'tty' | 'lines' | 'none'

export interface ApplyOptions {
  transport?: TransportFactory
  lockWaitSeconds?: number
  progress?: Progress
}

export interface ApplyResult {
  ok: boolean
  nodes: NodeResult[]
  summary: Plan['summary']
}

/**
 * A saved plan is applied only if every node is exactly as it was when the plan was made
 * (same facts digest) and the cluster file is unchanged; otherwise nothing is changed anywhere.
 */
export async function refreshSavedPlan(cluster: Cluster, saved: PlanFile, nodes: string[] | undefined, opts: ApplyOptions = {}): Promise<Plan> {
  const wanted = saved.nodes.filter((n) => !nodes?.length || nodes.includes(n.name))
  if (clusterDigest(cluster) !== saved.clusterDigest) {
    throw new StalePlanError([`the cluster file ${cluster.file} (it changed since the plan was made)`])
  }
  const fresh = await makePlan(cluster, {nodes: wanted.map((n) => n.name), transport: opts.transport})
  const stale = wanted.filter((n) => {
    const f = fresh.nodes.find((x) => x.name === n.name)
    return n.error || !f || f.error || f.factsDigest !== n.factsDigest
  })
  if (stale.length) throw new StalePlanError(stale.map((n) => n.name))
  // The saved changes, guarded by the generation just read: no other apply may slip in between.
  const nodePlans = wanted.map((n) => ({...n, generation: fresh.nodes.find((x) => x.name === n.name)!.generation}))
  return {...saved, nodes: nodePlans, summary: summarize(nodePlans)}
}

export async function applyPlan(cluster: Cluster, plan: Plan, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const local = await readLocalFacts(cluster)
  const transport = opts.transport ?? defaultTransport
  const limit = Math.min(...cluster.nodes.map((n) => n.ssh.concurrency))
  const run = (name: string, report: (m: string) => void) =>
    applyNode({
      cluster,
      node: cluster.nodes.find((n) => n.name === name)!,
      plan: plan.nodes.find((n) => n.name === name)!,
      local,
      resources: RESOURCES,
      transport: transport(cluster.nodes.find((n) => n.name === name)!),
      lockWaitSeconds: opts.lockWaitSeconds ?? 0,
      report,
    })
  const names = plan.nodes.map((n) => n.name)
  let results: NodeResult[]
  if (opts.progress === 'tty') results = await withListr(names, limit, run)
  else {
    const log = opts.progress === 'lines' ? (node: string, m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${node}: ${m}\n`) : () => {}
    results = await mapPool(names, limit, async (name) => {
      const r = await run(name, (m) => log(name, m))
      log(name, r.error ? `${r.status}: ${r.error.message}` : r.status)
      return r
    })
  }
  return {ok: results.every((r) => r.status === 'converged' || r.status === 'unchanged'), nodes: results, summary: plan.summary}
}

async function withListr(names: string[], limit: number, run: (name: string, report: (m: string) => void) => Promise<NodeResult>): Promise<NodeResult[]> {
  const results = new Map<string, NodeResult>()
  const tasks = new Listr(
    names.map((name) => ({
      title: name,
      task: async (_ctx: unknown, task: {output: string; title: string}) => {
        const r = await run(name, (m) => (task.output = m))
        results.set(name, r)
        task.title = `${name}: ${r.status}${r.applied ? ` (${r.applied} change${r.applied === 1 ? '' : 's'})` : ''}`
        if (r.error) throw new Error(r.error.message)
      },
    })),
    {concurrent: limit, exitOnError: false, rendererOptions: {collapseErrors: false}, fallbackRenderer: 'simple', fallbackRendererCondition: () => Boolean(process.env.CI) || !process.stdout.columns},
  )
  await tasks.run().catch(() => {})
  return names.map((n) => results.get(n)!)
}
