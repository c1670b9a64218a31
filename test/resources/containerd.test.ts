import {describe, expect, it} from 'vitest'
import type {Cluster} from '../../src/config/types.js'
import {parseContainerd} from '../../src/facts/services.js'
import type {ContainerdFacts} from '../../src/facts/services.js'
import {planNode} from '../../src/plan/planner.js'
import {containerd, newFileVersion} from '../../src/resources/containerd.js'
import {cluster} from '../helpers/cluster.js'
import {freshFacts, localFacts} from '../helpers/facts.js'

const V2_OK = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/opt/cni/bin"\n  conf_dir = "/etc/cni/net.d"\n'
const plan = (f: ContainerdFacts, c: Cluster = cluster(1)) => planNode(c, c.nodes[0]!, {...freshFacts(c, c.nodes[0]!), extra: {containerd: f}}, localFacts(c), [containerd])
const ids = (p: ReturnType<typeof plan>) => p.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)
const RESTART = {op: 'exec', argv: ['systemctl', 'restart', 'containerd.service']}

describe('containerd fact', () => {
  it('parses mode, content, version and activity', () => {
    const out = `mode 600\ncontent ${Buffer.from('version = 2\n').toString('base64')}\nversion containerd containerd.io 1.7.25 bcc810d\nactive\n`
    expect(parseContainerd(out)).toEqual({config: {mode: '600', content: 'version = 2\n'}, version: 'containerd containerd.io 1.7.25 bcc810d', active: true})
    expect(parseContainerd('')).toEqual({config: null, version: null, active: false})
    expect(parseContainerd('mode 644\ncontent \n').config).toEqual({mode: '644', content: ''})
  })

  it('a new file is version 3 only for containerd 2.x', () => {
    expect(newFileVersion('containerd github.com/containerd/containerd/v2 v2.0.2 c507a02')).toBe(3)
    expect(newFileVersion('containerd containerd.io 1.7.25 bcc810d')).toBe(2)
    expect(newFileVersion('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1')).toBe(2)
    expect(newFileVersion(null)).toBe(2)
  })
})

describe('containerd resource', () => {
  it('no config file, containerd 2.x running: a minimal version 3 file, then a restart', () => {
    const p = plan({config: null, version: 'containerd github.com/containerd/containerd/v2 v2.1.0 abc', active: true})
    expect(ids(p)).toEqual(['create containerd /etc/containerd/config.toml'])
    const c = p.changes[0]!
    expect(c.steps).toEqual([{op: 'write', path: '/etc/containerd/config.toml', content: "version = 3\n\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dirs = ['/opt/cni/bin']\n  conf_dir = '/etc/cni/net.d'\n", mode: '644'}, RESTART])
    expect(c.undo).toEqual([{op: 'remove', path: '/etc/containerd/config.toml'}, RESTART])
    expect(c.after).toBe('/etc/containerd/config.toml (config version 3)\n[plugins."io.containerd.cri.v1.runtime".cni]\nbin_dirs = ["/opt/cni/bin"]\nconf_dir = "/etc/cni/net.d"\n')
    expect(c.reason).toBe('no config file yet: a minimal one with only the CNI dirs; containerd is restarted to load them')
  })

  it('converged: nothing, and no restart', () => {
    expect(plan({config: {mode: '644', content: V2_OK}, version: null, active: true}).changes).toEqual([])
  })

  it('drift: an update of the keys only, mode kept, undo puts the old content back; not running = no restart', () => {
    const old = V2_OK.replace('/opt/cni/bin', '/usr/lib/cni') + '\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
    const p = plan({config: {mode: '600', content: old}, version: null, active: false})
    expect(ids(p)).toEqual(['update containerd /etc/containerd/config.toml'])
    const c = p.changes[0]!
    expect(c.steps).toEqual([{op: 'write', path: '/etc/containerd/config.toml', content: old.replace('/usr/lib/cni', '/opt/cni/bin'), mode: '600'}])
    expect(c.undo).toEqual([{op: 'write', path: '/etc/containerd/config.toml', content: old, mode: '600'}])
    expect(c.before).toContain('bin_dir = "/usr/lib/cni"\n')
    expect(c.after).toContain('bin_dir = "/opt/cni/bin"\n')
    expect(c.reason).toBe('only the CNI dir keys change; containerd is not running: it reads them when it starts')
  })

  it('a file it will not edit: an error finding, no change', () => {
    const p = plan({config: {mode: '644', content: 'disabled_plugins = ["cri"]\n'}, version: 'containerd containerd.io 1.6.33 x', active: true})
    expect(p.changes).toEqual([])
    expect(p.findings).toMatchObject([{severity: 'error', kind: 'containerd', id: '/etc/containerd/config.toml', message: expect.stringMatching(/config version 1/)}])
  })

  it('a table above the CNI table given inline (the review\'s case): an error finding naming it, no change, no restart', () => {
    const text = 'version = 2\nplugins = { "io.containerd.grpc.v1.cri" = { sandbox_image = "registry.k8s.io/pause:3.9" } }\n'
    const p = plan({config: {mode: '600', content: text}, version: 'containerd containerd.io 1.7.25 x', active: true})
    expect(p.changes).toEqual([])
    expect(p.findings).toEqual([
      {
        severity: 'error',
        kind: 'containerd',
        id: '/etc/containerd/config.toml',
        message: '/etc/containerd/config.toml: line 2: cannot edit safely: plugins is an inline table; set cni.bin_dir/conf_dir by hand or use table syntax ([plugins."io.containerd.grpc.v1.cri".cni]); netprov leaves it alone',
        fix: 'set the CNI dirs (bin /opt/cni/bin, conf /etc/cni/net.d) yourself, or set spec.containerRuntime.type: none',
      },
    ])
  })

  // config.toml may hold registry credentials: what plan shows (human and --json before/after) is the
  // CNI keys, one line each, never another line of the file. (Write steps carry the content; the plan's
  // JSON and plan files redact it.)
  it('before/after show only the CNI keys, one line each, never other lines of the file', () => {
    const secret = `version = 2
root = "/var/lib/containerd"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.com".auth]
  username = "robot"
  password = "hunter2-s3cret"
  auth = "cm9ib3Q6aHVudGVyMg=="
`
    for (const active of [true, false]) {
      const p = plan({config: {mode: '600', content: secret}, version: null, active})
      const c = p.changes[0]!
      expect([c.action, c.before, c.after]).toEqual([
        'update',
        '/etc/containerd/config.toml (config version 2)\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir = "/usr/lib/cni"\nconf_dir = not set\n',
        '/etc/containerd/config.toml (config version 2)\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir = "/opt/cni/bin"\nconf_dir = "/etc/cni/net.d"\n',
      ])
      const shown = JSON.stringify([c.before, c.after, c.reason, p.findings])
      for (const line of secret.split('\n').filter((l) => l.trim() && !l.includes('bin_dir') && !l.includes('.cni]'))) expect(shown).not.toContain(line.trim())
    }
    // a new file: "after" is the keys too
    const fresh = plan({config: null, version: null, active: false}).changes[0]!
    expect(fresh.after).toBe('/etc/containerd/config.toml (config version 2)\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir = "/opt/cni/bin"\nconf_dir = "/etc/cni/net.d"\n')
    expect(fresh.before).toBeNull()
  })

  it('a disabled CRI plugin is a warning; the keys are still set', () => {
    const p = plan({config: {mode: '644', content: 'version = 2\ndisabled_plugins = ["cri"]\n'}, version: null, active: false})
    expect(ids(p)).toEqual(['update containerd /etc/containerd/config.toml'])
    expect(p.findings).toMatchObject([{severity: 'warning', message: expect.stringMatching(/disables containerd's CRI plugin/)}])
  })

  it('containerRuntime none: no facts, nothing planned, whatever the file says', () => {
    const c = cluster(1, {containerRuntime: {type: 'none', configFile: '/etc/containerd/config.toml'}})
    expect(containerd.facts!(c, c.nodes[0]!)).toEqual([])
    expect(plan({config: {mode: '644', content: 'version = 2\n'}, version: null, active: true}, c)).toMatchObject({changes: [], findings: []})
  })
})
