import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Plan} from '../../src/plan/types.js'
import {FILE_HEADER} from '../../src/resources/markers.js'
import {type TestLab, startLab} from '../helpers/lab.js'
import {clusterVariant} from '../helpers/probe.js'
import {netprov, netprovJson} from './cli.js'

// kubelet flags and containerd's CNI keys on real nodes. The lab has no systemd: no kubelet.service
// and no running containerd, so nothing is restarted and the plan says a kubelet restart is needed.
// node1 starts with a containerd 1.x style config (version 2) holding other settings; node2 with none.
const V2_BEFORE = `# containerd config, by hand
version = 2
root = "/var/lib/containerd"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = '/usr/lib/cni'   # the distro's
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
`
let lab: TestLab
let file: string
// Exact bytes (lab.exec strips the final newline of its output).
const cat = async (node: string, path: string) => Buffer.from((await lab.exec(node, ['base64', '-w0', path])).stdout, 'base64').toString('utf8')

beforeAll(async () => {
  lab = await startLab({nodes: 2})
  file = clusterVariant(lab, 'kubelet', {'spec.kubelet': {extraArgs: {'max-pods': '110'}}, 'spec.firewall': {backend: 'none'}})
  await lab.exec('node1', ['sh', '-c', 'cat > /etc/containerd/config.toml && chmod 600 /etc/containerd/config.toml'], {input: V2_BEFORE})
})
afterAll(async () => {
  await lab?.stop()
})

describe('kubelet flags and containerd on a real lab', () => {
  it('plan: create the flags file; containerd: an update on node1, a new file on node2; restarts explained', async () => {
    const {json} = await netprovJson<Plan>(['plan', '-f', file])
    const mine = (n: string) => json.nodes.find((x) => x.name === n)!.changes.filter((c) => c.kind === 'kubelet-flags' || c.kind === 'containerd')
    expect(mine('node1').map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual(['create kubelet-flags /etc/default/kubelet', 'update containerd /etc/containerd/config.toml'])
    expect(mine('node2').map((c) => `${c.action} ${c.kind}`)).toEqual(['create kubelet-flags', 'create containerd'])
    expect(mine('node1')[0]!.reason).toMatch(/kubelet.service not found: restart the kubelet yourself/)
    expect(mine('node1')[1]!.reason).toMatch(/containerd is not running: it reads them when it starts/)
    expect(mine('node1')[1]!.before).toContain('bin_dir = "/usr/lib/cni"\nconf_dir = not set\n')
  })

  it('apply writes them; only the CNI keys of the existing config change, its mode too stays', async () => {
    const r = await netprov(['apply', '-f', file, '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await cat('node1', '/etc/default/kubelet')).toBe(`${FILE_HEADER}\nKUBELET_EXTRA_ARGS="--node-ip=${lab.node('node1').address} --max-pods=110"\n`)
    expect(await cat('node2', '/etc/default/kubelet')).toContain(`--node-ip=${lab.node('node2').address} `)
    expect(await cat('node1', '/etc/containerd/config.toml')).toBe(
      V2_BEFORE.replace("bin_dir = '/usr/lib/cni'", "bin_dir = '/opt/cni/bin'").replace('    max_conf_num = 1\n', "    max_conf_num = 1\n    conf_dir = \"/etc/cni/net.d\"\n"),
    )
    expect((await lab.exec('node1', ['stat', '-c', '%a', '/etc/containerd/config.toml'])).stdout.trim()).toBe('600')
    // no containerd on the lab nodes: a version 2 file, which containerd 1.x and 2.x both read
    expect(await cat('node2', '/etc/containerd/config.toml')).toBe('version = 2\n\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/opt/cni/bin"\n  conf_dir = "/etc/cni/net.d"\n')
  })

  it('a second apply changes nothing', async () => {
    expect((await netprovJson<Plan>(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0)
  })

  it('new extraArgs: one update of the flags file; a file edited by hand is put back', async () => {
    const more = clusterVariant(lab, 'kubelet-more', {'spec.kubelet': {extraArgs: {'max-pods': '250', 'cgroup-driver': 'systemd'}}, 'spec.firewall': {backend: 'none'}})
    await lab.exec('node1', ['sh', '-c', "sed -i 's|/opt/cni/bin|/elsewhere|' /etc/containerd/config.toml"])
    const {json} = await netprovJson<Plan>(['plan', '-f', more, '--node', 'node1'])
    expect(json.nodes[0]!.changes.map((c) => `${c.action} ${c.kind}`)).toEqual(['update kubelet-flags', 'update containerd'])
    expect((await netprov(['apply', '-f', more, '--yes'])).exitCode).toBe(0)
    expect(await cat('node1', '/etc/default/kubelet')).toContain('--node-ip=' + lab.node('node1').address + ' --cgroup-driver=systemd --max-pods=250"')
    expect(await cat('node1', '/etc/containerd/config.toml')).toContain("bin_dir = '/opt/cni/bin'   # the distro's")
    expect((await netprovJson<Plan>(['plan', '-f', more, '--detailed-exitcode'])).exitCode).toBe(0)
  })
})
