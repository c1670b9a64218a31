import {describe, expect, it} from 'vitest'
import {type DriverEvent, parseDriverOutput} from '../../src/verify/driver-output.js'
import {plannedPortProbes, portChecks, portsFile} from '../../src/verify/ports.js'
import {cluster} from '../helpers/cluster.js'

const c = cluster(3, {firewall: {backend: 'nftables', extraPorts: []}})
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe("the role's firewall ports, probed from a peer node", () => {
  const plan = plannedPortProbes(c, c.nodes)

  it('each node is probed by the one before it (a ring); ranges at both ends; one line per probe', () => {
    expect([...plan.entries()].map(([prober, ps]) => `${prober} -> ${ps[0]!.target.name}`)).toEqual(['node3 -> node1', 'node1 -> node2', 'node2 -> node3'])
    expect(plan.get('node3')!.map((p) => `${p.rule.protocol} ${p.port}`)).toEqual(['tcp 22', 'tcp 2379', 'tcp 2380', 'tcp 6443', 'tcp 10250', 'tcp 10257', 'tcp 10259'])
    expect(plan.get('node1')!.map((p) => `${p.rule.protocol} ${p.port}`)).toEqual(['tcp 22', 'tcp 10250', 'tcp 10256', 'tcp 30000', 'tcp 32767', 'udp 30000', 'udp 32767'])
    expect(portsFile(plan.get('node1')!.slice(0, 2))).toBe('q0 tcp 172.31.250.12 22\nq1 tcp 172.31.250.12 10250\n')
    expect(plannedPortProbes(c, c.nodes.slice(0, 1)).size).toBe(0)
  })

  it('refused/answered is open, silence is filtered; one check per rule on the probed node', () => {
    const out = plan.get('node1')!.map((p) => `@@NV port ${p.label} ${p.port === 32767 && p.rule.protocol === 'udp' ? 'filtered' : 'open'} ${b64('x')}`).join('\n')
    const events = new Map([['node1', parseDriverOutput(out)], ['node2', undefined]])
    const cs = portChecks(c, c.nodes, plan, events)
    const node2 = cs.filter((x) => x.node === 'node2')
    expect(node2.map((x) => `${x.check} ${x.status}`)).toEqual(['firewall port tcp 22 pass', 'firewall port tcp 10250 pass', 'firewall port tcp 10256 pass', 'firewall port tcp 30000-32767 pass', 'firewall port udp 30000-32767 fail'])
    expect(node2.at(-1)).toMatchObject({detail: 'from node1: 32767 filtered (no answer, or ICMP rate-limited)', fix: expect.stringMatching(/^netprov apply .* --node node2 \(opens it\)/)})
    expect(cs.filter((x) => x.node === 'node3').every((x) => x.status === 'skip' && x.detail === 'could not probe from node2')).toBe(true)
  })

  it('a prober without bash/timeout, or a single node, skips with the reason', () => {
    const noTools: DriverEvent[] = [{kind: 'noportprobe'}, {kind: 'done'}]
    expect(portChecks(c, c.nodes, plan, new Map([['node3', noTools]])).find((x) => x.node === 'node1')).toMatchObject({status: 'skip', detail: 'node3 has no bash or timeout to probe ports with'})
    expect(portChecks(c, c.nodes.slice(0, 1), new Map(), new Map())).toEqual([{node: 'node1', check: 'firewall ports', status: 'skip', detail: 'no other node to probe from (verify at least two nodes)'}])
  })

  it("when even the target's SSH port does not answer, the prober's path is blamed, not the target's firewall", () => {
    const p = plan.get('node3')! // node3 probes node1
    const out = p.map((x) => `@@NV port ${x.label} filtered ${b64('')}`).join('\n')
    const cs = portChecks(c, c.nodes, plan, new Map([['node3', parseDriverOutput(out)]]))
    expect(cs.find((x) => x.node === 'node3' && x.check === 'port probes to node1')).toMatchObject({status: 'fail', fix: expect.stringMatching(/^check node3's own firewall/)})
    expect(cs.filter((x) => x.node === 'node1').every((x) => x.status === 'skip' && /probes from node3 do not get through/.test(x.detail ?? ''))).toBe(true)
  })

  it('a rejected probe says what came back', () => {
    const p = plan.get('node3')!
    const out = p.map((x) => `@@NV port ${x.label} ${x.port === 6443 ? 'rejected' : 'open'} ${b64(x.port === 6443 ? 'bash: connect: No route to host\n' : '')}`).join('\n')
    expect(portChecks(c, c.nodes, plan, new Map([['node3', parseDriverOutput(out)]])).find((x) => x.check === 'firewall port tcp 6443')).toMatchObject({node: 'node1', status: 'fail', detail: 'from node3: 6443 rejected: bash: connect: No route to host'})
    const none = cluster(3)
    const cs = portChecks(none, none.nodes, plannedPortProbes(none, none.nodes), new Map([['node3', parseDriverOutput(out)]]))
    expect(cs.find((x) => x.check === 'firewall port tcp 6443')!.fix).toBe("open tcp 6443 to the other nodes in the node's firewall (spec.firewall.backend is none)")
  })
})
