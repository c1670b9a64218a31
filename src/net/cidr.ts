// String-level helpers over the cluster file's CIDR arithmetic (src/config/cidr.ts), for code that
// reads addresses from nodes (facts, resources): one implementation of the math.
import {type Family, overlaps as cidrOverlaps, parseCidr, parseIp} from '../config/cidr.js'

export type {Family}

export function familyOf(addrOrCidr: string): Family {
  return addrOrCidr.includes(':') ? 6 : 4
}

/** Do two CIDRs share any address? Different families never do; text that does not parse overlaps nothing. */
export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a)
  const y = parseCidr(b)
  return typeof x !== 'string' && typeof y !== 'string' && cidrOverlaps(x, y)
}

/** Canonical text of an address or CIDR (compressed IPv6); the prefix length is kept as given. */
export function canonical(cidr: string): string {
  const [addr, len] = cidr.split('/')
  const ip = parseIp(addr!)
  const text = typeof ip === 'string' ? addr! : ip.text
  return len === undefined ? text : `${text}/${len}`
}
