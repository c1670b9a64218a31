import type {Address, Link, Route} from './types.js'
import {type Fact, parseJson} from './fact.js'

interface IpLink {ifname: string; mtu: number; flags?: string[]; linkinfo?: {info_kind?: string}}
interface IpAddr {ifname: string; addr_info?: {family: string; local: string; prefixlen: number; scope: string}[]}
interface IpRoute {dst: string; gateway?: string; via?: {host: string}; dev?: string; protocol?: string; type?: string}

export function parseLinks(stdout: string): Link[] {
  return parseJson<IpLink[]>('links', stdout).map((l) => ({
    name: l.ifname,
    kind: l.linkinfo?.info_kind ?? null,
    mtu: l.mtu,
    up: (l.flags ?? []).includes('UP'),
  }))
}

export function parseAddresses(stdout: string): Address[] {
  return parseJson<IpAddr[]>('addresses', stdout).flatMap((l) =>
    (l.addr_info ?? []).map((a) => ({
      dev: l.ifname,
      cidr: `${a.local}/${a.prefixlen}`,
      family: a.family === 'inet6' ? (6 as const) : (4 as const),
      scope: a.scope,
    })),
  )
}

// Route protocols are read as numbers (ip -N): names come from /etc/iproute2/rt_protos, which anyone
// can edit (naming 147 "kube" must not make netprov disown its routes). Only the kernel's own fixed
// numbers (include/uapi/linux/rtnetlink.h) get names back, for readable messages.
const KERNEL_PROTOS: Record<string, string> = {'0': 'unspec', '1': 'redirect', '2': 'kernel', '3': 'boot', '4': 'static'}

export function parseRoutes(family: 4 | 6) {
  return (stdout: string): Route[] =>
    parseJson<IpRoute[]>(`routes${family}`, stdout)
      // unreachable/blackhole/local routes are not next-hop routes; keep them visible as foreign objects anyway
      .map((r) => ({
        dst: r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`,
        via: r.gateway ?? r.via?.host ?? null,
        dev: r.dev ?? null,
        protocol: KERNEL_PROTOS[r.protocol ?? '3'] ?? r.protocol ?? 'boot',
        family,
      }))
}

export const linksFact: Fact<Link[]> = {id: 'links', argv: ['ip', '-j', '-d', 'link', 'show'], parse: parseLinks}
export const addressesFact: Fact<Address[]> = {id: 'addresses', argv: ['ip', '-j', 'addr', 'show'], parse: parseAddresses}
export const routes4Fact: Fact<Route[]> = {id: 'routes4', argv: ['ip', '-4', '-N', '-j', 'route', 'show', 'table', 'main'], parse: parseRoutes(4)}
export const routes6Fact: Fact<Route[]> = {id: 'routes6', argv: ['ip', '-6', '-N', '-j', 'route', 'show', 'table', 'main'], parse: parseRoutes(6)}
