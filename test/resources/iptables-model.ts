import type {Family} from '../../src/facts/iptables.js'

// A textual model of one family's filter table and of `iptables-restore --noflush`, strict where the
// kernel is strict: -D needs the rule as it is (the model compares text, stricter than iptables' own
// match), -X needs an existing, empty chain that no rule jumps to, -A/-I need the chain (and the target
// chain) to exist, -I needs a position within the chain. A failing line fails the whole file, as
// iptables-restore's one transaction does. Good enough to judge netprov's files; the kernel tests
// (firewall-kernel.test.ts) run them for real.

export interface Table {
  chains: Map<string, string[]> // chain -> rule specs, in order (built-in chains too)
}

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT'])
const TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG'])

/** One family's part of the fact's output (what the read script prints). */
export function tableOf(saved: string, family: Family): Table {
  const frame = family === 'ipv4' ? '@@ iptables-save' : '@@ ip6tables-save'
  const chains = new Map<string, string[]>()
  let on = false
  for (const line of saved.split('\n')) {
    if (line.startsWith('@@ ')) on = line === frame
    if (!on) continue
    const decl = /^:(\S+) /.exec(line)
    if (decl) chains.set(decl[1]!, [])
    const rule = /^-A (\S+) (.*)$/.exec(line)
    if (rule) chains.get(rule[1]!)!.push(rule[2]!)
  }
  return {chains}
}

/** The table as the read script would print it (one family's frame). */
export function saveOf(t: Table, family: Family): string {
  const lines = [family === 'ipv4' ? '@@ iptables-save' : '@@ ip6tables-save']
  for (const name of t.chains.keys()) lines.push(`:${name} ${BUILTIN.has(name) ? 'ACCEPT' : '-'} [0:0]`)
  for (const [name, rules] of t.chains) for (const r of rules) lines.push(`-A ${name} ${r}`)
  return lines.join('\n') + '\n'
}

// iptables prints a rule in one canonical form; netprov writes --ctstate in another order.
const canon = (spec: string) => spec.replace(/--ctstate (\S+)/, (_, s: string) => `--ctstate ${s.split(',').sort().join(',')}`)
const target = (spec: string) => /(?:^| )-[jg] (\S+)/.exec(spec)?.[1]

/** Runs an iptables-restore --noflush file on a copy of `t`; throws naming the line that would fail. */
export function restore(t: Table, file: string): Table {
  const chains = new Map([...t.chains].map(([k, v]) => [k, [...v]]))
  const lines = file.split('\n')
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1} failed (${why}): ${line}`)
    }
    if (line === '' || line === '*filter' || line === 'COMMIT' || line.startsWith('#')) return
    const decl = /^:(\S+) - \[0:0\]$/.exec(line)
    if (decl) return void chains.set(decl[1]!, [])
    const m = /^-([DFXAI]) (\S+)(?: (.*))?$/.exec(line) ?? fail('not understood')
    const [, op, chain, rest = ''] = m
    const rules = chains.get(chain!) ?? fail(`no chain ${chain}`)
    if (op === 'F') return void rules.splice(0)
    if (op === 'X') {
      if (rules.length) fail('chain not empty')
      for (const [name, rs] of chains) if (rs.some((r) => target(r) === chain)) fail(`chain ${chain} is referenced from ${name}`)
      return void chains.delete(chain!)
    }
    if (op === 'D') {
      const at = rules.findIndex((r) => canon(r) === canon(rest))
      if (at < 0) fail('Bad rule (does a matching rule exist in that chain?)')
      return void rules.splice(at, 1)
    }
    let spec = rest
    let pos = rules.length + 1
    if (op === 'I') {
      const p = /^(\d+) (.*)$/.exec(rest) ?? fail('no position')
      pos = Number(p[1])
      spec = p[2]!
      if (pos < 1 || pos > rules.length + 1) fail('Index of insertion too big')
    }
    const to = target(spec)
    if (to && !TARGETS.has(to) && !chains.has(to)) fail(`no target chain ${to}`)
    rules.splice(pos - 1, 0, spec)
  })
  return {chains}
}

/** Tables compared as iptables would print them. */
export const printed = (t: Table) => [...t.chains].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.map(canon)])
