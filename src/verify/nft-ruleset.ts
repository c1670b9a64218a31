import type {Cond, FwChain, FwRule, FwTable, Verdict} from './firewall-model.js'

// `nft -j list ruleset` -> the tables that have a chain on the forward hook (ip, ip6, inet families).

interface NftChain {family: string; table: string; name: string; hook?: string; policy?: string}
interface NftRule {family: string; table: string; chain: string; expr?: Record<string, unknown>[]}
type Item = {table?: unknown; chain?: NftChain; rule?: NftRule}

const FAMILY: Record<string, 4 | 6 | 'both'> = {ip: 4, ip6: 6, inet: 'both'}

function rightValues(right: unknown): string[] {
  if (typeof right === 'string' || typeof right === 'number') return [String(right)]
  if (right && typeof right === 'object') {
    const r = right as {prefix?: {addr: string; len: number}; set?: unknown[]; range?: unknown[]}
    if (r.prefix) return [`${r.prefix.addr}/${r.prefix.len}`]
    if (Array.isArray(r.set)) return r.set.flatMap(rightValues)
  }
  return []
}

function cond(m: {op?: string; left?: Record<string, Record<string, string>>; right?: unknown}): Cond {
  const left = m.left ?? {}
  const neg = m.op === '!='
  const payload = left.payload
  if (payload && (payload.protocol === 'ip' || payload.protocol === 'ip6') && (payload.field === 'saddr' || payload.field === 'daddr')) {
    return {kind: payload.field, cidrs: rightValues(m.right), neg}
  }
  const meta = left.meta
  if (meta && ['iifname', 'oifname', 'iif', 'oif'].includes(meta.key!)) {
    return {kind: meta.key!.startsWith('i') ? 'iif' : 'oif', names: rightValues(m.right).map((n) => n.replace(/\*$/, '+')), neg}
  }
  if (left.ct && left.ct.key === 'state') return {kind: 'ct'}
  if (meta && meta.key === 'nfproto') return {kind: 'ct'} // a family selector in inet tables: neutral
  return {kind: 'other', text: JSON.stringify(m.left)}
}

export function nftRule(expr: Record<string, unknown>[]): FwRule {
  const conds: Cond[] = []
  let verdict: Verdict | null = null
  const text: string[] = []
  for (const e of expr) {
    const [k, v] = Object.entries(e)[0] ?? []
    if (!k) continue
    if (k === 'match') {
      const c = cond(v as never)
      conds.push(c)
      text.push(c.kind === 'saddr' || c.kind === 'daddr' ? `ip ${c.kind} ${c.neg ? '!= ' : ''}${c.cidrs.join(',')}` : c.kind === 'iif' || c.kind === 'oif' ? `${c.kind}name ${c.neg ? '!= ' : ''}${c.names.join(',')}` : c.kind === 'ct' ? 'ct state ...' : '...')
    } else if (k === 'accept' || k === 'drop' || k === 'reject' || k === 'return') {
      verdict = {kind: k}
      text.push(k)
    } else if (k === 'jump' || k === 'goto') {
      const target = (v as {target: string}).target
      verdict = {kind: k, target}
      text.push(`${k} ${target}`)
    } else if (k === 'xt') {
      if ((v as {type?: string}).type === 'target') verdict = {kind: 'other'}
      else conds.push({kind: 'other', text: 'xt match'})
    } else if (!['counter', 'log', 'comment', 'limit', 'notrack'].includes(k)) {
      conds.push({kind: 'other', text: k})
    }
  }
  return {conds, verdict, text: text.join(' ')}
}

/** Tables with at least one chain on the forward hook. Returns [] for an empty ruleset. */
export function parseNftRuleset(json: string): FwTable[] {
  const items = ((JSON.parse(json) as {nftables?: Item[]}).nftables ?? []) as Item[]
  const tables = new Map<string, FwTable>()
  const table = (family: string, name: string) => {
    const key = `${family} ${name}`
    let t = tables.get(key)
    if (!t) tables.set(key, (t = {backend: 'nft', family: FAMILY[family]!, name: key, chains: new Map()}))
    return t
  }
  for (const it of items) {
    const c = it.chain
    if (c && FAMILY[c.family]) {
      const chain: FwChain = {name: c.name, rules: []}
      if (c.hook) Object.assign(chain, {policy: c.policy === 'drop' ? 'drop' : 'accept', forward: c.hook === 'forward'})
      table(c.family, c.table).chains.set(c.name, chain)
    }
    const r = it.rule
    if (r && FAMILY[r.family]) table(r.family, r.table).chains.get(r.chain)?.rules.push(nftRule(r.expr ?? []))
  }
  return [...tables.values()].filter((t) => [...t.chains.values()].some((c) => c.forward))
}
