import {Address4, Address6} from 'ip-address'
import type {NodeSpec} from '../config/types.js'
import type {NodeFacts, Route} from '../facts/types.js'
import {familyOf, overlaps} from '../net/cidr.js'

// Small lookups over a node's facts that several checks share. Pure.

const prefixLen = (dst: string) => (dst === 'default' ? 0 : Number(dst.split('/')[1] ?? (familyOf(dst) === 4 ? 32 : 128)))

function contains(dst: string, addr: string): boolean {
  if (dst === 'default') return true
  if (familyOf(dst) !== familyOf(addr)) return false
  const net = familyOf(dst) === 4 ? new Address4(dst) : new Address6(dst)
  const a = familyOf(addr) === 4 ? new Address4(addr) : new Address6(addr)
  return a.isInSubnet(net as never)
}

/** The route the kernel would pick for `addr` (longest prefix in the main table), or undefined. */
export function lookupRoute(facts: NodeFacts, addr: string): Route | undefined {
  const fam = familyOf(addr)
  return facts.routes
    .filter((r) => r.family === fam && contains(r.dst, addr))
    .sort((a, b) => prefixLen(b.dst) - prefixLen(a.dst))[0]
}

/** The device a next hop is on-link through: a connected route (no gateway) covering it, never the pod bridge. */
export function onLinkDevice(facts: NodeFacts, via: string, bridge: string): {dev: string; dst: string} | undefined {
  const r = facts.routes.find((x) => x.via === null && x.dev && x.dev !== bridge && x.dst !== 'default' && prefixLen(x.dst) > 0 && x.family === familyOf(via) && contains(x.dst, via))
  return r ? {dev: r.dev!, dst: r.dst} : undefined
}

/** The underlay interface: the one that holds the node's address (where other nodes' pod traffic arrives). */
export function underlayDevice(facts: NodeFacts, node: NodeSpec): string | undefined {
  return facts.addresses.find((a) => a.cidr.split('/')[0] === node.address)?.dev
}

/** A bare address as a host CIDR (10.0.0.5 -> 10.0.0.5/32): the shared CIDR math takes CIDRs only. */
export const asCidr = (s: string) => (s.includes('/') ? s : `${s}/${familyOf(s) === 4 ? 32 : 128}`)

/** Do an address or CIDR and another share any address? */
export const overlapsAny = (a: string, b: string) => overlaps(asCidr(a), asCidr(b))
