import {randomBytes} from 'node:crypto'
import type {Cluster} from '../config/types.js'
import {familyOf} from '../net/cidr.js'
import {mapPool} from '../util/pool.js'
import {type PingOutcome, connectivityChecks, pingOutcomes} from './connectivity-checks.js'
import {DRIVER, VERIFY_STATE_ROOT, driverArgv} from './driver-script.js'
import {type DriverEvent, parseDriverOutput} from './driver-output.js'
import type {NodeVerdict} from './node-checks.js'
import type {NodeState} from './node-state.js'
import {type Ping, peers, pingsFile, plannedPings} from './ping-plan.js'
import {seenByPod, teardownArchive, teardownArgv, teardownChecks} from './teardown.js'
import {type NodeRun, newNodeRun, setupArchive, setupArgv, setupChecks} from './test-pods.js'
import {tar} from '../apply/tar.js'
import {plannedPortProbes, portChecks, portsFile} from './ports.js'
import {type Check, fail, skip} from './types.js'

// The data plane, in three round trips per node with a barrier between them: setup (namespaces, ADD,
// CHECK, recorders) on every node; then the pings from every node (every receiver is ready by then)
// and the firewall port probes; then teardown (read the recorders, DEL, prove nothing is left). Teardown always runs for every node
// whose setup started: after a failure, an exception, and on SIGINT/SIGTERM.

export interface DataPlaneOptions {
  limit: number
  handleSignals?: boolean
  progress?: (node: string, message: string) => void
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e))

export async function runDataPlane(cluster: Cluster, states: readonly NodeState[], verdicts: readonly NodeVerdict[], o: DataPlaneOptions): Promise<Check[]> {
  const say = o.progress ?? (() => {})
  const runId = randomBytes(4).toString('hex')
  const checks: Check[] = []
  const runs = new Map<string, {run: NodeRun; state: NodeState}>()
  states.forEach((s, i) => {
    const v = verdicts[i]!
    if (s.plan.error) return // "node reachable" already failed
    if (v.blockers.length || !v.list) checks.push(skip(s.node.name, 'data plane', `not run: ${v.blockers.join('; ')}; fix the failures above first (netprov apply)`))
    else runs.set(s.node.name, {run: newNodeRun(cluster, s.node, v.list, runId), state: s})
  })
  const reachable = states.filter((s) => !s.plan.error)
  const portPlan = plannedPortProbes(cluster, reachable.map((s) => s.node))

  const started = new Set<string>()
  const teardowns = new Map<string, Promise<Check[]>>()
  const seen = new Map<string, ReadonlyMap<string, number | null> | undefined>()
  const teardownOnce = (name: string): Promise<Check[]> => {
    let p = teardowns.get(name)
    if (!p) teardowns.set(name, (p = teardown(runs.get(name)!)))
    return p
  }
  const teardown = async ({run, state}: {run: NodeRun; state: NodeState}): Promise<Check[]> => {
    say(run.node.name, 'removing the test pods')
    try {
      const r = await state.transport.exec(teardownArgv(run), {stdin: teardownArchive(run), timeoutMs: 180_000})
      const events = parseDriverOutput(r.stdout)
      for (const [cid, s] of seenByPod(events)) seen.set(`${run.node.name} ${cid}`, s) // cids repeat across nodes
      return teardownChecks(run, events, true)
    } catch (e) {
      return [fail(run.node.name, 'cleanup', `could not run the teardown: ${errText(e)}`, `run netprov verify again once the node is reachable (it removes runs left over for 30 minutes), or by hand: ip netns del ${run.pods.map((p) => p.netns).join('; ip netns del ')}`)]
    }
  }

  let interrupted = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130) // a second Ctrl-C: leave now
    interrupted = true
    process.stderr.write(`\n${signal}: removing the test pods from ${[...started].join(', ') || 'no node'} (Ctrl-C again to leave them)\n`)
    void Promise.all([...started].map(teardownOnce)).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  if (o.handleSignals) {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  try {
    // 1. setup
    await mapPool([...runs.values()], o.limit, async ({run, state}) => {
      if (interrupted) return
      started.add(run.node.name)
      say(run.node.name, `setting up ${run.pods.length} test pods (${run.list.plugins.map((p) => p.type).join(' -> ')})`)
      try {
        const r = await state.transport.exec(setupArgv(run), {stdin: setupArchive(run), timeoutMs: 180_000})
        checks.push(...setupChecks(run, parseDriverOutput(r.stdout)))
      } catch (e) {
        checks.push(fail(run.node.name, 'cni ADD', `could not run the setup: ${errText(e)}`))
      }
    })
    // 2. pings from the test pods (every receiver's recorder is in place) and port probes from each
    //    node's ring neighbour, one program per node
    const dual = new Set(cluster.podCIDRs.map(familyOf)).size > 1
    const targets = peers(reachable.map((s) => s.node.name))
    const allRuns = new Map([...runs].map(([k, v]) => [k, v.run]))
    const sent: {pings: Ping[]; outcomes?: Map<string, PingOutcome> | 'no-ping'}[] = []
    const portEvents = new Map<string, DriverEvent[] | undefined>()
    await mapPool(reachable, o.limit, async (state) => {
      const name = state.node.name
      const run = allRuns.get(name)
      if (interrupted) return
      let pings: Ping[] = []
      if (run?.pods[0]?.ready) {
        const wanted = targets.get(name) ?? []
        for (const to of wanted) if (!allRuns.get(to)?.pods[1]?.ready) checks.push(skip(name, `ping ${name} -> ${to}`, `${to} has no test pod with an address (see ${to}'s checks)`))
        pings = plannedPings(run, allRuns, wanted, dual)
      }
      const probes = portPlan.get(name) ?? []
      if (!pings.length && !probes.length) return
      const entry: (typeof sent)[number] = {pings}
      sent.push(entry)
      say(name, `${pings.length} pings from its test pod, ${probes.length} port probes to ${probes[0]?.target.name ?? 'no node'}`)
      try {
        const archive = tar([
          {name: 'driver.sh', data: Buffer.from(DRIVER), mode: 0o700},
          {name: 'pings', data: Buffer.from(pingsFile(pings))},
          {name: 'ports', data: Buffer.from(portsFile(probes))},
        ])
        const r = await state.transport.exec(driverArgv('probe', run?.stateDir ?? `${VERIFY_STATE_ROOT}/${runId}`), {stdin: archive, timeoutMs: 120_000})
        const events = parseDriverOutput(r.stdout)
        entry.outcomes = pingOutcomes(events)
        portEvents.set(name, events)
      } catch (e) {
        checks.push(fail(name, 'probes', `could not run the pings and port probes: ${errText(e)}`))
      }
    })
    checks.push(...portChecks(cluster, reachable.map((s) => s.node), portPlan, portEvents))
    // 3. teardown, then judge the pings with what the receivers saw
    if (!interrupted) for (const c of await Promise.all([...runs.keys()].filter((n) => started.has(n)).map(teardownOnce))) checks.push(...c)
    const podIps = new Set([...runs.values()].flatMap(({run}) => run.pods.flatMap((p) => p.ips)))
    for (const s of sent) checks.push(...connectivityChecks(s.pings, s.outcomes, seen, podIps))
  } finally {
    // an exception above still removes every test pod
    await Promise.all([...started].map(teardownOnce))
    if (o.handleSignals) {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
  return checks
}
