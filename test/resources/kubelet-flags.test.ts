import {describe, expect, it} from 'vitest'
import type {Cluster} from '../../src/config/types.js'
import type {NodeFacts} from '../../src/facts/types.js'
import {planNode} from '../../src/plan/planner.js'
import {kubeletFlags, renderKubeletFlags} from '../../src/resources/kubelet-flags.js'
import {FILE_HEADER} from '../../src/resources/markers.js'
import {cluster, node} from '../helpers/cluster.js'
import {freshFacts, localFacts} from '../helpers/facts.js'

const FILE = '/etc/default/kubelet'
const RESTART = {op: 'exec', argv: ['systemctl', 'restart', 'kubelet.service']}
const facts = (c: Cluster, file: string | null, unit: boolean): NodeFacts => ({...freshFacts(c, c.nodes[0]!), files: file === null ? {} : {[FILE]: file}, extra: {'kubelet-unit': unit}})
const plan = (c: Cluster, f: NodeFacts) => planNode(c, c.nodes[0]!, f, localFacts(c), [kubeletFlags])

describe('kubelet flags file', () => {
  it('--node-ip, then extraArgs sorted by name', () => {
    const c = cluster(1, {kubelet: {flagsFile: FILE, legacyCNIFlags: false, extraArgs: {'max-pods': '110', 'cgroup-driver': 'systemd'}}})
    expect(renderKubeletFlags(c, c.nodes[0]!)).toBe(`${FILE_HEADER}\nKUBELET_EXTRA_ARGS="--node-ip=172.31.250.11 --cgroup-driver=systemd --max-pods=110"\n`)
  })

  it('legacy CNI flags for kubelets before 1.24; one address per family for dual-stack nodes', () => {
    const c = cluster(1, {kubelet: {flagsFile: FILE, legacyCNIFlags: true, extraArgs: {}}, cni: {...cluster(1).cni, binDir: '/usr/lib/cni'}})
    expect(renderKubeletFlags(c, node(1, {addresses: ['172.31.250.11', 'fd00::11']}))).toBe(
      `${FILE_HEADER}\nKUBELET_EXTRA_ARGS="--node-ip=172.31.250.11,fd00::11 --network-plugin=cni --cni-conf-dir=/etc/cni/net.d --cni-bin-dir=/usr/lib/cni"\n`,
    )
  })

  it('fresh node with a kubelet unit: written, then the kubelet restarted', () => {
    const c = cluster(1)
    const p = plan(c, facts(c, null, true))
    expect(p.changes.map((x) => `${x.action} ${x.kind} ${x.id}`)).toEqual([`create kubelet-flags ${FILE}`])
    expect(p.changes[0]!.steps).toEqual([{op: 'write', path: FILE, content: renderKubeletFlags(c, c.nodes[0]!), mode: '644'}, RESTART])
    expect(p.changes[0]!.reason).toBe('kubelet.service is restarted to load the new flags')
  })

  it('no kubelet unit: no restart, and the plan says one is needed', () => {
    const c = cluster(1)
    const p = plan(c, facts(c, `${FILE_HEADER}\nKUBELET_EXTRA_ARGS="--node-ip=10.0.0.1"\n`, false))
    expect(p.changes.map((x) => x.action)).toEqual(['update'])
    expect(p.changes[0]!.steps).toEqual([{op: 'write', path: FILE, content: renderKubeletFlags(c, c.nodes[0]!), mode: '644'}])
    expect(p.changes[0]!.reason).toMatch(/^kubelet.service not found: restart the kubelet yourself/)
  })

  it('unchanged: no change, so never a restart', () => {
    const c = cluster(1)
    expect(plan(c, facts(c, renderKubeletFlags(c, c.nodes[0]!), true)).changes).toEqual([])
  })

  it("the kubelet package's empty placeholder is taken over; any other file is someone else's", () => {
    const c = cluster(1)
    expect(plan(c, facts(c, 'KUBELET_EXTRA_ARGS=\n', true)).changes.map((x) => x.action)).toEqual(['update'])
    const foreign = plan(c, facts(c, 'KUBELET_EXTRA_ARGS=--v=2\n', true))
    expect(foreign.changes).toEqual([])
    expect(foreign.findings).toMatchObject([{severity: 'error', kind: 'kubelet-flags', id: FILE}])
  })
})
