import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {DEFAULTS, loadCluster} from '../../src/config/index.js'
import {NETPROV_FILES, NETPROV_STATE_DIRS} from '../../src/config/check-paths.js'
import {clusterSchema} from '../../src/config/schema.js'
import {LOCK_DIR, STATE_DIR} from '../../src/resources/markers.js'
import {MODULES_FILE, SYSCTL_FILE} from '../../src/resources/sysctl-file.js'
import {ConfigError} from '../../src/errors.js'
import {FILE, MINIMAL, parse, y} from './util.js'

const HOME = '/home/tester'
let savedHome: string | undefined
beforeEach(() => {
  savedHome = process.env.HOME
  process.env.HOME = HOME
})
afterEach(() => {
  process.env.HOME = savedHome
})

describe('good cluster files: the normalised Cluster', () => {
  it('fills in every default', () => {
    const c = parse(y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: control-plane, podCIDR: 10.244.1.0/24}
    `)
    expect(c).toEqual({
      file: FILE,
      dir: '/tmp/netprov-test',
      name: 'lab',
      podCIDRs: ['10.244.0.0/16'],
      serviceCIDRs: ['10.96.0.0/12'],
      nodeCIDRMaskSize: 24,
      nodeCIDRMaskSizeIPv6: 64,
      routing: 'host-gw',
      bridge: {name: 'v-net-0', mtu: 1500},
      cni: {
        binDir: '/opt/cni/bin',
        confDir: '/etc/cni/net.d',
        confFile: '10-netprov.conflist',
        networkName: 'netprov',
        pluginSource: '/usr/lib/cni',
        plugins: ['bridge', 'host-local', 'loopback', 'portmap'],
      },
      kubelet: {flagsFile: '/etc/default/kubelet', legacyCNIFlags: false, extraArgs: {}},
      containerRuntime: {type: 'containerd', configFile: '/etc/containerd/config.toml'},
      firewall: {backend: 'nftables', extraPorts: []},
      nodes: [
        {
          name: 'node1',
          address: '172.31.250.11',
          addresses: ['172.31.250.11'],
          role: 'control-plane',
          podCIDRs: ['10.244.1.0/24'],
          podCIDRAllocated: false,
          gateways: ['10.244.1.1/24'],
          ssh: {
            host: '172.31.250.11',
            user: 'root',
            port: 22,
            identityFile: `${HOME}/.ssh/id_ed25519`,
            knownHostsFile: `${HOME}/.ssh/known_hosts`,
            strictHostKeyChecking: 'yes',
            connectTimeoutSeconds: 10,
            concurrency: 20,
            become: 'none',
          },
        },
      ],
      warnings: [],
    })
  })

  it('keeps every value the file gives, normalising ports and flag values', () => {
    const c = parse(y`
      apiVersion: netprov.io/v1alpha1
      kind: Cluster
      metadata: {name: prod.eu-1}
      spec:
        podCIDR: 10.32.0.0/12
        serviceCIDR: 10.96.0.0/16
        nodeCIDRMaskSize: 26
        routing: none
        bridge: {name: cni_br.0, mtu: 9000}
        cni:
          binDir: /usr/libexec/cni
          confDir: /etc/cni/conf.d
          confFile: 05-pods.conflist
          networkName: pods_v1.2
          pluginSource: ../plugins/cni-plugins-linux-amd64-v1.5.1.tgz
          plugins: [bridge, host-local]
        kubelet:
          flagsFile: /etc/sysconfig/kubelet
          legacyCNIFlags: true
          extraArgs: {max-pods: 64, serialize-image-pulls: false, node-labels: "a=b,c=d", cluster-dns: 10.96.0.10}
        containerRuntime: {type: none, configFile: /etc/containerd/other.toml}
        firewall:
          backend: iptables
          extraPorts:
            - {port: 8472, protocol: udp}
            - {port: "9100-9101", roles: [worker]}
            - {port: "443"}
      nodes:
        - {name: n1, address: 192.168.7.1, role: worker, podCIDR: 10.32.0.64/26}
    `)
    expect(c).toMatchObject({
      name: 'prod.eu-1',
      podCIDRs: ['10.32.0.0/12'],
      serviceCIDRs: ['10.96.0.0/16'],
      nodeCIDRMaskSize: 26,
      routing: 'none',
      bridge: {name: 'cni_br.0', mtu: 9000},
      cni: {binDir: '/usr/libexec/cni', confDir: '/etc/cni/conf.d', confFile: '05-pods.conflist', networkName: 'pods_v1.2', pluginSource: '/tmp/plugins/cni-plugins-linux-amd64-v1.5.1.tgz', plugins: ['bridge', 'host-local']},
      kubelet: {flagsFile: '/etc/sysconfig/kubelet', legacyCNIFlags: true, extraArgs: {'max-pods': '64', 'serialize-image-pulls': 'false', 'node-labels': 'a=b,c=d', 'cluster-dns': '10.96.0.10'}},
      containerRuntime: {type: 'none', configFile: '/etc/containerd/other.toml'},
      firewall: {
        backend: 'iptables',
        extraPorts: [
          {from: 8472, to: 8472, protocol: 'udp', roles: ['control-plane', 'worker']},
          {from: 9100, to: 9101, protocol: 'tcp', roles: ['worker']},
          {from: 443, to: 443, protocol: 'tcp', roles: ['control-plane', 'worker']},
        ],
      },
    })
    expect(c.nodes[0]).toMatchObject({podCIDRs: ['10.32.0.64/26'], gateways: ['10.32.0.65/26']})
  })

  it('merges node ssh overrides over spec.ssh; host defaults to the address; paths resolve', () => {
    const c = parse(y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh: {user: admin, become: sudo, port: 2200, identityFile: keys/cluster, knownHostsFile: /etc/ssh/known, strictHostKeyChecking: accept-new, connectTimeoutSeconds: 3, concurrency: 5}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, podCIDR: 10.244.1.0/24}
        - name: node2
          address: 172.31.250.12
          role: worker
          podCIDR: 10.244.2.0/24
          ssh: {host: node2.lab.example, port: 22, user: root, become: none, identityFile: ~/.ssh/node2, knownHostsFile: "~"}
    `)
    expect(c.nodes[0].ssh).toEqual({
      host: '172.31.250.11',
      user: 'admin',
      port: 2200,
      identityFile: '/tmp/netprov-test/keys/cluster',
      knownHostsFile: '/etc/ssh/known',
      strictHostKeyChecking: 'accept-new',
      connectTimeoutSeconds: 3,
      concurrency: 5,
      become: 'sudo',
    })
    expect(c.nodes[1].ssh).toEqual({
      host: 'node2.lab.example',
      user: 'root',
      port: 22,
      identityFile: `${HOME}/.ssh/node2`,
      knownHostsFile: HOME,
      strictHostKeyChecking: 'accept-new',
      connectTimeoutSeconds: 3,
      concurrency: 5,
      become: 'none',
    })
  })

  it('two nodes behind one host on different ports are two SSH targets', () => {
    const c = parse(y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, ssh: {host: bastion.example, port: 2201}}
        - {name: node2, address: 172.31.250.12, role: worker, ssh: {host: bastion.example, port: 2202}}
        - {name: node3, address: 172.31.250.13, role: worker, ssh: {host: 172.31.250.11, port: 2222}}
    `)
    expect(c.nodes.map((n) => `${n.ssh.host}:${n.ssh.port}`)).toEqual(['bastion.example:2201', 'bastion.example:2202', '172.31.250.11:2222'])
  })

  it('dual-stack: canonical CIDRs, IPv4 first, one gateway per family', () => {
    const c = parse(y`
      spec:
        podCIDR: ["fd00:0010:0244:0000::/56", 10.244.0.0/16]
        serviceCIDR: ["FD00:10:96::/112", 10.96.0.0/12]
      nodes:
        - name: node1
          address: ["FD00:172:31:250::11", 172.31.250.11]
          role: worker
          podCIDR: ["fd00:10:244:1::/64", 10.244.1.0/24]
    `)
    expect(c.podCIDRs).toEqual(['10.244.0.0/16', 'fd00:10:244::/56'])
    expect(c.serviceCIDRs).toEqual(['10.96.0.0/12', 'fd00:10:96::/112'])
    expect(c.nodes[0]).toMatchObject({
      address: 'fd00:172:31:250::11', // the first one written: what ssh connects to
      addresses: ['172.31.250.11', 'fd00:172:31:250::11'],
      podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
      gateways: ['10.244.1.1/24', 'fd00:10:244:1::1/64'],
    })
    expect(c.warnings).toEqual([])
  })

  it('dual-stack with IPv4-only node addresses is valid, with a warning at the address', () => {
    const c = parse(y`
      spec: {podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          podCIDR: [10.244.1.0/24, "fd00:10:244:1::/64"]
    `)
    expect(c.nodes[0].podCIDRs).toEqual(['10.244.1.0/24', 'fd00:10:244:1::/64'])
    expect(c.warnings).toEqual([
      {file: FILE, line: 4, col: 14, path: '/nodes/0/address', message: expect.stringContaining('node1 has no IPv6 address: with routing host-gw its IPv6 pod CIDR cannot be routed')},
    ])
  })

  it('a dual-stack node that gives one family gets the other allocated', () => {
    const c = parse(y`
      spec: {podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]}
      nodes:
        - {name: node1, address: [172.31.250.11, "fd00::7"], role: worker, podCIDR: 10.244.1.0/24}
    `)
    expect(c.nodes[0]).toMatchObject({podCIDRs: ['10.244.1.0/24', 'fd00:10:244:7::/64'], podCIDRAllocated: true})
  })

  it('routing none accepts any address family', () => {
    const c = parse(y`
      spec: {podCIDR: 10.244.0.0/16, routing: none}
      nodes:
        - {name: node1, address: "fd00::11", role: worker}
    `)
    expect(c.nodes[0].podCIDRs).toEqual(['10.244.17.0/24']) // 0x11 = 17: the low bits of the IPv6 address
  })

  it('plain YAML 1.2: a %YAML 1.2 directive, anchors and aliases, and "!!tags" in comments', () => {
    const c = parse(y`
      %YAML 1.2 # the only version netprov reads
      ---
      spec:
        podCIDR: 10.244.0.0/16 # !!binary in a comment is no tag
      nodes:
        - name: node1
          address: &n1 172.31.250.11
          role: worker
          ssh: {host: *n1, port: 2222} # !foo
    `)
    expect(c.podCIDRs).toEqual(['10.244.0.0/16'])
    expect(c.nodes[0].ssh).toMatchObject({host: '172.31.250.11', port: 2222})
  })

  it.each(['lo0', 'ALL', 'defaults', 'all.1', 'br-lo'])('bridge name %s is fine (only all, default and lo are reserved)', (name) => {
    expect(parse(MINIMAL.replace('  podCIDR: 10.244.0.0/16', `  podCIDR: 10.244.0.0/16\n  bridge: {name: ${name}}`)).bridge.name).toBe(name)
  })

  it('node directories may end in "/" (dropped); near misses of reserved paths are fine', () => {
    const c = parse(y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {binDir: /opt/cni/bin/, confDir: /etc/cni/net.d/}
        kubelet: {flagsFile: /var/lib/netprovision/kubelet}
        containerRuntime: {configFile: /procfs/containerd.toml}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker}
    `)
    expect(c.cni).toMatchObject({binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d'})
    expect(c.kubelet.flagsFile).toBe('/var/lib/netprovision/kubelet')
  })

  it('with containerRuntime.type none its configFile is not written, so it may be any file', () => {
    const c = parse(y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/default/kubelet}
        containerRuntime: {type: none, configFile: /etc/default/kubelet}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker}
    `)
    expect(c.containerRuntime).toEqual({type: 'none', configFile: '/etc/default/kubelet'})
  })

  it("netprov's own node paths are the ones src/resources writes", () => {
    expect(NETPROV_FILES.map((f) => f.path)).toEqual([SYSCTL_FILE, MODULES_FILE])
    expect(NETPROV_STATE_DIRS.map((d) => d.path)).toEqual([STATE_DIR, LOCK_DIR])
  })

  it('the schema defaults and DEFAULTS agree', () => {
    const props = (clusterSchema as any).properties
    const spec = props.spec.properties
    const def = (p: any): unknown => p.default
    expect(def(props.apiVersion)).toBe(DEFAULTS.apiVersion)
    expect(def(props.kind)).toBe(DEFAULTS.kind)
    expect(def(props.metadata.properties.name)).toBe(DEFAULTS.metadata.name)
    for (const key of ['serviceCIDR', 'nodeCIDRMaskSize', 'nodeCIDRMaskSizeIPv6', 'routing'] as const) expect(def(spec[key]), key).toEqual(DEFAULTS.spec[key])
    for (const group of ['bridge', 'cni', 'kubelet', 'containerRuntime', 'firewall', 'ssh'] as const) {
      const fromSchema = Object.fromEntries(Object.entries(spec[group].properties).map(([k, v]) => [k, def(v)]))
      expect(fromSchema, group).toEqual(DEFAULTS.spec[group])
    }
    const port = spec.firewall.properties.extraPorts.items.properties
    expect({protocol: def(port.protocol), roles: def(port.roles)}).toEqual(DEFAULTS.extraPort)
  })

  it('every example validates', () => {
    const dir = new URL('../../examples/', import.meta.url)
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))
    expect(files.sort()).toEqual(['dual-stack.yaml', 'three-nodes.yaml', 'two-nodes.yaml'])
    for (const f of files) {
      const text = readFileSync(new URL(f, dir), 'utf8')
      expect(text.startsWith('# yaml-language-server: $schema=../schemas/cluster.schema.json\n'), f).toBe(true)
      expect(() => parse(text, f), f).not.toThrow()
    }
  })

  it('the minimal example file gives two nodes with their own CIDRs', () => {
    expect(parse(MINIMAL).nodes.map((n) => [n.name, n.podCIDRs[0], n.gateways[0]])).toEqual([
      ['node1', '10.244.1.0/24', '10.244.1.1/24'],
      ['node2', '10.244.2.0/24', '10.244.2.1/24'],
    ])
  })
})

describe('loadCluster', () => {
  it('reads the file and resolves paths against its folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netprov-load-'))
    const file = join(dir, 'cluster.yaml')
    writeFileSync(file, MINIMAL.replace('  podCIDR: 10.244.0.0/16', '  podCIDR: 10.244.0.0/16\n  cni: {pluginSource: cni}'))
    const c = loadCluster(file)
    expect(c).toMatchObject({file, dir, cni: {pluginSource: join(dir, 'cni')}})
  })

  it('a missing file is one diagnostic with no position', () => {
    const err = catchConfig(() => loadCluster('/nonexistent/netprov.yaml'))
    expect(err.diagnostics).toEqual([{file: '/nonexistent/netprov.yaml', line: 0, col: 0, message: expect.stringContaining('cannot read the cluster file: no such file')}])
    expect(err.message).toBe('/nonexistent/netprov.yaml: cannot read the cluster file: no such file (give the cluster file with -f FILE; the default is ./netprov.yaml)')
  })

  it('a directory is refused', () => {
    const err = catchConfig(() => loadCluster(tmpdir()))
    expect(err.diagnostics[0].message).toContain('is a directory')
  })

  it('the ConfigError message is every diagnostic as FILE:LINE:COL: message', () => {
    const err = catchConfig(() => parse('spec: {podCIDR: 10.244.0.0/16, routing: x}\nnodes: []\n', 'c.yaml'))
    expect(err.message).toBe(['c.yaml:1:41: spec.routing must be one of "host-gw", "none" (got "x")', 'c.yaml:2:8: nodes must have at least 1 entry'].join('\n'))
  })
})

function catchConfig(f: () => unknown): ConfigError {
  try {
    f()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('no ConfigError')
}
