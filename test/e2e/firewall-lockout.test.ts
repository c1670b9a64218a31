import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Plan} from '../../src/plan/types.js'
import {guardDir} from '../../src/resources/firewall-guard.js'
import {type TestLab, startLab} from '../helpers/lab.js'
import {clusterVariant} from '../helpers/probe.js'
import {netprov, netprovJson} from './cli.js'

// A firewall change that really locks SSH out, and the node undoing it by itself. netprov reaches
// node1 on port 2222, which the node redirects to sshd's port 22 (a port forward in front of sshd).
// netprov opens 2222 (its ssh.port) but the input hook sees port 22 after the redirect, so the new
// rules refuse every NEW SSH connection; apply's own connection is established and carries on.
// The confirmation over a new connection cannot get through, and the node's timer restores the
// previous rules within the window. Once per backend, each with its own lab.
const WINDOW = 15

for (const backend of ['nftables', 'iptables'] as const) {
  describe(`firewall lock-out safety on a real lab, backend ${backend}`, () => {
    let lab: TestLab
    let file: string
    const ssh = (lab: TestLab) => ({port: 2222, connectTimeoutSeconds: 3, strictHostKeyChecking: 'accept-new', knownHostsFile: `${lab.dir}/known_hosts_2222`})
    // Are netprov's rules on the node? (Before the first apply there are none.)
    const rulesOnNode = async () =>
      backend === 'nftables'
        ? (await lab.exec('node1', ['nft', 'list', 'table', 'inet', 'netprov'])).exitCode === 0
        : (await lab.exec('node1', ['iptables-save', '-t', 'filter'])).stdout.includes(':NETPROV-INPUT')

    beforeAll(async () => {
      lab = await startLab({nodes: 1})
      const r = await lab.exec('node1', ['sh', '-c', 'nft add table ip portfwd && nft add chain ip portfwd pre "{ type nat hook prerouting priority dstnat; }" && nft add rule ip portfwd pre tcp dport 2222 redirect to :22'])
      expect(r.exitCode, r.stderr).toBe(0)
      file = clusterVariant(lab, 'port-2222', {'nodes.0.ssh': ssh(lab), 'spec.firewall': {backend}})
      process.env.NETPROV_FIREWALL_CONFIRM_SECONDS = String(WINDOW)
    })
    afterAll(async () => {
      delete process.env.NETPROV_FIREWALL_CONFIRM_SECONDS
      await lab?.stop()
    })

    it('apply fails when no new SSH connection gets through after the change', async () => {
      expect((await netprovJson<Plan>(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(2) // reachable on 2222
      const t0 = Date.now()
      const r = await netprov(['apply', '-f', file, '--yes'])
      expect(r.exitCode).toBe(1)
      expect(r.stdout + r.stderr).toMatch(/confirming the firewall change failed: no new SSH connection got through/)
      expect(await rulesOnNode()).toBe(true) // the new rules are in place for now...
      expect((await lab.ssh('node1', 'true', {timeoutMs: 4000})).exitCode).not.toBe(0) // ...and they do lock SSH out
      expect(Date.now() - t0).toBeLessThan(WINDOW * 1000)
    })

    it('the node restores its previous rules by itself within the window; SSH works again', async () => {
      const deadline = Date.now() + (WINDOW + 15) * 1000
      while ((await rulesOnNode()) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 1000))
      expect(await rulesOnNode()).toBe(false) // before the apply there were none
      expect((await lab.exec('node1', ['cat', `${guardDir(backend)}/restored`])).stdout).toMatch(/^restored /)
      expect((await lab.ssh('node1', 'true')).exitCode).toBe(0)
      const {json} = await netprovJson<Plan>(['plan', '-f', file])
      expect(json.nodes[0]!.changes.map((c) => `${c.action} ${c.kind}`)).toEqual(['create firewall'])
      expect((await lab.exec('node1', ['nft', 'list', 'table', 'ip', 'portfwd'])).stdout).toContain('redirect to :22') // foreign, untouched
    })

    it('with the port sshd really sees opened too, the same change is confirmed and stays', async () => {
      const fixed = clusterVariant(lab, 'port-2222-fixed', {'nodes.0.ssh': ssh(lab), 'spec.firewall': {backend, extraPorts: [{port: 22, protocol: 'tcp', roles: ['control-plane', 'worker']}]}})
      const r = await netprov(['apply', '-f', fixed, '--yes'])
      expect(r.exitCode, r.stdout + r.stderr).toBe(0)
      await new Promise((res) => setTimeout(res, (WINDOW + 2) * 1000))
      expect(await rulesOnNode()).toBe(true) // confirmed: the timer did not take it back
      expect((await lab.exec('node1', ['ls', guardDir(backend)])).stdout).not.toMatch(/armed|restored/)
      expect((await netprovJson<Plan>(['plan', '-f', fixed, '--detailed-exitcode'])).exitCode).toBe(0)
    })
  })
}
