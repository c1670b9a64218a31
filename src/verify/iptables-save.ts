import type {Cond, FwChain, FwRule, FwTable, Verdict} from './firewall-model.js'

// iptables-save output -> the filter table's chains. Only what decides the fate of forwarded pod
// traffic is modelled: addresses, interfaces, conntrack state, verdicts and jumps.

/** Splits a rule line into words, keeping "quoted strings" (comments) as one word. */
export function words(line: string): string[] {
  const out: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g
  let m
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!)
  return out
}

const VERDICTS: Record<string, 'accept' | 'drop' | 'reject' | 'return'> = {ACCEPT: 'accept', DROP: 'drop', REJECT: 'reject', RETURN: 'return'}

export function parseRule(args: string[]): FwRule {
  const conds: Cond[] = []
  let verdict: Verdict | null = null
  let neg = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = () => args[++i] ?? ''
    if (a === '!') {
      neg = true
      continue
    }
    if (a === '-s' || a === '--source' || a === '-d' || a === '--destination') {
      conds.push({kind: a.startsWith('-s') || a === '--source' ? 'saddr' : 'daddr', cidrs: next().split(','), neg})
    } else if (a === '-i' || a === '--in-interface' || a === '-o' || a === '--out-interface') {
      conds.push({kind: a === '-i' || a === '--in-interface' ? 'iif' : 'oif', names: [next()], neg})
    } else if (a === '-m' || a === '--match') {
      const mod = next()
      if (mod === 'comment') i += 2 // --comment "text": not a condition
      else if (mod === 'conntrack' || mod === 'state') {
        i += 2 // --ctstate X / --state X
        conds.push({kind: 'ct'})
      } else if (mod !== 'tcp' && mod !== 'udp') conds.push({kind: 'other', text: `-m ${mod}`}) // -p tcp -m tcp: the -p word already counts
    } else if (a === '-j' || a === '--jump' || a === '-g' || a === '--goto') {
      const t = next()
      // A target that is not a declared chain (LOG, MASQUERADE ...) becomes 'other' in parseIptablesSave.
      verdict = VERDICTS[t] ? {kind: VERDICTS[t]!} : {kind: a === '-g' || a === '--goto' ? 'goto' : 'jump', target: t}
      // anything after the target (--reject-with ...) belongs to it
      break
    } else if (a.startsWith('-')) {
      conds.push({kind: 'other', text: a})
      // an option's value is the following word unless that is another option
      if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-') && args[i + 1] !== '!') i++
    }
    neg = false
  }
  return {conds, verdict, text: args.join(' ')}
}

export function parseIptablesSave(text: string, backend: FwTable['backend'], family: 4 | 6): FwTable | null {
  let inFilter = false
  const chains = new Map<string, FwChain>()
  const pending: [string, string[]][] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('*')) inFilter = line === '*filter'
    if (!inFilter || line === '' || line.startsWith('#')) continue
    const decl = /^:(\S+) (\S+)/.exec(line)
    if (decl) {
      const [, name, policy] = decl
      const base = ['INPUT', 'FORWARD', 'OUTPUT'].includes(name!)
      chains.set(name!, {name: name!, rules: [], ...(base ? {policy: policy === 'DROP' ? 'drop' : 'accept', forward: name === 'FORWARD'} : {})})
    } else if (line.startsWith('-A ')) {
      const w = words(line)
      pending.push([w[1]!, w.slice(2)])
    }
  }
  if (!chains.size) return null
  for (const [chain, args] of pending) {
    const rule = parseRule(args)
    // A -j to something that is not a declared chain is a target extension (LOG, MASQUERADE ...).
    const v = rule.verdict
    if (v && (v.kind === 'jump' || v.kind === 'goto') && !chains.has(v.target)) rule.verdict = {kind: 'other'}
    chains.get(chain)?.rules.push(rule)
  }
  return {backend, family, name: 'filter', chains}
}

/** The fact's sections ("@@ iptables-save" + output ...) -> one table per tool that printed a filter table. */
export function iptablesTables(sections: Record<string, string>, family: 4 | 6): FwTable[] {
  const out: FwTable[] = []
  for (const [tool, text] of Object.entries(sections)) {
    const t = parseIptablesSave(text, tool.includes('legacy') || !/\(nf_tables\)/.test(text) ? 'iptables-legacy' : 'iptables', family)
    if (t) out.push(t)
  }
  return out
}
