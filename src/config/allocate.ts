// Pod CIDRs for nodes that name none. The rule is stable by construction: a node's slot depends
// only on its own address, never on which other nodes exist, so adding or removing a node cannot
// move another node's CIDR. A clash is an error, never resolved by moving someone:
//
//   slots = 2^(mask - P.prefix) blocks of size /mask inside pod CIDR P (in address order, 0-based)
//   key   = the node's address of P's family (else its first address), as an integer
//   slot  = key mod slots                 CIDR = P.network + slot * 2^(bits - mask) / mask
//
// E.g. 10.244.0.0/16 with /24 nodes has 256 slots: address 172.31.250.11 gets 10.244.11.0/24.
import {type Cidr, type Family, familyName, type Ip, makeCidr, overlaps, sizeOf, bitsOf} from './cidr.js'
import type {Located} from './check-cidrs.js'
import type {CheckedNode} from './check-nodes.js'
import type {Diagnostics} from './diagnostics.js'
import {toDisplay} from './paths.js'

export interface Allocation {
  podCIDRs: Cidr[] // one per cluster family, IPv4 first
  allocated: boolean // at least one of them was chosen by netprov
}

/** The slot a node prefers inside `pod` for node CIDRs of /mask (exported for tests and docs). */
export function slotCidr(pod: Cidr, mask: number, addresses: readonly Ip[]): {cidr: Cidr; key: Ip; slots: bigint} {
  const slots = 1n << BigInt(mask - pod.prefix)
  const key = addresses.find((a) => a.family === pod.family) ?? addresses[0]
  const slot = key.value % slots
  const network = pod.network + slot * (1n << BigInt(bitsOf(pod.family) - mask))
  return {cidr: makeCidr(pod.family, network, mask), key, slots}
}

export function allocate(pods: Array<Located<Cidr>>, masks: Record<Family, number>, nodes: CheckedNode[], diags: Diagnostics): Map<number, Allocation> {
  const result = new Map<number, Allocation>(nodes.map((n) => [n.index, {podCIDRs: [], allocated: false}]))
  for (const pod of pods) {
    const f = pod.value.family
    const mask = masks[f]
    const explicit = nodes.flatMap((n) => n.explicit.filter((c) => c.family === f).map((cidr) => ({node: n, cidr})))
    const needing = nodes.filter((n) => !n.explicit.some((c) => c.family === f))
    for (const {node, cidr} of explicit) result.get(node.index)!.podCIDRs.push(cidr)
    if (needing.length === 0) continue

    const slots = 1n << BigInt(mask - pod.value.prefix)
    const free = slots - takenSlots(pod.value, mask, explicit.map((e) => e.cidr))
    if (BigInt(needing.length) > free) {
      const key = f === 4 ? 'nodeCIDRMaskSize' : 'nodeCIDRMaskSizeIPv6'
      diags.at(pod.path, `${toDisplay(pod.path)} ${pod.value.text} is exhausted: it has ${slots} slots of /${mask} (${slots - free} taken by explicit podCIDRs) but ${needing.length} ${needing.length === 1 ? 'node needs' : 'nodes need'} one; widen it or raise spec.${key}`)
      continue
    }

    const given = new Map<bigint, CheckedNode>() // network -> node that got it
    for (const node of needing) {
      const {cidr, key} = slotCidr(pod.value, mask, node.addresses)
      const owner = explicit.find((e) => overlaps(e.cidr, cidr))
      const twin = given.get(cidr.network)
      const where = [...node.path, 'name']
      if (owner) {
        diags.at(where, `cannot allocate a ${familyName(f)} pod CIDR for ${node.name}: its slot ${cidr.text} (from its address ${key.text}) overlaps ${owner.cidr.text}, the podCIDR of ${owner.node.name} (line ${diags.lineOf([...owner.node.path, 'podCIDR'])}); write a podCIDR for ${node.name}`)
      } else if (twin) {
        const twinKey = slotCidr(pod.value, mask, twin.addresses).key
        diags.at(where, `${node.name} and ${twin.name} (line ${diags.lineOf([...twin.path, 'name'])}) would get the same pod CIDR ${cidr.text}: their addresses ${key.text} and ${twinKey.text} are equal modulo ${slots}, the number of /${mask} slots in ${pod.value.text}; write a podCIDR for one of them (netprov never moves a node's CIDR to make room)`)
      } else {
        given.set(cidr.network, node)
        const a = result.get(node.index)!
        a.podCIDRs.push(cidr)
        a.allocated = true
      }
    }
  }
  for (const a of result.values()) a.podCIDRs.sort((x, y) => x.family - y.family)
  return result
}

/** How many /mask slots of `pod` the explicit node CIDRs cover (they are disjoint and inside it). */
function takenSlots(pod: Cidr, mask: number, explicit: Cidr[]): bigint {
  const slotSize = 1n << BigInt(bitsOf(pod.family) - mask)
  let whole = 0n
  const partial = new Set<bigint>() // several small CIDRs may share a slot
  for (const c of explicit) {
    if (c.prefix <= mask) whole += sizeOf(c) / slotSize
    else partial.add((c.network - pod.network) / slotSize)
  }
  return whole + BigInt(partial.size)
}
