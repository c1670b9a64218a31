import {describe, expect, it} from 'vitest'
import type {NodeFacts} from '../../src/facts/types.js'
import {planNode} from '../../src/plan/planner.js'
import {renderConflist} from '../../src/resources/cni-config.js'
import {RESOURCES} from '../../src/resources/index.js'
import {FILE_HEADER} from '../../src/resources/markers.js'
import {MODULES_FILE, SYSCTL_FILE} from '../../src/resources/sysctl-file.js'
import type {LocalFacts} from '../../src/resources/resource.js'
import {cluster} from '../helpers/cluster.js'

const H = 'b'.repeat(64)
const local: LocalFacts = {plugins: Object.fromEntries(['bridge', 'host-local', 'loopback', 'portmap'].map((p) => [p, {path: `/usr/lib/cni/${p}`, sha256: H}]))}

function fresh(): NodeFacts {
  return {
    links: [{name: 'lo', kind: null, mtu: 65536, up: true}, {name: 'eth0', kind: 'veth', mtu: 1500, up: true}],
    addresses: [{dev: 'eth0', cidr: '172.31.250.11/24', family: 4, scope: 'global'}],
    routes: [{dst: '172.31.250.0/24', via: null, dev: 'eth0', protocol: 'kernel', family: 4}],
    sysctls: {'net.ipv4.ip_forward': '0', 'net.bridge.bridge-nf-call-iptables': '1'},
    files: {},
    binaries: {},
    confDir: null,
    tools: ['ip', 'flock'],
    extra: {},
  }
}

/** The facts of node1 after a successful apply. */
function converged(): NodeFacts {
  const c = cluster()
  const f = fresh()
  f.links.push({name: 'v-net-0', kind: 'bridge', mtu: 1500, up: true})
  f.addresses.push({dev: 'v-net-0', cidr: '10.244.1.1/24', family: 4, scope: 'global'}, {dev: 'v-net-0', cidr: 'fe80::1/64', family: 6, scope: 'link'})
  f.routes.push(
    {dst: '10.244.1.0/24', via: null, dev: 'v-net-0', protocol: 'kernel', family: 4},
    {dst: '10.244.2.0/24', via: '172.31.250.12', dev: 'eth0', protocol: '147', family: 4},
    {dst: '10.244.3.0/24', via: '172.31.250.13', dev: 'eth0', protocol: '147', family: 4},
  )
  f.sysctls['net.ipv4.ip_forward'] = '1'
  f.files[SYSCTL_FILE] = `${FILE_HEADER}\nnet.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\n`
  f.files[MODULES_FILE] = `${FILE_HEADER}\nbr_netfilter\n`
  f.files['/etc/cni/net.d/10-netprov.conflist'] = renderConflist(c, c.nodes[0]!)
  f.confDir = ['10-netprov.conflist']
  for (const p of ['bridge', 'host-local', 'loopback', 'portmap']) f.binaries[`/opt/cni/bin/${p}`] = {sha256: H, mode: '755'}
  return f
}

const plan = (f: NodeFacts, c = cluster()) => planNode(c, c.nodes[0]!, f, local, RESOURCES)
const ids = (p: ReturnType<typeof plan>) => p.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)

describe('planner', () => {
  it('a fresh node: everything is created, in dependency order', () => {
    const p = plan(fresh())
    expect(ids(p)).toEqual([
      `create modules-file ${MODULES_FILE}`,
      `create sysctl-file ${SYSCTL_FILE}`,
      'update sysctl net.ipv4.ip_forward',
      'create bridge v-net-0',
      'create bridge-address 10.244.1.1/24',
      'create route 10.244.2.0/24',
      'create route 10.244.3.0/24',
      'create cni-binary /opt/cni/bin/bridge',
      'create cni-binary /opt/cni/bin/host-local',
      'create cni-binary /opt/cni/bin/loopback',
      'create cni-binary /opt/cni/bin/portmap',
      'create cni-config /etc/cni/net.d/10-netprov.conflist',
    ])
    expect(p.changes.find((c) => c.kind === 'route')!.steps).toEqual([{op: 'exec', argv: ['ip', '-4', 'route', 'replace', '10.244.2.0/24', 'via', '172.31.250.12', 'proto', '147']}])
  })

  it('a converged node: no changes, no findings', () => {
    const p = plan(converged())
    expect(p.changes).toEqual([])
    expect(p.findings).toEqual([])
  })

  it('a stale address on the bridge is replaced', () => {
    const f = converged()
    f.addresses.push({dev: 'v-net-0', cidr: '10.244.9.1/24', family: 4, scope: 'global'})
    expect(ids(plan(f))).toEqual(['delete bridge-address 10.244.9.1/24'])
  })

  it('a removed node: its route is deleted from the others', () => {
    const c = cluster(3)
    c.nodes.pop()
    expect(ids(plan(converged(), c))).toEqual(['delete route 10.244.3.0/24'])
  })

  it('a foreign route into the pod network is reported, never touched', () => {
    const f = converged()
    f.routes.push({dst: '10.244.77.0/24', via: '172.31.250.99', dev: 'eth0', protocol: 'static', family: 4})
    const p = plan(f)
    expect(p.changes).toEqual([])
    expect(p.findings).toMatchObject([{severity: 'warning', kind: 'route', id: '10.244.77.0/24'}])
  })

  it('a foreign route where netprov wants its own blocks that route with an error finding', () => {
    const f = converged()
    f.routes = f.routes.filter((r) => r.dst !== '10.244.2.0/24')
    f.routes.push({dst: '10.244.2.0/24', via: '172.31.250.99', dev: 'eth0', protocol: 'static', family: 4})
    const p = plan(f)
    expect(p.changes).toEqual([])
    expect(p.findings).toMatchObject([{severity: 'error', kind: 'route', id: '10.244.2.0/24'}])
  })

  it('a hand-edited conflist is updated; a foreign file at its path is reported', () => {
    const f = converged()
    f.files['/etc/cni/net.d/10-netprov.conflist'] = f.files['/etc/cni/net.d/10-netprov.conflist']!.replace('"mtu": 1500', '"mtu": 1400')
    expect(ids(plan(f))).toEqual(['update cni-config /etc/cni/net.d/10-netprov.conflist'])
    f.files['/etc/cni/net.d/10-netprov.conflist'] = '{"name": "theirs"}'
    const p = plan(f)
    expect(p.changes).toEqual([])
    expect(p.findings).toMatchObject([{severity: 'error', kind: 'cni-config'}])
  })

  it('another config that sorts first is a finding', () => {
    const f = converged()
    f.confDir = ['05-other.conflist', '10-netprov.conflist', '99-later.conf', 'README']
    expect(plan(f).findings.map((x) => x.id)).toEqual(['/etc/cni/net.d/05-other.conflist'])
  })

  it('a changed or missing binary is uploaded again; the same sha256 is not', () => {
    const f = converged()
    f.binaries['/opt/cni/bin/bridge'] = {sha256: 'c'.repeat(64), mode: '755'}
    f.binaries['/opt/cni/bin/portmap'] = null
    expect(ids(plan(f))).toEqual(['update cni-binary /opt/cni/bin/bridge', 'create cni-binary /opt/cni/bin/portmap'])
  })

  it('a link with the bridge name that is not a bridge blocks the bridge', () => {
    const f = fresh()
    f.links.push({name: 'v-net-0', kind: 'veth', mtu: 1500, up: true})
    const p = plan(f)
    expect(ids(p)).not.toContain('create bridge v-net-0')
    expect(p.findings).toContainEqual(expect.objectContaining({severity: 'error', kind: 'bridge', id: 'v-net-0'}))
  })

  it('bridge MTU and state drift are updates with undo steps', () => {
    const f = converged()
    f.links.find((l) => l.name === 'v-net-0')!.mtu = 9000
    const [c] = plan(f).changes
    expect(c).toMatchObject({action: 'update', kind: 'bridge', reason: 'mtu 9000 -> 1500'})
    expect(c!.undo).toEqual([{op: 'exec', argv: ['ip', 'link', 'set', 'dev', 'v-net-0', 'mtu', '9000', 'up']}])
  })

  it('routing: none removes netprov routes', () => {
    expect(ids(plan(converged(), cluster(3, {routing: 'none'})))).toEqual(['delete route 10.244.2.0/24', 'delete route 10.244.3.0/24'])
  })

  it('missing br_netfilter settings load the module first', () => {
    const f = converged()
    delete f.sysctls['net.bridge.bridge-nf-call-iptables']
    const [c] = plan(f).changes
    expect(c!.steps[0]).toEqual({op: 'exec', argv: ['modprobe', 'br_netfilter']})
  })

  it('the digest changes with what the plan depends on, not with unrelated state', () => {
    const a = plan(converged()).factsDigest
    const f = converged()
    f.links.push({name: 'veth1234', kind: 'veth', mtu: 1500, up: true}) // a pod came up
    expect(plan(f).factsDigest).toBe(a)
    f.routes.pop()
    expect(plan(f).factsDigest).not.toBe(a)
  })
})

describe('planner never takes what is not netprov\'s', () => {
  it('a non-bridge device with the bridge name: its addresses are never deleted (not even the node address)', () => {
    const c = cluster(3, {bridge: {name: 'eth0', mtu: 1500}})
    const p = planNode(c, c.nodes[0]!, fresh(), local, RESOURCES)
    expect(p.changes.filter((x) => x.action === 'delete')).toEqual([])
    expect(p.changes.map((x) => x.kind)).not.toContain('bridge-address')
    expect(p.findings).toContainEqual(expect.objectContaining({severity: 'error', kind: 'bridge', id: 'eth0'}))
  })

  it('the node address on a real bridge with the configured name is reported, never deleted', () => {
    const c = cluster(3, {bridge: {name: 'br0', mtu: 1500}})
    const f = fresh()
    f.links.push({name: 'br0', kind: 'bridge', mtu: 1500, up: true})
    f.addresses.push({dev: 'br0', cidr: '172.31.250.11/24', family: 4, scope: 'global'}, {dev: 'br0', cidr: '10.244.9.1/24', family: 4, scope: 'global'})
    const p = planNode(c, c.nodes[0]!, f, local, RESOURCES)
    expect(p.changes.filter((x) => x.kind === 'bridge-address').map((x) => `${x.action} ${x.id}`)).toEqual(['delete 10.244.9.1/24', 'create 10.244.1.1/24'])
    expect(p.findings).toContainEqual(expect.objectContaining({severity: 'error', kind: 'bridge-address', id: '172.31.250.11/24'}))
  })
})

describe('planner checks it reached the right machine', () => {
  it("a machine without the node's address gets an error and no changes", () => {
    const c = cluster(3)
    const f = fresh()
    f.addresses = [{dev: 'eth0', cidr: '172.31.250.12/24', family: 4, scope: 'global'}] // node2's machine
    const p = planNode(c, c.nodes[0]!, f, local, RESOURCES)
    expect(p.changes).toEqual([])
    expect(p.error).toMatchObject({code: 'WRONG_NODE', message: "node node1: the machine reached at 172.31.250.11 does not have the node's address 172.31.250.11 (it has 172.31.250.12); nothing planned"})
  })
})

describe('human views never pass control characters from nodes to the terminal', () => {
  it('an ESC in a file name is shown as \\x1b', async () => {
    const {renderPlan} = await import('../../src/render/plan-human.js')
    const f = converged()
    f.confDir = ['00-a\u001b[8m.conflist', '10-netprov.conflist']
    const p = plan(f)
    const out = renderPlan({formatVersion: '1.0', netprovVersion: 't', createdAt: '', clusterFile: 'f', clusterName: 'c', nodes: [p], summary: {create: 0, update: 0, delete: 0}})
    expect(out).toContain('00-a\\x1b[8m.conflist')
    expect(out).not.toContain('\u001b[8m')
  })
})

describe('a blocked object blocks what depends on it', () => {
  it('a non-bridge device with the bridge name: the conflist is not rewritten to point at it', () => {
    const c = cluster(3, {bridge: {name: 'eth0', mtu: 1500}})
    const p = planNode(c, c.nodes[0]!, converged(), local, RESOURCES)
    expect(p.changes.map((x) => x.kind)).not.toContain('cni-config')
    expect(p.findings).toContainEqual(expect.objectContaining({severity: 'warning', kind: 'cni-config', message: 'not changed while bridge is blocked (see the error above)'}))
  })
})
