// Semantic checks, the part JSON Schema cannot express: CIDR math (check-cidrs, check-nodes), the
// IPv6 minimum MTU, port ranges, kubelet flags netprov sets itself, node mask sizes that fit, and
// node-side paths that are distinct and safe (check-paths), and SSH settings that keep host-key
// checks on and reach each node's own machine (check-ssh).
import {type Cidr, type Family, familyName} from './cidr.js'
import {checkPodVsService, cidrList, type Located} from './check-cidrs.js'
import {type CheckedNode, checkNodes} from './check-nodes.js'
import {checkNodePaths} from './check-paths.js'
import {checkSsh} from './check-ssh.js'
import {DEFAULTS} from './defaults.js'
import type {Diagnostics} from './diagnostics.js'
import {toDisplay} from './paths.js'
import {parsePortRange} from './ports.js'
import type {RawCluster, RawSpec} from './raw.js'

export interface Checked {
  pods: Array<Located<Cidr>> // IPv4 first
  services: Array<Located<Cidr>>
  nodes: CheckedNode[]
  masks: Record<Family, number>
}

/** Flags netprov writes itself; setting them in extraArgs would contradict (or duplicate) them. */
const OWN_KUBELET_FLAGS: Record<string, string> = {
  'node-ip': "netprov sets it from each node's address",
  'network-plugin': 'netprov sets it with legacyCNIFlags: true',
  'cni-conf-dir': 'netprov sets it (with legacyCNIFlags: true) from spec.cni.confDir',
  'cni-bin-dir': 'netprov sets it (with legacyCNIFlags: true) from spec.cni.binDir',
}

/** `dir` is the cluster file's folder: local paths (knownHostsFile) are relative to it. */
export function checkCluster(raw: RawCluster, diags: Diagnostics, dir: string): Checked {
  const spec: RawSpec = raw.spec ?? {}
  const pods = cidrList(spec.podCIDR, ['spec', 'podCIDR'], diags)
  const services = cidrList(spec.serviceCIDR ?? DEFAULTS.spec.serviceCIDR, ['spec', 'serviceCIDR'], diags, spec.serviceCIDR === undefined)
  checkPodVsService(pods, services, diags)
  const hostGw = (spec.routing ?? DEFAULTS.spec.routing) === 'host-gw'
  const nodes = checkNodes(raw.nodes ?? [], pods, services, hostGw, diags)
  const masks = {4: spec.nodeCIDRMaskSize ?? DEFAULTS.spec.nodeCIDRMaskSize, 6: spec.nodeCIDRMaskSizeIPv6 ?? DEFAULTS.spec.nodeCIDRMaskSizeIPv6}
  checkMasks(spec, pods, nodes, masks, diags)
  checkMtu(spec, pods, diags)
  checkPorts(spec, diags)
  checkKubeletArgs(spec, diags)
  checkNodePaths(spec, diags)
  checkSsh(raw, nodes, dir, diags)
  return {pods, services, nodes, masks}
}

function checkMasks(spec: RawSpec, pods: Array<Located<Cidr>>, nodes: CheckedNode[], masks: Record<Family, number>, diags: Diagnostics): void {
  for (const pod of pods) {
    const f = pod.value.family
    const key = f === 4 ? 'nodeCIDRMaskSize' : 'nodeCIDRMaskSizeIPv6'
    const given = spec[key] !== undefined
    const needed = nodes.some((n) => !n.explicit.some((c) => c.family === f))
    // A default that no node uses is no error; an explicit value is checked either way.
    if (masks[f] >= pod.value.prefix || (!given && !needed)) continue
    if (given)
      diags.at(['spec', key], `spec.${key} ${masks[f]} is shorter than the prefix of ${toDisplay(pod.path)} ${pod.value.text}: ${familyName(f)} node CIDRs must fit inside it`)
    else
      diags.at(pod.path, `${toDisplay(pod.path)} ${pod.value.text} is too small for /${masks[f]} node CIDRs (spec.${key}, default ${masks[f]}); set spec.${key} to ${pod.value.prefix} or more, or widen it`)
  }
}

function checkMtu(spec: RawSpec, pods: Array<Located<Cidr>>, diags: Diagnostics): void {
  const mtu = spec.bridge?.mtu
  if (mtu !== undefined && mtu < 1280 && pods.some((p) => p.value.family === 6))
    diags.at(['spec', 'bridge', 'mtu'], `spec.bridge.mtu ${mtu} is below 1280, the minimum MTU for IPv6`)
}

function checkPorts(spec: RawSpec, diags: Diagnostics): void {
  spec.firewall?.extraPorts?.forEach((rule, i) => {
    if (rule?.port === undefined) return
    const r = parsePortRange(rule.port)
    const path = ['spec', 'firewall', 'extraPorts', i, 'port']
    if (typeof r === 'string') diags.at(path, `${toDisplay(path)}: ${r}`)
  })
}

function checkKubeletArgs(spec: RawSpec, diags: Diagnostics): void {
  for (const name of Object.keys(spec.kubelet?.extraArgs ?? {})) {
    const why = OWN_KUBELET_FLAGS[name]
    if (why) diags.at(['spec', 'kubelet', 'extraArgs', name], `spec.kubelet.extraArgs key ${JSON.stringify(name)} is not allowed: ${why}; remove it`, 'key')
  }
}
