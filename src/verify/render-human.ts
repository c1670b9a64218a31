import {cleanDeep} from '../render/clean.js'
import {bold, dim, green, red, yellow} from '../render/style.js'
import type {Check, VerifyReport} from './types.js'

// The readable report: per node, one line per check (✓ pass, ✗ fail, – skip) with its detail and fix.

const isWarning = (c: Check) => c.status === 'pass' && c.detail.startsWith('warning:')

function line(c: Check): string[] {
  const mark = c.status === 'fail' ? red('✗') : c.status === 'skip' ? dim('–') : isWarning(c) ? yellow('✓') : green('✓')
  const out = [`  ${mark} ${c.status === 'fail' ? bold(c.check) : c.check}: ${c.status === 'pass' && !isWarning(c) ? dim(c.detail) : c.detail}`]
  if (c.fix && (c.status === 'fail' || isWarning(c))) out.push(dim(`      fix: ${c.fix}`))
  return out
}

export function renderVerify(raw: VerifyReport, o: {addresses?: Record<string, string>; debug?: boolean} = {}): string {
  const r = cleanDeep(raw) // node-controlled strings never reach the terminal raw
  const out: string[] = []
  const nodes = [...new Set(r.checks.map((c) => c.node))]
  for (const n of nodes) {
    const mine = r.checks.filter((c) => c.node === n)
    const bad = mine.filter((c) => c.status === 'fail').length
    out.push(`${bold(n)}${o.addresses?.[n] ? ` (${o.addresses[n]})` : ''}: ${bad ? red(`${bad} failed`) : green('ok')}`)
    for (const c of mine) out.push(...line(c))
    out.push('')
  }
  if (o.debug) {
    for (const s of r.nodes) out.push(dim(`  ${s.name}: ${s.roundTrips} ssh round trip${s.roundTrips === 1 ? '' : 's'}`))
    out.push('')
  }
  const s = r.summary
  const counts = `${s.pass} passed, ${s.fail} failed, ${s.skip} skipped on ${r.nodes.length} node(s) in ${(r.durationMs / 1000).toFixed(1)}s`
  const scope = r.connectivity ? '' : ' (state only: --no-connectivity)'
  out.push(r.ok ? green(bold(`Verify passed: ${counts}${scope}.`)) : red(bold(`Verify failed: ${counts}${scope}.`)))
  return out.join('\n')
}
