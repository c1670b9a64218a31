import {describe, expect, it} from 'vitest'
import {confirmFirewall} from '../../src/apply/firewall-confirm.js'
import {ConnectError} from '../../src/errors.js'
import type {Change} from '../../src/plan/types.js'
import {guardDir} from '../../src/resources/firewall-guard.js'
import {FakeTransport} from '../../src/transport/fake.js'
import {SshTransport} from '../../src/transport/ssh.js'
import {node} from '../helpers/cluster.js'

const change = (kind: string, id: string): Change => ({action: 'create', kind, id, before: null, after: null, steps: [], undo: []})

describe('firewall confirmation after apply', () => {
  it('nothing to confirm without a firewall change', async () => {
    const t = new FakeTransport('node1', () => ({exitCode: 0, stdout: '', stderr: ''}))
    expect(await confirmFirewall(t, node(1), [change('route', '10.244.2.0/24')])).toBeNull()
    expect(t.calls).toEqual([])
  })

  it('confirms every backend changed in this apply, in one call', async () => {
    const t = new FakeTransport('node1', () => ({exitCode: 0, stdout: '', stderr: ''}))
    expect(await confirmFirewall(t, node(1), [change('firewall', 'nftables'), change('firewall', 'iptables')])).toBeNull()
    expect(t.calls).toHaveLength(1)
    expect(t.calls[0]!.argv.slice(4)).toEqual([guardDir('nftables'), guardDir('iptables')])
  })

  it('too late (the timer restored) and unreachable are apply errors that say what the node does', async () => {
    const late = new FakeTransport('node1', () => ({exitCode: 3, stdout: '/var/lib/netprov/firewall/nftables: restored 2026-01-01T00:00:00Z\n', stderr: ''}))
    const e1 = await confirmFirewall(late, node(1), [change('firewall', 'nftables')])
    expect(e1?.message).toMatch(/confirming the firewall change failed: too late, the node already restored its previous rules/)
    const gone = new FakeTransport('node1', () => {
      throw new ConnectError('node1', 'connection timed out')
    })
    const e2 = await confirmFirewall(gone, node(1), [change('firewall', 'iptables')])
    expect(e2?.message).toMatch(/no new SSH connection got through after the change/)
    expect(e2?.suggestions[0]).toMatch(/^wait 30 s: the node puts its previous firewall rules back by itself/)
  })

  it('over SSH, the confirmation never rides on a shared master connection', () => {
    const ssh = node(1).ssh
    const shared = new SshTransport('node1', ssh, '/tmp/ctl').sshArgs()
    const fresh = new SshTransport('node1', ssh, '/tmp/ctl').fresh().sshArgs()
    expect(shared).toContain('ControlMaster=auto')
    expect(fresh).toEqual(expect.arrayContaining(['ControlMaster=no', 'ControlPath=none']))
    expect(fresh.some((a) => a.startsWith('ControlPersist'))).toBe(false)
  })
})
