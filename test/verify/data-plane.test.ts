import {execa} from 'execa'
import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {renderConflist} from '../../src/resources/cni-config.js'
import {connectivityChecks, pingOutcomes} from '../../src/verify/connectivity-checks.js'
import {parseConflist} from '../../src/verify/conflist.js'
import {type DriverEvent, parseDriverOutput, parseSeen} from '../../src/verify/driver-output.js'
import {type Ping, peers, pingsFile, plannedPings} from '../../src/verify/ping-plan.js'
import {seenByPod, teardownChecks} from '../../src/verify/teardown.js'
import {type NodeRun, newNodeRun, setupArchive, setupArgv, setupChecks} from '../../src/verify/test-pods.js'
import {cluster} from '../helpers/cluster.js'

// The data plane's pure halves on driver output captured from a lab run (node1 of 2, run 83ceec23).
const captured = (f: string) => readFileSync(new URL(`fixtures/${f}`, import.meta.url), 'utf8')
const c = cluster(2)
const list = parseConflist(renderConflist(c, c.nodes[0]!)).list!
const run = (node = 0): NodeRun => newNodeRun(c, c.nodes[node]!, list, '83ceec23')

describe('test pods: setup', () => {
  it('names pods, namespaces and state by run id; CHECK runs for 1.0.0', () => {
    const r = run()
    expect(r.pods.map((p) => [p.cid, p.netns])).toEqual([['netprov-verify-83ceec23-a', 'netprov-verify-83ceec23-a'], ['netprov-verify-83ceec23-b', 'netprov-verify-83ceec23-b']])
    expect(r).toMatchObject({stateDir: '/run/netprov/verify/83ceec23', ipamDir: '/var/lib/cni/networks/netprov', check: true, binDir: '/opt/cni/bin'})
    expect(setupArgv(r).slice(3)).toEqual(['netprov-verify', 'setup', '/run/netprov/verify/83ceec23', '/opt/cni/bin', '/var/lib/cni/networks/netprov', '1'])
  })

  it("sends the driver, the pods and each plugin's config prefix as a tar archive", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-verify-tar-'))
    await execa('tar', ['-xf', '-', '-C', dir], {input: setupArchive(run())})
    expect(readdirSync(dir).sort()).toEqual(['chain', 'conf.0', 'conf.1', 'delchain', 'driver.sh', 'lo.conf', 'pods', 'recorder-plain.nft', 'recorder.nft'])
    expect(readFileSync(join(dir, 'chain'), 'utf8')).toBe('0 bridge\n1 portmap\n')
    expect(readFileSync(join(dir, 'delchain'), 'utf8')).toBe('1 portmap\n0 bridge\n')
    expect(JSON.parse(readFileSync(join(dir, 'conf.0'), 'utf8') + '}')).toMatchObject({type: 'bridge', name: 'netprov', cniVersion: '1.0.0'})
  })

  it('reads the captured setup: both pods ready with their address and an nft recorder', () => {
    const r = run()
    const cs = setupChecks(r, parseDriverOutput(captured('driver-setup.out')))
    expect(cs.map((x) => `${x.check} ${x.status}`)).toEqual(['cni ADD pod-a pass', 'cni result pod-a pass', 'cni CHECK pod-a pass', 'cni ADD pod-b pass', 'cni result pod-b pass', 'cni CHECK pod-b pass'])
    expect(r.pods.map((p) => [p.ready, p.ips, p.recorder])).toEqual([[true, ['10.244.1.39'], 'nft'], [true, ['10.244.1.40'], 'nft']])
  })

  it('a failing plugin fails ADD with its message and which plugin it was; the pod is not used', () => {
    const r = run()
    const events: DriverEvent[] = [
      {kind: 'step', cid: r.pods[0]!.cid, label: 'ADD:lo', exitCode: 0, stdout: '{}', stderr: ''},
      {kind: 'step', cid: r.pods[0]!.cid, label: 'ADD:0', exitCode: 1, stdout: '{"code":999,"msg":"failed to set bridge addr"}', stderr: ''},
      {kind: 'netns', cid: r.pods[1]!.cid, error: 'Cannot create namespace file: Permission denied'},
      {kind: 'done'},
    ]
    const cs = setupChecks(r, events)
    expect(cs.map((x) => `${x.check} ${x.status}: ${x.detail}`)).toEqual([
      'cni ADD pod-a fail: bridge (plugin 1 of 2) failed: error 999 (internal error): failed to set bridge addr',
      'cni result pod-a skip: no result: ADD failed',
      'cni CHECK pod-a skip: ADD failed',
      'cni ADD pod-b fail: ip netns add netprov-verify-83ceec23-b failed: Cannot create namespace file: Permission denied',
    ])
    expect(r.pods.every((p) => !p.ready)).toBe(true)
  })

  it('a setup cut off half-way is a failure, not a pass', () => {
    const r = run()
    const cs = setupChecks(r, [{kind: 'step', cid: r.pods[0]!.cid, label: 'ADD:0', exitCode: 0, stdout: '{}', stderr: ''}])
    expect(cs[0]).toMatchObject({check: 'cni ADD pod-a', status: 'fail', detail: 'the setup did not finish'})
  })
})

describe('teardown', () => {
  it('reads the captured teardown: DEL in reverse order passed, nothing left', () => {
    const r = run()
    const events = parseDriverOutput(captured('driver-teardown.out'))
    expect(events.filter((e) => e.kind === 'step').map((e) => (e.kind === 'step' ? `${e.cid.slice(-1)} ${e.label}` : ''))).toEqual(['a DEL:lo', 'a DEL:1', 'a DEL:0', 'b DEL:lo', 'b DEL:1', 'b DEL:0'])
    expect(teardownChecks(r, events, true).map((x) => `${x.check} ${x.status}`)).toEqual(['cni DEL pod-a pass', 'cni DEL pod-b pass', 'cleanup pass'])
  })

  it('what DEL left behind fails cleanup even when verify removed it; what could not be removed is named with the command', () => {
    const r = run()
    const removedByVerify: DriverEvent[] = [{kind: 'left', what: 'ipam', name: '10.244.1.39'}, {kind: 'removed', what: 'ipam', name: '10.244.1.39'}, {kind: 'done'}]
    expect(teardownChecks(r, removedByVerify, false)).toEqual([{node: 'node1', check: 'cleanup', status: 'fail', detail: 'DEL left IPAM reservation 10.244.1.39 behind; verify removed it (a runtime would leak it)', fix: "the plugins' DEL does not release everything ADD made"}])
    const stuck: DriverEvent[] = [{kind: 'left', what: 'netns', name: 'netprov-verify-83ceec23-a'}, {kind: 'done'}]
    expect(teardownChecks(r, stuck, false)[0]).toMatchObject({status: 'fail', detail: 'left on the node: netns netprov-verify-83ceec23-a', fix: 'remove by hand: ip netns del netprov-verify-83ceec23-a'})
    expect(teardownChecks(r, [], false)[0]).toMatchObject({check: 'cleanup', status: 'fail', detail: 'the teardown did not finish'})
  })

  it('what the recorders saw: nft sets with counters and xt_recent lists', () => {
    const seen = seenByPod(parseDriverOutput(captured('driver-teardown.out')))
    expect(seen.get('netprov-verify-83ceec23-a')).toEqual(new Map())
    expect(seen.get('netprov-verify-83ceec23-b')).toEqual(new Map([['10.244.1.39', 2], ['10.244.2.2', 2]]))
    expect(parseSeen('iptables', captured('xt-recent.out'))).toEqual(new Map([['10.244.2.3', 2], ['::1', 1]]))
    expect(parseSeen('nft', 'elements = { 10.0.0.1, fd00::2 }\n')).toEqual(new Map([['10.0.0.1', null], ['fd00::2', null]]))
  })
})

describe('pings', () => {
  it('every ordered pair up to 10 nodes; beyond, a ring both ways plus two far samples', () => {
    const names = (n: number) => Array.from({length: n}, (_, i) => `n${i}`)
    expect(peers(names(3))).toEqual(new Map([['n0', ['n1', 'n2']], ['n1', ['n0', 'n2']], ['n2', ['n0', 'n1']]]))
    expect([...peers(names(10)).values()].every((t) => t.length === 9)).toBe(true)
    const big = peers(names(30))
    expect(big.get('n0')).toEqual(['n1', 'n29', 'n15', 'n10'])
    expect([...big.values()].every((t) => t.length === 4)).toBe(true)
    const targeted = new Set([...big.values()].flat())
    expect(targeted.size).toBe(30)
  })

  const ready = (r: NodeRun, ips: string[][]) => {
    r.pods.forEach((p, i) => Object.assign(p, {ready: true, ips: ips[i], recorder: 'nft'}))
    return r
  }

  it('from pod a: the gateway, pod b on the same node, pod b on every peer; one line per ping for the probe', () => {
    const r1 = ready(run(0), [['10.244.1.2'], ['10.244.1.3']])
    const r2 = ready(run(1), [['10.244.2.2'], ['10.244.2.3']])
    const pings = plannedPings(r1, new Map([['node1', r1], ['node2', r2]]), ['node2'], false)
    expect(pings.map((p) => `${p.label} ${p.check} ${p.target} ${p.noNat ?? ''}`.trim())).toEqual([
      'p0 ping pod -> gateway 10.244.1.1',
      'p1 ping pod -> pod (same node) 10.244.1.3 no-nat pod -> pod (same node)',
      'p2 ping node1 -> node2 10.244.2.3 no-nat node1 -> node2',
    ])
    expect(pingsFile(pings)).toBe('p0 netprov-verify-83ceec23-a 10.244.1.1\np1 netprov-verify-83ceec23-a 10.244.1.3\np2 netprov-verify-83ceec23-a 10.244.2.3\n')
  })

  it('dual-stack: one ping per family, the IPv6 ones named so', () => {
    const dual = cluster(2, {podCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56']})
    dual.nodes.forEach((n, i) => Object.assign(n, {podCIDRs: [`10.244.${i + 1}.0/24`, `fd00:10:244:${i + 1}::/64`], gateways: [`10.244.${i + 1}.1/24`, `fd00:10:244:${i + 1}::1/64`]}))
    const r1 = ready(newNodeRun(dual, dual.nodes[0]!, list, 'r'), [['10.244.1.2', 'fd00:10:244:1::2'], ['10.244.1.3', 'fd00:10:244:1::3']])
    const r2 = ready(newNodeRun(dual, dual.nodes[1]!, list, 'r'), [['10.244.2.2', 'fd00:10:244:2::2'], ['10.244.2.3', 'fd00:10:244:2::3']])
    expect(plannedPings(r1, new Map([['node1', r1], ['node2', r2]]), ['node2'], true).map((p) => p.check)).toEqual([
      'ping pod -> gateway', 'ping pod -> gateway IPv6', 'ping pod -> pod (same node)', 'ping pod -> pod (same node) IPv6', 'ping node1 -> node2', 'ping node1 -> node2 IPv6',
    ])
  })

  describe('judged with what the receiver saw', () => {
    const r1 = ready(run(0), [['10.244.1.2'], ['10.244.1.3']])
    const r2 = ready(run(1), [['10.244.2.2'], ['10.244.2.3']])
    const pings: Ping[] = plannedPings(r1, new Map([['node1', r1], ['node2', r2]]), ['node2'], false).filter((p) => p.to === 'node2')
    const ips = new Set(['10.244.1.2', '10.244.1.3', '10.244.2.2', '10.244.2.3'])
    const out = (rc: number, received: number) => new Map([['p2', {exitCode: rc, output: `2 packets transmitted, ${received} received, 0% packet loss`}]])
    const seenOn = (m: [string, number][]) => new Map([['node2 netprov-verify-83ceec23-b', new Map(m)]])
    const judge = (o: ReturnType<typeof out> | 'no-ping', m: [string, number][]) => connectivityChecks(pings, o, seenOn(m), ips).map((x) => `${x.check} ${x.status}: ${x.detail}`)

    it('a reply, and the sender\'s own address seen on the other side: both pass', () => {
      expect(judge(out(0, 2), [['10.244.1.2', 2]])).toEqual([
        "ping node1 -> node2 pass: 10.244.1.2 -> node2's test pod 10.244.2.3: 2/2 replies",
        "no-nat node1 -> node2 pass: node2's test pod saw the request from 10.244.1.2, the sender's own pod address (2 packets)",
      ])
    })

    it('a reply, but the receiver saw the node address: NAT', () => {
      const cs = connectivityChecks(pings, out(0, 2), seenOn([['172.31.250.11', 2]]), ips)
      expect(cs[1]).toMatchObject({status: 'fail', detail: "node2's test pod saw requests from 172.31.250.11, not from 10.244.1.2: the source address is rewritten (NAT) between the pods", fix: expect.stringMatching(/MASQUERADE/)})
    })

    it('no reply and nothing arrived: the ping fails, no-NAT cannot be judged', () => {
      expect(judge(out(1, 0), [])).toEqual([
        "ping node1 -> node2 fail: 10.244.1.2 -> node2's test pod 10.244.2.3: no reply (0/2 replies)",
        'no-nat node1 -> node2 skip: no request reached node2\'s test pod (see "ping node1 -> node2")',
      ])
    })

    it('the request arrived with the right source but no reply came back: ping fails, no-NAT passes (the drop is on the way back)', () => {
      expect(judge(out(1, 0), [['10.244.1.2', 2]]).map((x) => x.split(':')[0])).toEqual(['ping node1 -> node2 fail', 'no-nat node1 -> node2 pass'])
    })

    it('without ping or a recorder on the node, the checks are skipped with the reason', () => {
      expect(judge('no-ping', [])[0]).toBe('ping node1 -> node2 skip: no ping on node1: cannot send test traffic')
      r2.pods[1]!.recorder = 'none'
      expect(judge(out(0, 2), [])[1]).toMatch(/^no-nat node1 -> node2 skip: node2 has neither nft nor iptables/)
      r2.pods[1]!.recorder = 'nft'
    })

    it('parses the captured probe output', () => {
      const o = pingOutcomes(parseDriverOutput(captured('driver-probe.out')))
      expect(o).not.toBe('no-ping')
      expect([...(o as Map<string, {exitCode: number}>).entries()].map(([k, v]) => `${k} ${v.exitCode}`)).toEqual(['p0 0', 'p1 0', 'p2 0'])
    })
  })
})
