import type {Cluster, NodeSpec, Protocol, Role} from '../config/types.js'
import {type Family, familyOf} from '../net/cidr.js'

// What netprov's firewall lets in, independent of the backend. Every rule is written in one
// normalised text form (nft syntax), which is also what the node's rules are parsed back into:
// nftables and iptables state compare as these lines, never as raw command output.

export interface Port {
  protocol: Protocol
  from: number
  to: number // == from for one port
}

/** Kubernetes' port table by role, exactly as the product spec lists it. */
export const ROLE_PORTS: Readonly<Record<Role, readonly Port[]>> = {
  'control-plane': [
    {protocol: 'tcp', from: 6443, to: 6443}, // kube-apiserver
    {protocol: 'tcp', from: 2379, to: 2380}, // etcd
    {protocol: 'tcp', from: 10250, to: 10250}, // kubelet
    {protocol: 'tcp', from: 10257, to: 10257}, // kube-controller-manager
    {protocol: 'tcp', from: 10259, to: 10259}, // kube-scheduler
  ],
  worker: [
    {protocol: 'tcp', from: 10250, to: 10250}, // kubelet
    {protocol: 'tcp', from: 10256, to: 10256}, // kube-proxy health
    {protocol: 'tcp', from: 30000, to: 32767}, // NodePorts
    {protocol: 'udp', from: 30000, to: 32767},
  ],
}

export const ACCEPT_ESTABLISHED = 'ct state established,related accept'
export const ACCEPT_LOOPBACK = 'iifname "lo" accept'
export const icmpRule = (f: Family) => `meta l4proto ${f === 4 ? 'icmp' : 'ipv6-icmp'} accept`
export const sourceRule = (cidr: string) => `${familyOf(cidr) === 4 ? 'ip' : 'ip6'} saddr ${cidr} accept`
export const destinationRule = (cidr: string) => `${familyOf(cidr) === 4 ? 'ip' : 'ip6'} daddr ${cidr} accept`
export const portRule = (p: Port) => `${p.protocol} dport ${p.from === p.to ? p.from : `${p.from}-${p.to}`} accept`

/** The node's open ports: its SSH port first (never closed), then its role's and extraPorts', without repeats. */
export function openPorts(cluster: Cluster, node: NodeSpec): Port[] {
  const extra = cluster.firewall.extraPorts.filter((r) => r.roles.includes(node.role)).map(({protocol, from, to}) => ({protocol, from, to}))
  const ssh: Port = {protocol: 'tcp', from: node.ssh.port, to: node.ssh.port}
  const rest = [...ROLE_PORTS[node.role], ...extra].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.from - b.from || a.to - b.to)
  const seen = new Set<string>()
  return [ssh, ...rest].filter((p) => {
    const k = portRule(p)
    return seen.has(k) ? false : (seen.add(k), true)
  })
}

/**
 * INPUT is an allow-list: replies, loopback, ICMP, the pod CIDRs and the open ports; the backend
 * drops the rest. `families` limits it to one address family (iptables vs ip6tables).
 */
export function inputRules(cluster: Cluster, node: NodeSpec, families: readonly Family[] = [4, 6]): string[] {
  return [
    ACCEPT_ESTABLISHED,
    ACCEPT_LOOPBACK,
    ...families.map(icmpRule),
    ...cluster.podCIDRs.filter((c) => families.includes(familyOf(c))).map(sourceRule),
    ...openPorts(cluster, node).map(portRule),
  ]
}

/** FORWARD accepts pod traffic both ways, even where another chain's policy drops (Docker). */
export function forwardRules(cluster: Cluster, families: readonly Family[] = [4, 6]): string[] {
  return cluster.podCIDRs.filter((c) => families.includes(familyOf(c))).flatMap((c) => [sourceRule(c), destinationRule(c)])
}
