import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Plan} from '../../src/plan/types.js'
import {type TestLab, startLab} from '../helpers/lab.js'
import {clusterVariant} from '../helpers/probe.js'
import {netprov, netprovJson} from './cli.js'

// The review's iptables node, for real: a user's NETPROV-MINE (and its jump from INPUT) and a
// NETPROV-INPUT netprov did not make (with a jump from INPUT that has no netprov comment). netprov used
// to plan all of it for deletion with a spec iptables refused ("Bad rule"), on every retry. Now: the
// chain it did not make blocks node1 with an error and nothing is written there; once it is gone netprov
// makes its own chains next to NETPROV-MINE; a foreign jump to netprov's chain survives a backend switch.

const REPRO = 'iptables -N NETPROV-MINE; iptables -A INPUT -i eth9 -j NETPROV-MINE; iptables -N NETPROV-INPUT; iptables -A INPUT -p tcp --dport 9999 -j NETPROV-INPUT'

let lab: TestLab
let ipt: string
let nft: string
const on = async (node: string, script: string) => {
  const r = await lab.exec(node, ['sh', '-c', script])
  if (r.exitCode !== 0) throw new Error(`${node}: ${script}: ${r.stderr}`)
  return r.stdout
}
const save = (node: string) => on(node, 'iptables-save -t filter | grep -v "^#"')

beforeAll(async () => {
  lab = await startLab({nodes: 2})
  ipt = clusterVariant(lab, 'ipt', {'spec.firewall': {backend: 'iptables'}})
  nft = clusterVariant(lab, 'nft', {'spec.firewall': {backend: 'nftables'}})
  await on('node1', REPRO)
})
afterAll(async () => {
  await lab?.stop()
})

describe("iptables: only what netprov wrote (the review's node)", () => {
  let before = ''

  it('plan: node1 is blocked by the chain netprov did not make (error, exit 1), node2 gets its chains', async () => {
    before = await save('node1')
    const {exitCode, json} = await netprovJson<Plan>(['plan', '-f', ipt])
    expect(exitCode).toBe(1)
    const n1 = json.nodes.find((n) => n.name === 'node1')!
    expect(n1.changes.filter((c) => c.kind === 'firewall')).toEqual([])
    expect(n1.findings.filter((f) => f.kind === 'firewall')).toMatchObject([
      {severity: 'error', id: 'iptables', message: expect.stringMatching(/^iptables chain NETPROV-INPUT \(IPv4\) has netprov's name but is not netprov's: .*"-A INPUT -p tcp -m tcp --dport 9999 -j NETPROV-INPUT"/)},
    ])
    expect(JSON.stringify(n1)).not.toContain('NETPROV-MINE')
    expect(json.nodes.find((n) => n.name === 'node2')!.changes.filter((c) => c.kind === 'firewall').map((c) => `${c.action} ${c.id}`)).toEqual(['create iptables'])
  })

  it('apply: node1 fails as blocked, the same way every time, with not one rule changed; node2 converges', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await netprov(['apply', '-f', ipt, '--yes'])
      expect(r.exitCode).toBe(1)
      expect(r.stdout + r.stderr).toMatch(/NETPROV-INPUT \(IPv4\) has netprov's name but is not netprov's/)
      expect(r.stdout + r.stderr).not.toMatch(/Bad rule|iptables-restore/)
      expect(await save('node1')).toBe(before)
    }
    expect(await save('node2')).toContain('-A INPUT -m comment --comment netprov -j NETPROV-INPUT')
  })

  it('once the chain is gone, netprov makes its own next to NETPROV-MINE, which stays as it was', async () => {
    await on('node1', 'iptables -D INPUT -p tcp --dport 9999 -j NETPROV-INPUT; iptables -X NETPROV-INPUT')
    const r = await netprov(['apply', '-f', ipt, '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const s = await save('node1')
    expect(s).toContain(':NETPROV-MINE - [0:0]\n')
    expect(s).toMatch(/^-A INPUT -m comment --comment netprov -j NETPROV-INPUT\n-A INPUT -i eth9 -j NETPROV-MINE\n/m)
    expect((await lab.ssh('node1', 'true')).exitCode).toBe(0)
    expect((await netprovJson<Plan>(['plan', '-f', ipt, '--detailed-exitcode'])).exitCode).toBe(0)
  })

  it('a jump netprov did not write to its chain: a warning, kept; switching to nftables empties that chain but keeps it', async () => {
    await on('node1', 'iptables -A INPUT -p tcp --dport 9999 -j NETPROV-INPUT')
    const {json} = await netprovJson<Plan>(['plan', '-f', ipt, '--node', 'node1', '--detailed-exitcode'])
    expect(json.nodes[0]!.changes).toEqual([])
    expect(json.nodes[0]!.findings.filter((f) => f.kind === 'firewall').map((f) => `${f.severity} ${f.id}`)).toEqual(['warning ipv4 NETPROV-INPUT'])
    const r = await netprov(['apply', '-f', nft, '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const s = await save('node1')
    expect(s).toContain(':NETPROV-INPUT - [0:0]\n')
    expect(s).not.toMatch(/--comment netprov|NETPROV-FORWARD/)
    expect(s).toContain('-A INPUT -i eth9 -j NETPROV-MINE\n')
    expect(s).toContain('-A INPUT -p tcp -m tcp --dport 9999 -j NETPROV-INPUT\n')
    expect(await save('node2')).not.toContain('NETPROV')
    expect((await lab.ssh('node1', 'true')).exitCode).toBe(0)
    expect((await netprovJson<Plan>(['plan', '-f', nft, '--detailed-exitcode'])).exitCode).toBe(0)
  })
})
