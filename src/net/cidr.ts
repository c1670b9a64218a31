import {Address4, Address6} from 'ip-address'

export type Family = 4 | 6

export function familyOf(addrOrCidr: string): Family {
  return addrOrCidr.includes(':') ? 6 : 4
}

function parse(cidr: string): Address4 | Address6 {
  return familyOf(cidr) === 4 ? new Address4(cidr) : new Address6(cidr)
}

/** Do two CIDRs (or addresses) share any address? Different families never overlap. */
export function overlaps(a: string, b: string): boolean {
  if (familyOf(a) !== familyOf(b)) return false
  const x = parse(a)
  const y = parse(b)
  return x.startAddress().bigInt() <= y.endAddress().bigInt() && y.startAddress().bigInt() <= x.endAddress().bigInt()
}

/** Canonical text of an address or CIDR (compressed IPv6, network address kept as given). */
export function canonical(cidr: string): string {
  if (familyOf(cidr) === 4) return cidr
  const [addr, len] = cidr.split('/')
  const c = new Address6(addr!).correctForm()
  return len === undefined ? c : `${c}/${len}`
}
