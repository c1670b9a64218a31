// The normalised cluster: what `loadCluster` returns after parsing, schema and semantic checks,
// defaults, CIDR allocation and path resolution. Everything downstream reads only this.

import type {Diagnostic} from '../errors.js'

export type Role = 'control-plane' | 'worker'
export type Protocol = 'tcp' | 'udp'

export interface SshSettings {
  host: string // what ssh connects to; defaults to the node address
  user: string
  port: number
  identityFile: string // absolute, ~ expanded
  knownHostsFile: string // absolute, ~ expanded
  strictHostKeyChecking: 'yes' | 'accept-new'
  connectTimeoutSeconds: number
  concurrency: number
  become: 'none' | 'sudo' // sudo -n for non-root users
}

export interface NodeSpec {
  name: string
  address: string // node IP (IPv4 or IPv6, no prefix); the first one written when the file gives two
  // Every node IP, canonical, IPv4 first (dual-stack host-gw needs one per family). Optional only so that
  // hand-built test clusters keep compiling: loadCluster always sets it.
  addresses?: string[]
  role: Role
  podCIDRs: string[] // canonical, one per family, IPv4 first (same order as Cluster.podCIDRs)
  podCIDRAllocated: boolean // true when netprov chose it
  gateways: string[] // bridge addresses in CIDR form, e.g. 10.244.1.1/24, one per podCIDR
  ssh: SshSettings
}

export interface PortRule {
  from: number
  to: number // == from for a single port
  protocol: Protocol
  roles: Role[]
}

export interface Cluster {
  file: string // absolute path of the cluster file
  dir: string // its folder: relative paths resolve against it
  name: string
  podCIDRs: string[] // canonical; [v4], [v6] or [v4, v6]
  serviceCIDRs: string[]
  nodeCIDRMaskSize: number // IPv4 (default 24)
  nodeCIDRMaskSizeIPv6: number // IPv6 (default 64)
  routing: 'host-gw' | 'none'
  bridge: {name: string; mtu: number}
  cni: {
    binDir: string
    confDir: string
    confFile: string
    networkName: string
    pluginSource: string // absolute; a directory or a .tgz
    plugins: string[]
  }
  kubelet: {flagsFile: string; legacyCNIFlags: boolean; extraArgs: Record<string, string>}
  containerRuntime: {type: 'containerd' | 'none'; configFile: string}
  firewall: {backend: 'nftables' | 'iptables' | 'none'; extraPorts: PortRule[]}
  nodes: NodeSpec[]
  // Problems that do not make the file invalid (file:line:col like errors); loadCluster always sets it.
  warnings?: Diagnostic[]
}
