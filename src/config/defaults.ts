// The defaults of every optional key (the same values as the `default`s in the JSON Schema, which a
// test keeps in step), and `normalise`: raw file + checked CIDRs + allocation -> the Cluster.
import {homedir} from 'node:os'
import {isAbsolute, resolve} from 'node:path'
import type {Allocation} from './allocate.js'
import {gatewayOf} from './cidr.js'
import type {Checked} from './check.js'
import {parsePortRange} from './ports.js'
import type {RawCluster, RawSsh} from './raw.js'
import type {Cluster, NodeSpec, PortRule, Role, SshSettings} from './types.js'

export const DEFAULTS = {
  apiVersion: 'netprov.io/v1alpha1',
  kind: 'Cluster',
  metadata: {name: 'lab'},
  spec: {
    serviceCIDR: '10.96.0.0/12',
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
    ssh: {
      user: 'root',
      port: 22,
      identityFile: '~/.ssh/id_ed25519',
      knownHostsFile: '~/.ssh/known_hosts',
      strictHostKeyChecking: 'yes',
      connectTimeoutSeconds: 10,
      concurrency: 20,
      become: 'none',
    },
  },
  extraPort: {protocol: 'tcp', roles: ['control-plane', 'worker']},
} as const

/** A path on the machine running netprov: ~ is $HOME, relative means relative to the cluster file. */
export function localPath(p: string, dir: string): string {
  const home = process.env.HOME || homedir()
  if (p === '~') return home
  if (p.startsWith('~/')) return resolve(home, p.slice(2))
  return isAbsolute(p) ? resolve(p) : resolve(dir, p)
}

/** A node directory without a trailing "/" (it may be written /opt/cni/bin/). */
export function trimDir(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p
}

/** Only called when there are no diagnostics: every required key is there and every value checked. */
export function normalise(raw: RawCluster, checked: Checked, alloc: Map<number, Allocation>, file: string, dir: string): Cluster {
  const spec = raw.spec ?? {}
  const d = DEFAULTS.spec
  const ssh = {...d.ssh, ...spec.ssh}
  const nodes: NodeSpec[] = checked.nodes.map((n): NodeSpec => {
    const rawNode = raw.nodes![n.index]!
    const a = alloc.get(n.index)!
    const addresses = [...n.addresses].sort((x, y) => x.family - y.family).map((ip) => ip.text)
    return {
      name: n.name,
      address: n.addresses[0].text,
      addresses,
      role: rawNode.role!,
      podCIDRs: a.podCIDRs.map((c) => c.text),
      podCIDRAllocated: a.allocated,
      gateways: a.podCIDRs.map(gatewayOf),
      ssh: sshFor(ssh, rawNode.ssh, n.addresses[0].text, dir),
    }
  })
  return {
    file,
    dir,
    name: raw.metadata?.name ?? DEFAULTS.metadata.name,
    podCIDRs: checked.pods.map((p) => p.value.text),
    serviceCIDRs: checked.services.map((s) => s.value.text),
    nodeCIDRMaskSize: checked.masks[4],
    nodeCIDRMaskSizeIPv6: checked.masks[6],
    routing: spec.routing ?? d.routing,
    bridge: {...d.bridge, ...spec.bridge},
    cni: {
      ...d.cni,
      ...spec.cni,
      binDir: trimDir(spec.cni?.binDir ?? d.cni.binDir), // /opt/cni/bin/ -> /opt/cni/bin
      confDir: trimDir(spec.cni?.confDir ?? d.cni.confDir),
      pluginSource: localPath(spec.cni?.pluginSource ?? d.cni.pluginSource, dir),
      plugins: [...((spec.cni?.plugins as string[] | undefined) ?? d.cni.plugins)],
    },
    kubelet: {
      flagsFile: spec.kubelet?.flagsFile ?? d.kubelet.flagsFile,
      legacyCNIFlags: spec.kubelet?.legacyCNIFlags ?? d.kubelet.legacyCNIFlags,
      // YAML may give `max-pods: 110`; flags are text
      extraArgs: Object.fromEntries(Object.entries(spec.kubelet?.extraArgs ?? {}).map(([k, v]) => [k, String(v)])),
    },
    containerRuntime: {...d.containerRuntime, ...spec.containerRuntime},
    firewall: {
      backend: spec.firewall?.backend ?? d.firewall.backend,
      extraPorts: (spec.firewall?.extraPorts ?? []).map((r): PortRule => {
        const range = parsePortRange(r!.port!) as {from: number; to: number}
        return {...range, protocol: r!.protocol ?? DEFAULTS.extraPort.protocol, roles: [...((r!.roles as Role[] | undefined) ?? DEFAULTS.extraPort.roles)]}
      }),
    },
    nodes,
  }
}

function sshFor(cluster: Required<Omit<RawSsh, 'host'>>, own: RawSsh | undefined, address: string, dir: string): SshSettings {
  const s = {...cluster, ...own}
  return {
    host: own?.host ?? address,
    user: s.user,
    port: s.port,
    identityFile: localPath(s.identityFile, dir),
    knownHostsFile: localPath(s.knownHostsFile, dir),
    strictHostKeyChecking: s.strictHostKeyChecking,
    connectTimeoutSeconds: s.connectTimeoutSeconds,
    concurrency: s.concurrency,
    become: s.become,
  }
}
