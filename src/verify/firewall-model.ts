// A small, backend-neutral model of the forward path of a node's firewall: enough to answer "does a
// chain on the forward hook drop pod traffic by default, with nothing accepting it?". Both the
// iptables-save and the `nft -j list ruleset` parsers produce it.

export type Cond =
  | {kind: 'saddr' | 'daddr'; cidrs: string[]; neg: boolean}
  | {kind: 'iif' | 'oif'; names: string[]; neg: boolean}
  | {kind: 'ct'} // conntrack state: allowed alongside pod conditions, never enough alone
  | {kind: 'other'; text: string} // any match we do not model: the rule is not counted as accepting pods

export type Verdict = {kind: 'accept' | 'drop' | 'reject' | 'return' | 'other'} | {kind: 'jump' | 'goto'; target: string}

export interface FwRule {
  conds: Cond[]
  verdict: Verdict | null // null: no verdict (counter, log ...), falls through
  text: string // for messages: "-s 10.244.0.0/16 -j ACCEPT", "ip saddr 10.244.0.0/16 accept"
}

export interface FwChain {
  name: string
  /** Set on base chains only: what happens to a packet no rule decided on. */
  policy?: 'accept' | 'drop'
  forward?: boolean // a base chain on the forward hook
  rules: FwRule[]
}

export interface FwTable {
  backend: 'iptables' | 'iptables-legacy' | 'nft'
  family: 4 | 6 | 'both'
  name: string // "filter", "inet firewalld" ...
  chains: Map<string, FwChain>
}
