import {readFileSync, writeFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Plan} from '../../src/plan/types.js'
import {type TestLab, startLab} from '../helpers/lab.js'
import {netprov, netprovJson} from './cli.js'

// `netprov plan` against real nodes: network namespaces with their own sshd, over real SSH.
let lab: TestLab
beforeAll(async () => {
  lab = await startLab({nodes: 3})
})
afterAll(async () => {
  await lab?.stop()
})

const changes = (p: Plan, node: string) => p.nodes.find((n) => n.name === node)!.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)

describe('plan on a real lab', () => {
  it('fresh nodes: everything is to be created, exit 2 with --detailed-exitcode, one SSH round trip per node', async () => {
    const {exitCode, json} = await netprovJson<Plan>(['plan', '-f', lab.clusterFile, '--detailed-exitcode'])
    expect(exitCode).toBe(2)
    expect(json.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3'])
    expect(json.summary).toEqual({create: 42, update: 3, delete: 0}) // 33 + kubelet-flags, containerd and firewall on each of 3 nodes
    for (const n of json.nodes) expect(n.stats!.roundTrips).toBe(1)
    expect(changes(json, 'node2')).toContain(`create route ${lab.node('node1').podCIDR}`)
    expect(changes(json, 'node2')).toContain('create bridge-address 10.244.2.1/24')
    const human = await netprov(['plan', '-f', lab.clusterFile, '--debug'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toContain('Plan: 42 to create, 3 to update, 0 to delete.')
    expect(human.stdout).toMatch(/node1: 1 ssh round trip/)
  })

  it('an unreachable node and an unknown host key are named with their cause; the others are still planned; exit 1', async () => {
    const text = readFileSync(lab.clusterFile, 'utf8')
    const badKnownHosts = `${lab.dir}/empty_known_hosts`
    writeFileSync(badKnownHosts, '')
    const extra = `  - name: ghost\n    address: ${lab.subnet.replace(/\.0\/24$/, '.250')}\n    role: worker\n    ssh: {connectTimeoutSeconds: 2}\n`
    // node3 with a known_hosts file that does not know it
    const node3 = lab.node('node3')
    const withStranger = text.replace(`    podCIDR: ${node3.podCIDR}\n`, `    podCIDR: ${node3.podCIDR}\n    ssh: {knownHostsFile: ${badKnownHosts}}\n`)
    expect(withStranger).not.toBe(text)
    const file = `${lab.dir}/with-ghost.yaml`
    writeFileSync(file, withStranger.trimEnd() + '\n' + extra)
    const {exitCode, json} = await netprovJson<Plan>(['plan', '-f', file, '--detailed-exitcode'])
    expect(exitCode).toBe(1)
    const ghost = json.nodes.find((n) => n.name === 'ghost')!
    expect(ghost.error?.message).toMatch(/^node ghost: cannot connect: (connection timed out|no route to host)/)
    const stranger = json.nodes.find((n) => n.name === 'node3')!
    expect(stranger.error?.message).toMatch(/host key not known/)
    expect(stranger.error?.suggestions.join(' ')).toMatch(/accept-new/)
    expect(json.nodes.filter((n) => !n.error).map((n) => n.name)).toEqual(['node1', 'node2'])
    const human = await netprov(['plan', '-f', file])
    expect(human.exitCode).toBe(1)
    expect(human.stdout).toMatch(/Could not plan these nodes:[\s\S]*ghost/)
  })

  it('after apply, a change made by hand with ip shows up as exactly that change', async () => {
    expect((await netprov(['apply', '-f', lab.clusterFile, '--yes'])).exitCode).toBe(0)
    const n3 = lab.node('node3').podCIDR
    expect((await lab.exec('node1', ['ip', 'route', 'del', n3])).exitCode).toBe(0)
    expect((await lab.exec('node2', ['ip', 'link', 'set', 'v-net-0', 'mtu', '1400'])).exitCode).toBe(0)
    const {exitCode, json} = await netprovJson<Plan>(['plan', '-f', lab.clusterFile, '--detailed-exitcode'])
    expect(exitCode).toBe(2)
    expect(changes(json, 'node1')).toEqual([`create route ${n3}`])
    expect(changes(json, 'node2')).toEqual(['update bridge v-net-0'])
    expect(json.nodes.find((n) => n.name === 'node2')!.changes[0]!.reason).toBe('mtu 1400 -> 1500')
    expect(changes(json, 'node3')).toEqual([])
    expect(json.summary).toEqual({create: 1, update: 1, delete: 0})
  })

  it('a foreign route and a foreign conflist are findings, never changes', async () => {
    await lab.exec('node3', ['ip', 'route', 'add', '10.244.200.0/24', 'via', lab.node('node1').address])
    await lab.exec('node3', ['sh', '-c', 'echo "{}" > /etc/cni/net.d/00-other.conflist'])
    const {json} = await netprovJson<Plan>(['plan', '-f', lab.clusterFile, '--node', 'node3'])
    const n = json.nodes[0]!
    expect(json.nodes.map((x) => x.name)).toEqual(['node3'])
    expect(n.changes).toEqual([])
    expect(n.findings.map((f) => `${f.kind} ${f.id}`).sort()).toEqual(['cni-config /etc/cni/net.d/00-other.conflist', 'route 10.244.200.0/24'])
    const human = await netprov(['plan', '-f', lab.clusterFile, '--node', 'node3'])
    expect(human.stdout).toMatch(/not managed by netprov[\s\S]*00-other.conflist sorts before 10-netprov.conflist/)
    // and apply leaves them alone
    await netprov(['apply', '-f', lab.clusterFile, '--yes'])
    expect((await lab.exec('node3', ['ip', 'route', 'show', '10.244.200.0/24'])).stdout).toContain('10.244.200.0/24')
    expect((await lab.exec('node3', ['cat', '/etc/cni/net.d/00-other.conflist'])).stdout.trim()).toBe('{}')
  })

  it('a node whose commands hang is given up on in time, also through a shared ssh master; the others are planned', async () => {
    expect((await netprov(['plan', '-f', lab.clusterFile, '--node', 'node2'])).exitCode).toBeLessThan(2) // opens the master
    await lab.exec('node2', ['sh', '-c', 'printf "#!/bin/sh\\nexec sleep 3170\\n" > /run/netprov/hang && chmod +x /run/netprov/hang && mount --bind /run/netprov/hang /usr/sbin/ip'])
    try {
      const t0 = Date.now()
      const r = await netprov(['plan', '-f', lab.clusterFile, '--json'], {env: {NETPROV_COMMAND_TIMEOUT: '3'}, timeoutMs: 60_000})
      expect(Date.now() - t0).toBeLessThan(20_000)
      expect(r.exitCode).toBe(1)
      const plan = JSON.parse(r.stdout) as Plan
      expect(plan.nodes.find((n) => n.name === 'node2')!.error).toMatchObject({code: 'NODE_TIMEOUT', message: 'node node2: reading facts did not finish within 3 s'})
      expect(plan.nodes.filter((n) => !n.error).map((n) => n.name)).toEqual(['node1', 'node3'])
    } finally {
      await lab.exec('node2', ['sh', '-c', 'umount /usr/sbin/ip; pkill -xf "sleep 3170"; rm -f /run/netprov/hang'])
    }
  })

  it('an unknown --node is a usage error that changes nothing', async () => {
    const r = await netprov(['plan', '-f', lab.clusterFile, '--node', 'nope'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/no node named nope.*\n.*nodes in the file: node1, node2, node3/)
  })
})
