import {cleanDeep} from './clean.js'
import type {Action, Change, Finding, NodePlan, Plan} from '../plan/types.js'
import {bold, dim, green, red, yellow} from './style.js'

const SYMBOL: Record<Action, string> = {create: '+', update: '~', delete: '-'}
const COLOR: Record<Action, (s: string) => string> = {create: green, update: yellow, delete: red}
const LEGEND: Record<Action, string> = {create: 'create', update: 'update in place', delete: 'delete'}

/** Lines only in `a` or only in `b`, in order: enough to show what a file change does. */
function lineDiff(a: string, b: string): string[] {
  const al = a.split('\n')
  const bl = b.split('\n')
  const inB = new Set(bl)
  const inA = new Set(al)
  return [...al.filter((l) => !inB.has(l)).map((l) => red(`- ${l}`)), ...bl.filter((l) => !inA.has(l)).map((l) => green(`+ ${l}`))]
}

function describe(c: Change): string[] {
  const head = `${COLOR[c.action](SYMBOL[c.action])} ${bold(c.kind)} ${c.id}`
  const b = c.before
  const a = c.after
  const multi = (v: unknown) => typeof v === 'string' && v.includes('\n')
  // The reason too: it may say what the diff cannot (a restart is needed, a lock-out guard).
  if (c.action === 'update' && multi(b) && multi(a)) return [c.reason ? `${head}: ${dim(`(${c.reason})`)}` : head, ...lineDiff(b as string, a as string).map((l) => `      ${l}`)]
  const value = (v: unknown) => (multi(v) ? `(${(v as string).trimEnd().split('\n').length} lines)` : typeof v === 'string' ? v : JSON.stringify(v))
  let detail = ''
  if (c.action === 'update') detail = `${value(b)} -> ${value(a)}`
  else if (c.action === 'create' && a !== c.id) detail = value(a)
  else if (c.action === 'delete' && b !== c.id) detail = value(b)
  const tail = [detail && dim(detail), c.reason && dim(`(${c.reason})`)].filter(Boolean).join(' ')
  return [tail ? `${head}: ${tail}` : head]
}

function renderFinding(node: string, f: Finding): string[] {
  const mark = f.severity === 'error' ? red('✗ error:') : yellow('! warning:')
  return [`  ${mark} ${node}: ${f.kind} ${f.id}: ${f.message}`, ...(f.fix ? [dim(`      fix: ${f.fix}`)] : [])]
}

function renderNodeError(n: NodePlan): string[] {
  return [`  ${red('✗')} ${bold(n.name)} (${n.address}): ${n.error!.message}`, ...n.error!.suggestions.map((s) => dim(`      Try: ${s}`))]
}

export function renderPlan(raw: Plan, opts: {debug?: boolean} = {}): string {
  const plan = cleanDeep(raw) // node-controlled strings never reach the terminal raw
  const out: string[] = []
  const actions = (['create', 'update', 'delete'] as Action[]).filter((a) => plan.nodes.some((n) => n.changes.some((c) => c.action === a)))
  if (actions.length) {
    out.push(`netprov will make these changes (${actions.map((a) => `${COLOR[a](SYMBOL[a])} ${LEGEND[a]}`).join(', ')}):`, '')
    for (const n of plan.nodes.filter((x) => x.changes.length)) {
      out.push(`  ${dim('#')} ${bold(n.name)} (${n.address}): ${n.changes.length} change${n.changes.length === 1 ? '' : 's'}`)
      for (const c of n.changes) out.push(...describe(c).map((l) => `    ${l}`))
      out.push('')
    }
  }
  const findings = plan.nodes.flatMap((n) => n.findings.map((f) => renderFinding(n.name, f)))
  if (findings.length) out.push(bold('Found on the nodes but not managed by netprov (left alone):'), ...findings.flat(), '')
  const errors = plan.nodes.filter((n) => n.error)
  if (errors.length) out.push(bold(red('Could not plan these nodes:')), ...errors.flatMap(renderNodeError), '')
  if (opts.debug) {
    for (const n of plan.nodes) if (n.stats) out.push(dim(`  ${n.name}: ${n.stats.roundTrips} ssh round trip${n.stats.roundTrips === 1 ? '' : 's'}, ${n.stats.ms} ms`))
    out.push('')
  }
  const s = plan.summary
  const planned = plan.nodes.length - errors.length
  const blocked = plan.nodes.flatMap((n) => n.findings).filter((f) => f.severity === 'error').length
  if (!actions.length) {
    if (errors.length) out.push(planned ? `No changes on the ${planned} node(s) that could be read.` : 'No node could be read.')
    else if (!blocked) out.push(bold(`No changes. All ${planned} node(s) match ${plan.clusterFile}.`))
    else out.push(bold('No changes netprov can make.'))
  } else out.push(bold(`Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`))
  if (blocked) out.push(red(bold(`${blocked} error finding${blocked === 1 ? '' : 's'} (✗ above) block${blocked === 1 ? 's' : ''} the desired state: fix ${blocked === 1 ? 'it' : 'them'} by hand, then plan again.`)))
  return out.join('\n')
}
