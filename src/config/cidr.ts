// IP address and CIDR arithmetic on bigints, on top of ip-address (which does the parsing).
// Families are told apart by syntax (':' means IPv6), never by Address6#v4 (true for ::ffff:a.b.c.d).
import {Address4, Address6} from 'ip-address'

export type Family = 4 | 6

export interface Ip {
  family: Family
  value: bigint
  text: string // canonical: dotted quad, or RFC 5952 compressed IPv6
}

export interface Cidr {
  family: Family
  network: bigint
  prefix: number
  text: string // canonical, e.g. 10.244.1.0/24
}

export const bitsOf = (f: Family): number => (f === 4 ? 32 : 128)
export const familyName = (f: Family): string => (f === 4 ? 'IPv4' : 'IPv6')

export function ipText(family: Family, value: bigint): string {
  return family === 4 ? Address4.fromBigInt(value).correctForm() : Address6.fromBigInt(value).correctForm()
}

/** Parses a bare address (no prefix); returns an error message instead of throwing. */
export function parseIp(s: string): Ip | string {
  if (s.includes('/')) return `${s} has a prefix length; give the address alone`
  const family: Family = s.includes(':') ? 6 : 4
  try {
    if (family === 4) {
      const a = new Address4(s)
      return {family, value: a.bigInt(), text: a.correctForm()}
    }
    const a = new Address6(s)
    if (s.includes('.')) return `${s} is an IPv6 address with an embedded IPv4 address; write the IPv4 or the plain IPv6 form`
    return {family, value: a.bigInt(), text: a.correctForm()}
  } catch {
    return `${s} is not a valid ${familyName(family)} address`
  }
}

/** Parses NETWORK/PREFIX and insists on the canonical network (no host bits). */
export function parseCidr(s: string): Cidr | string {
  const slash = s.indexOf('/')
  if (slash < 0) return `${s} has no prefix length (e.g. ${s}/24)`
  const addr = s.slice(0, slash)
  const prefixText = s.slice(slash + 1)
  const ip = parseIp(addr)
  if (typeof ip === 'string') return `${s} is not a valid CIDR: ${ip}`
  const bits = bitsOf(ip.family)
  if (!/^(0|[1-9][0-9]*)$/.test(prefixText) || Number(prefixText) > bits)
    return `${s} is not a valid CIDR: the prefix length must be 0-${bits} for ${familyName(ip.family)}`
  const prefix = Number(prefixText)
  const network = ip.value & maskOf(ip.family, prefix)
  const text = `${ipText(ip.family, network)}/${prefix}`
  if (network !== ip.value) return `${s} has host bits set; did you mean ${text}?`
  return {family: ip.family, network, prefix, text}
}

export function maskOf(f: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(f))
  const all = (1n << bits) - 1n
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n)
}

export const sizeOf = (c: Cidr): bigint => 1n << BigInt(bitsOf(c.family) - c.prefix)
export const lastOf = (c: Cidr): bigint => c.network + sizeOf(c) - 1n

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.network <= lastOf(b) && b.network <= lastOf(a)
}

/** inner lies entirely inside outer. */
export function within(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.network >= outer.network && lastOf(inner) <= lastOf(outer)
}

export function contains(c: Cidr, ip: Ip): boolean {
  return c.family === ip.family && ip.value >= c.network && ip.value <= lastOf(c)
}

export function makeCidr(family: Family, network: bigint, prefix: number): Cidr {
  return {family, network, prefix, text: `${ipText(family, network)}/${prefix}`}
}

/** The bridge address: first host of the block, in CIDR form (10.244.1.0/24 -> 10.244.1.1/24). */
export function gatewayOf(c: Cidr): string {
  // Node CIDRs are at most /30 (/126), so network+1 is always a host inside the block.
  return `${ipText(c.family, c.network + 1n)}/${c.prefix}`
}

/** Addresses that cannot be a node's address (next hop, --node-ip). */
export function unusableReason(ip: Ip): string | undefined {
  const inside = (text: string): boolean => {
    const c = parseCidr(text)
    return typeof c !== 'string' && contains(c, ip)
  }
  if (ip.family === 4) {
    if (inside('0.0.0.0/8')) return 'is not a usable node address (0.0.0.0/8 means "this host")'
    if (inside('127.0.0.0/8')) return 'is a loopback address, not reachable from other nodes'
    if (inside('224.0.0.0/4')) return 'is a multicast address'
    if (ip.value === 0xffffffffn) return 'is the broadcast address'
    return undefined
  }
  if (ip.value === 0n) return 'is the unspecified address'
  if (ip.value === 1n) return 'is the loopback address, not reachable from other nodes'
  if (inside('ff00::/8')) return 'is a multicast address'
  if (inside('fe80::/10')) return 'is a link-local address; a route via it would need an interface name'
  if (inside('::ffff:0:0/96')) return 'is an IPv4-mapped IPv6 address; write the IPv4 address instead'
  return undefined
}
