import {readFileSync} from 'node:fs'
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

  it('registry credentials in config.toml never show in plan --json, a plan file or apply --json', async () => {
    const auth = '\n[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.com".auth]\n  username = "robot"\n  password = "hunter2-e2e"\n'
    await lab.exec('node1', ['sh', '-c', "sed -i 's|/opt/cni/bin|/elsewhere|' /etc/containerd/config.toml && cat >> /etc/containerd/config.toml"], {input: auth})
    const {json, stderr} = await netprovJson<Plan>(['plan', '-f', file, '--node', 'node1'])
    expect(json.nodes[0]!.changes.filter((c) => c.kind === 'containerd').map((c) => c.action)).toEqual(['update']) // (the kubelet flags go back too)
    expect(JSON.stringify(json) + stderr).not.toMatch(/hunter2|robot|registry\.example\.com/)
    const out = `${lab.dir}/containerd.plan.json`
    expect((await netprov(['plan', '-f', file, '--node', 'node1', '--out', out])).exitCode).toBe(0)
    expect(readFileSync(out, 'utf8')).not.toMatch(/hunter2|robot|registry\.example\.com/)
    const human = await netprov(['plan', '-f', file, '--node', 'node1'])
    expect(human.stdout + human.stderr).not.toMatch(/hunter2|robot|registry\.example\.com/)
    const r = await netprov(['apply', out, '--yes', '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(r.stdout + r.stderr).not.toMatch(/hunter2|robot|registry\.example\.com/)
    const now = await cat('node1', '/etc/containerd/config.toml')
    expect(now.endsWith(auth)).toBe(true) // the credentials are still in the file, untouched
    expect(now).toContain("bin_dir = '/opt/cni/bin'")
  })

  it('a config with an inline parent table cannot be edited safely: an error finding, the file left byte for byte', async () => {
    const inline = 'version = 2\nplugins = { "io.containerd.grpc.v1.cri" = { sandbox_image = "registry.k8s.io/pause:3.9" } }\n'
    await lab.exec('node2', ['sh', '-c', 'cat > /etc/containerd/config.toml'], {input: inline})
    const {exitCode, json} = await netprovJson<Plan>(['plan', '-f', file, '--node', 'node2'])
    expect(exitCode).toBe(1)
    expect(json.nodes[0]!.changes.filter((c) => c.kind === 'containerd')).toEqual([])
    expect(json.nodes[0]!.findings.filter((f) => f.kind === 'containerd')).toMatchObject([
      {severity: 'error', message: '/etc/containerd/config.toml: line 2: cannot edit safely: plugins is an inline table; set cni.bin_dir/conf_dir by hand or use table syntax ([plugins."io.containerd.grpc.v1.cri".cni]); netprov leaves it alone'},
    ])
    const r = await netprov(['apply', '-f', file, '--node', 'node2', '--yes'])
    expect(r.exitCode).toBe(1)
    expect(r.stdout + r.stderr).toMatch(/plugins is an inline table/)
    expect(await cat('node2', '/etc/containerd/config.toml')).toBe(inline)
  })
})
