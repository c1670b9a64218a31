import {createHash} from 'node:crypto'
import type {Cluster, NodeSpec} from '../config/types.js'
import type {NodeFacts} from '../facts/types.js'
import {GENERATION_FILE} from '../resources/markers.js'
import type {AnyResource, Context, LocalFacts} from '../resources/resource.js'
import {canonical} from '../net/cidr.js'
import type {Action, Change, Finding, NodeError, NodePlan, Summary} from './types.js'

/**
 * The pure core: (cluster, node, facts) -> the node's changes and findings. No I/O.
 * Per kind: deletes, then updates, then creates; kinds in the order of `resources`.
 */
export function planNode(cluster: Cluster, node: NodeSpec, facts: NodeFacts, local: LocalFacts, resources: readonly AnyResource[]): NodePlan {
  const wrong = wrongMachine(node, facts)
  if (wrong) return erroredPlan(node, wrong)
  const ctx: Context = {cluster, node, facts, local}
  const changes: Change[] = []
  const findings: Finding[] = []
  const seen: unknown[] = [] // what the plan was made from: the digest covers only this
  const blockedKinds = new Set<string>()
  for (const r of resources) {
    const actual = r.actual(ctx)
    seen.push([r.kind, actual])
    findings.push(...actual.findings)
    if (actual.findings.some((f) => f.severity === 'error')) blockedKinds.add(r.kind)
    const blockedBy = (r.dependsOn ?? []).filter((k) => blockedKinds.has(k))
    if (blockedBy.length) {
      findings.push({severity: 'warning', kind: r.kind, id: '*', message: `not changed while ${blockedBy.join(', ')} is blocked (see the error above)`})
      continue
    }
    const blocked = new Set(actual.findings.filter((f) => f.severity === 'error' && f.kind === r.kind).map((f) => f.id))
    const want = new Map(r.desired(ctx).map((s) => [r.key(s), s]))
    const have = new Map(actual.owned.map((s) => [r.key(s), s]))
    const make = (action: Action, before: unknown, after: unknown): Change => ({
      action,
      kind: r.kind,
      id: r.key(after ?? before),
      before: before === null ? null : r.show ? r.show(before) : before,
      after: after === null ? null : r.show ? r.show(after) : after,
      ...(r.reason?.(action, before, after) ? {reason: r.reason(action, before, after)} : {}),
      steps: r.steps(action, before, after, ctx),
      undo: r.undo ? r.undo(action, before, after, ctx) : inverse(r, action, before, after, ctx),
    })
    for (const [k, h] of have) if (!want.has(k)) changes.push(make('delete', h, null))
    for (const [k, w] of want) if (have.has(k) && !r.same(w, have.get(k))) changes.push(make('update', have.get(k), w))
    for (const [k, w] of want) if (!have.has(k) && !blocked.has(k)) changes.push(make('create', null, w))
  }
  const generation = facts.files[GENERATION_FILE]?.replace(/\s/g, '') || null // as the node compares it (empty = none)
  return {name: node.name, address: node.address, factsDigest: digest(seen), generation, changes, findings}
}

/**
 * The node's address is its host-gw next hop and --node-ip, so it must be one of the machine's own
 * addresses. If it is not, ssh reached another machine (a wrong ssh.host) or the node changed:
 * plan nothing for it rather than reconfigure the wrong machine.
 */
function wrongMachine(node: NodeSpec, facts: NodeFacts): NodeError | undefined {
  const mine = new Set(facts.addresses.map((a) => canonical(a.cidr.split('/')[0]!)))
  const wanted = (node.addresses ?? [node.address]).map((a) => canonical(a))
  if (wanted.some((a) => mine.has(a))) return undefined
  const has = [...mine].filter((a) => !a.startsWith('127.') && a !== '::1' && !a.startsWith('fe80:')).join(', ') || 'none'
  return {
    code: 'WRONG_NODE',
    message: `node ${node.name}: the machine reached at ${node.ssh.host} does not have the node's address ${wanted.join(', ')} (it has ${has}); nothing planned`,
    suggestions: ['check nodes[].address and nodes[].ssh.host in the cluster file: they must name the same machine'],
  }
}

function inverse(r: AnyResource, action: Action, before: unknown, after: unknown, ctx: Context) {
  if (action === 'create') return r.steps('delete', after, null, ctx)
  if (action === 'delete') return r.steps('create', null, before, ctx)
  return r.steps('update', after, before, ctx)
}

/** A node that could not be planned: no changes, no findings, only the error. */
export function erroredPlan(node: NodeSpec, error: NodeError): NodePlan {
  return {name: node.name, address: node.address, factsDigest: '', changes: [], findings: [], error}
}

export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex')
}

export function summarize(nodes: readonly NodePlan[]): Summary {
  const s: Summary = {create: 0, update: 0, delete: 0}
  for (const n of nodes) for (const c of n.changes) s[c.action]++
  return s
}
