import type {Cluster} from '../config/types.js'
import {type IptablesFacts, iptablesFact} from '../facts/iptables.js'
import {type BaseChain, type Chains, nftChainsFact, nftTableFact} from '../facts/nft.js'
import type {Finding, Step} from '../plan/types.js'
import {armSteps, guardDir, undoSteps} from './firewall-guard.js'
import {FAMILIES, iptablesChains, transition} from './firewall-iptables.js'
import {NFT_DELETE, NFT_TABLE, nftChains, nftScript} from './firewall-nft.js'
import type {Context, Resource} from './resource.js'

// Firewall ports by role, as an allow-list on INPUT, with pod traffic accepted in FORWARD. Owned:
// the nftables table `inet netprov`, or the iptables chains NETPROV-* and the jumps to them; both are
// read whatever the backend, so switching backends removes the other one. `backend: none` reads and
// touches nothing.

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
    const owned: FirewallState[] = []
    const nft = ctx.facts.extra['nft-netprov'] as Chains | null | undefined
    if (nft) owned.push({backend: 'nftables', chains: nft})
    const ipt = ctx.facts.extra['iptables-netprov'] as IptablesFacts | undefined
    if (ipt && Object.keys(ipt.chains).length) owned.push({backend: 'iptables', chains: ipt.chains})
    return {owned, findings: [...toolFindings(ctx, ipt), ...dropWarnings(ctx.cluster, (ctx.facts.extra['nft-chains'] ?? []) as BaseChain[])]}
  },
  key: (s) => s.backend,
  same: (w, h) => sorted(w.chains) === sorted(h.chains),
  steps(action, before, after, ctx) {
    const s = (after ?? before)!
    const save: Step[] = s.backend === 'nftables' ? [{op: 'exec', argv: ['sh', '-c', SAVE_NFT, 'sh', guardDir('nftables')]}] : restoreFiles(after, before)
    return [...armSteps(s.backend, ctx.node, save, s.backend === 'nftables' ? RESTORE_NFT : RESTORE_IPT), ...change(s.backend, before, after)]
  },
  undo: (_action, before, after) => undoSteps((after ?? before)!.backend),
  // One "chain: rule" line each, so the plan view diffs an update line by line.
  show: (s) => [s.backend === 'nftables' ? `table ${NFT_TABLE}` : 'iptables chains NETPROV-*', ...Object.keys(s.chains).sort().flatMap((k) => s.chains[k]!.map((l) => `${k}: ${l}`)), ''].join('\n'),
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
function change(backend: Backend, before: FirewallState | null, after: FirewallState | null): Step[] {
  const d = guardDir(backend)
  if (backend === 'nftables') {
    return [
      {op: 'write', path: `${d}/apply.nft`, content: after ? nftScript(after.chains) : NFT_DELETE, mode: '600'},
      {op: 'exec', argv: ['nft', '-f', `${d}/apply.nft`]},
    ]
  }
  return FAMILIES.flatMap((fam) => {
    const file = transition(before?.chains ?? null, after?.chains ?? null, fam)
    const tool = fam === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore'
    return file ? [{op: 'write', path: `${d}/apply.${fam}`, content: file, mode: '600'} as Step, {op: 'exec', argv: [tool, '--noflush', `${d}/apply.${fam}`]} as Step] : []
  })
}

/** iptables' previous state is known exactly from the facts: the restore files are computed here. */
function restoreFiles(after: FirewallState | null, before: FirewallState | null): Step[] {
  const d = guardDir('iptables')
  return FAMILIES.flatMap((fam) => {
    const file = transition(after?.chains ?? null, before?.chains ?? null, fam)
    return file ? [{op: 'write', path: `${d}/restore.${fam}`, content: file, mode: '600'} as Step] : []
  })
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
