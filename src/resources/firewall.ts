import type {Cluster} from '../config/types.js'
import {type Family, type IptablesFacts, NETPROV_CHAINS, iptablesFact} from '../facts/iptables.js'
import {type BaseChain, type Chains, nftChainsFact, nftTableFact} from '../facts/nft.js'
import type {Finding, Step} from '../plan/types.js'
import {armSteps, guardDir, stillArmedStep, undoSteps} from './firewall-guard.js'
import {FAMILIES, iptablesChains, transition} from './firewall-iptables.js'
import {NFT_DELETE, NFT_TABLE, nftChains, nftScript} from './firewall-nft.js'
import type {Context, Resource} from './resource.js'

// Firewall ports by role, as an allow-list on INPUT, with pod traffic accepted in FORWARD. Owned:
// the nftables table `inet netprov`, or the iptables chains NETPROV-INPUT / NETPROV-FORWARD and the
// jumps to them that carry netprov's comment (facts/iptables.ts says exactly); both are read whatever
// the backend, so switching backends removes the other one, unless the new one is blocked: then the
// node keeps the allow-list it has. `backend: none` reads and touches nothing.

type Backend = 'nftables' | 'iptables'
export interface FirewallState {
  backend: Backend
  chains: Chains // normalised (nft syntax), compared as data
}

const RESTORE_NFT = `# Written by netprov: puts back netprov's nftables table as it was before the last apply.
{ printf 'table ${NFT_TABLE} {}\\ndelete table ${NFT_TABLE}\\n'; cat "$1/previous.nft"; } | nft -f -
`
const RESTORE_IPT = `# Written by netprov: puts back netprov's iptables chains as they were before the last apply.
rc=0
if [ -f "$1/restore.ipv4" ]; then iptables-restore --noflush < "$1/restore.ipv4" || rc=1; fi
if [ -f "$1/restore.ipv6" ]; then ip6tables-restore --noflush < "$1/restore.ipv6" || rc=1; fi
exit $rc
`
const SAVE_NFT = `nft list table ${NFT_TABLE} > "$1/previous.nft" 2>/dev/null || : > "$1/previous.nft"`
const TOOLS: Record<Backend, string[]> = {nftables: ['nft'], iptables: ['iptables-save', 'iptables-restore']}

// Off: backend none, or facts read without this kind (a hand-built test): never plan from a guess.
const off = (ctx: Context) => ctx.cluster.firewall.backend === 'none' || !('nft-netprov' in ctx.facts.extra)
const sorted = (c: Chains) => JSON.stringify(Object.keys(c).sort().map((k) => [k, c[k]]))

export const firewall: Resource<FirewallState> = {
  kind: 'firewall',
  facts: (cluster) => (cluster.firewall.backend === 'none' ? [] : [nftTableFact, nftChainsFact, iptablesFact]),
  desired(ctx) {
    const {cluster, node} = ctx
    const b = cluster.firewall.backend
    if (b === 'none' || off(ctx)) return []
    return [{backend: b, chains: b === 'nftables' ? nftChains(cluster, node) : iptablesChains(cluster, node)}]
  },
  actual(ctx) {
    if (off(ctx)) return {owned: [], findings: []}
    const backend = ctx.cluster.firewall.backend as Backend
    let owned: FirewallState[] = []
    const nft = ctx.facts.extra['nft-netprov'] as Chains | null | undefined
    if (nft) owned.push({backend: 'nftables', chains: nft})
    const ipt = ctx.facts.extra['iptables-netprov'] as IptablesFacts | undefined
    const foreignChains = ipt?.foreignChains ?? []
    // Someone else's chain with netprov's name, with the iptables backend: netprov makes none of its
    // chains (an update would flush that one), the error finding blocks the create.
    if (ipt && Object.keys(ipt.chains).length && !(backend === 'iptables' && foreignChains.length)) owned.push({backend: 'iptables', chains: ipt.chains})
    const findings = [...toolFindings(ctx, ipt), ...iptablesFindings(backend, ipt), ...dropWarnings(ctx.cluster, (ctx.facts.extra['nft-chains'] ?? []) as BaseChain[])]
    // The wanted backend cannot be made: the other one stays, so the node keeps an allow-list.
    if (findings.some((f) => f.severity === 'error' && f.id === backend)) owned = owned.filter((s) => s.backend === backend)
    return {owned, findings}
  },
  key: (s) => s.backend,
  same: (w, h) => sorted(w.chains) === sorted(h.chains),
  steps(action, before, after, ctx) {
    const s = (after ?? before)!
    const pin = pinned(ctx)
    const save: Step[] = s.backend === 'nftables' ? [{op: 'exec', argv: ['sh', '-c', SAVE_NFT, 'sh', guardDir('nftables')]}] : restoreFiles(after, before, pin)
    return [...armSteps(s.backend, ctx.node, save, s.backend === 'nftables' ? RESTORE_NFT : RESTORE_IPT), ...change(s.backend, before, after, pin), stillArmedStep(s.backend)]
  },
  undo: (_action, before, after) => undoSteps((after ?? before)!.backend),
  // One "chain: rule" line each, so the plan view diffs an update line by line.
  show: (s) => [s.backend === 'nftables' ? `table ${NFT_TABLE}` : `iptables chains ${NETPROV_CHAINS.join(', ')}`, ...Object.keys(s.chains).sort().flatMap((k) => s.chains[k]!.map((l) => `${k}: ${l}`)), ''].join('\n'),
  reason(action, before, after) {
    if (action === 'delete') return `netprov's ${before!.backend} rules are removed (spec.firewall.backend is another one now)`
    const guard = 'the node restores the previous rules by itself unless netprov confirms over a new SSH connection'
    if (action === 'create') return `INPUT allow-list, open: ${openList(after!.chains)}; ${guard}`
    return guard
  },
}

/** "tcp 22, tcp 6443, udp 30000-32767" from the input rules. */
function openList(chains: Chains): string {
  const ports = Object.entries(chains).filter(([k]) => /(^|\s)(input|NETPROV-INPUT)$/.test(k)).flatMap(([, ls]) => ls)
  return [...new Set(ports.map((l) => /^(tcp|udp) dport (\S+) accept$/.exec(l)).filter((m) => m !== null).map((m) => `${m[1]} ${m[2]}`))].join(', ')
}

/** The rule change itself, after the timer is armed. */
function change(backend: Backend, before: FirewallState | null, after: FirewallState | null, pin: Pinned): Step[] {
  const d = guardDir(backend)
  if (backend === 'nftables') {
    return [
      {op: 'write', path: `${d}/apply.nft`, content: after ? nftScript(after.chains) : NFT_DELETE, mode: '600'},
      {op: 'exec', argv: ['nft', '-f', `${d}/apply.nft`]},
    ]
  }
  return FAMILIES.flatMap((fam) => {
    const file = transition(before?.chains ?? null, after?.chains ?? null, fam, pin[fam])
    const tool = fam === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore'
    return file ? [{op: 'write', path: `${d}/apply.${fam}`, content: file, mode: '600'} as Step, {op: 'exec', argv: [tool, '--noflush', `${d}/apply.${fam}`]} as Step] : []
  })
}

/** iptables' previous state is known exactly from the facts: the restore files are computed here. */
function restoreFiles(after: FirewallState | null, before: FirewallState | null, pin: Pinned): Step[] {
  const d = guardDir('iptables')
  return FAMILIES.flatMap((fam) => {
    const file = transition(after?.chains ?? null, before?.chains ?? null, fam, pin[fam])
    return file ? [{op: 'write', path: `${d}/restore.${fam}`, content: file, mode: '600'} as Step] : []
  })
}

type Pinned = Record<Family, ReadonlySet<string>>

/** netprov's chains that rules it did not write jump to: emptied, never deleted (iptables would refuse). */
function pinned(ctx: Context): Pinned {
  const jumps = (ctx.facts.extra['iptables-netprov'] as IptablesFacts | undefined)?.foreignJumps ?? []
  const of = (fam: Family) => new Set(jumps.filter((j) => j.family === fam).map((j) => j.target))
  return {ipv4: of('ipv4'), ipv6: of('ipv6')}
}

const TOOL: Record<Family, string> = {ipv4: 'iptables', ipv6: 'ip6tables'}
const FAMILY: Record<Family, string> = {ipv4: 'IPv4', ipv6: 'IPv6'}

/**
 * What iptables holds under netprov's names that is not netprov's. A chain: an error with the iptables
 * backend (netprov would have to take it over), else a warning. Rules that jump to netprov's own
 * chains: a warning (they stay; such a chain is emptied, not deleted, when netprov removes its rules).
 */
function iptablesFindings(backend: Backend, ipt: IptablesFacts | undefined): Finding[] {
  const jumps = ipt?.foreignJumps ?? []
  const listed = (fam: Family, chain: string) =>
    jumps
      .filter((j) => j.family === fam && j.target === chain)
      .map((j) => `"-A ${j.chain} ${j.spec}"`)
      .join(', ')
  const out: Finding[] = []
  for (const fc of ipt?.foreignChains ?? []) {
    const [fam, chain] = fc.split(' ') as [Family, string]
    const from = listed(fam, chain)
    const what = `${TOOL[fam]} chain ${chain} (${FAMILY[fam]}) has netprov's name but is not netprov's: no rule in it or jumping to it carries the comment "netprov"${from ? `; rules jump to it: ${from}` : ''}`
    out.push(
      backend === 'iptables'
        ? {severity: 'error', kind: 'firewall', id: 'iptables', message: `${what}. netprov leaves it alone and makes none of its iptables rules`, fix: `rename or remove that chain (${from ? 'delete the rules that jump to it, then ' : ''}${TOOL[fam]} -F ${chain}; ${TOOL[fam]} -X ${chain}), or use spec.firewall.backend: nftables`}
        : {severity: 'warning', kind: 'firewall', id: `${fam} ${chain}`, message: `${what}; netprov leaves it alone`, fix: `nothing to do for netprov; if it is an emptied chain netprov left behind: ${from ? 'delete the rules that jump to it, then ' : ''}${TOOL[fam]} -X ${chain}`},
    )
  }
  const foreign = new Set(ipt?.foreignChains ?? [])
  for (const fam of FAMILIES) {
    for (const chain of NETPROV_CHAINS) {
      const from = listed(fam, chain)
      if (!from || foreign.has(`${fam} ${chain}`)) continue
      const removed = backend === 'iptables' ? '' : `; when netprov removes its rules, it empties ${chain} but does not delete it while they jump to it`
      out.push({severity: 'warning', kind: 'firewall', id: `${fam} ${chain}`, message: `rules netprov did not write (no comment "netprov") jump to its chain ${chain} (${FAMILY[fam]}): ${from}; netprov leaves them alone${removed}`})
    }
  }
  return out
}

function toolFindings(ctx: Context, ipt: IptablesFacts | undefined): Finding[] {
  const backend = ctx.cluster.firewall.backend as Backend
  const missing = TOOLS[backend].filter((t) => !ctx.facts.tools.includes(t))
  const out: Finding[] = missing.map((t) => ({severity: 'error', kind: 'firewall', id: backend, message: `${t} is not installed: netprov cannot manage the ${backend} firewall`, fix: `install it (Debian: apt-get install ${backend}) or set spec.firewall.backend`}))
  if (backend === 'iptables' && ipt?.errors.length) out.push({severity: 'error', kind: 'firewall', id: backend, message: `cannot read the iptables rules: ${ipt.errors.join('; ')}`})
  return out
}

/**
 * A drop policy in another table's input/forward chain still drops what netprov accepts (an nftables
 * accept is not final). The filter INPUT/FORWARD chains netprov jumps from (iptables) are not affected.
 */
export function dropWarnings(cluster: Cluster, chains: readonly BaseChain[]): Finding[] {
  const ours = (c: BaseChain) =>
    (c.family === 'inet' && c.table === 'netprov') || (cluster.firewall.backend === 'iptables' && c.table === 'filter' && ['INPUT', 'FORWARD'].includes(c.name) && (c.family === 'ip' || c.family === 'ip6'))
  return chains
    .filter((c) => (c.hook === 'input' || c.hook === 'forward') && c.policy === 'drop' && !ours(c))
    .map((c) => ({
      severity: 'warning',
      kind: 'firewall',
      id: `${c.family} ${c.table} ${c.name}`,
      message: `table ${c.family} ${c.table} chain ${c.name} drops ${c.hook === 'input' ? 'incoming' : 'forwarded'} traffic by default: ${c.hook === 'input' ? 'Kubernetes ports netprov opens' : 'pod traffic'} may still be dropped there`,
      fix: c.family === 'ip' && c.table === 'filter' && cluster.firewall.backend === 'nftables' ? 'use firewall.backend: iptables (netprov then accepts from the top of that chain), or accept the traffic there yourself' : 'accept the traffic in that table yourself (netprov never edits it)',
    }))
}
