import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parseCluster} from '../../src/config/index.js'
import type {Cluster} from '../../src/config/types.js'
import {type Family, parseIptables, ruleText} from '../../src/facts/iptables.js'
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
import {printed, restore, saveOf, tableOf} from './iptables-model.js'

// Fixtures: captured in a scratch network namespace (nftables 1.0.6, iptables 1.8.9 nf_tables) after
// applying what netprov renders for fixtures/cluster.yaml node1, plus a foreign table, FORWARD policy
// DROP and a foreign INPUT rule; the *-drift files add a rule by hand and a second jump. ipt-foreign.out
// is the review's node (no netprov): `iptables -N NETPROV-MINE; iptables -A INPUT -i eth9 -j NETPROV-MINE;
// iptables -N NETPROV-INPUT; iptables -A INPUT -p tcp --dport 9999 -j NETPROV-INPUT`. ipt-foreign-jumps.out
// is netprov's rules plus NETPROV-MINE and its jump, a jump to NETPROV-INPUT without netprov's comment,
// a goto to it from NETPROV-MINE, a second FORWARD jump with the comment but another match, and an
// ip6tables chain NETPROV-OLD (the read script's output, as the fact gets it).
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
    expect(got['ipv4 NETPROV-INPUT']![1]).toBe('? -p tcp -m tcp --dport 9999 -j ACCEPT') // no comment: not netprov's form
  })

  it('rules it would never write are kept verbatim', () => {
    expect(ruleText('-p tcp -m multiport --dports 1,2 -j ACCEPT', 'ipv4')).toBe('? -p tcp -m multiport --dports 1,2 -j ACCEPT')
    expect(ruleText('! -s 10.0.0.0/8 -j DROP', 'ipv4')).toBe('? ! -s 10.0.0.0/8 -j DROP')
    expect(ruleText('-s 10.1.2.3 -m comment --comment "two words" -j RETURN', 'ipv4')).toBe('? -s 10.1.2.3 -m comment --comment "two words" -j RETURN')
    expect(ruleText('-s 10.1.2.3 -j RETURN', 'ipv4')).toBe('? -s 10.1.2.3 -j RETURN') // netprov comments every rule
    expect(ruleText('-s 10.1.2.3 -m comment --comment netprov -m comment --comment x -j RETURN', 'ipv4')).toMatch(/^\? /)
    expect(ruleText('-s 10.1.2.3 -m comment --comment netprov -j RETURN', 'ipv4')).toBe('ip saddr 10.1.2.3/32 return')
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
    // a chain that rules netprov did not write jump to is emptied, not deleted (iptables would refuse)
    expect(transition(will, null, 'ipv4', new Set(['NETPROV-INPUT']))!.split('\n')).not.toContain('-X NETPROV-INPUT')
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
      `exec sh ${d}`, // still armed? (else the timer restored before the rules landed: restore again, fail)
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
    const del = p.changes[0]!.steps.at(-3)
    expect(del).toMatchObject({op: 'write', content: NFT_DELETE})
    const create = p.changes[1]!.steps.filter((s) => s.op === 'exec').map((s) => (s as {argv: string[]}).argv[0])
    expect(create).toEqual(['sh', 'sh', 'iptables-restore', 'ip6tables-restore', 'sh'])
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

// What is netprov's in iptables: exactly its two chains (recognised by its comment) and its commented
// jumps to them. Each scenario runs the plan's iptables files through the restore model: the apply file
// works on the node's state, touches nothing else, converges, and the restore file puts back exactly
// what was there.
describe('iptables: only what netprov wrote', () => {
  const FAMS: Family[] = ['ipv4', 'ipv6']
  const d = guardDir('iptables')
  const facts = (c: Cluster, saved: string, nft: ReturnType<typeof nftChains> | null = null): NodeFacts => ({
    ...freshFacts(c, c.nodes[0]!),
    tools: ['ip', 'nft', 'iptables-save', 'iptables-restore'],
    extra: {'nft-netprov': nft, 'nft-chains': [], 'iptables-netprov': parseIptables(saved)},
  })
  const planOn = (c: Cluster, saved: string, nft: ReturnType<typeof nftChains> | null = null) => planNode(c, c.nodes[0]!, facts(c, saved, nft), localFacts(c), [firewall])
  const file = (p: ReturnType<typeof planOn>, name: string) =>
    p.changes.flatMap((ch) => ch.steps).find((s) => s.op === 'write' && s.path === `${d}/${name}`) as {content: string} | undefined
  const fx2 = (backend: 'iptables' | 'nftables') => ({...fx, firewall: {...fx.firewall, backend}})
  const ipt = fx2('iptables')
  const nft = fx2('nftables')

  /** Runs the plan's files on the saved state: apply, then (as the timer would) restore. Returns the state after apply. */
  function run(saved: string, p: ReturnType<typeof planOn>): string {
    let after = ''
    for (const fam of FAMS) {
      const before = tableOf(saved, fam)
      const apply = file(p, `apply.${fam}`)
      const applied = apply ? restore(before, apply.content) : before
      const back = file(p, `restore.${fam}`)
      expect(printed(back ? restore(applied, back.content) : applied), `${fam}: restore puts back what was there`).toEqual(printed(before))
      after += saveOf(applied, fam)
    }
    return after
  }
  /** Rules that are not netprov's (netprov's before or after the apply), per chain, in order: what no file may change. */
  const foreign = (saved: string, before: string, after: string) =>
    FAMS.map((fam) => {
      const keys = [before, after].flatMap((t) => Object.keys(parseIptables(t).chains))
      const ours = new Set(keys.filter((k) => k.startsWith(`${fam} NETPROV-`)).map((k) => k.split(' ')[1]))
      return [...tableOf(saved, fam).chains].filter(([name]) => !ours.has(name)).map(([name, rules]) => [name, rules.filter((r) => !(r.includes('--comment netprov') && / -j NETPROV-(INPUT|FORWARD)$/.test(r)))])
    })

  it("the review's node: NETPROV-MINE is not netprov's, nor a NETPROV-INPUT it did not make (nor the jumps to them)", () => {
    const saved = fixture('ipt-foreign.out')
    expect(parseIptables(saved)).toEqual({
      chains: {},
      foreignChains: ['ipv4 NETPROV-INPUT'],
      foreignJumps: [{family: 'ipv4', chain: 'INPUT', target: 'NETPROV-INPUT', spec: '-p tcp -m tcp --dport 9999 -j NETPROV-INPUT'}],
      errors: [],
    })
  })

  it("iptables backend on the review's node: an error that blocks, and not one rule is written", () => {
    const p = planOn(ipt, fixture('ipt-foreign.out'))
    expect(p.changes).toEqual([])
    expect(p.findings).toEqual([
      {
        severity: 'error',
        kind: 'firewall',
        id: 'iptables',
        message: 'iptables chain NETPROV-INPUT (IPv4) has netprov\'s name but is not netprov\'s: no rule in it or jumping to it carries the comment "netprov"; rules jump to it: "-A INPUT -p tcp -m tcp --dport 9999 -j NETPROV-INPUT". netprov leaves it alone and makes none of its iptables rules',
        fix: 'rename or remove that chain (delete the rules that jump to it, then iptables -F NETPROV-INPUT; iptables -X NETPROV-INPUT), or use spec.firewall.backend: nftables',
      },
    ])
  })

  it('blocked iptables: a switch from nftables keeps the nftables table (the node keeps an allow-list)', () => {
    const p = planOn(ipt, fixture('ipt-foreign.out'), nftChains(ipt, fx1))
    expect(p.changes).toEqual([])
    expect(p.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['error iptables'])
  })

  it("nftables backend on the review's node: the nftables table only; the chain is a warning", () => {
    const p = planOn(nft, fixture('ipt-foreign.out'))
    expect(p.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['create nftables'])
    expect(p.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ipv4 NETPROV-INPUT'])
    expect(p.findings[0]!.message).toMatch(/has netprov's name but is not netprov's.*; netprov leaves it alone$/)
  })

  it("netprov's chains among others: jumps by their comment, in their exact form; foreign jumps and chains apart", () => {
    const f = parseIptables(fixture('ipt-foreign-jumps.out'))
    expect(f.chains['ipv4 INPUT']).toEqual(['@1 jump NETPROV-INPUT'])
    expect(f.chains['ipv4 FORWARD']).toEqual(['@1 jump NETPROV-FORWARD', '@2 ? -i eth0 -m comment --comment netprov -j NETPROV-FORWARD'])
    expect(Object.keys(f.chains).filter((k) => /MINE|OLD/.test(k))).toEqual([])
    expect(f.chains['ipv4 NETPROV-INPUT']).toEqual(iptablesChains(fx, fx1)['ipv4 NETPROV-INPUT'])
    expect(f.foreignChains).toEqual([])
    expect(f.foreignJumps).toEqual([
      {family: 'ipv4', chain: 'INPUT', target: 'NETPROV-INPUT', spec: '-p tcp -m tcp --dport 9999 -j NETPROV-INPUT'},
      {family: 'ipv4', chain: 'NETPROV-MINE', target: 'NETPROV-INPUT', spec: '-s 192.0.2.0/24 -g NETPROV-INPUT'},
    ])
  })

  it('a chain with netprov\'s name is netprov\'s by a commented rule in it or a commented jump to it', () => {
    const save = (rules: string) => `@@ iptables-save\n:INPUT ACCEPT [0:0]\n:NETPROV-INPUT - [0:0]\n${rules}@@ ip6tables-save\n`
    expect(parseIptables(save('')).foreignChains).toEqual(['ipv4 NETPROV-INPUT']) // empty, nothing leads to it
    expect(parseIptables(save('-A NETPROV-INPUT -j ACCEPT\n')).foreignChains).toEqual(['ipv4 NETPROV-INPUT'])
    expect(parseIptables(save('-A INPUT -m comment --comment netprov -j NETPROV-INPUT\n')).chains).toEqual({'ipv4 NETPROV-INPUT': [], 'ipv4 INPUT': ['@1 jump NETPROV-INPUT']})
    expect(parseIptables(save('-A NETPROV-INPUT -p tcp -m tcp --dport 1 -j ACCEPT\n-A NETPROV-INPUT -m comment --comment netprov -j DROP\n')).chains).toEqual({'ipv4 NETPROV-INPUT': ['? -p tcp -m tcp --dport 1 -j ACCEPT', 'drop']})
    // netprov's own chains always hold a commented rule, even where nothing else is wanted
    for (const [k, rules] of Object.entries(iptablesChains(cluster(1), node(1)))) if (k.includes('NETPROV-')) expect(rules.length, k).toBeGreaterThan(0)
  })

  const scenarios: [string, string, Cluster, string[], ReturnType<typeof nftChains> | null][] = [
    ['converged', 'ipt.out', ipt, [], null],
    ['drift: a hand-made rule, a second jump', 'ipt-drift.out', ipt, ['update iptables'], null],
    ['new extraPorts', 'ipt.out', {...ipt, firewall: {...ipt.firewall, extraPorts: [...ipt.firewall.extraPorts, {from: 9000, to: 9001, protocol: 'tcp', roles: ['control-plane']}]}}, ['update iptables'], null],
    ['switch to nftables', 'ipt-drift.out', nft, ['delete iptables', 'create nftables'], null],
    ['foreign jumps and chains, iptables', 'ipt-foreign-jumps.out', ipt, ['update iptables'], null],
    ['foreign jumps and chains, switch to nftables', 'ipt-foreign-jumps.out', nft, ['delete iptables', 'create nftables'], null],
    ["the review's node, iptables", 'ipt-foreign.out', ipt, [], null],
    ["the review's node, nftables", 'ipt-foreign.out', nft, ['create nftables'], null],
    ['fresh node, iptables', 'ipt-foreign.out'.replace('ipt-foreign.out', 'EMPTY'), ipt, ['create iptables'], null],
  ]
  for (const [name, fx_, c, changes, nftState] of scenarios) {
    it(`${name}: apply file works, restore file puts everything back, nothing foreign moves, converged after`, () => {
      const saved = fx_ === 'EMPTY' ? '@@ iptables-save\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n@@ ip6tables-save\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' : fixture(fx_)
      const p = planOn(c, saved, nftState)
      expect(p.changes.map((x) => `${x.action} ${x.id}`)).toEqual(changes)
      const after = run(saved, p)
      expect(foreign(after, saved, after), 'rules netprov did not write are where they were').toEqual(foreign(saved, saved, after))
      const again = planOn(c, after, c.firewall.backend === 'nftables' && changes.includes('create nftables') ? nftChains(c, fx1) : nftState)
      expect(again.changes.map((x) => `${x.action} ${x.id}`)).toEqual([])
    })
  }

  it('switching away with foreign jumps: the chain they jump to is emptied, not deleted; the other goes; warnings say so', () => {
    const saved = fixture('ipt-foreign-jumps.out')
    const p = planOn(nft, saved)
    const v4 = file(p, 'apply.ipv4')!.content.split('\n')
    expect(v4).toEqual([
      '*filter',
      '-D INPUT -m comment --comment netprov -j NETPROV-INPUT',
      '-D FORWARD -m comment --comment netprov -j NETPROV-FORWARD',
      '-D FORWARD -i eth0 -m comment --comment netprov -j NETPROV-FORWARD',
      '-F NETPROV-INPUT',
      '-F NETPROV-FORWARD',
      '-X NETPROV-FORWARD',
      'COMMIT',
      '',
    ])
    expect(file(p, 'apply.ipv6')!.content).toContain('-X NETPROV-INPUT\n')
    expect(p.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ipv4 NETPROV-INPUT'])
    expect(p.findings[0]!.message).toBe(
      'rules netprov did not write (no comment "netprov") jump to its chain NETPROV-INPUT (IPv4): "-A INPUT -p tcp -m tcp --dport 9999 -j NETPROV-INPUT", "-A NETPROV-MINE -s 192.0.2.0/24 -g NETPROV-INPUT"; netprov leaves them alone; when netprov removes its rules, it empties NETPROV-INPUT but does not delete it while they jump to it',
    )
    // afterwards the emptied chain carries no mark: someone else's from now on (a warning, never touched)
    const after = run(saved, p)
    const again = planOn(nft, after, nftChains(nft, fx1))
    expect(again.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ipv4 NETPROV-INPUT'])
    expect(tableOf(after, 'ipv4').chains.get('NETPROV-INPUT')).toEqual([])
    expect(tableOf(after, 'ipv6').chains.has('NETPROV-OLD')).toBe(true) // not even read: its rules are not in the fact
  })

  it('no line of any generated file names a rule other than as it is on the node', () => {
    for (const [fx_, c] of [['ipt-foreign-jumps.out', ipt], ['ipt-foreign-jumps.out', nft], ['ipt-drift.out', ipt], ['ipt-drift.out', nft]] as const) {
      const saved = fixture(fx_)
      const p = planOn(c, saved)
      for (const fam of FAMS) {
        const rules = new Set([...tableOf(saved, fam).chains].flatMap(([name, rs]) => rs.map((r) => `-D ${name} ${r}`)))
        for (const l of (file(p, `apply.${fam}`)?.content ?? '').split('\n').filter((x) => x.startsWith('-D '))) expect(rules.has(l), `${fx_} ${fam}: ${l}`).toBe(true)
      }
    }
  })
})
