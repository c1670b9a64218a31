import type {Cluster, NodeSpec} from '../config/types.js'
import type {Chains} from '../facts/nft.js'
import {forwardRules, inputRules} from './firewall-rules.js'

// The nftables backend: one table of netprov's own, `table inet netprov` (IPv4 and IPv6 together).
// A change replaces the whole table in one `nft -f` transaction: declare it (so that deleting never
// fails), delete it, define it again.

export const NFT_TABLE = 'inet netprov'

// Priority 0 ("filter"). Any table's drop is final in nftables, so the allow-list is this chain's
// policy; an accept here cannot overrule another table's drop (README: firewall).
const INPUT_HOOK = 'type filter hook input priority 0 policy drop'
const FORWARD_HOOK = 'type filter hook forward priority 0 policy accept'

/** What netprov wants, in the normalised form the nft fact reads back. */
export function nftChains(cluster: Cluster, node: NodeSpec): Chains {
  return {
    input: [INPUT_HOOK, ...inputRules(cluster, node)],
    forward: [FORWARD_HOOK, ...forwardRules(cluster)],
  }
}

/** Removes the table if it is there, in one transaction. */
export const NFT_DELETE = `table ${NFT_TABLE} {}\ndelete table ${NFT_TABLE}\n`

/** The `nft -f` file that makes the table exactly `chains` (which are in nft syntax already). */
export function nftScript(chains: Chains): string {
  const body = Object.entries(chains).map(([name, lines]) => {
    const hook = lines[0]?.startsWith('type ') ? lines[0] : null
    const rules = hook ? lines.slice(1) : lines
    const head = hook ? [`    ${hook.replace(/ policy (\w+)$/, '; policy $1;')}`] : []
    return [`  chain ${name} {`, ...head, ...rules.map((r) => `    ${r}`), '  }'].join('\n')
  })
  return `${NFT_DELETE}table ${NFT_TABLE} {\n${body.join('\n')}\n}\n`
}
