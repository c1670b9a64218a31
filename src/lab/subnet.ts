// The lab's underlay subnet: parsing, which addresses go where, and whether it is free on this host.
import {Address4, Address6} from 'ip-address'
import {LabProblem} from './errors.js'

export const DEFAULT_SUBNET = '172.31.250.0/24'
/** `--subnet auto` and the test helper pick a free /24 from here. */
export const AUTO_POOL = '172.31.0.0/16'
export const FIRST_NODE_HOST = 11 // node1 = network + 11, node2 = network + 12 ...
const MIN_PREFIX = 16
const MAX_PREFIX = 28

// Only private (RFC 1918), shared (RFC 6598) and benchmarking (RFC 2544) space: a lab must never
// shadow a part of the internet reached through the host's default route.
const ALLOWED = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '198.18.0.0/15']
// The cluster file the lab writes uses these; an underlay inside them would make it invalid.
const CLUSTER_RANGES = {'podCIDR 10.244.0.0/16': '10.244.0.0/16', 'serviceCIDR 10.96.0.0/12': '10.96.0.0/12'}

export interface Range {
  cidr: string
  family: 4 | 6
  start: bigint
  end: bigint
}

export function parseRange(cidr: string): Range | undefined {
  const text = cidr.includes('/') ? cidr : cidr.includes(':') ? `${cidr}/128` : `${cidr}/32`
  try {
    const a: Address4 | Address6 = text.includes(':') ? new Address6(text) : new Address4(text)
    return {cidr, family: a instanceof Address4 ? 4 : 6, start: a.startAddress().bigInt(), end: a.endAddress().bigInt()}
  } catch {
    return undefined
  }
}

export const overlaps = (a: Range, b: Range) => a.family === b.family && a.start <= b.end && b.start <= a.end
const contains = (outer: Range, inner: Range) => outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end

export interface Subnet {
  cidr: string // canonical network/prefix
  prefix: number
  network: bigint
  broadcast: bigint
}

const v4 = (n: bigint) => Address4.fromBigInt(n).correctForm()

/** Parses and checks a subnet given by the user: IPv4, canonical, private, /16../28, clear of the cluster's CIDRs. */
export function parseSubnet(cidr: string): Subnet {
  const bad = (why: string, suggestions: string[] = []) =>
    new LabProblem('bad-subnet', `invalid lab subnet "${cidr}": ${why}`, suggestions)
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr)
  if (!m || !Address4.isValid(cidr)) throw bad('expected an IPv4 CIDR like 172.31.250.0/24', ['the lab underlay is IPv4 only'])
  const prefix = Number(m[2])
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) throw bad(`the prefix must be /${MIN_PREFIX} to /${MAX_PREFIX}`)
  const r = parseRange(cidr)!
  const canonical = `${v4(r.start)}/${prefix}`
  if (canonical !== cidr) throw bad(`host bits are set`, [`use ${canonical}`])
  if (!ALLOWED.some((a) => contains(parseRange(a)!, r))) {
    throw bad(`not inside private address space (${ALLOWED.join(', ')})`, [`use a subnet inside ${AUTO_POOL}, e.g. ${DEFAULT_SUBNET}`])
  }
  for (const [what, c] of Object.entries(CLUSTER_RANGES)) {
    if (overlaps(parseRange(c)!, r)) throw bad(`overlaps the lab cluster's ${what}`, [`use a subnet inside ${AUTO_POOL}`])
  }
  return {cidr: canonical, prefix, network: r.start, broadcast: r.end}
}

/** Host (bridge) address: the first host address of the subnet. */
export const hostAddress = (s: Subnet) => v4(s.network + 1n)
/** Node i (1-based) at network + 10 + i. */
export const nodeAddress = (s: Subnet, index: number) => v4(s.network + BigInt(FIRST_NODE_HOST - 1 + index))
export const maxNodes = (s: Subnet) => Number(s.broadcast - s.network - BigInt(FIRST_NODE_HOST))

export function checkNodesFit(s: Subnet, nodes: number): void {
  if (nodes > maxNodes(s)) {
    throw new LabProblem('bad-subnet', `${nodes} nodes do not fit in ${s.cidr}: it holds at most ${maxNodes(s)} (nodes start at .${FIRST_NODE_HOST})`, [
      'use a larger subnet (a smaller prefix), e.g. a /24 holds 244 nodes',
    ])
  }
}

/** A route of the host, as `ip -j route show table all` prints it. */
export interface HostRoute {
  dst: string
  dev?: string
  table?: string
  type?: string
}

/** The host routes a subnet would clash with. The default route is no clash (it covers everything). */
export function clashingRoutes(s: Subnet, routes: HostRoute[]): HostRoute[] {
  const mine = parseRange(s.cidr)!
  return routes.filter((rt) => {
    if (!rt.dst || rt.dst === 'default') return false
    const r = parseRange(rt.dst)
    if (!r || /\/0$/.test(rt.dst)) return false
    return overlaps(mine, r)
  })
}

/** Pick the first /24 of the pool, starting at `startAt` and wrapping around, that `isFree` accepts. */
export function pickSubnet(isFree: (s: Subnet) => boolean, startAt = 0, pool = AUTO_POOL): Subnet | undefined {
  const p = parseRange(pool)!
  const count = Number((p.end - p.start + 1n) / 256n)
  for (let i = 0; i < count; i++) {
    const k = (startAt + i) % count
    const cidr = `${v4(p.start + BigInt(k) * 256n)}/24`
    if (cidr === DEFAULT_SUBNET) continue // left for humans running `netprov lab up`
    const s = parseSubnet(cidr)
    if (isFree(s)) return s
  }
  return undefined
}
