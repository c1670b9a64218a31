// End to end, as root: a real 3-node lab, reached over real SSH with the generated key and pinned host keys.
import {execa} from 'execa'
import {existsSync, readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {labStatus} from '../../src/lab/index.js'
import {type TestLab, startLab} from '../helpers/lab.js'

let lab: TestLab

beforeAll(async () => {
  lab = await startLab({nodes: 3})
})

afterAll(async () => {
  await lab?.stop()
})

/** ssh exactly as a user would, with the options the brief asks for (not the helper's). */
const ssh = (address: string, command: string) =>
  execa(
    'ssh',
    [
      '-i', lab.lab.ssh.identityFile,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${lab.lab.ssh.knownHostsFile}`,
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=5',
      `root@${address}`,
      command,
    ],
    {reject: false},
  )

describe('netprov lab (3 nodes)', () => {
  it('gives every node its own hostname, reachable over SSH with the lab key and pinned host keys', async () => {
    expect(lab.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3'])
    for (const n of lab.nodes) {
      const r = await ssh(n.address, 'hostname')
      expect(r.stderr).toBe('')
      expect(r.exitCode).toBe(0)
      expect(r.stdout.trim()).toBe(n.name)
    }
  })

  it('pins the host keys: a host key other than the node\'s is refused', async () => {
    // node2's host key entry under node1's address: ssh must refuse node1 (its real key differs).
    const lines = readFileSync(lab.lab.ssh.knownHostsFile, 'utf8').trim().split('\n')
    const wrong = `${lab.nodes[0]!.address} ${lines[1]!.split(' ').slice(1).join(' ')}\n`
    const file = `${lab.dir}/wrong_known_hosts`
    await execa('sh', ['-c', 'cat > "$1"', 'sh', file], {input: wrong})
    const r = await execa('ssh', ['-i', lab.lab.ssh.identityFile, '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${file}`, '-o', 'BatchMode=yes', `root@${lab.nodes[0]!.address}`, 'true'], {reject: false})
    expect(r.exitCode).toBe(255)
    expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
  })

  it('writes a cluster file with the nodes, roles, pod CIDRs and SSH settings', () => {
    const text = readFileSync(lab.clusterFile, 'utf8')
    expect(text).toContain(`name: ${lab.name}`)
    expect(text).toContain(`identityFile: ${lab.dir}/ssh/id_ed25519`)
    expect(text).toContain(`knownHostsFile: ${lab.dir}/ssh/known_hosts`)
    for (const n of lab.nodes) expect(text).toContain(`address: ${n.address}`)
    expect(text).toMatch(/name: node1\n\s+address: \S+\n\s+role: control-plane\n\s+podCIDR: 10\.244\.1\.0\/24/)
    expect(text).toMatch(/name: node3\n\s+address: \S+\n\s+role: worker\n\s+podCIDR: 10\.244\.3\.0\/24/)
  })

  it('keeps the directories netprov writes private to each node', async () => {
    const marker = `written-on-node1-${process.pid}`
    const w = await ssh(lab.nodes[0]!.address, `mkdir -p /etc/cni/net.d && echo ${marker} > /etc/cni/net.d/probe && cat /etc/cni/net.d/probe`)
    expect(w.exitCode).toBe(0)
    expect(w.stdout.trim()).toBe(marker)
    const onNode2 = await ssh(lab.nodes[1]!.address, 'cat /etc/cni/net.d/probe')
    expect(onNode2.exitCode).not.toBe(0)
    expect(onNode2.stderr).toMatch(/No such file/)
    expect(existsSync('/etc/cni/net.d/probe')).toBe(false)
    // and the file really is where the lab says node1's /etc/cni lives
    expect(readFileSync(`${lab.dir}/nodes/node1/fs/etc/cni/net.d/probe`, 'utf8').trim()).toBe(marker)
    // every private dir is a mount point in an SSH session (ip netns exec remounts /sys; our mounts must survive)
    const mounts = await ssh(lab.nodes[2]!.address, 'findmnt -rn -o TARGET')
    for (const d of lab.lab.privateDirs) expect(mounts.stdout.split('\n'), d).toContain(d)
  })

  it('lets the test helper see what is really on a node (its namespaces, not the host)', async () => {
    await ssh(lab.nodes[0]!.address, 'echo via-ssh > /var/lib/netprov/probe')
    const r = await lab.exec('node1', ['cat', '/var/lib/netprov/probe'])
    expect(r).toMatchObject({exitCode: 0, stdout: 'via-ssh'})
    expect((await lab.exec('node2', ['cat', '/var/lib/netprov/probe'])).exitCode).not.toBe(0)
    expect((await lab.exec('node2', ['hostname'])).stdout).toBe('node2')
    const addr = await lab.exec('node2', ['ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'])
    expect(JSON.parse(addr.stdout)[0].addr_info[0].local).toBe(lab.nodes[1]!.address)
  })

  it('connects the nodes over the underlay: node1 pings node2', async () => {
    const r = await ssh(lab.nodes[0]!.address, `ping -c 2 -W 2 ${lab.nodes[1]!.address}`)
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/2 received/)
  })

  it('leaves what netprov configures at namespace defaults (no pod bridge, no extra routes, no forwarding)', async () => {
    const r = await lab.exec('node1', ['sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward; ip -o link show v-net-0 2>&1; ip -4 route'])
    const [fwd, link, ...routes] = r.stdout.split('\n')
    expect(fwd).toBe('0')
    expect(link).toMatch(/does not exist/)
    expect(routes).toEqual([expect.stringMatching(new RegExp(`^${lab.subnet.replace(/\./g, '\\.')} dev eth0 proto kernel scope link src ${lab.nodes[0]!.address.replace(/\./g, '\\.')}`))])
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('0') // the host's, untouched
  })

  it('supports ip netns add / exec / del inside a node over SSH (for verify\'s throwaway pods)', async () => {
    const r = await ssh(lab.nodes[1]!.address, 'ip netns add probe-pod && ip netns exec probe-pod ip -o link show lo && ip netns list && ip netns del probe-pod && ip netns list | wc -l')
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/^1: lo: /)
    expect(r.stdout).toContain('probe-pod')
    expect(r.stdout.trim().split('\n').at(-1)).toBe('0')
    // never visible on the host
    const host = await execa('ip', ['netns', 'list'])
    expect(host.stdout).not.toContain('probe-pod')
  })

  it('reports every node healthy in status', async () => {
    const s = await labStatus(lab.name)
    expect(s.healthy).toBe(true)
    expect(s.nodes.map((n) => [n.name, n.netnsExists, n.sshdRunning, n.sshAnswering])).toEqual(lab.nodes.map((n) => [n.name, true, true, true]))
    expect(s.nodes.map((n) => n.pid)).toEqual(lab.nodes.map((n) => n.pid))
  })
})
