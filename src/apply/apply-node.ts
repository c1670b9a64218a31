import {randomBytes} from 'node:crypto'
import {hostname, userInfo} from 'node:os'
import type {Cluster, NodeSpec} from '../config/types.js'
import {ApplyError, LockedError, NetprovError, VerificationError} from '../errors.js'
import {readNodeFacts} from '../facts/node.js'
import {nodeError} from '../plan/make-plan.js'
import {planNode} from '../plan/planner.js'
import type {Change, Finding, NodeError, NodePlan} from '../plan/types.js'
import type {AnyResource, LocalFacts} from '../resources/resource.js'
import {commandTimeoutMs} from '../transport/transport.js'
import type {Transport} from '../transport/transport.js'
import {LOCK_DIR, STATE_DIR} from '../resources/markers.js'
import {bootstrapArgv, buildProgram, parseOutcome, programChanges} from './script.js'
import {confirmFirewall} from './firewall-confirm.js'

export type NodeStatus = 'converged' | 'unchanged' | 'failed' | 'stale' | 'locked' | 'unreachable' | 'skipped'

export interface NodeResult {
  name: string
  status: NodeStatus
  applied: number // changes completed (before any rollback)
  rolledBack?: boolean
  error?: NodeError
  stats: {roundTrips: number; ms: number}
}

export interface ApplyNodeOptions {
  cluster: Cluster
  node: NodeSpec
  plan: NodePlan
  local: LocalFacts
  resources: readonly AnyResource[]
  transport: Transport
  lockWaitSeconds: number
  report: (message: string) => void
  verifyTries?: number
}

export function holderInfo(): string {
  return `${userInfo().username}@${hostname()} pid ${process.pid} since ${new Date().toISOString()}`
}

const describe = (c: Change) => `${c.action} ${c.kind} ${c.id}`

/** One node: run its changes in one round trip, roll back on failure, then re-read and re-plan to prove it converged. */
export async function applyNode(o: ApplyNodeOptions): Promise<NodeResult> {
  const t0 = performance.now()
  const result = (status: NodeStatus, extra: Partial<NodeResult> = {}): NodeResult => ({
    name: o.node.name,
    status,
    applied: 0,
    ...extra,
    stats: {roundTrips: o.transport.roundTrips, ms: Math.round(performance.now() - t0)},
  })
  if (o.plan.error) return result(o.plan.error.code === 'PLAN_STALE' ? 'stale' : 'unreachable', {error: o.plan.error})
  const changes = o.plan.changes
  if (changes.length === 0) return o.plan.findings.some(isBlocking) ? result('failed', {error: blockedError(o.node.name, o.plan.findings)}) : result('unchanged')
  try {
    o.report(`applying ${changes.length} change${changes.length === 1 ? '' : 's'}`)
    const program = buildProgram(
      programChanges(changes),
      {holder: holderInfo(), expectedGeneration: o.plan.generation ?? null, newGeneration: randomBytes(8).toString('hex'), lockWaitSeconds: o.lockWaitSeconds},
    )
    const r = await o.transport.exec(bootstrapArgv(), {
      stdin: program.archive,
      timeoutMs: commandTimeoutMs(600),
      what: 'the apply program',
      onLine: (line) => {
        const m = /^@@NP begin (\d+)$/.exec(line)
        if (m) o.report(`${Number(m[1]) + 1}/${changes.length} ${describe(changes[Number(m[1])]!)}`)
      },
    })
    const outcome = parseOutcome(r.stdout)
    if (outcome.locked) return result('locked', {error: nodeError(new LockedError(o.node.name, outcome.locked))})
    if (outcome.stale !== undefined) {
      return result('stale', {error: {code: 'PLAN_STALE', message: `node ${o.node.name}: another netprov apply changed it since it was read; nothing was changed`, suggestions: ['run the command again: it will plan from the node\'s new state']}})
    }
    if (outcome.bootfail !== undefined) {
      return result('failed', {error: {code: 'APPLY_FAILED', message: `node ${o.node.name}: the apply program could not start: ${outcome.bootfail}${r.stderr.trim() ? ` (${r.stderr.trim().split('\n').at(-1)})` : ''}; nothing was changed`, suggestions: [`check that ${STATE_DIR} and ${LOCK_DIR} on the node are writable directories`]}})
    }
    if (!outcome.ok && outcome.failed === undefined) {
      // No failure marker: the program was cut off, not failed. It keeps running on the node (it ignores
      // hang-ups) and rolls itself back if a later step fails.
      return result('failed', {applied: outcome.done.length, error: {code: 'CONNECTION_LOST', message: `node ${o.node.name}: lost the connection during apply (exit ${r.exitCode}) after ${outcome.done.length} of ${changes.length} changes; the node finishes its program on its own (and rolls back if a step fails)`, suggestions: [`run \`netprov plan --node ${o.node.name}\` to see where it stands, then apply again`]}})
    }
    if (!outcome.ok) {
      const failed = changes[outcome.failed!]
      const err = new ApplyError(o.node.name, failed ? describe(failed) : 'apply program', r.stderr || r.stdout.slice(-500))
      o.report(`failed: ${failed ? describe(failed) : 'apply program'}; rolled back on the node`)
      return result('failed', {applied: outcome.done.length, rolledBack: outcome.rolledBack === 'ok', error: nodeError(err)})
    }
    // A firewall change stays only if a new SSH connection gets through (else the node restores it).
    const unconfirmed = await confirmFirewall(o.transport, o.node, changes)
    if (unconfirmed) return result('failed', {applied: changes.length, error: nodeError(unconfirmed)})
    o.report('verifying')
    const final = await converged(o)
    if (final.changes.length) return result('failed', {applied: changes.length, error: nodeError(new VerificationError(o.node.name, final.changes))})
    if (final.findings.some(isBlocking)) return result('failed', {applied: changes.length, error: blockedError(o.node.name, final.findings)})
    return result('converged', {applied: changes.length})
  } catch (e) {
    return result(e instanceof NetprovError && e.code === 'CONNECT_FAILED' ? 'unreachable' : 'failed', {error: nodeError(e)})
  } finally {
    await o.transport.close()
  }
}

/** Re-read and re-plan until no change is left (short retries for the kernel to settle). */
async function converged(o: ApplyNodeOptions): Promise<NodePlan> {
  const tries = o.verifyTries ?? 3
  let final!: NodePlan
  for (let i = 0; i < tries; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1000))
    const facts = await readNodeFacts(o.transport, o.cluster, o.node, o.resources)
    final = planNode(o.cluster, o.node, facts, o.local, o.resources)
    if (final.changes.length === 0) break
  }
  return final
}

/** An error finding: something netprov may not touch stands where the cluster file needs netprov's object. */
export const isBlocking = (f: Finding) => f.severity === 'error'

function blockedError(node: string, findings: readonly Finding[]): NodeError {
  const blocking = findings.filter(isBlocking)
  return {
    code: 'BLOCKED',
    message: `node ${node}: cannot reach the desired state: ${blocking.map((f) => `${f.kind} ${f.id}: ${f.message}`).join('; ')}`,
    suggestions: blocking.flatMap((f) => (f.fix ? [f.fix] : [])),
  }
}
