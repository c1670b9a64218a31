import type {Cluster, NodeSpec} from '../config/types.js'
import type {Change, Finding, NodePlan} from '../plan/types.js'
import {type Check, fail, pass} from './types.js'

// Verify starts where plan ends: every pending change is drift (a failed check), every error finding
// a failed check. Warnings pass with their text as detail, except the ones verify judges itself
// (a CNI config sorting before netprov's is the "cni config order" check, a failure).

const show = (v: unknown): string => {
  if (v === null || v === undefined) return 'nothing'
  if (typeof v === 'string') return v.includes('\n') ? `${v.trimEnd().split('\n').length} lines` : v
  const s = JSON.stringify(v)
  return s.length > 100 ? `${s.slice(0, 97)}...` : s
}

export function driftDetail(c: Change): string {
  const reason = c.reason ? ` (${c.reason})` : ''
  const multi = (v: unknown) => typeof v === 'string' && v.includes('\n')
  // Multi-line states are files when the id is a path; otherwise rule sets (the firewall).
  const file = (v: unknown) => multi(v) && c.id.startsWith('/')
  if (c.action === 'create') {
    if (file(c.after)) return `missing: the file netprov writes (${show(c.after)}) is not there${reason}`
    if (multi(c.after)) return `missing: netprov's ${c.kind} (${show(c.after)}) is not there${reason}`
    return `missing: wanted ${show(c.after)}${reason}`
  }
  if (c.action === 'delete') return `should not be there: found ${file(c.before) ? `a file of ${show(c.before)}` : show(c.before)}${reason}`
  if (multi(c.before)) return `content differs from what netprov writes${reason}`
  // Big structured states (a firewall table) say nothing truncated: the reason names the difference.
  const big = show(c.before).endsWith('...') || show(c.after).endsWith('...')
  return big && c.reason ? `differs: ${c.reason}` : `found ${show(c.before)}, wanted ${show(c.after)}${reason}`
}

/** Handled by a dedicated check elsewhere (cni-checks.ts). */
const judgedElsewhere = (f: Finding) => f.kind === 'cni-config' && f.severity === 'warning' && /sorts before/.test(f.message)

export function stateChecks(cluster: Cluster, node: NodeSpec, plan: NodePlan): Check[] {
  const n = node.name
  if (plan.error) return [fail(n, 'node reachable', plan.error.message, plan.error.suggestions.join('; ') || undefined)]
  const out: Check[] = [pass(n, 'node reachable', `read ${node.address} over SSH`)]
  const apply = `netprov apply -f ${cluster.file} --node ${n}`
  if (plan.changes.length === 0) out.push(pass(n, 'in sync', `no pending changes: the node matches ${cluster.file}`))
  for (const c of plan.changes) out.push(fail(n, `drift ${c.kind} ${c.id}`, `${c.action}: ${driftDetail(c)}`, apply))
  for (const f of plan.findings) {
    if (judgedElsewhere(f)) continue
    const name = `finding ${f.kind} ${f.id}`
    out.push(f.severity === 'error' ? fail(n, name, f.message, f.fix) : pass(n, name, `warning: ${f.message}`, f.fix))
  }
  return out
}
