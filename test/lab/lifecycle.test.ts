// Failure and concurrency: a half-made lab is cleaned up, labs started at once get their own names and
// subnets, a --dir lab is found by name, and labs of dead test processes are reaped.
import {execa} from 'execa'
import {chmodSync, existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {LabProblem, labDown, labStatus, labUp, listLabs} from '../../src/lab/index.js'
import {listLinks, listNetns} from '../../src/lab/host-net.js'
import {isLabLink, isLabNetns} from '../../src/lab/names.js'
import {reapDeadOwners, startLab, uniqueLabName, type TestLab} from '../helpers/lab.js'

const cleanup: string[] = []
afterAll(async () => {
  for (const name of cleanup) await labDown({name}).catch(() => {})
})

async function partsOf(name: string) {
  return [...(await listNetns()).filter((n) => isLabNetns(name, n)), ...(await listLinks()).filter((l) => isLabLink(name, l))]
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('lab lifecycle', () => {
  it('cleans up after an up that fails half-way (node2 cannot start its sshd)', async () => {
    // Not under /tmp: a node has its own /tmp, where the host's files are not.
    const bin = mkdtempSync('/run/np-lab-test-sshd-')
    const fake = join(bin, 'sshd')
    // A real sshd on every node but node2, whose "sshd" dies at once.
    writeFileSync(fake, '#!/bin/sh\nif [ "$(hostname)" = node2 ]; then echo "node2 refuses to start" >&2; exit 3; fi\nexec /usr/sbin/sshd "$@"\n')
    chmodSync(fake, 0o755)
    const name = uniqueLabName()
    cleanup.push(name)
    const seen: string[] = []
    let error: unknown
    try {
      await labUp({name, nodes: 3, subnet: 'auto', sshd: fake, onProgress: (m) => seen.push(m)})
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(LabProblem)
    expect((error as LabProblem).reason).toBe('node-failed')
    expect((error as LabProblem).message).toMatch(/node node2: its sshd exited \(code 3\)[\s\S]*node2 refuses to start/)
    expect(seen.some((m) => m.includes('removing what was made'))).toBe(true)
    expect(await partsOf(name)).toEqual([])
    expect(existsSync(`/run/netprov-lab/${name}`)).toBe(false)
    expect((await listLabs()).map((l) => l.name)).not.toContain(name)
    const sshds = await execa('pgrep', ['-f', `/run/netprov-lab/${name}/`], {reject: false})
    expect(sshds.stdout).toBe('')
    rmSync(bin, {recursive: true, force: true})
  })

  it('gives labs started at the same time their own names and subnets', async () => {
    const labs: TestLab[] = []
    try {
      const results = await Promise.allSettled([startLab({nodes: 2}), startLab({nodes: 2}), startLab({nodes: 1})])
      for (const r of results) if (r.status === 'fulfilled') labs.push(r.value)
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
      expect(new Set(labs.map((l) => l.name)).size).toBe(3)
      expect(new Set(labs.map((l) => l.subnet)).size).toBe(3)
      for (const l of labs) {
        expect((await labStatus(l.name)).healthy).toBe(true)
        const r = await l.ssh('node1', 'hostname')
        expect(r).toMatchObject({exitCode: 0, stdout: 'node1'})
      }
      // labs are separate switches: node1 of one lab does not reach node1 of another
      const ping = await labs[0]!.exec('node1', ['ping', '-c', '1', '-W', '1', labs[1]!.nodes[0]!.address])
      expect(ping.exitCode).not.toBe(0)
    } finally {
      await Promise.all(labs.map((l) => l.stop()))
    }
    for (const l of labs) expect(await partsOf(l.name)).toEqual([])
  })

  it('keeps a lab in --dir (even under /tmp, which nodes have their own of), finds it by name, takes it down by dir', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'np-lab-dir-')), 'lab')
    const name = uniqueLabName()
    cleanup.push(name)
    const lab = await labUp({name, nodes: 1, subnet: 'auto', dir})
    expect(lab.dir).toBe(dir)
    expect(lstatSync(`/run/netprov-lab/${name}`).isSymbolicLink()).toBe(true)
    expect(readlinkSync(`/run/netprov-lab/${name}`)).toBe(dir)
    expect(existsSync(join(dir, 'netprov.yaml'))).toBe(true)
    expect((await labStatus(name)).healthy).toBe(true)
    const ssh = await execa('ssh', ['-F', join(dir, 'ssh_config'), 'node1', 'hostname'], {reject: false})
    expect(ssh.stdout).toBe('node1')
    // the node's /tmp is its own, yet the lab dir is visible at its path (sshd reads its keys there)
    const marker = join(tmpdir(), `np-lab-host-marker-${process.pid}`)
    writeFileSync(marker, 'host\n')
    const tmp = await execa('ssh', ['-F', join(dir, 'ssh_config'), 'node1', `test -e ${marker} && echo host-tmp-visible; test -f ${dir}/lab.json && echo lab-dir-visible`], {reject: false})
    rmSync(marker)
    expect(tmp.stdout.split('\n')).toEqual(['lab-dir-visible'])
    const r = await labDown({dir})
    expect(r).toMatchObject({name, existed: true, netns: [`np-${name}-node1`]})
    expect(existsSync(dir)).toBe(false)
    expect(existsSync(`/run/netprov-lab/${name}`)).toBe(false)
  })

  it('recreates a lab on --recreate', async () => {
    const name = uniqueLabName()
    cleanup.push(name)
    const first = await labUp({name, nodes: 1, subnet: 'auto'})
    const second = await labUp({name, nodes: 2, subnet: 'auto', recreate: true})
    expect(second.nodes).toHaveLength(2)
    expect(running(first.nodes[0]!.pid!)).toBe(false)
    expect((await labStatus(name)).healthy).toBe(true)
    await labDown(name)
    expect(await partsOf(name)).toEqual([])
  })

  it('reports a node whose sshd died as unhealthy (status exits 1)', async () => {
    const lab = await startLab({nodes: 2})
    try {
      process.kill(lab.node('node2').pid, 'SIGKILL')
      await new Promise((r) => setTimeout(r, 200))
      const s = await labStatus(lab.name)
      expect(s.healthy).toBe(false)
      expect(s.nodes.map((n) => [n.name, n.netnsExists, n.sshdRunning, n.sshAnswering])).toEqual([
        ['node1', true, true, true],
        ['node2', true, false, false],
      ])
      const cli = await execa('node', ['bin/run.js', 'lab', 'status', '--name', lab.name], {reject: false, cwd: new URL('../..', import.meta.url).pathname})
      expect(cli.exitCode).toBe(1)
      expect(cli.stdout).toMatch(/NOT healthy/)
      expect(cli.stdout).toMatch(/node2 .* \(dead\)\s+NOT answering/)
    } finally {
      await lab.stop()
    }
    expect(await partsOf(lab.name)).toEqual([])
  })

  it('reaps labs whose owning test process died', async () => {
    const dead = (await execa('sh', ['-c', 'echo $$'])).stdout.trim()
    const name = uniqueLabName()
    cleanup.push(name)
    await labUp({name, nodes: 1, subnet: 'auto', ownerPid: Number(dead)})
    expect(await reapDeadOwners()).toContain(name)
    expect(await partsOf(name)).toEqual([])
  })
})
