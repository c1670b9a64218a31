import {type ResultPromise, execa} from 'execa'
import {existsSync, mkdirSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {applyNode} from '../../src/apply/apply-node.js'
import {bootstrapArgv, buildProgram} from '../../src/apply/script.js'
import type {Cluster} from '../../src/config/types.js'
import {readNodeFacts} from '../../src/facts/node.js'
import {planNode} from '../../src/plan/planner.js'
import {firewall} from '../../src/resources/firewall.js'
import {guardDir} from '../../src/resources/firewall-guard.js'
import {LocalTransport} from '../../src/transport/local.js'
import {cluster} from '../helpers/cluster.js'
import {localFacts} from '../helpers/facts.js'

// The firewall kind against the real kernel, without SSH: a scratch network + mount namespace (tmpfs
// on netprov's state dirs; node1's address on lo, as plan checks it is on the node), facts
// read for real, the real apply program, the real safety timer.
// Needs root; the e2e tests add SSH and peers on top.
const root = process.getuid?.() === 0 && existsSync('/usr/bin/unshare')
let ns: ResultPromise | undefined
let pid = 0
const inNs = () => new LocalTransport('scratch', ['nsenter', '-t', String(pid), '-n', '-m', '--'])
const sh = async (script: string) => (await inNs().exec(['sh', '-c', script])).stdout

beforeAll(async () => {
  if (!root) return
  for (const d of ['/var/lib/netprov', '/run/netprov']) mkdirSync(d, {recursive: true})
  ns = execa('unshare', ['-n', '-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs np /var/lib/netprov && mount -t tmpfs np /run/netprov && ip link set lo up && ip addr add ${cluster(2).nodes[0]!.address}/32 dev lo && echo ready && exec sleep 3600`], {reject: false})
  await new Promise<void>((resolve) => ns!.stdout!.once('data', () => resolve()))
  pid = ns.pid!
})
afterAll(() => {
  ns?.kill('SIGKILL')
})

const withBackend = (backend: 'nftables' | 'iptables', ports: number[] = []): Cluster =>
  cluster(2, {firewall: {backend, extraPorts: ports.map((p) => ({from: p, to: p, protocol: 'tcp' as const, roles: ['control-plane' as const]}))}})

async function plan(c: Cluster) {
  const facts = await readNodeFacts(inNs(), c, c.nodes[0]!, [firewall])
  return planNode(c, c.nodes[0]!, facts, localFacts(c), [firewall])
}

async function apply(c: Cluster) {
  const p = await plan(c)
  return applyNode({cluster: c, node: c.nodes[0]!, plan: p, local: localFacts(c), resources: [firewall], transport: inNs(), lockWaitSeconds: 5, report: () => {}})
}

/** The apply program alone, as apply runs it, but nobody confirms: the safety timer (2 s) decides. */
async function applyUnconfirmed(c: Cluster) {
  process.env.NETPROV_FIREWALL_CONFIRM_SECONDS = '2' // read when the steps are made
  try {
    const p = await plan(c)
    const prog = buildProgram(p.changes.map((ch, index) => ({index, steps: ch.steps})), {holder: 'test', expectedGeneration: p.generation ?? null, newGeneration: `g${Date.now()}`, lockWaitSeconds: 5})
    const r = await inNs().exec(bootstrapArgv(), {stdin: prog.archive})
    return {stdout: r.stdout, changes: p.changes.map((x) => `${x.action} ${x.id}`)}
  } finally {
    delete process.env.NETPROV_FIREWALL_CONFIRM_SECONDS
  }
}

describe.skipIf(!root)('firewall on a real kernel (scratch namespace)', () => {
  it('nftables: create, converged, drift repaired; a foreign table is left alone', async () => {
    await sh('nft add table inet foreign && nft add chain inet foreign in "{ type filter hook input priority 10; policy accept; }" && nft add rule inet foreign in tcp dport 7 counter')
    const c = withBackend('nftables')
    expect((await plan(c)).changes.map((x) => `${x.action} ${x.id}`)).toEqual(['create nftables'])
    expect(await apply(c)).toMatchObject({status: 'converged', applied: 1})
    expect((await plan(c)).changes).toEqual([])
    // confirmed: the timer is killed (at most a zombie waiting for init), nothing is armed
    expect(await sh(`d=${guardDir('nftables')}; ls $d; p=$(cat $d/timer.pid); ps -o stat= -g $p | grep -v "^Z" && echo timer-alive; true`)).toBe('apply.nft\nprevious.nft\nrestore.sh\n') // confirmed: timer stopped and its pid file gone
    await sh('nft add rule inet netprov input tcp dport 9999 accept')
    expect((await plan(c)).changes.map((x) => `${x.action} ${x.id}`)).toEqual(['update nftables'])
    expect(await apply(c)).toMatchObject({status: 'converged'})
    expect(await sh('nft list table inet netprov')).not.toContain('9999')
    expect(await sh('nft list table inet foreign')).toContain('tcp dport 7 counter')
  })

  it('unconfirmed: the node puts the previous rules back by itself', async () => {
    const before = await sh('nft list table inet netprov')
    const r = await applyUnconfirmed(withBackend('nftables', [8472]))
    expect(r.stdout).toContain('@@NP ok')
    expect(await sh('nft list table inet netprov')).toContain('tcp dport 8472 accept') // applied...
    await new Promise((res) => setTimeout(res, 3500))
    expect(await sh('nft list table inet netprov')).toBe(before) // ...and taken back: nobody confirmed
    expect(await sh(`cat ${guardDir('nftables')}/restored`)).toMatch(/^restored /)
    expect(await sh(`ls ${guardDir('nftables')}`)).not.toContain('armed')
  })

  it('switching to iptables: the nftables table goes, the chains come; a foreign INPUT rule keeps its place', async () => {
    await sh('iptables -A INPUT -p tcp --dport 80 -j ACCEPT && iptables -P FORWARD DROP')
    const c = withBackend('iptables')
    expect((await plan(c)).changes.map((x) => `${x.action} ${x.id}`)).toEqual(['delete nftables', 'create iptables'])
    expect(await apply(c)).toMatchObject({status: 'converged', applied: 2})
    expect(await sh('nft list table inet netprov 2>&1; true')).toContain('No such file')
    const saved = await sh('iptables-save -t filter')
    expect(saved).toMatch(/-A INPUT -m comment --comment netprov -j NETPROV-INPUT\n-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n/)
    expect(saved).toContain(':FORWARD DROP')
    expect(await sh('ip6tables-save -t filter')).toContain('-A INPUT -m comment --comment netprov -j NETPROV-INPUT')
    expect((await plan(c)).changes).toEqual([])
  })

  it('iptables: an unconfirmed update is taken back exactly (jumps and chains)', async () => {
    const c = withBackend('iptables')
    await sh('iptables -A INPUT -m comment --comment netprov -j NETPROV-INPUT') // drift: a second jump
    const before = await sh('iptables-save -t filter | grep -v "^#"')
    const r = await applyUnconfirmed(withBackend('iptables', [8472]))
    expect(r.changes).toEqual(['update iptables'])
    expect(r.stdout).toContain('@@NP ok')
    expect(await sh('iptables-save -t filter')).toContain('--dport 8472')
    await new Promise((r) => setTimeout(r, 3500))
    expect(await sh('iptables-save -t filter | grep -v "^#"')).toBe(before)
    expect(await apply(c)).toMatchObject({status: 'converged'}) // and the second jump is gone again
    expect((await sh('iptables-save -t filter')).match(/-j NETPROV-INPUT/g)).toHaveLength(1)
  })
})

// The review's findings on a real kernel: chains named NETPROV-* that netprov did not make, and rules
// netprov did not write that jump to its chains. Every iptables-restore file netprov writes must work
// (iptables-restore refuses a whole file for one bad line), and nothing foreign may move.
describe.skipIf(!root)('iptables ownership on a real kernel (scratch namespace)', () => {
  const saveV4 = () => sh('iptables-save -t filter | grep -v "^#"')
  const reset = () => sh('nft flush ruleset')

  it("the review's node: a user's NETPROV-MINE and NETPROV-INPUT with their jumps: blocked, nothing written", async () => {
    await reset()
    await sh('iptables -N NETPROV-MINE; iptables -A INPUT -i eth9 -j NETPROV-MINE; iptables -N NETPROV-INPUT; iptables -A INPUT -p tcp --dport 9999 -j NETPROV-INPUT')
    const before = await saveV4()
    const c = withBackend('iptables')
    const p = await plan(c)
    expect(p.changes).toEqual([])
    expect(p.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['error iptables'])
    expect(await apply(c)).toMatchObject({status: 'failed', error: {code: 'BLOCKED'}})
    expect(await saveV4()).toBe(before)
    // with nftables, the chain is only a warning and stays as it is
    const n = withBackend('nftables')
    expect(await apply(n)).toMatchObject({status: 'converged', applied: 1})
    expect(await saveV4()).toBe(before)
    expect((await plan(n)).findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ipv4 NETPROV-INPUT'])
  })

  it("netprov's chains among foreign ones: its own jumps go by their exact form, foreign jumps stay; an unconfirmed change is taken back exactly", async () => {
    await reset()
    await sh('iptables -N NETPROV-MINE; iptables -A INPUT -i eth9 -j NETPROV-MINE')
    const c = withBackend('iptables')
    expect(await apply(c)).toMatchObject({status: 'converged', applied: 1})
    await sh(
      'iptables -A INPUT -p tcp --dport 9999 -j NETPROV-INPUT; iptables -A NETPROV-MINE -s 192.0.2.0/24 -g NETPROV-INPUT; iptables -A FORWARD -i eth0 -m comment --comment netprov -j NETPROV-FORWARD; ip6tables -N NETPROV-OLD; ip6tables -A NETPROV-OLD -j ACCEPT',
    )
    const p = await plan(c)
    expect(p.changes.map((x) => `${x.action} ${x.id}`)).toEqual(['update iptables']) // the second FORWARD jump
    expect(p.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ipv4 NETPROV-INPUT'])
    expect(await apply(c)).toMatchObject({status: 'converged'})
    const saved = await saveV4()
    expect(saved).toContain('-A INPUT -i eth9 -j NETPROV-MINE\n')
    expect(saved).toContain('-A INPUT -p tcp -m tcp --dport 9999 -j NETPROV-INPUT\n')
    expect(saved).toContain('-A NETPROV-MINE -s 192.0.2.0/24 -g NETPROV-INPUT\n')
    expect(saved).not.toContain('-i eth0 -m comment --comment netprov')
    expect(await sh('ip6tables-save -t filter')).toContain('-A NETPROV-OLD -j ACCEPT')
    // unconfirmed: the restore file (jumps put back, chains refilled) runs for real and restores exactly
    const r = await applyUnconfirmed(withBackend('iptables', [8472]))
    expect(r.changes).toEqual(['update iptables'])
    expect(await saveV4()).toContain('--dport 8472')
    await new Promise((res) => setTimeout(res, 3500))
    expect(await sh(`cat ${guardDir('iptables')}/restored`)).toMatch(/^restored /)
    expect(await saveV4()).toBe(saved)
  })

  it('switching to nftables: the chain foreign rules jump to is emptied, not deleted; the rest goes; foreign rules stay', async () => {
    const before = await saveV4()
    const n = withBackend('nftables')
    expect((await plan(n)).changes.map((x) => `${x.action} ${x.id}`)).toEqual(['delete iptables', 'create nftables'])
    expect(await apply(n)).toMatchObject({status: 'converged', applied: 2})
    const after = await saveV4()
    expect(after).toContain(':NETPROV-INPUT - [0:0]\n')
    expect(after).not.toContain('NETPROV-FORWARD')
    expect(after).not.toContain('--comment netprov')
    for (const foreign of before.split('\n').filter((l) => l.startsWith('-A') && !l.includes('--comment netprov'))) expect(after).toContain(`${foreign}\n`)
    expect(await sh('ip6tables-save -t filter')).not.toMatch(/NETPROV-(INPUT|FORWARD)/)
    expect(await sh('ip6tables-save -t filter')).toContain('-A NETPROV-OLD -j ACCEPT')
    const again = await plan(n)
    expect(again.changes).toEqual([])
    expect(again.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ipv4 NETPROV-INPUT'])
    await reset()
  })
})
