// Per-node checks: unique names and addresses, usable addresses of the right families, addresses
// outside the pod and service networks, and explicit pod CIDRs that are canonical, inside
// spec.podCIDR, clear of spec.serviceCIDR and of each other.
import {type Cidr, contains, familyName, type Family, type Ip, overlaps, parseCidr, parseIp, unusableReason, within} from './cidr.js'
import {type Located, shown as where} from './check-cidrs.js'
import type {Diagnostics} from './diagnostics.js'
import {type Path, toDisplay} from './paths.js'
import {listed, type RawNode} from './raw.js'

export interface CheckedNode {
  index: number
  path: Path // /nodes/N
  name: string
  addresses: Ip[] // in the order written
  explicit: Cidr[] // pod CIDRs the file gives, IPv4 first
}

const MAX_NODE_PREFIX: Record<Family, number> = {4: 30, 6: 126}

export function checkNodes(
  nodes: ReadonlyArray<RawNode | undefined>,
  pods: Array<Located<Cidr>>,
  services: Array<Located<Cidr>>,
  hostGw: boolean,
  diags: Diagnostics,
): CheckedNode[] {
  const out: CheckedNode[] = []
  const byName = new Map<string, Path>()
  const byAddress = new Map<bigint, {path: Path; name: string}>()
  const explicitSeen: Array<{cidr: Cidr; path: Path; name: string}> = []

  nodes.forEach((node, index) => {
    if (node === undefined) return
    const path: Path = ['nodes', index]
    const name = node.name ?? `nodes[${index}]`
    const label = node.name ?? toDisplay(path)

    if (node.name !== undefined) {
      const first = byName.get(node.name)
      if (first) diags.at([...path, 'name'], `duplicate node name ${JSON.stringify(node.name)} (first used on line ${diags.lineOf([...first, 'name'])})`)
      else byName.set(node.name, path)
    }

    const addresses: Ip[] = []
    for (const [text, at] of listed(node.address, [...path, 'address'])) {
      const ip = parseIp(text)
      if (typeof ip === 'string') {
        diags.at(at, `${toDisplay(at)}: ${ip}`)
        continue
      }
      const bad = unusableReason(ip)
      if (bad) {
        diags.at(at, `${toDisplay(at)} ${ip.text} ${bad}`)
        continue
      }
      if (addresses.some((a) => a.family === ip.family)) {
        diags.at(at, `${toDisplay([...path, 'address'])} lists two ${familyName(ip.family)} addresses; give at most one per family`)
        continue
      }
      const other = byAddress.get(ip.value)
      if (other) {
        diags.at(at, `${toDisplay(at)} ${ip.text} is already the address of ${other.name} (line ${diags.lineOf(other.path)}); node addresses must be unique`)
      } else byAddress.set(ip.value, {path: at, name: label})
      for (const p of pods)
        if (contains(p.value, ip)) diags.at(at, `${toDisplay(at)} ${ip.text} is inside ${where(p)}; node addresses must lie outside the pod network`)
      for (const s of services)
        if (contains(s.value, ip)) diags.at(at, `${toDisplay(at)} ${ip.text} is inside ${where(s)}; node addresses must lie outside the service network`)
      addresses.push(ip)
    }

    // host-gw routes OTHER_POD_CIDR via THIS_NODE_ADDRESS, and Linux wants a next hop of the pod CIDR's
    // family. No usable family at all is an error; a missing second family (dual-stack) only a warning.
    if (hostGw && addresses.length > 0 && listed(node.address, []).length === addresses.length) {
      const missing = pods.filter((p) => !addresses.some((a) => a.family === p.value.family))
      const at = [...path, 'address']
      if (missing.length > 0 && missing.length === pods.length)
        diags.at(at, `${label} has no ${familyName(missing[0].value.family)} address, but routing host-gw routes its ${familyName(missing[0].value.family)} pod CIDR via the node address; give an address of that family (or set spec.routing: none)`)
      else
        for (const p of missing)
          diags.warn(at, `${label} has no ${familyName(p.value.family)} address: with routing host-gw its ${familyName(p.value.family)} pod CIDR cannot be routed from other nodes; write address: [IPv4, IPv6]`)
    }

    const explicit: Cidr[] = []
    for (const [text, at] of listed(node.podCIDR, [...path, 'podCIDR'])) {
      const c = parseCidr(text)
      if (typeof c === 'string') {
        diags.at(at, `${toDisplay(at)}: ${c}`)
        continue
      }
      const shown = `${toDisplay(at)} ${c.text}`
      if (explicit.some((e) => e.family === c.family)) {
        diags.at(at, `${toDisplay([...path, 'podCIDR'])} lists two ${familyName(c.family)} CIDRs; give one per family`)
        continue
      }
      const pod = pods.find((p) => p.value.family === c.family)
      if (!pod) {
        if (pods.length > 0) diags.at(at, `${shown} is ${familyName(c.family)}, but spec.podCIDR has no ${familyName(c.family)} CIDR`)
        continue
      }
      if (c.prefix > MAX_NODE_PREFIX[c.family]) {
        diags.at(at, `${shown} is too small: a node needs /${MAX_NODE_PREFIX[c.family]} or larger (the bridge gateway and at least one pod)`)
        continue
      }
      if (!within(c, pod.value)) diags.at(at, `${shown} is not inside ${toDisplay(pod.path)} ${pod.value.text}`)
      for (const s of services)
        if (overlaps(c, s.value)) diags.at(at, `${shown} overlaps ${where(s)}`)
      const clash = explicitSeen.find((e) => overlaps(e.cidr, c))
      if (clash) diags.at(at, `${shown} overlaps ${clash.cidr.text}, the podCIDR of ${clash.name} (line ${diags.lineOf(clash.path)}); node pod CIDRs must be disjoint`)
      explicitSeen.push({cidr: c, path: at, name: label})
      explicit.push(c)
    }

    out.push({index, path, name, addresses, explicit: explicit.sort((a, b) => a.family - b.family)})
  })
  return out
}
