import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parseCluster} from '../../src/config/index.js'
import type {Cluster} from '../../src/config/types.js'
import {parseIptables, ruleText} from '../../src/facts/iptables.js'
import {parseNftChains, parseNftTable} from '../../src/facts/nft.js'
import type {NodeFacts} from '../../src/facts/types.js'
import {planNode} from '../../src/plan/planner.js'
import {firewall} from '../../src/resources/firewall.js'
import {confirmArgv, guardDir} from '../../src/resources/firewall-guard.js'
import {iptablesChains, ruleSpec, transition} from '../../src/resources/firewall-iptables.js'
import {NFT_DELETE, nftChains, nftScript} from '../../src/resources/firewall-nft.js'
import {ROLE_PORTS, inputRules, openPorts} from '../../src/resources/firewall-rules.js'
import {cluster, node} from '../helpers/cluster.js'
import {freshFacts, localFacts} from '../helpers/facts.js'

// Fixtures: captured in a scratch network namespace (nftables 1.0.6, iptables 1.8.9 nf_tables) after
// applying what netprov renders for fixtures/cluster.yaml node1, plus a foreign table, FORWARD policy
// DROP and a foreign INPUT rule; the *-drift files add a rule by hand and a second jump.
const fixture = (f: string) => readFileSync(new URL(`fixtures/${f}`, import.meta.url), 'utf8')
const fx = parseCluster(fixture('cluster.yaml'), '/tmp/fx.yaml')
const fx1 = fx.nodes[0]!

const withBackend = (backend: Cluster['firewall']['backend'], over: Partial<Cluster> = {}) => cluster(2, {firewall: {backend, extraPorts: []}, ...over})

describe('ports by role', () => {
  it('the spec table, exactly', () => {
    const text = (r: keyof typeof ROLE_PORTS) => ROLE_PORTS[r].map((p) => `${p.protocol} ${p.from}-${p.to}`)
    expect(text('control-plane')).toEqual(['tcp 6443-6443', 'tcp 2379-2380', 'tcp 10250-10250', 'tcp 10257-10257', 'tcp 10259-10259'])
    expect(text('worker')).toEqual(['tcp 10250-10250', 'tcp 10256-10256', 'tcp 30000-32767', 'udp 30000-32767'])
  })

  it("the node's SSH port comes first; extraPorts only for their roles; no repeats", () => {
    const c = cluster(2, {firewall: {backend: 'nftables', extraPorts: [{from: 8472, to: 8472, protocol: 'udp', roles: ['worker']}, {from: 10250, to: 10250, protocol: 'tcp', roles: ['worker', 'control-plane']}]}})
    const worker = {...c.nodes[1]!, ssh: {...c.nodes[1]!.ssh, port: 2222}}
    expect(openPorts(c, worker).map((p) => `${p.protocol}/${p.from}-${p.to}`)).toEqual(['tcp/2222-2222', 'tcp/10250-10250', 'tcp/10256-10256', 'tcp/30000-32767', 'udp/8472-8472', 'udp/30000-32767'])
    expect(openPorts(c, c.nodes[0]!).map((p) => p.from)).toEqual([22, 2379, 6443, 10250, 10257, 10259])
  })

  it('input allow-list: replies, loopback, ICMP, pod CIDRs, then ports', () => {
    const c = cluster(1)
    expect(inputRules(c, c.nodes[0]!)).toEqual([
      'ct state established,related accept',
      'iifname "lo" accept',
      'meta l4proto icmp accept',
      'meta l4proto ipv6-icmp accept',
      'ip saddr 10.244.0.0/16 accept',
      'tcp dport 22 accept',
      'tcp dport 2379-2380 accept',
      'tcp dport 6443 accept',
      'tcp dport 10250 accept',
      'tcp dport 10257 accept',
      'tcp dport 10259 accept',
    ])
  })
})

describe('nftables backend', () => {
  it('renders one transaction: declare, delete, define', () => {
    const c = cluster(1)
    expect(nftScript(nftChains(c, c.nodes[0]!))).toBe(`table inet netprov {}
delete table inet netprov
table inet netprov {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "lo" accept
    meta l4proto icmp accept
    meta l4proto ipv6-icmp accept
    ip saddr 10.244.0.0/16 accept
    tcp dport 22 accept
    tcp dport 2379-2380 accept
    tcp dport 6443 accept
    tcp dport 10250 accept
    tcp dport 10257 accept
    tcp dport 10259 accept
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip saddr 10.244.0.0/16 accept
    ip daddr 10.244.0.0/16 accept
  }
}
`)
  })

  it('reads back what it wrote (captured nft -j output) as the same normalised chains', () => {
    expect(parseNftTable(fixture('nft.out'))).toEqual(nftChains(fx, fx1))
  })

  it('a rule added by hand (with a counter) is a difference', () => {
    const drift = parseNftTable(fixture('nft-drift.out'))
    expect(drift.input!.at(-1)).toBe('tcp dport 9999 counter accept')
    expect(drift.forward).toEqual(nftChains(fx, fx1).forward)
  })

  it('unknown expressions stay visible as ?json; errors are not swallowed', () => {
    const json = JSON.stringify({nftables: [{chain: {name: 'input'}}, {rule: {chain: 'input', expr: [{log: {prefix: 'x'}}, {accept: null}]}}]})
    expect(parseNftTable(json)).toEqual({input: ['?{"log":{"prefix":"x"}} accept']})
    expect(() => parseNftTable('Error: Operation not permitted', 1)).toThrow(/Operation not permitted/)
  })

  it('base chains of every table, with their policies', () => {
    const chains = parseNftChains(fixture('chains.out'))
    expect(chains).toContainEqual({family: 'inet', table: 'foreign', name: 'in', hook: 'input', policy: 'drop'})
    expect(chains).toContainEqual({family: 'ip', table: 'filter', name: 'FORWARD', hook: 'forward', policy: 'drop'})
    expect(chains.some((c) => c.name === 'NETPROV-INPUT')).toBe(false) // regular chains have no hook
  })
})

describe('iptables backend', () => {
  it('reads back what it wrote (captured iptables-save) for both families', () => {
    const got = parseIptables(fixture('ipt.out'))
    expect(got.errors).toEqual([])
    expect(got.chains).toEqual(iptablesChains(fx, fx1))
  })

  it('drift: a rule without the netprov form and a second jump', () => {
    const got = parseIptables(fixture('ipt-drift.out')).chains
    expect(got['ipv4 INPUT']).toEqual(['@1 jump NETPROV-INPUT', '@3 jump NETPROV-INPUT'])
    expect(got['ipv4 NETPROV-INPUT']![1]).toBe('tcp dport 9999 accept')
  })

  it('rules it would never write are kept verbatim', () => {
    expect(ruleText('-p tcp -m multiport --dports 1,2 -j ACCEPT', 'ipv4')).toBe('? -p tcp -m multiport --dports 1,2 -j ACCEPT')
    expect(ruleText('! -s 10.0.0.0/8 -j DROP', 'ipv4')).toBe('? ! -s 10.0.0.0/8 -j DROP')
    expect(ruleText('-s 10.1.2.3 -m comment --comment "two words" -j RETURN', 'ipv4')).toBe('ip saddr 10.1.2.3/32 return')
  })

  it('normalised lines and iptables specs convert both ways', () => {
    for (const lines of Object.values(iptablesChains(fx, fx1))) {
      for (const l of lines) {
        const line = l.replace(/^@\d+ /, '')
        const fam = lines.some((x) => x.includes('ip6 ') || x.includes('ipv6-icmp')) ? 'ipv6' : 'ipv4'
        expect(ruleText(ruleSpec(line), fam)).toBe(line)
      }
    }
    expect(ruleSpec('? -p tcp -m multiport --dports 1,2 -j ACCEPT')).toBe('-p tcp -m multiport --dports 1,2 -j ACCEPT')
  })

  it('create: declares its chains, fills them, jumps from the top of INPUT and FORWARD', () => {
    const c = cluster(1)
    const v4 = transition(null, iptablesChains(c, c.nodes[0]!), 'ipv4')!
    expect(v4.split('\n').slice(0, 3)).toEqual(['*filter', ':NETPROV-INPUT - [0:0]', ':NETPROV-FORWARD - [0:0]'])
    expect(v4).toContain('-A NETPROV-INPUT -m comment --comment netprov -j DROP\n')
    expect(v4).toContain('-I INPUT 1 -m comment --comment netprov -j NETPROV-INPUT\n')
    expect(v4).toContain('-I FORWARD 1 -m comment --comment netprov -j NETPROV-FORWARD\n')
    expect(v4).not.toMatch(/^-[DFX] /m)
    expect(v4.endsWith('COMMIT\n')).toBe(true)
  })

  it('update deletes every existing jump (by spec) before inserting one; delete removes chains after their jumps', () => {
    const was = parseIptables(fixture('ipt-drift.out')).chains
    const will = iptablesChains(fx, fx1)
    const up = transition(was, will, 'ipv4')!
    expect(up.match(/^-D INPUT .*-j NETPROV-INPUT$/gm)).toHaveLength(2)
    expect(up.indexOf('-D INPUT')).toBeLessThan(up.indexOf('-I INPUT 1'))
    const del = transition(will, null, 'ipv4')!.split('\n')
    expect(del).toEqual(['*filter', '-D INPUT -m comment --comment netprov -j NETPROV-INPUT', '-D FORWARD -m comment --comment netprov -j NETPROV-FORWARD', '-F NETPROV-INPUT', '-F NETPROV-FORWARD', '-X NETPROV-INPUT', '-X NETPROV-FORWARD', 'COMMIT', ''])
    expect(transition(null, null, 'ipv6')).toBeNull()
  })

  it('restoring puts jumps back at their old positions, lowest first', () => {
    const was = {'ipv4 INPUT': ['@3 jump NETPROV-INPUT', '@1 jump NETPROV-INPUT'], 'ipv4 NETPROV-INPUT': ['drop']}
    const back = transition({'ipv4 INPUT': ['@1 jump NETPROV-INPUT'], 'ipv4 NETPROV-INPUT': []}, was, 'ipv4')!
    expect(back.match(/^-I INPUT \d+/gm)).toEqual(['-I INPUT 1', '-I INPUT 3'])
  })
})

describe('firewall resource in the planner', () => {
  const plan = (c: Cluster, f: NodeFacts) => planNode(c, c.nodes[0]!, f, localFacts(c), [firewall])
  const nftFacts = (c: Cluster, chains = nftChains(c, c.nodes[0]!)) => ({...freshFacts(c, c.nodes[0]!), extra: {'nft-netprov': chains, 'nft-chains': [], 'iptables-netprov': {chains: {}, errors: []}}})

  it('fresh node: create, with the timer armed before the rules change', () => {
    const c = withBackend('nftables')
    const p = plan(c, {...freshFacts(c, c.nodes[0]!), extra: {'nft-netprov': null, 'nft-chains': [], 'iptables-netprov': {chains: {}, errors: []}}})
    expect(p.changes.map((x) => `${x.action} ${x.kind} ${x.id}`)).toEqual(['create firewall nftables'])
    const steps = p.changes[0]!.steps
    const d = guardDir('nftables')
    expect(steps.map((s) => (s.op === 'exec' ? `exec ${s.argv[0] === 'sh' ? s.argv.slice(3).join(' ') : s.argv.join(' ')}` : `${s.op} ${s.path}`))).toEqual([
      `exec sh ${d}`, // prepare
      `exec sh ${d}`, // save the current table
      `write ${d}/restore.sh`,
      `exec sh ${d} 30`, // arm: 30 s (3 x connectTimeoutSeconds 5, at least 30)
      `write ${d}/apply.nft`,
      `exec nft -f ${d}/apply.nft`,
    ])
    expect(p.changes[0]!.undo).toHaveLength(1)
    expect(p.changes[0]!.reason).toMatch(/^INPUT allow-list, open: tcp 22, tcp 2379-2380, tcp 6443/)
  })

  it('converged node: nothing', () => {
    const c = withBackend('nftables')
    expect(plan(c, nftFacts(c)).changes).toEqual([])
  })

  it('drift (a rule added by hand, a port of extraPorts missing): one update of the whole table', () => {
    const c = withBackend('nftables')
    const chains = nftChains(c, c.nodes[0]!)
    chains.input!.push('tcp dport 9999 accept')
    const c2 = withBackend('nftables', {firewall: {backend: 'nftables', extraPorts: [{from: 8472, to: 8472, protocol: 'udp', roles: ['control-plane']}]}})
    const p = plan(c2, nftFacts(c2, chains))
    expect(p.changes.map((x) => `${x.action} ${x.id}`)).toEqual(['update nftables'])
    expect(p.changes[0]!.reason).toBe('the node restores the previous rules by itself unless netprov confirms over a new SSH connection')
    // shown as one line per rule: the plan view diffs exactly what changes
    const lines = (v: unknown) => new Set((v as string).split('\n'))
    const [was, will] = [lines(p.changes[0]!.before), lines(p.changes[0]!.after)]
    expect([...will].filter((l) => !was.has(l))).toEqual(['input: udp dport 8472 accept'])
    expect([...was].filter((l) => !will.has(l))).toEqual(['input: tcp dport 9999 accept'])
  })

  it('switching backends removes the other one (both armed)', () => {
    const c = withBackend('iptables')
    const p = plan(c, {...nftFacts(withBackend('nftables')), tools: ['nft', 'iptables-save', 'iptables-restore']})
    expect(p.changes.map((x) => `${x.action} ${x.id}`)).toEqual(['delete nftables', 'create iptables'])
    const del = p.changes[0]!.steps.at(-2)
    expect(del).toMatchObject({op: 'write', content: NFT_DELETE})
    const create = p.changes[1]!.steps.filter((s) => s.op === 'exec').map((s) => (s as {argv: string[]}).argv[0])
    expect(create).toEqual(['sh', 'sh', 'iptables-restore', 'ip6tables-restore'])
  })

  it('backend none: reads nothing, touches nothing, even with a netprov table on the node', () => {
    const c = withBackend('none')
    expect(firewall.facts!(c, c.nodes[0]!)).toEqual([])
    expect(plan(c, nftFacts(withBackend('nftables')))).toMatchObject({changes: [], findings: []})
  })

  it('missing tool: an error that blocks the create', () => {
    const c = withBackend('nftables')
    const p = plan(c, {...freshFacts(c, c.nodes[0]!), tools: ['ip'], extra: {'nft-netprov': null, 'nft-chains': [], 'iptables-netprov': {chains: {}, errors: []}}})
    expect(p.changes).toEqual([])
    expect(p.findings).toMatchObject([{severity: 'error', kind: 'firewall', id: 'nftables', message: expect.stringMatching(/nft is not installed/)}])
  })

  it("warns about another table's drop policy it cannot overrule (not about the chains it jumps from)", () => {
    const chains = parseNftChains(fixture('chains.out'))
    const nft = plan(withBackend('nftables'), {...nftFacts(withBackend('nftables')), extra: {'nft-netprov': nftChains(withBackend('nftables'), node(1)), 'nft-chains': chains, 'iptables-netprov': {chains: {}, errors: []}}})
    expect(nft.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ip filter FORWARD', 'warning inet foreign in'])
    const ipt = plan(withBackend('iptables'), {...freshFacts(withBackend('iptables'), node(1)), tools: ['iptables-save', 'iptables-restore'], extra: {'nft-netprov': null, 'nft-chains': chains, 'iptables-netprov': {chains: {}, errors: []}}})
    expect(ipt.findings.map((f) => f.id)).toEqual(['inet foreign in'])
  })

  it('the confirmation names each backend state dir', () => {
    expect(confirmArgv(['nftables', 'iptables']).slice(4)).toEqual([guardDir('nftables'), guardDir('iptables')])
  })
})
