import {readFileSync, writeFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Plan} from '../../src/plan/types.js'
import {type TestLab, startLab} from '../helpers/lab.js'
import {type TestPod, ping, startPod, stopPod} from '../helpers/pods.js'
import {netprov, netprovJson} from './cli.js'

// `netprov apply` on real nodes, with the real CNI plugins from /usr/lib/cni. Tests run in order and
// share one lab: each starts from the state the previous one left.
let lab: TestLab
beforeAll(async () => {
  lab = await startLab({nodes: 3})
})
afterAll(async () => {
  await lab?.stop()
})

const onNode = async (node: string, argv: string[]) => (await lab.exec(node, argv)).stdout
const ownRoutes = async (node: string) =>
  (JSON.parse(await onNode(node, ['ip', '-j', 'route', 'show', 'proto', '147'])) as {dst: string}[]).map((r) => r.dst).sort()
const planJson = async (file = lab.clusterFile) => netprovJson<Plan>(['plan', '-f', file, '--detailed-exitcode'])
const apply = (...args: string[]) => netprov(['apply', '-f', lab.clusterFile, '--yes', ...args])

describe('apply on a real lab', () => {
  it('refuses without --yes when there is no terminal, and changes nothing', async () => {
    const r = await netprov(['apply', '-f', lab.clusterFile])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/refusing to apply without --yes/)
    expect(await onNode('node1', ['ip', 'link', 'show', 'v-net-0']).catch(() => '')).toBe('')
  })

  it('converges fresh nodes; right after, plan --detailed-exitcode exits 0', async () => {
    const r = await apply()
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Apply complete: 3 node\(s\) converged/)
    expect(r.stderr).toMatch(/^\[\d\d:\d\d:\d\d\] node1: applying \d+ changes$/m) // plain timestamped progress without a terminal
    expect((await planJson()).exitCode).toBe(0)
    // what is really on the nodes
    expect(await onNode('node1', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'v-net-0'])).toContain('10.244.1.1/24')
    expect((await onNode('node1', ['cat', '/sys/class/net/v-net-0/addr_assign_type'])).trim()).toBe('3') // MAC pinned (NET_ADDR_SET)
    expect(await ownRoutes('node1')).toEqual([lab.node('node2').podCIDR, lab.node('node3').podCIDR].sort())
    expect((await onNode('node2', ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('1')
    expect(await onNode('node3', ['sha256sum', '/opt/cni/bin/bridge'])).toContain((await import('../../src/facts/local.js')).sha256File('/usr/lib/cni/bridge'))
  })

  it('pods get addresses from the installed conflist and reach each other across nodes and on the same node', async () => {
    const pods: TestPod[] = []
    try {
      pods.push(await startPod(lab, 'node1', 'pa'), await startPod(lab, 'node1', 'pb'), await startPod(lab, 'node2', 'pc'))
      expect(pods.map((p) => p.ip)).toEqual(['10.244.1.2', '10.244.1.3', '10.244.2.2'])
      expect(await ping(lab, pods[0]!, pods[2]!.ip)).toBe(true) // node1 -> node2
      expect(await ping(lab, pods[2]!, pods[0]!.ip)).toBe(true) // node2 -> node1
      expect(await ping(lab, pods[0]!, pods[1]!.ip)).toBe(true) // same node
      // and the test can fail: a pod CIDR nobody has is not reachable
      expect(await ping(lab, pods[0]!, '10.244.3.77')).toBe(false)
    } finally {
      for (const p of pods) await stopPod(lab, p)
    }
  })

  it('a second apply changes nothing: no program runs, no file is rewritten', async () => {
    const stamp = () => onNode('node1', ['stat', '-c', '%n %Y %i', '/var/lib/netprov/generation', '/etc/cni/net.d/10-netprov.conflist', '/etc/sysctl.d/99-netprov.conf', '/opt/cni/bin/bridge'])
    const before = await stamp()
    const gen = await onNode('node1', ['cat', '/var/lib/netprov/generation'])
    await new Promise((r) => setTimeout(r, 1100)) // mtimes have 1 s resolution
    const {exitCode, json} = await netprovJson<{summary: Plan['summary']; nodes: unknown[]}>(['apply', '-f', lab.clusterFile, '--yes'])
    expect(exitCode).toBe(0)
    expect(json.summary).toEqual({create: 0, update: 0, delete: 0})
    expect(json.nodes).toEqual([expect.objectContaining({name: 'node1', status: 'unchanged'}), expect.objectContaining({name: 'node2', status: 'unchanged'}), expect.objectContaining({name: 'node3', status: 'unchanged'})])
    expect(await stamp()).toBe(before)
    expect(await onNode('node1', ['cat', '/var/lib/netprov/generation'])).toBe(gen)
  })

  it('a foreign route where netprov needs its own blocks: plan and apply exit 1 naming it, and it is left alone', async () => {
    const dst = lab.node('node3').podCIDR
    await lab.exec('node1', ['ip', 'route', 'replace', dst, 'via', lab.node('node2').address, 'proto', 'static'])
    const p = await netprov(['plan', '-f', lab.clusterFile, '--detailed-exitcode'])
    expect(p.exitCode).toBe(1)
    expect(p.stdout).toContain(`✗ error: node1: route ${dst}: route ${dst} via ${lab.node('node2').address}`)
    expect(p.stdout).toMatch(/1 error finding \(✗ above\) blocks the desired state/)
    const {exitCode, json} = await netprovJson<{nodes: {name: string; status: string; error?: {code: string; message: string}}[]}>(['apply', '-f', lab.clusterFile, '--yes'])
    expect(exitCode).toBe(1)
    expect(json.nodes.map((n) => `${n.name}:${n.status}`)).toEqual(['node1:failed', 'node2:unchanged', 'node3:unchanged'])
    expect(json.nodes[0]!.error).toMatchObject({code: 'BLOCKED'})
    expect(json.nodes[0]!.error!.message).toContain(`route ${dst}`)
    expect(await onNode('node1', ['ip', 'route', 'show', dst])).toContain('proto static') // never touched
    await lab.exec('node1', ['ip', 'route', 'del', dst])
    expect((await apply()).exitCode).toBe(0)
    expect((await planJson()).exitCode).toBe(0)
  })

  it('drift (route deleted, stale bridge address, binary removed, conflist edited) shows as exactly that, and apply repairs it', async () => {
    await lab.exec('node1', ['ip', 'route', 'del', lab.node('node3').podCIDR])
    await lab.exec('node2', ['ip', 'addr', 'add', '10.244.99.1/24', 'dev', 'v-net-0'])
    await lab.exec('node3', ['rm', '/opt/cni/bin/portmap'])
    await lab.exec('node3', ['sed', '-i', 's/"hairpinMode": true/"hairpinMode": false/', '/etc/cni/net.d/10-netprov.conflist'])
    const {exitCode, json} = await planJson()
    expect(exitCode).toBe(2)
    const got = json.nodes.flatMap((n) => n.changes.map((c) => `${n.name} ${c.action} ${c.kind} ${c.id}`))
    expect(got).toEqual([
      `node1 create route ${lab.node('node3').podCIDR}`,
      'node2 delete bridge-address 10.244.99.1/24',
      'node3 create cni-binary /opt/cni/bin/portmap',
      'node3 update cni-config /etc/cni/net.d/10-netprov.conflist',
    ])
    expect((await apply()).exitCode).toBe(0)
    expect((await planJson()).exitCode).toBe(0)
    expect(await onNode('node2', ['ip', '-o', 'addr', 'show', 'dev', 'v-net-0'])).not.toContain('10.244.99.1')
    expect(await onNode('node3', ['grep', 'hairpinMode', '/etc/cni/net.d/10-netprov.conflist'])).toContain('true')
  })

  it('a saved plan is refused, changing nothing, when a node changed since it was made', async () => {
    await lab.exec('node2', ['ip', 'route', 'del', lab.node('node1').podCIDR])
    const planFile = `${lab.dir}/saved.plan`
    expect((await netprov(['plan', '-f', lab.clusterFile, '--out', planFile, '--detailed-exitcode'])).exitCode).toBe(2)
    await lab.exec('node3', ['ip', 'link', 'set', 'v-net-0', 'mtu', '1400']) // someone changes node3 meanwhile
    const r = await netprov(['apply', planFile, '--yes'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/stale plan: the state of node3 changed since the plan was made; nothing was changed/)
    expect(await ownRoutes('node2')).not.toContain(lab.node('node1').podCIDR) // node2 was not touched either
    // a fresh saved plan applies exactly
    expect((await netprov(['plan', '-f', lab.clusterFile, '--out', planFile])).exitCode).toBe(0)
    const ok = await netprov(['apply', planFile, '--yes'])
    expect(ok.exitCode, ok.stderr).toBe(0)
    expect((await planJson()).exitCode).toBe(0)
  })

  it('a saved plan is never trusted: an edited step is refused and never runs; file contents are not in the JSON', async () => {
    await lab.exec('node2', ['sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward'])
    const planFile = `${lab.dir}/tamper.plan`
    expect((await netprov(['plan', '-f', lab.clusterFile, '--out', planFile])).exitCode).toBe(0)
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan
    const node2 = plan.nodes.find((n) => n.name === 'node2')!
    expect(node2.changes.map((c) => c.id)).toEqual(['net.ipv4.ip_forward'])
    node2.changes[0]!.steps.unshift({op: 'exec', argv: ['sh', '-c', 'touch /root/PWNED']})
    writeFileSync(planFile, JSON.stringify(plan))
    const r = await netprov(['apply', planFile, '--yes'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/the plan file's changes for node2 are not what netprov would do .*nothing was changed/)
    expect((await lab.exec('node2', ['test', '-e', '/root/PWNED'])).exitCode).toBe(1)
    expect((await onNode('node2', ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('0')
    expect((await netprov(['apply', planFile, '--yes', '--node', 'nosuch'])).stderr).toMatch(/the plan has no node named nosuch/)
    // JSON and plan files carry a sha256 instead of file contents (a config may hold secrets)
    await lab.exec('node3', ['rm', '/etc/cni/net.d/10-netprov.conflist'])
    const {json} = await netprovJson<Plan>(['plan', '-f', lab.clusterFile, '--node', 'node3'])
    const write = json.nodes[0]!.changes.flatMap((c) => c.steps).find((st) => st.op === 'write')!
    expect(write).toEqual({op: 'write', path: '/etc/cni/net.d/10-netprov.conflist', mode: '644', contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number)})
    expect((await apply()).exitCode).toBe(0)
  })

  it('two applies at once: on every node exactly one of them applies, the other is refused clearly; nodes end consistent', async () => {
    for (const n of ['node1', 'node2', 'node3']) await lab.exec(n, ['sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward'])
    type Result = {nodes: {name: string; status: string; error?: {message: string}}[]}
    const run = () => netprovJson<Result>(['apply', '-f', lab.clusterFile, '--yes'])
    const [a, b] = await Promise.all([run(), run()])
    // Locks are per node: each run may win different nodes, so both runs can exit 1.
    for (const name of ['node1', 'node2', 'node3']) {
      const statuses = [a, b].map((r) => r.json.nodes.find((n) => n.name === name)!)
      expect(statuses.filter((s) => s.status === 'converged'), name).toHaveLength(1)
      const loser = statuses.find((s) => s.status !== 'converged')!
      // locked or stale when the runs overlapped; unchanged when one read the node after the other finished
      expect(loser.status).toMatch(/^(locked|stale|unchanged)$/)
      if (loser.status !== 'unchanged') expect(loser.error!.message).toMatch(/locked by another netprov run \((.+ pid \d+ since .+|holder unknown: it was starting or finishing)\)|another netprov apply changed it since it was read; nothing was changed/)
    }
    expect((await planJson()).exitCode).toBe(0)
  })

  it('a node that fails mid-way is rolled back; the others converge; exit 1; apply again converges', async () => {
    const file = `${lab.dir}/four.yaml`
    // A new pod CIDR for node3 (its old gateway becomes stale) and a binDir that cannot be created on node3.
    writeFileSync(file, readFileSync(lab.clusterFile, 'utf8').replace('10.244.3.0/24', '10.244.33.0/24'))
    await lab.exec('node3', ['sh', '-c', 'rm -rf /opt/cni/bin && echo not-a-dir > /opt/cni/bin'])
    const before = await onNode('node3', ['ip', '-o', 'addr', 'show', 'dev', 'v-net-0'])
    const r = await netprov(['apply', '-f', file, '--yes'])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/node3: failed: create cni-binary \/opt\/cni\/bin\/bridge failed/)
    expect(r.stdout).toMatch(/rolled back to the state it was planned from/)
    expect(r.stdout).toMatch(/Apply failed: 2 node\(s\) converged/)
    // node3 is as it was: old gateway back, new one gone
    const after = await onNode('node3', ['ip', '-o', 'addr', 'show', 'dev', 'v-net-0'])
    expect(after).toContain('10.244.3.1/24')
    expect(after).not.toContain('10.244.33.1/24')
    expect(before).toContain('10.244.3.1/24')
    // the others already route to node3's new CIDR
    expect(await ownRoutes('node1')).toContain('10.244.33.0/24')
    await lab.exec('node3', ['rm', '-f', '/opt/cni/bin'])
    const again = await netprov(['apply', '-f', file, '--yes'])
    expect(again.exitCode, again.stdout).toBe(0)
    expect((await planJson(file)).exitCode).toBe(0)
  })

  it('a node removed from the file has its routes removed from the other nodes', async () => {
    const file = `${lab.dir}/two.yaml`
    const text = readFileSync(lab.clusterFile, 'utf8').replace('10.244.3.0/24', '10.244.33.0/24')
    writeFileSync(file, text.slice(0, text.indexOf('  - name: node3')))
    expect(await ownRoutes('node1')).toContain('10.244.33.0/24')
    const r = await netprov(['apply', '-f', file, '--yes'])
    expect(r.exitCode, r.stdout).toBe(0)
    expect(await ownRoutes('node1')).toEqual([lab.node('node2').podCIDR])
    expect(await ownRoutes('node2')).toEqual([lab.node('node1').podCIDR])
  })
})

describe('apply interrupted', () => {
  it('Ctrl-C: the node being changed finishes, no new node starts, a rerun converges', async () => {
    const {execa} = await import('execa')
    const {ROOT} = await import('./cli.js')
    const file = `${lab.dir}/serial.yaml`
    // one node at a time, and every node has work to do
    writeFileSync(file, readFileSync(lab.clusterFile, 'utf8').replace(/^  ssh:\n/m, '  ssh:\n    concurrency: 1\n'))
    for (const n of ['node1', 'node2', 'node3']) await lab.exec(n, ['sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward'])
    const child = execa(process.execPath, [`${ROOT}bin/run.js`, 'apply', '-f', file, '--yes'], {cwd: ROOT, reject: false, env: {CI: 'true'}, stdin: 'ignore'})
    let sent = false
    child.stderr!.on('data', (d: Buffer) => {
      if (!sent && /: applying/.test(d.toString())) {
        sent = true
        child.kill('SIGINT')
      }
    })
    const r = await child
    expect(sent).toBe(true)
    expect(r.exitCode).toBe(1)
    expect(String(r.stderr)).toMatch(/Interrupted: letting the nodes being changed finish/)
    expect(String(r.stdout)).toMatch(/node3: skipped: not started: interrupted/)
    // the node that was running finished consistently; the skipped ones are untouched
    const {json} = await netprovJson<Plan>(['plan', '-f', file])
    expect(json.nodes[0]!.changes).toEqual([])
    for (const n of json.nodes.slice(1)) expect(n.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toContain('update sysctl net.ipv4.ip_forward')
    expect((await netprov(['apply', '-f', file, '--yes'])).exitCode).toBe(0)
    expect((await planJson(file)).exitCode).toBe(0)
  })
})
