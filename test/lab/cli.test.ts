// The `netprov lab` commands as a user runs them (child processes of the built CLI, as root).
import {execa} from 'execa'
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {listLinks, listNetns, readHostRoutes} from '../../src/lab/host-net.js'
import {isLabLink, isLabNetns} from '../../src/lab/names.js'
import {clashingRoutes, pickSubnet} from '../../src/lab/subnet.js'
import {listLabs} from '../../src/lab/registry.js'
import {uniqueLabName} from '../helpers/lab.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = (...args: string[]) => execa('node', ['bin/run.js', ...args], {cwd: root, reject: false, env: {CI: 'true'}})
const made: string[] = []

afterAll(async () => {
  for (const name of made) await cli('lab', 'down', '--name', name)
})

/** Alive and not a zombie. */
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

async function partsOf(name: string) {
  return {netns: (await listNetns()).filter((n) => isLabNetns(name, n)).sort(), links: (await listLinks()).filter((l) => isLabLink(name, l)).sort()}
}

describe('netprov lab up / status / down', () => {
  it('brings a lab up, refuses a second up of it, reports it, and takes it down completely', async () => {
    const name = uniqueLabName()
    made.push(name)
    const up = await cli('lab', 'up', '--name', name, '--nodes', '2', '--subnet', 'auto', '--json')
    expect(up.stderr).toBe('')
    expect(up.exitCode).toBe(0)
    const lab = JSON.parse(up.stdout)
    expect(lab).toMatchObject({name, status: 'running', dir: `/run/netprov-lab/${name}`, bridge: `npbr-${name}`})
    expect(lab.nodes.map((n: {netns: string}) => n.netns)).toEqual([`np-${name}-node1`, `np-${name}-node2`])
    expect(JSON.parse(readFileSync(`${lab.dir}/lab.json`, 'utf8')).nodes[1].pid).toBe(lab.nodes[1].pid)
    expect(await partsOf(name)).toEqual({netns: [`np-${name}-node1`, `np-${name}-node2`], links: [`np${name}-1`, `np${name}-2`, `npbr-${name}`].sort()})

    // up again: reported, exit 1, nothing changed
    const again = await cli('lab', 'up', '--name', name, '--subnet', 'auto')
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toContain(`lab "${name}" already exists`)
    expect(again.stderr).toContain('--recreate')
    const againJson = await cli('lab', 'up', '--name', name, '--subnet', 'auto', '--json')
    expect(againJson.exitCode).toBe(1)
    expect(JSON.parse(againJson.stdout)).toMatchObject({ok: false, error: 'LabError', code: 'LAB_FAILED', reason: 'exists'})

    const st = await cli('lab', 'status', '--name', name)
    expect(st.exitCode).toBe(0)
    expect(st.stdout).toMatch(new RegExp(`node1\\s+control-plane\\s+${lab.nodes[0].address.replace(/\./g, '\\.')}\\s+np-${name}-node1\\s+${lab.nodes[0].pid}\\s+answering`))
    const stJson = JSON.parse((await cli('lab', 'status', '--name', name, '--json')).stdout)
    expect(stJson.healthy).toBe(true)

    // a process left running in a pod namespace on node2 (what a test pod would be) must go too
    const ssh = ['-F', `${lab.dir}/ssh_config`, 'node2']
    const bg = await execa('ssh', [...ssh, 'ip netns add leftover && { ip netns exec leftover sleep 600 </dev/null >/dev/null 2>&1 & echo $!; }'], {reject: false})
    expect(bg.exitCode).toBe(0)
    const sleeper = Number(bg.stdout.trim())
    await new Promise((r) => setTimeout(r, 200))
    expect(running(sleeper)).toBe(true)
    expect(readFileSync(`/proc/${sleeper}/cmdline`, 'utf8').split('\u0000')).toEqual(['sleep', '600', ''])
    const pids = lab.nodes.map((n: {pid: number}) => n.pid)

    const down = await cli('lab', 'down', '--name', name)
    expect(down.stderr).toBe('')
    expect(down.exitCode).toBe(0)
    expect(down.stdout).toMatch(/is down: \d+ processes ended, 2 namespaces and 3 links deleted/)
    expect(await partsOf(name)).toEqual({netns: [], links: []})
    for (const pid of [...pids, sleeper]) expect(running(pid), `pid ${pid}`).toBe(false)
    expect(existsSync(lab.dir)).toBe(false)
    expect((await listLabs()).map((l) => l.name)).not.toContain(name)

    // status of a lab that is gone: exit 1; down again: nothing to do, exit 0
    const gone = await cli('lab', 'status', '--name', name)
    expect(gone.exitCode).toBe(1)
    expect(gone.stderr).toContain(`no lab named "${name}"`)
    const down2 = await cli('lab', 'down', '--name', name)
    expect(down2.exitCode).toBe(0)
    expect(down2.stdout).toContain('nothing to remove')
  })

  it('refuses bad names and subnets before touching anything', async () => {
    for (const [args, message] of [
      [['--name', 'Bad_Name'], 'invalid lab name "Bad_Name"'],
      [['--name', 'waytoolongname'], 'invalid lab name'],
      [['--name', 'zz1', '--subnet', '172.31.250.0/33'], 'invalid lab subnet "172.31.250.0/33"'],
      [['--name', 'zz1', '--subnet', '172.31.250.7/24'], 'host bits are set'],
      [['--name', 'zz1', '--subnet', '8.8.8.0/24'], 'not inside private address space'],
      [['--name', 'zz1', '--subnet', '10.244.9.0/24'], "overlaps the lab cluster's podCIDR"],
      [['--name', 'zz1', '--subnet', '172.31.250.0/28', '--nodes', '5'], '5 nodes do not fit in 172.31.250.0/28'],
      [['--name', 'zz1', '--dir', '/tmp/a b'], 'invalid lab dir'],
    ] as [string[], string][]) {
      const r = await cli('lab', 'up', ...args)
      expect(r.exitCode, args.join(' ')).toBe(1)
      expect(r.stderr).toContain(message)
    }
    expect((await listNetns()).filter((n) => n.startsWith('np-zz1-') || n.startsWith('np-Bad'))).toEqual([])
    expect((await listLabs()).map((l) => l.name)).not.toContain('zz1')
  })

  it('refuses a subnet that overlaps a route the host already has', async () => {
    // A route the host has that no lab made: a connected route of an extra bridge (think docker0) in a free /24.
    const routes = await readHostRoutes()
    const free = pickSubnet((s) => clashingRoutes(s, routes).length === 0, (process.pid * 13) % 256)!
    const base = free.cidr.replace(/\.0\/24$/, '')
    const dummy = `nptest${process.pid.toString(36)}`.slice(0, 15)
    await execa('ip', ['link', 'add', dummy, 'type', 'bridge'])
    try {
      await execa('ip', ['addr', 'add', `${base}.1/24`, 'dev', dummy])
      await execa('ip', ['link', 'set', dummy, 'up'])
      const name = uniqueLabName()
      const r = await cli('lab', 'up', '--name', name, '--subnet', `${base}.64/26`, '--nodes', '2')
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toContain(`subnet ${base}.64/26 overlaps host route ${base}.0/24 dev ${dummy}`)
      expect(await partsOf(name)).toEqual({netns: [], links: []})
      expect(existsSync(`/run/netprov-lab/${name}`)).toBe(false)
      // a route that is no clash (the default route) does not get in the way: `auto` still finds a subnet
      expect(clashingRoutes(free, [{dst: 'default'}])).toEqual([])
    } finally {
      await execa('ip', ['link', 'del', dummy], {reject: false})
    }
  })

  it('teaches in --help', async () => {
    for (const cmd of ['up', 'down', 'status']) {
      const r = await cli('lab', cmd, '--help')
      expect(r.exitCode).toBe(0)
      expect(r.stdout).toContain('EXAMPLES')
      expect(r.stdout).toContain(`$ netprov lab ${cmd}`)
    }
    expect((await cli('lab', 'up', '--help')).stdout).toContain('np-<lab>-<node>')
  })

  it('refuses to run without root', async () => {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', 'bin/run.js', 'lab', 'up', '--name', 'zz2', '--json'], {
      cwd: root,
      reject: false,
      env: {HOME: '/nonexistent', CI: 'true'},
    })
    expect(r.exitCode).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ok: false, code: 'LAB_FAILED', reason: 'not-root'})
  })
})
