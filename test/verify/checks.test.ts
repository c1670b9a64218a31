import {describe, expect, it} from 'vitest'
import type {Change, NodePlan} from '../../src/plan/types.js'
import {FakeTransport} from '../../src/transport/fake.js'
import {conflistChecks, pluginChecks} from '../../src/verify/cni-checks.js'
import {parseConflist} from '../../src/verify/conflist.js'
import {forwardPolicyChecks} from '../../src/verify/firewall-checks.js'
import {mtuCheck, rpFilterCheck, sysctlChecks} from '../../src/verify/kernel-checks.js'
import {dataPlaneBlockers} from '../../src/verify/node-checks.js'
import type {NodeState} from '../../src/verify/node-state.js'
import {nextHopChecks} from '../../src/verify/route-checks.js'
import {stateChecks} from '../../src/verify/state-checks.js'
import {cluster} from '../helpers/cluster.js'
import {convergedFacts} from '../helpers/facts.js'

const c = cluster(3)
const n1 = c.nodes[0]!
const facts = () => convergedFacts(c, n1)
const plan = (over: Partial<NodePlan> = {}): NodePlan => ({name: 'node1', address: n1.address, factsDigest: 'x', changes: [], findings: [], ...over})
const change = (over: Partial<Change>): Change => ({action: 'create', kind: 'route', id: '10.244.2.0/24', before: null, after: '10.244.2.0/24 via 172.31.250.12', steps: [], undo: [], ...over})
const byName = <T extends {check: string}>(cs: T[], name: string) => cs.find((x) => x.check === name)

describe('state checks: re-plan, every pending change is drift', () => {
  it('no changes: in sync', () => {
    const cs = stateChecks(c, n1, plan())
    expect(cs.map((x) => [x.check, x.status])).toEqual([['node reachable', 'pass'], ['in sync', 'pass']])
  })

  it('each change is a failed check named by kind and id, with wanted/found and the apply command as fix', () => {
    const cs = stateChecks(c, n1, plan({changes: [change({}), change({action: 'update', kind: 'bridge', id: 'v-net-0', before: 'mtu 1400, up', after: 'mtu 1500, up', reason: 'mtu 1400 -> 1500'}), change({action: 'delete', kind: 'bridge-address', id: '10.244.9.1/24', before: '10.244.9.1/24', after: null})]}))
    expect(cs.filter((x) => x.status === 'fail').map((x) => `${x.check}: ${x.detail}`)).toEqual([
      'drift route 10.244.2.0/24: create: missing: wanted 10.244.2.0/24 via 172.31.250.12',
      'drift bridge v-net-0: update: found mtu 1400, up, wanted mtu 1500, up (mtu 1400 -> 1500)',
      'drift bridge-address 10.244.9.1/24: delete: should not be there: found 10.244.9.1/24',
    ])
    expect(cs[1]!.fix).toBe('netprov apply -f /tmp/netprov.yaml --node node1')
    expect(byName(cs, 'in sync')).toBeUndefined()
  })

  it('error findings fail, warnings pass with their text; a config sorting first is left to its own check', () => {
    const cs = stateChecks(c, n1, plan({findings: [
      {severity: 'error', kind: 'route', id: '10.244.2.0/24', message: 'foreign route', fix: 'delete it'},
      {severity: 'warning', kind: 'route', id: '10.244.99.0/24', message: 'someone else\'s route'},
      {severity: 'warning', kind: 'cni-config', id: '/etc/cni/net.d/00-x.conflist', message: '00-x.conflist sorts before 10-netprov.conflist: ...'},
    ]}))
    expect(byName(cs, 'finding route 10.244.2.0/24')).toMatchObject({status: 'fail', detail: 'foreign route', fix: 'delete it'})
    expect(byName(cs, 'finding route 10.244.99.0/24')).toMatchObject({status: 'pass', detail: "warning: someone else's route"})
    expect(cs.some((x) => x.check.includes('00-x'))).toBe(false)
  })

  it('an unreachable node is one failed check with the transport\'s cause', () => {
    expect(stateChecks(c, n1, plan({error: {code: 'CONNECT_FAILED', message: 'node node1: cannot connect: connection refused', suggestions: ['check sshd']}}))).toEqual([
      {node: 'node1', check: 'node reachable', status: 'fail', detail: 'node node1: cannot connect: connection refused', fix: 'check sshd'},
    ])
  })
})

describe('CNI checks', () => {
  it('a config that sorts before netprov\'s fails: the runtime would load it', () => {
    const f = facts()
    f.confDir = ['00-other.conflist', '10-netprov.conflist', '99-late.conf']
    const {checks, list} = conflistChecks(c, n1, f)
    expect(byName(checks, 'cni config order')).toMatchObject({status: 'fail', detail: expect.stringMatching(/00-other.conflist sorts before 10-netprov.conflist/)})
    expect(list?.name).toBe('netprov')
  })

  it('a missing or broken conflist fails and yields no list (so no data plane)', () => {
    const f = facts()
    f.files['/etc/cni/net.d/10-netprov.conflist'] = null
    expect(conflistChecks(c, n1, f)).toMatchObject({checks: [{check: 'cni config order', status: 'pass'}, {check: 'cni conflist', status: 'fail'}]})
    f.files['/etc/cni/net.d/10-netprov.conflist'] = '{"cniVersion":"1.0.0","plugins":[]}'
    const r = conflistChecks(c, n1, f)
    expect(r.list).toBeUndefined()
    expect(byName(r.checks, 'cni conflist')!.detail).toMatch(/no "name"; no "plugins"/)
  })

  it('each binary the list runs, and loopback, must be there and answer VERSION with the right version', () => {
    const list = parseConflist(facts().files['/etc/cni/net.d/10-netprov.conflist']!).list!
    const ok = {state: 'ran' as const, exitCode: 0, stdout: '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}'}
    const cs = pluginChecks(c, n1, list, {bridge: ok, 'host-local': ok, portmap: {state: 'missing'}, loopback: {state: 'not-executable'}})
    expect(cs.map((x) => `${x.check} ${x.status}`)).toEqual(['cni plugin bridge pass', 'cni plugin host-local pass', 'cni plugin portmap fail', 'cni plugin loopback fail'])
    expect(byName(cs, 'cni plugin portmap')!.fix).toMatch(/netprov apply .* \(copies it from \/usr\/lib\/cni\)/)
  })
})

describe('kernel checks', () => {
  it('forwarding and bridge-nf-call must be on; a missing bridge key means br_netfilter is not loaded', () => {
    const f = facts()
    f.sysctls['net.ipv4.ip_forward'] = '0'
    delete f.sysctls['net.bridge.bridge-nf-call-iptables']
    const cs = sysctlChecks(c, n1, f)
    expect(byName(cs, 'sysctl net.ipv4.ip_forward')).toMatchObject({status: 'fail', detail: '= 0: IPv4 forwarding is off: the node does not route pod traffic to other nodes'})
    expect(byName(cs, 'sysctl net.bridge.bridge-nf-call-iptables')).toMatchObject({status: 'fail', fix: expect.stringMatching(/^modprobe br_netfilter/)})
  })

  it('IPv6 forwarding off in a dual-stack cluster is named as such', () => {
    const dual = cluster(2, {podCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56']})
    const f = convergedFacts(dual, dual.nodes[0]!)
    f.sysctls['net.ipv6.conf.all.forwarding'] = '0'
    expect(byName(sysctlChecks(dual, dual.nodes[0]!, f), 'sysctl net.ipv6.conf.all.forwarding')).toMatchObject({status: 'fail', detail: expect.stringMatching(/in a dual-stack cluster/)})
  })

  it('rp_filter: off/loose passes; strict passes with a warning while routes are symmetric, fails once a pod source routes back elsewhere', () => {
    const f = facts()
    f.sysctls['net.ipv4.conf.all.rp_filter'] = '2'
    expect(rpFilterCheck(c, n1, f)).toMatchObject({status: 'pass', detail: expect.stringMatching(/^not strict .*v-net-0=2, eth0=2/)})
    f.sysctls['net.ipv4.conf.all.rp_filter'] = '0'
    f.sysctls['net.ipv4.conf.eth0.rp_filter'] = '1'
    expect(rpFilterCheck(c, n1, f)).toMatchObject({status: 'pass', detail: expect.stringMatching(/^warning: strict \(rp_filter=1\) on eth0/), fix: expect.stringMatching(/rp_filter=2/)})
    f.routes = f.routes.filter((r) => r.dst !== '10.244.2.0/24')
    expect(rpFilterCheck(c, n1, f)).toMatchObject({status: 'fail', detail: 'strict reverse-path filtering (rp_filter=1) on eth0 drops pod traffic: 10.244.2.0/24 arrives on eth0 but routes back nowhere (no route)'})
    f.routes.push({dst: 'default', via: '192.168.0.1', dev: 'eth1', protocol: 'dhcp', family: 4})
    expect(rpFilterCheck(c, n1, f)!.detail).toMatch(/10.244.2.0\/24 arrives on eth0 but routes back via eth1/)
  })

  it('a bridge MTU above the underlay\'s fails', () => {
    const f = facts()
    expect(mtuCheck(c, n1, f, 1500)).toMatchObject({status: 'pass'})
    f.links.find((l) => l.name === 'v-net-0')!.mtu = 9000
    // the node drifted from a cluster file that fits: apply repairs it
    expect(mtuCheck(c, n1, f, 9000)).toMatchObject({status: 'fail', detail: expect.stringMatching(/^v-net-0 MTU 9000, the conflist's pod MTU 9000 > eth0 MTU 1500/), fix: "netprov apply (the cluster file's mtu 1500 fits; the node drifted from it)"})
    // the cluster file itself asks for too much: change it
    expect(mtuCheck({...c, bridge: {...c.bridge, mtu: 9000}}, n1, f, 9000)).toMatchObject({status: 'fail', detail: expect.stringMatching(/^spec.bridge.mtu 9000/), fix: 'set spec.bridge.mtu to 1500 or less, then netprov apply'})
  })
})

describe('routes and firewall', () => {
  it('each host-gw next hop must be on-link', () => {
    const f = facts()
    expect(nextHopChecks(c, n1, f).map((x) => `${x.check} ${x.status}`)).toEqual(['route next hop 172.31.250.12 pass', 'route next hop 172.31.250.13 pass'])
    f.routes = f.routes.filter((r) => r.dst !== '172.31.250.0/24')
    expect(nextHopChecks(c, n1, f)[0]).toMatchObject({status: 'fail', detail: 'no connected route covers 172.31.250.12 (node2): host-gw needs every node on one L2 segment'})
    expect(nextHopChecks(cluster(3, {routing: 'none'}), n1, f)).toEqual([])
  })

  it('the forward policy is skipped, not passed, when no firewall tool can be read', () => {
    expect(forwardPolicyChecks(c, n1, {iptables4: {state: 'absent'}, nft: {state: 'absent'}})).toEqual([{node: 'node1', check: 'forward policy', status: 'skip', detail: 'cannot read the firewall: neither iptables-save nor nft on the node'}])
    expect(forwardPolicyChecks(c, n1, {iptables4: {state: 'ok', tables: []}, nft: {state: 'absent'}})[0]).toMatchObject({status: 'pass', detail: 'no chain filters forwarded traffic'})
  })
})

describe('the data plane runs only where ADD would change nothing but its own pods', () => {
  const state = (f = facts()): NodeState => ({node: n1, transport: new FakeTransport('node1', () => ({exitCode: 0, stdout: '', stderr: ''})), plan: plan(), facts: f})
  const list = parseConflist(facts().files['/etc/cni/net.d/10-netprov.conflist']!).list!

  it('a converged node has no blockers', () => {
    expect(dataPlaneBlockers(c, state(), list)).toEqual([])
  })

  it('a missing bridge, a down bridge, a missing gateway address or forwarding off would be repaired by the bridge plugin', () => {
    const f = facts()
    f.links = f.links.filter((l) => l.name !== 'v-net-0')
    expect(dataPlaneBlockers(c, state(f), list)).toEqual(['the bridge v-net-0 does not exist (the bridge plugin would create it)'])
    const g = facts()
    g.links.find((l) => l.name === 'v-net-0')!.up = false
    g.addresses = g.addresses.filter((a) => a.dev !== 'v-net-0')
    g.sysctls['net.ipv4.ip_forward'] = '0'
    expect(dataPlaneBlockers(c, state(g), list)).toEqual([
      'the bridge v-net-0 is down (the bridge plugin would set it up)',
      'v-net-0 lacks the gateway address 10.244.1.1/24 (the bridge plugin would add it)',
      'IPv4 forwarding is off (the bridge plugin would turn it on)',
    ])
  })

  it('another IPv4 address on the bridge is no blocker: ADD fails with the plugin\'s own message and changes nothing', () => {
    const f = facts()
    f.addresses = f.addresses.map((a) => (a.cidr === '10.244.1.1/24' ? {...a, cidr: '10.244.1.99/24'} : a))
    expect(dataPlaneBlockers(c, state(f), list)).toEqual([])
  })
})
