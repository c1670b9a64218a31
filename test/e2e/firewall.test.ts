import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Plan} from '../../src/plan/types.js'
import {type TestLab, startLab} from '../helpers/lab.js'
import {ping, startPod, stopPod} from '../helpers/pods.js'
import {clusterVariant, probeTcp, probeUdp} from '../helpers/probe.js'
import {netprov, netprovJson} from './cli.js'

// The firewall on real nodes, once per backend, each with its own lab: after apply a peer node sees
// exactly the role's ports open (refused = open, timeout = dropped), SSH still works, a second plan
// is empty, and what was there before (a foreign nftables table, mangle chains, an INPUT rule, a
// FORWARD policy DROP as Docker leaves it) is untouched and still working.

const FOREIGN_NFT = `table inet foreign {
  chain in {
    type filter hook input priority -10; policy accept;
    tcp dport 6443 counter
  }
}
`
const CP_OPEN = [6443, 2379, 2380, 10250, 10257, 10259]
const WORKER_OPEN = [10250, 10256, 30000, 31000, 32767]

for (const backend of ['nftables', 'iptables'] as const) {
  describe(`firewall, backend ${backend}, on a real lab`, () => {
    let lab: TestLab
    let file: string
    const on = async (node: string, script: string) => {
      const r = await lab.exec(node, ['sh', '-c', script])
      if (r.exitCode !== 0) throw new Error(`${node}: ${script}: ${r.stderr}`)
      return r.stdout
    }
    const addr = (node: string) => lab.node(node).address

    beforeAll(async () => {
      lab = await startLab({nodes: 2})
      file = clusterVariant(lab, backend, {'spec.firewall': {backend, extraPorts: [{port: 8472, protocol: 'udp', roles: ['worker']}]}})
      // Foreign things made by hand before netprov comes.
      await on('node1', `nft -f - <<'EOF'\n${FOREIGN_NFT}EOF`)
      await on('node1', 'iptables -t mangle -N FOREIGN-IN && iptables -t mangle -A FOREIGN-IN -p tcp --dport 10250 -j RETURN && iptables -t mangle -A PREROUTING -j FOREIGN-IN')
      await on('node1', 'iptables -A INPUT -p tcp --dport 9 -j REJECT')
      await on('node2', 'iptables -P FORWARD DROP') // as Docker leaves it
    })
    afterAll(async () => {
      await lab?.stop()
    })

    it('plan: one firewall change per node; what the backend cannot overrule is a warning', async () => {
      const {exitCode, json} = await netprovJson<Plan>(['plan', '-f', file, '--detailed-exitcode'])
      expect(exitCode).toBe(2)
      for (const n of json.nodes) expect(n.changes.filter((c) => c.kind === 'firewall').map((c) => `${c.action} ${c.id}`)).toEqual([`create ${backend}`])
      const warned = json.nodes.find((n) => n.name === 'node2')!.findings.filter((f) => f.kind === 'firewall').map((f) => f.id)
      // nftables cannot overrule iptables' FORWARD DROP; the iptables backend accepts pod traffic at its top.
      expect(warned).toEqual(backend === 'nftables' ? ['ip filter FORWARD'] : [])
    })

    it('apply converges; SSH still works over new connections', async () => {
      const r = await netprov(['apply', '-f', file, '--yes'])
      expect(r.exitCode, r.stdout + r.stderr).toBe(0)
      for (const n of ['node1', 'node2']) expect((await lab.ssh(n, 'true')).exitCode).toBe(0)
    })

    it('a peer sees exactly the role ports open (control-plane node1, worker node2)', async () => {
      for (const p of CP_OPEN) expect([p, await probeTcp(lab, 'node2', addr('node1'), p)]).toEqual([p, 'open'])
      for (const p of [10256, 8080, 30000]) expect([p, await probeTcp(lab, 'node2', addr('node1'), p)]).toEqual([p, 'filtered'])
      expect(await probeUdp(lab, 'node2', addr('node1'), 8472)).toBe('filtered') // extraPorts: workers only
      for (const p of WORKER_OPEN) expect([p, await probeTcp(lab, 'node1', addr('node2'), p)]).toEqual([p, 'open'])
      for (const p of [6443, 2379, 10259]) expect([p, await probeTcp(lab, 'node1', addr('node2'), p)]).toEqual([p, 'filtered'])
      expect(await probeUdp(lab, 'node1', addr('node2'), 30000)).toBe('open')
      expect(await probeUdp(lab, 'node1', addr('node2'), 8472)).toBe('open')
      expect(await probeUdp(lab, 'node1', addr('node2'), 29999)).toBe('filtered')
      expect((await lab.exec('node2', ['ping', '-c1', '-W2', addr('node1')])).exitCode).toBe(0) // ICMP
    })

    it('pods reach each other across nodes (a FORWARD policy DROP on node2 notwithstanding, with iptables)', async () => {
      const a = await startPod(lab, 'node1', 'fwa')
      const b = await startPod(lab, 'node2', 'fwb')
      try {
        expect(await ping(lab, a, b.ip)).toBe(backend === 'iptables')
        expect(await ping(lab, a, addr('node1'))).toBe(true) // a pod reaches its node (pod CIDR allowed in)
      } finally {
        await stopPod(lab, a)
        await stopPod(lab, b)
      }
    })

    it('foreign table, chains and rules: untouched and still working', async () => {
      await probeTcp(lab, 'node2', addr('node1'), 6443) // counted by the foreign nft table
      await probeTcp(lab, 'node2', addr('node1'), 10250) // counted by the foreign mangle chain
      expect(await on('node1', 'nft list table inet foreign')).toMatch(/tcp dport 6443 counter packets [1-9]\d* bytes/)
      expect(await on('node1', 'iptables-save -c -t mangle')).toMatch(/^\[[1-9]\d*:\d+\] -A FOREIGN-IN -p tcp -m tcp --dport 10250 -j RETURN$/m)
      expect(await on('node1', 'iptables-save -t filter')).toContain('-A INPUT -p tcp -m tcp --dport 9 -j REJECT --reject-with icmp-port-unreachable')
      expect(await on('node2', 'iptables-save -t filter')).toContain(':FORWARD DROP')
      const other = backend === 'nftables' ? 'iptables-save -t filter | grep -c NETPROV || true' : 'nft list tables'
      expect(await on('node1', other)).not.toMatch(backend === 'nftables' ? /^[1-9]/ : /netprov/)
    })

    it('a second apply changes nothing: plan --detailed-exitcode exits 0', async () => {
      const {exitCode, json} = await netprovJson<Plan>(['plan', '-f', file, '--detailed-exitcode'])
      expect(exitCode, JSON.stringify(json.nodes.map((n) => n.changes.map((c) => [c.kind, c.id, c.before, c.after])))).toBe(0)
    })

    it('drift is repaired: a rule added by hand to netprov\'s rules goes, the others stay', async () => {
      await on('node1', backend === 'nftables' ? 'nft add rule inet netprov input tcp dport 8080 accept' : 'iptables -I NETPROV-INPUT 1 -p tcp --dport 8080 -j ACCEPT')
      expect(await probeTcp(lab, 'node2', addr('node1'), 8080)).toBe('open')
      const {json} = await netprovJson<Plan>(['plan', '-f', file, '--node', 'node1'])
      expect(json.nodes[0]!.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual([`update firewall ${backend}`])
      expect((await netprov(['apply', '-f', file, '--yes'])).exitCode).toBe(0)
      expect(await probeTcp(lab, 'node2', addr('node1'), 8080)).toBe('filtered')
      expect(await probeTcp(lab, 'node2', addr('node1'), 6443)).toBe('open')
      expect(await on('node1', 'nft list table inet foreign')).toContain('tcp dport 6443 counter')
    })
  })
}
