import {execa} from 'execa'
import {existsSync, readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {VerifyReport} from '../../src/verify/types.js'
import {type TestLab, startLab} from '../helpers/lab.js'
import {ROOT, netprov, netprovJson} from './cli.js'

// `netprov verify` on a real 3-node lab after apply: it passes, with real CNI test pods reaching each
// other across nodes with their own source address; each classic breakage makes it fail with a check
// that names it; and after every run (also Ctrl-C) no test namespace, veth or IPAM file is left.
let lab: TestLab
beforeAll(async () => {
  lab = await startLab({nodes: 3})
  const r = await netprov(['apply', '-f', lab.clusterFile, '--yes'])
  if (r.exitCode !== 0) throw new Error(`apply failed: ${r.stdout}\n${r.stderr}`)
})
afterAll(async () => {
  await lab?.stop()
})

const verify = async (...extra: string[]) => {
  const r = await netprovJson<VerifyReport>(['verify', '-f', lab.clusterFile, ...extra])
  await expectNothingLeft()
  return r
}
const find = (r: VerifyReport, node: string, check: string) => r.checks.find((c) => c.node === node && c.check === check)
const failed = (r: VerifyReport) => r.checks.filter((c) => c.status === 'fail').map((c) => `${c.node} ${c.check}`)
const on = async (node: string, ...argv: string[]) => {
  const r = await lab.exec(node, argv)
  if (r.exitCode !== 0) throw new Error(`${node}: ${argv.join(' ')}: ${r.stderr}`)
  return r.stdout
}
const repair = async () => expect((await netprov(['apply', '-f', lab.clusterFile, '--yes'])).exitCode).toBe(0)

/** What a verify run may leave: nothing. Asked of the nodes themselves, not of verify. */
async function expectNothingLeft(): Promise<void> {
  for (const n of lab.nodes) {
    expect(await on(n.name, 'ip', 'netns', 'list'), n.name).not.toContain('netprov-verify')
    expect((await on(n.name, 'ip', '-o', 'link', 'show', 'master', 'v-net-0')).trim(), `${n.name}: ports on the bridge`).toBe('')
    expect((await on(n.name, 'ip', '-o', 'link', 'show', 'type', 'veth')).trim().split('\n').map((l) => l.split(':')[1]!.trim().split('@')[0])).toEqual(['eth0'])
    // on a node no pod ever ran on, verify's own host-local directory goes too
    expect(await on(n.name, 'sh', '-c', 'ls -A /var/lib/cni/networks 2>/dev/null; ls -A /run/netprov/verify 2>/dev/null; true'), n.name).toBe('')
  }
}

describe('verify on a real lab', () => {
  it('passes after apply: state, CNI ADD/CHECK/DEL, same-node and cross-node pings without NAT, ports; 4 round trips per node', async () => {
    const junit = `${lab.dir}/verify.xml`
    const {exitCode, json} = await verify('--junit', junit)
    expect(failed(json)).toEqual([])
    expect(exitCode).toBe(0)
    expect(json.ok).toBe(true)
    for (const c of json.checks) expect(Object.keys(c).slice(0, 4)).toEqual(['node', 'check', 'status', 'detail'])
    for (const from of ['node1', 'node2', 'node3']) {
      for (const name of ['in sync', 'cni conflist', 'cni ADD pod-a', 'cni result pod-a', 'cni CHECK pod-a', 'cni DEL pod-b', 'cleanup', 'ping pod -> gateway', 'ping pod -> pod (same node)', 'no-nat pod -> pod (same node)', 'forward policy', 'firewall port tcp 10250']) {
        expect(find(json, from, name)?.status, `${from} ${name}`).toBe('pass')
      }
      for (const to of ['node1', 'node2', 'node3'].filter((x) => x !== from)) {
        expect(find(json, from, `ping ${from} -> ${to}`)?.status).toBe('pass')
        expect(find(json, from, `no-nat ${from} -> ${to}`)).toMatchObject({status: 'pass', detail: expect.stringMatching(/saw the request from 10\.244\.\d+\.\d+, the sender's own pod address/)})
      }
    }
    expect(json.nodes.map((n) => n.roundTrips)).toEqual([4, 4, 4])
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toContain(`<testsuites name="netprov verify" tests="${json.checks.length}" failures="0"`)
    expect(xml).toContain('<testcase classname="netprov.verify.node2" name="no-nat node2 -&gt; node3">')
  })

  it('--no-connectivity: state checks only, one round trip per node, no pod made; the human report', async () => {
    const {exitCode, json} = await verify('--no-connectivity')
    expect(exitCode).toBe(0)
    expect(json.checks.some((c) => c.check.startsWith('cni ADD') || c.check.startsWith('ping'))).toBe(false)
    expect(json.nodes.map((n) => n.roundTrips)).toEqual([1, 1, 1])
    const human = await netprov(['verify', '-f', lab.clusterFile, '--no-connectivity'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toMatch(/^node1 \(172\.31\.\d+\.11\): ok\n {2}✓ node reachable: /)
    expect(human.stdout).toMatch(/Verify passed: \d+ passed, 0 failed, 0 skipped on 3 node\(s\) in [\d.]+s \(state only: --no-connectivity\)\.$/m)
  })

  it('a deleted route: drift named by kind and id, and the pods on the two nodes stop reaching each other', async () => {
    await on('node1', 'ip', 'route', 'del', lab.node('node2').podCIDR)
    const {exitCode, json} = await verify()
    expect(exitCode).toBe(1)
    expect(find(json, 'node1', `drift route ${lab.node('node2').podCIDR}`)).toMatchObject({status: 'fail', detail: expect.stringMatching(/^create: missing: wanted via /), fix: expect.stringMatching(/netprov apply .* --node node1/)})
    expect(find(json, 'node1', 'ping node1 -> node2')).toMatchObject({status: 'fail', detail: expect.stringMatching(/no reply/)})
    expect(find(json, 'node1', 'ping node1 -> node3')?.status).toBe('pass')
    await repair()
  })

  it("FORWARD policy DROP (what Docker leaves): named, with the fix, and pods lose each other", async () => {
    await on('node2', 'iptables', '-P', 'FORWARD', 'DROP')
    try {
      const {exitCode, json} = await verify()
      expect(exitCode).toBe(1)
      expect(find(json, 'node2', 'forward policy')).toMatchObject({status: 'fail', detail: expect.stringMatching(/FORWARD: policy DROP and no rule accepts 10\.244\.0\.0\/16/), fix: expect.stringMatching(/iptables -I FORWARD -s 10\.244\.0\.0\/16 -j ACCEPT/)})
      expect(find(json, 'node2', 'ping pod -> pod (same node)')?.status).toBe('fail') // bridged traffic goes through FORWARD too (br_netfilter)
      expect(find(json, 'node1', 'ping node1 -> node2')?.status).toBe('fail')
      // what node2's own test pod saw, not another node's: nothing arrived, so no verdict on NAT
      expect(find(json, 'node1', 'no-nat node1 -> node2')?.status).toBe('skip')
      expect(find(json, 'node1', 'ping node1 -> node3')?.status).toBe('pass')
    } finally {
      await on('node2', 'iptables', '-P', 'FORWARD', 'ACCEPT')
    }
  })

  it('a plugin binary removed: the VERSION check and the real ADD name it; cleanup still complete', async () => {
    await on('node3', 'rm', '/opt/cni/bin/portmap')
    const {exitCode, json} = await verify()
    expect(exitCode).toBe(1)
    expect(find(json, 'node3', 'cni plugin portmap')).toMatchObject({status: 'fail', detail: '/opt/cni/bin/portmap not found'})
    expect(find(json, 'node3', 'drift cni-binary /opt/cni/bin/portmap')?.status).toBe('fail')
    expect(find(json, 'node3', 'cni ADD pod-a')).toMatchObject({status: 'fail', detail: expect.stringMatching(/^portmap \(plugin 2 of 2\) failed: failed to find plugin "portmap"/)})
    expect(find(json, 'node3', 'cleanup')?.status).toBe('pass')
    await repair()
  })

  it('a foreign conflist that sorts first fails, and is left alone', async () => {
    await on('node1', 'sh', '-c', `echo '{"cniVersion":"0.4.0","name":"other","plugins":[{"type":"bridge"}]}' > /etc/cni/net.d/00-other.conflist`)
    try {
      const {exitCode, json} = await verify()
      expect(exitCode).toBe(1)
      expect(failed(json)).toEqual(['node1 cni config order'])
      expect(find(json, 'node1', 'cni config order')?.detail).toMatch(/00-other\.conflist sorts before 10-netprov\.conflist/)
      expect(await on('node1', 'cat', '/etc/cni/net.d/00-other.conflist')).toContain('"other"')
    } finally {
      await on('node1', 'rm', '/etc/cni/net.d/00-other.conflist')
    }
  })

  it("the bridge address changed: drift, and the bridge plugin's own refusal at pod start", async () => {
    await on('node2', 'ip', 'addr', 'del', '10.244.2.1/24', 'dev', 'v-net-0')
    await on('node2', 'ip', 'addr', 'add', '10.244.2.5/24', 'dev', 'v-net-0')
    const {exitCode, json} = await verify()
    expect(exitCode).toBe(1)
    expect(find(json, 'node2', 'drift bridge-address 10.244.2.1/24')?.status).toBe('fail')
    expect(find(json, 'node2', 'drift bridge-address 10.244.2.5/24')?.status).toBe('fail')
    expect(find(json, 'node2', 'cni ADD pod-a')).toMatchObject({status: 'fail', detail: expect.stringMatching(/"v-net-0" already has an IP address different from 10\.244\.2\.1\/24/)})
    expect(await on('node2', 'ip', '-o', 'addr', 'show', 'dev', 'v-net-0')).toContain('10.244.2.5/24') // verify repaired nothing
    await repair()
  })

  it("a role port dropped by a node's firewall: probed from its peer, named as filtered", async () => {
    await on('node2', 'nft', 'insert', 'rule', 'inet', 'netprov', 'input', 'tcp', 'dport', '10250', 'drop')
    const {exitCode, json} = await verify()
    expect(exitCode).toBe(1)
    expect(find(json, 'node2', 'firewall port tcp 10250')).toMatchObject({status: 'fail', detail: 'from node1: 10250 filtered (no answer)'})
    expect(find(json, 'node2', 'firewall port tcp 10256')?.status).toBe('pass')
    await repair()
  })

  it('Ctrl-C while the test pods are being set up: the pods are removed before it exits (130)', async () => {
    const child = execa(process.execPath, [`${ROOT}bin/run.js`, 'verify', '-f', lab.clusterFile], {cwd: ROOT, reject: false, env: {CI: 'true', NO_COLOR: '1'}, stdin: 'ignore'})
    let seen = false
    for (let i = 0; i < 200 && !seen; i++) {
      seen = (await lab.exec('node2', ['ip', 'netns', 'list'])).stdout.includes('netprov-verify')
      if (!seen) await new Promise((r) => setTimeout(r, 25))
    }
    expect(seen).toBe(true)
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).toBe(130)
    expect(String(r.stderr)).toMatch(/SIGINT: removing the test pods from node1, node2, node3/)
    await expectNothingLeft()
  })

  it('at the end the lab verifies clean again (every breakage was repaired, nothing accumulated)', async () => {
    const {exitCode, json} = await verify()
    expect(failed(json)).toEqual([])
    expect(exitCode).toBe(0)
    expect(existsSync(lab.clusterFile)).toBe(true)
  })
})

