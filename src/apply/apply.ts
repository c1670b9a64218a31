import {Listr} from 'listr2'
import type {Cluster} from '../config/types.js'
import {StalePlanError, UsageError} from '../errors.js'
import {readLocalFacts} from '../facts/local.js'
import {makePlan} from '../plan/make-plan.js'
import {summarize} from '../plan/planner.js'
import {type PlanFile, clusterDigest, sameChanges} from '../plan/planfile.js'
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
  const missing = (nodes ?? []).filter((n) => !saved.nodes.some((x) => x.name === n))
  if (missing.length) throw new UsageError(`the plan has no node named ${missing.join(', ')}`, [`nodes in the plan: ${saved.nodes.map((n) => n.name).join(', ')}`])
  const wanted = saved.nodes.filter((n) => !nodes?.length || nodes.includes(n.name))
  if (clusterDigest(cluster) !== saved.clusterDigest) {
    throw new StalePlanError([], `the cluster file ${cluster.file}`)
  }
  const fresh = await makePlan(cluster, {nodes: wanted.map((n) => n.name), transport: opts.transport})
  const stale = wanted.filter((n) => {
    const f = fresh.nodes.find((x) => x.name === n.name)
    return n.error || !f || f.error || f.factsDigest !== n.factsDigest
  })
  if (stale.length) throw new StalePlanError(stale.map((n) => n.name))
  // Never run steps read from a file: the changes are derived again from the cluster file and the node,
  // and must be exactly the saved ones (an edited or foreign plan file is refused, nothing changes).
  const differs = wanted.filter((n) => !sameChanges(n, fresh.nodes.find((x) => x.name === n.name)!))
  if (differs.length) {
    throw new UsageError(`the plan file's changes for ${differs.map((n) => n.name).join(', ')} are not what netprov would do for this cluster file and node state (the file was edited, or made by another netprov version); nothing was changed`, ['make a new plan with `netprov plan --out FILE` and review it'])
  }
  const nodePlans = fresh.nodes // the same changes, with their full steps, and the generation just read
  return {...fresh, createdAt: saved.createdAt, nodes: nodePlans, summary: summarize(nodePlans)}
}

/**
 * After a confirmation prompt: read every node again; a node whose changes are no longer exactly the ones
 * shown is not applied (stale), so nothing that appeared meanwhile is overwritten or deleted.
 */
export async function recheckAfterPrompt(cluster: Cluster, shown: Plan, _confirmed: true, opts: ApplyOptions = {}): Promise<Plan> {
  const fresh = await makePlan(cluster, {nodes: shown.nodes.map((n) => n.name), transport: opts.transport})
  const nodes = shown.nodes.map((was) => {
    const now = fresh.nodes.find((n) => n.name === was.name)!
    if (now.error || sameChanges(was, now)) return now
    return {...now, changes: [], error: {code: 'PLAN_STALE', message: `node ${was.name} changed while the plan waited for confirmation; nothing was changed on it`, suggestions: ['run apply again to see its new plan']}}
  })
  return {...fresh, nodes, summary: summarize(nodes)}
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
  const interrupt = gracefulInterrupt()
  const stop = {stop: interrupt.requested, skipped: (name: string): NodeResult => ({name, status: 'skipped', applied: 0, error: {code: 'INTERRUPTED', message: `node ${name}: not started: interrupted`, suggestions: ['run apply again']}, stats: {roundTrips: 0, ms: 0}})}
  let results: NodeResult[]
  try {
    results = opts.progress === 'tty' ? await withListr(names, limit, run, stop) : await runPlain(names, limit, run, opts.progress, stop)
  } finally {
    interrupt.dispose()
  }
  return {ok: results.every((r) => r.status === 'converged' || r.status === 'unchanged'), nodes: results, summary: plan.summary}
}

/**
 * First Ctrl-C: nodes already running finish (their programs are atomic per node and run on even
 * without netprov), no new node starts. Second Ctrl-C: exit now; running node programs still finish.
 */
function gracefulInterrupt(): {requested: () => boolean; dispose: () => void} {
  let count = 0
  const onSignal = () => {
    count++
    if (count === 1) process.stderr.write('\nInterrupted: letting the nodes being changed finish; no new node starts. Ctrl-C again to exit now (running node programs still finish on the nodes).\n')
    else process.exit(130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    requested: () => count > 0,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

type Stop = {stop: () => boolean; skipped: (name: string) => NodeResult}

async function runPlain(names: string[], limit: number, run: (name: string, report: (m: string) => void) => Promise<NodeResult>, progress: Progress | undefined, stop: Stop): Promise<NodeResult[]> {
  {
    const log = progress === 'lines' ? (node: string, m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${node}: ${m}\n`) : () => {}
    return mapPool(
      names,
      limit,
      async (name) => {
        const r = await run(name, (m) => log(name, m))
        log(name, r.error ? `${r.status}: ${r.error.message}` : r.status)
        return r
      },
      stop,
    )
  }
}

async function withListr(names: string[], limit: number, run: (name: string, report: (m: string) => void) => Promise<NodeResult>, stop: Stop): Promise<NodeResult[]> {
  const results = new Map<string, NodeResult>()
  const tasks = new Listr(
    names.map((name) => ({
      title: name,
      task: async (_ctx: unknown, task: {output: string; title: string}) => {
        const r = stop.stop() ? stop.skipped(name) : await run(name, (m) => (task.output = m))
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
