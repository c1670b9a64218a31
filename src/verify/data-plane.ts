import {randomBytes} from 'node:crypto'
import {tar} from '../apply/tar.js'
import type {Cluster} from '../config/types.js'
import {familyOf} from '../net/cidr.js'
import {mapPool} from '../util/pool.js'
import {connectivityChecks, type PingOutcome, pingOutcomes} from './connectivity-checks.js'
import {DRIVER, VERIFY_STATE_ROOT, driverArgv} from './driver-script.js'
import {type DriverEvent, parseDriverOutput} from './driver-output.js'
import type {NodeVerdict} from './node-checks.js'
import type {NodeState} from './node-state.js'
import {type Ping, peers, pingsFile, plannedPings} from './ping-plan.js'
import {type PortProbe, plannedPortProbes, portChecks, portsFile} from './ports.js'
import {seenByPod, teardownArchive, teardownArgv, teardownChecks} from './teardown.js'
import {type NodeRun, newNodeRun, setupArchive, setupArgv, setupChecks} from './test-pods.js'
import {type Check, fail, skip} from './types.js'

// The data plane, in three round trips per node with a barrier between them: setup (namespaces, ADD,
// CHECK, recorders) on every node; then the pings from every node (every receiver is ready by then)
// and the firewall port probes; then teardown (read the recorders, DEL, prove nothing is left).
// Teardown always runs for every node whose setup started: after a failure, an exception, and on
// SIGINT/SIGTERM.

export interface DataPlaneOptions {
  limit: number
  handleSignals?: boolean
  progress?: (node: string, message: string) => void
}

interface NodeCtx {
  run: NodeRun
  state: NodeState
}

type Seen = Map<string, ReadonlyMap<string, number | null> | undefined> // "<node> <cid>" -> sources

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e))
const teardownFix = (run: NodeRun) => `run netprov verify again once the node is reachable (it removes runs left over for 30 minutes), or by hand: ip netns del ${run.pods.map((p) => p.netns).join('; ip netns del ')}`

async function setupNode({run, state}: NodeCtx): Promise<Check[]> {
  try {
    const r = await state.transport.exec(setupArgv(run), {stdin: setupArchive(run), timeoutMs: 180_000})
    return setupChecks(run, parseDriverOutput(r.stdout))
  } catch (e) {
    return [fail(run.node.name, 'cni ADD', `could not run the setup: ${errText(e)}`)]
  }
}

async function teardownNode({run, state}: NodeCtx, seen: Seen): Promise<Check[]> {
  try {
    const r = await state.transport.exec(teardownArgv(run), {stdin: teardownArchive(run), timeoutMs: 180_000})
    const events = parseDriverOutput(r.stdout)
    for (const [cid, s] of seenByPod(events)) seen.set(`${run.node.name} ${cid}`, s) // cids repeat across nodes
    return teardownChecks(run, events, true)
  } catch (e) {
    return [fail(run.node.name, 'cleanup', `could not run the teardown: ${errText(e)}`, teardownFix(run))]
  }
}

async function probeNode(state: NodeState, stateDir: string, pings: readonly Ping[], probes: readonly PortProbe[]): Promise<DriverEvent[]> {
  const archive = tar([
    {name: 'driver.sh', data: Buffer.from(DRIVER), mode: 0o700},
    {name: 'pings', data: Buffer.from(pingsFile(pings))},
    {name: 'ports', data: Buffer.from(portsFile(probes))},
  ])
  const r = await state.transport.exec(driverArgv('probe', stateDir), {stdin: archive, timeoutMs: 120_000})
  return parseDriverOutput(r.stdout)
}

/** Teardown at most once per node, whoever asks first (the normal flow, a signal, the final safety net). */
class Cleanup {
  readonly started = new Set<string>()
  private readonly done = new Map<string, Promise<Check[]>>()
  interrupted = false
  constructor(private readonly ctxs: ReadonlyMap<string, NodeCtx>, private readonly seen: Seen, private readonly say: (node: string, m: string) => void) {}

  teardown(name: string): Promise<Check[]> {
    let p = this.done.get(name)
    if (!p) {
      this.say(name, 'removing the test pods')
      this.done.set(name, (p = teardownNode(this.ctxs.get(name)!, this.seen)))
    }
    return p
  }

  all(): Promise<Check[][]> {
    return Promise.all([...this.started].map((n) => this.teardown(n)))
  }

  readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.interrupted) process.exit(130) // a second Ctrl-C: leave now
    this.interrupted = true
    process.stderr.write(`\n${signal}: removing the test pods from ${[...this.started].join(', ') || 'no node'} (Ctrl-C again to leave them)\n`)
    void this.all().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
}

export async function runDataPlane(cluster: Cluster, states: readonly NodeState[], verdicts: readonly NodeVerdict[], o: DataPlaneOptions): Promise<Check[]> {
  const say = o.progress ?? (() => {})
  const runId = randomBytes(4).toString('hex')
  const checks: Check[] = []
  const ctxs = new Map<string, NodeCtx>()
  states.forEach((s, i) => {
    const v = verdicts[i]!
    if (s.plan.error) return // "node reachable" already failed
    if (v.blockers.length || !v.list) checks.push(skip(s.node.name, 'data plane', `not run: ${v.blockers.join('; ')}; fix the failures above first (netprov apply)`))
    else ctxs.set(s.node.name, {run: newNodeRun(cluster, s.node, v.list, runId), state: s})
  })
  const seen: Seen = new Map()
  const cleanup = new Cleanup(ctxs, seen, say)
  if (o.handleSignals) for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, cleanup.onSignal)
  try {
    await mapPool([...ctxs.values()], o.limit, async (ctx) => {
      if (cleanup.interrupted) return
      cleanup.started.add(ctx.run.node.name)
      say(ctx.run.node.name, `setting up ${ctx.run.pods.length} test pods (${ctx.run.list.plugins.map((p) => p.type).join(' -> ')})`)
      checks.push(...(await setupNode(ctx)))
    })
    const probed = await probeAll(cluster, states, ctxs, cleanup, o.limit, say)
    checks.push(...probed.checks)
    if (!cleanup.interrupted) checks.push(...(await cleanup.all()).flat())
    const podIps = new Set([...ctxs.values()].flatMap(({run}) => run.pods.flatMap((p) => p.ips)))
    for (const s of probed.sent) checks.push(...connectivityChecks(s.pings, s.outcomes, seen, podIps))
  } finally {
    await cleanup.all() // an exception above still removes every test pod
    if (o.handleSignals) for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, cleanup.onSignal)
  }
  return checks
}

/** Phase 2: from every reachable node, its test pod's pings and the port probes of its ring neighbour. */
async function probeAll(cluster: Cluster, states: readonly NodeState[], ctxs: ReadonlyMap<string, NodeCtx>, cleanup: Cleanup, limit: number, say: (node: string, m: string) => void) {
  const reachable = states.filter((s) => !s.plan.error)
  const portPlan = plannedPortProbes(cluster, reachable.map((s) => s.node))
  const targets = peers(reachable.map((s) => s.node.name))
  const runs = new Map([...ctxs].map(([k, v]) => [k, v.run]))
  const dual = new Set(cluster.podCIDRs.map(familyOf)).size > 1
  const checks: Check[] = []
  const sent: {pings: Ping[]; outcomes?: Map<string, PingOutcome> | 'no-ping'}[] = []
  const portEvents = new Map<string, DriverEvent[] | undefined>()
  await mapPool(reachable, limit, async (state) => {
    const name = state.node.name
    const run = runs.get(name)
    if (cleanup.interrupted) return
    let pings: Ping[] = []
    if (run?.pods[0]?.ready) {
      const wanted = targets.get(name) ?? []
      for (const to of wanted) if (!runs.get(to)?.pods[1]?.ready) checks.push(skip(name, `ping ${name} -> ${to}`, `${to} has no test pod with an address (see ${to}'s checks)`))
      pings = plannedPings(run, runs, wanted, dual)
    }
    const probes = portPlan.get(name) ?? []
    if (!pings.length && !probes.length) return
    const entry: (typeof sent)[number] = {pings}
    sent.push(entry)
    say(name, `${pings.length} pings from its test pod, ${probes.length} port probes to ${probes[0]?.target.name ?? 'no node'}`)
    try {
      const events = await probeNode(state, run?.stateDir ?? VERIFY_STATE_ROOT, pings, probes)
      entry.outcomes = pingOutcomes(events)
      portEvents.set(name, events)
    } catch (e) {
      checks.push(fail(name, 'probes', `could not run the pings and port probes: ${errText(e)}`))
    }
  })
  checks.push(...portChecks(cluster, reachable.map((s) => s.node), portPlan, portEvents))
  return {checks, sent}
}
