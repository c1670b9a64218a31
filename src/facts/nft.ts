import type {Fact} from './fact.js'

// netprov's nftables table, read as JSON (`nft -j`) and normalised into the same text lines the
// firewall resource wants (nft syntax): chain -> [hook line, rule, rule...]. Anything netprov never
// writes (a counter, a set, a log) becomes a `?{json}` line, so it still shows up as a difference.

export type Chains = Record<string, string[]>

export interface BaseChain {
  family: string
  table: string
  name: string
  hook: string
  policy: string
}

// Exit 3: no such table; 4: no nft on the node. Errors go to stdout so the parser can quote them.
const READ_TABLE = `command -v nft >/dev/null 2>&1 || exit 4
out=$(nft -j list table inet netprov 2>&1) && { printf '%s\\n' "$out"; exit 0; }
case $out in *"No such file or directory"*) exit 3;; esac
printf '%s\\n' "$out"; exit 1`

export const nftTableFact: Fact<Chains | null> = {
  id: 'nft-netprov',
  argv: ['sh', '-c', READ_TABLE],
  parse: (stdout, code) => (code === 3 || code === 4 ? null : parseNftTable(stdout, code)),
}

/** Every base chain of every table (hook and policy): what else on the node may drop traffic. */
export const nftChainsFact: Fact<BaseChain[]> = {
  id: 'nft-chains',
  argv: ['sh', '-c', 'command -v nft >/dev/null 2>&1 || exit 0; nft -j list chains 2>/dev/null; exit 0'],
  parse: parseNftChains,
}

type Obj = Record<string, unknown>
const items = (stdout: string): Obj[] => (stdout.trim() ? ((JSON.parse(stdout) as {nftables?: Obj[]}).nftables ?? []) : [])

export function parseNftTable(stdout: string, code = 0): Chains {
  if (code !== 0) throw new Error(`nft list table inet netprov: ${stdout.trim().slice(0, 200)}`)
  const chains: Chains = {}
  for (const it of items(stdout)) {
    if (it.chain) {
      const c = it.chain as {name: string; type?: string; hook?: string; prio?: number; policy?: string}
      chains[c.name] = c.hook ? [`type ${c.type} hook ${c.hook} priority ${c.prio} policy ${c.policy ?? 'accept'}`] : []
    } else if (it.rule) {
      const r = it.rule as {chain: string; expr?: unknown[]}
      ;(chains[r.chain] ??= []).push((r.expr ?? []).map(exprText).join(' '))
    }
  }
  return chains
}

export function parseNftChains(stdout: string): BaseChain[] {
  return items(stdout)
    .map((it) => it.chain as (BaseChain & {hook?: string}) | undefined)
    .filter((c): c is BaseChain => Boolean(c?.hook))
    .map(({family, table, name, hook, policy}) => ({family, table, name, hook, policy: policy ?? 'accept'}))
}

const unknown = (e: unknown) => `?${JSON.stringify(e)}`
const INTERFACE_KEYS = new Set(['iifname', 'oifname', 'iif', 'oif'])

function exprText(e: unknown): string {
  if (typeof e !== 'object' || e === null) return unknown(e)
  const [k, v] = Object.entries(e)[0] ?? []
  if (k === 'match') return matchText(v as {op: string; left: unknown; right: unknown})
  if (k === 'accept' || k === 'drop' || k === 'return' || k === 'continue') return k
  if ((k === 'jump' || k === 'goto') && typeof (v as Obj).target === 'string') return `${k} ${(v as Obj).target}`
  if (k === 'counter') return 'counter' // its numbers change with traffic: they must not change the state
  return unknown(e)
}

function matchText(m: {op: string; left: unknown; right: unknown}): string {
  const left = leftText(m.left)
  const op = m.op === '==' || m.op === 'in' ? '' : `${m.op} `
  return `${left} ${op}${rightText(m.right, INTERFACE_KEYS.has(left))}`
}

function leftText(l: unknown): string {
  const o = (l ?? {}) as Obj
  if (o.ct) return `ct ${(o.ct as Obj).key}`
  if (o.meta) {
    const key = String((o.meta as Obj).key)
    return INTERFACE_KEYS.has(key) ? key : `meta ${key}`
  }
  if (o.payload) return `${(o.payload as Obj).protocol} ${(o.payload as Obj).field}`
  return unknown(l)
}

function rightText(r: unknown, quoted: boolean): string {
  if (typeof r === 'string') return quoted ? `"${r}"` : r
  if (typeof r === 'number') return String(r)
  if (Array.isArray(r)) return r.map((x) => rightText(x, quoted)).sort().join(',')
  const o = (r ?? {}) as Obj
  if (o.prefix) return `${(o.prefix as Obj).addr}/${(o.prefix as Obj).len}`
  if (Array.isArray(o.range)) return `${o.range[0]}-${o.range[1]}`
  if (Array.isArray(o.set)) return `{ ${o.set.map((x) => rightText(x, quoted)).join(', ')} }`
  return unknown(r)
}
