import {cleanDeep} from './clean.js'
import type {ApplyResult} from '../apply/apply.js'
import {bold, dim, green, red} from './style.js'

export function renderApplyResult(raw: ApplyResult): string {
  const r = cleanDeep(raw) // node-controlled strings never reach the terminal raw
  const out: string[] = []
  const bad = r.nodes.filter((n) => n.status !== 'converged' && n.status !== 'unchanged')
  for (const n of bad) {
    // messages start with "node NAME:" (they stand alone in JSON); the line already names the node
    const message = n.error?.message.replace(new RegExp(`^node ${n.name}: `), '')
    out.push(`  ${red('✗')} ${bold(n.name)}: ${n.status}${message ? `: ${message}` : ''}`)
    if (n.status === 'failed' && n.applied > 0 && n.rolledBack !== undefined) out.push(dim(`      ${n.rolledBack ? 'rolled back to the state it was planned from' : 'ROLLBACK INCOMPLETE: check the node by hand'}`))
    for (const s of n.error?.suggestions ?? []) out.push(dim(`      Try: ${s}`))
  }
  const count = (s: string) => r.nodes.filter((n) => n.status === s).length
  const s = r.summary
  const line = `${count('converged')} node(s) converged, ${count('unchanged')} unchanged, ${bad.length} failed. Planned: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`
  out.push(r.ok ? green(bold(`Apply complete: ${line}`)) : red(bold(`Apply failed: ${line}`)))
  if (!r.ok) out.push(dim('Nodes that converged keep their changes; run `netprov apply` again once the cause is fixed.'))
  return out.join('\n')
}
