// The cluster file as written, after schema validation and `sanitise`: every key may be missing
// (defaults come later), and list items that failed validation are undefined.
import type {Protocol, Role} from './types.js'

export type Items<T> = Array<T | undefined>
export type OneOrTwo = string | Items<string>

export interface RawSsh {
  host?: string
  user?: string
  port?: number
  identityFile?: string
  knownHostsFile?: string
  strictHostKeyChecking?: 'yes' | 'accept-new'
  connectTimeoutSeconds?: number
  concurrency?: number
  become?: 'none' | 'sudo'
}

export interface RawNode {
  name?: string
  address?: OneOrTwo
  role?: Role
  podCIDR?: OneOrTwo
  ssh?: RawSsh
}

export interface RawPort {
  port?: number | string
  protocol?: Protocol
  roles?: Items<Role>
}

export interface RawSpec {
  podCIDR?: OneOrTwo
  serviceCIDR?: OneOrTwo
  nodeCIDRMaskSize?: number
  nodeCIDRMaskSizeIPv6?: number
  routing?: 'host-gw' | 'none'
  bridge?: {name?: string; mtu?: number}
  cni?: {binDir?: string; confDir?: string; confFile?: string; networkName?: string; pluginSource?: string; plugins?: Items<string>}
  kubelet?: {flagsFile?: string; legacyCNIFlags?: boolean; extraArgs?: Record<string, string | number | boolean>}
  containerRuntime?: {type?: 'containerd' | 'none'; configFile?: string}
  firewall?: {backend?: 'nftables' | 'iptables' | 'none'; extraPorts?: Items<RawPort>}
  ssh?: RawSsh
}

export interface RawCluster {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string}
  spec?: RawSpec
  nodes?: Items<RawNode>
}

/** A value that may be one item or a list, as [item, its path] pairs (undefined items skipped). */
export function listed<T>(value: T | Items<T> | undefined, path: ReadonlyArray<string | number>): Array<[T, Array<string | number>]> {
  if (value === undefined) return []
  if (!Array.isArray(value)) return [[value, [...path]]]
  const out: Array<[T, Array<string | number>]> = []
  value.forEach((v, i) => {
    if (v !== undefined) out.push([v, [...path, i]])
  })
  return out
}
