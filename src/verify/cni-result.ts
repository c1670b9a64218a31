import {Address4, Address6} from 'ip-address'
import {familyOf} from '../net/cidr.js'
import {canonicalIp} from './driver-output.js'
import {overlapsAny} from './node-net.js'
import type {PluginProbe} from './probe-facts.js'

// What the CNI spec says plugins print, checked against what the node should give a pod. Pure.

export interface CniInterface {
  name?: string
  mac?: string
  sandbox?: string
}

export interface CniResult {
  cniVersion?: string
  interfaces?: CniInterface[]
  ips?: {address?: string; gateway?: string; interface?: number}[]
  routes?: {dst?: string; gw?: string}[]
}

export interface PodExpectation {
  cniVersion: string
  netnsPath: string
  ifname: string
  podCIDRs: string[] // the node's, one per family
  gateways: string[] // the bridge addresses, CIDR form (10.244.1.1/24)
  bridge?: string // when the first plugin is the bridge plugin
}

export interface ResultCheck {
  problems: string[]
  ips: string[] // the pod's addresses, without prefix, IPv4 first
  hostInterfaces: string[] // host-side interfaces the result names (veth ends), for the cleanup check
}

const CODES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
  50: 'plugin not available',
  51: 'plugin not available, existing containers may be impaired',
  999: 'internal error',
}

/** A plugin's failure as one line: its error JSON {code, msg, details} if it printed one, else its output. */
export function describeCniError(stdout: string, stderr: string, exitCode: number): string {
  try {
    const e = JSON.parse(stdout) as {code?: number; msg?: string; details?: string}
    if (typeof e.code === 'number' || e.msg) {
      const name = e.code !== undefined ? ` (${CODES[e.code] ?? 'plugin-specific'})` : ''
      return `error ${e.code ?? '?'}${name}: ${e.msg ?? ''}${e.details ? `: ${e.details}` : ''}`.trim()
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = (stdout.trim() || stderr.trim()).split('\n').slice(0, 3).join(' ')
  // 127: the driver found no such binary (its stderr has libcni's wording) or the shell could not run it
  if (exitCode === 127) return text || 'plugin binary not found in CNI_PATH'
  return `exit ${exitCode}${text ? `: ${text.slice(0, 300)}` : ''}`
}

function validCidr(s: string): boolean {
  const [addr, len] = s.split('/')
  if (!addr || len === undefined || !/^\d+$/.test(len)) return false
  return familyOf(addr) === 4 ? Address4.isValid(addr) && Number(len) <= 32 : Address6.isValid(addr) && Number(len) <= 128
}

const hostPart = (cidr: string) => cidr.split('/')[0]!
const sameAddr = (a: string, b: string) => familyOf(a) === familyOf(b) && (familyOf(a) === 4 ? a === b : new Address6(a).correctForm() === new Address6(b).correctForm())

/** Checks an ADD result (the final one of the chain) against the CNI result format and the node's pod network. */
export function checkAddResult(stdout: string, want: PodExpectation): ResultCheck {
  const out: ResultCheck = {problems: [], ips: [], hostInterfaces: []}
  let r: CniResult
  try {
    r = JSON.parse(stdout) as CniResult
  } catch {
    out.problems.push(`the result is not JSON: ${stdout.trim().slice(0, 120) || '(empty)'}`)
    return out
  }
  if (!r || typeof r !== 'object') {
    out.problems.push('the result is not a JSON object')
    return out
  }
  if (r.cniVersion !== want.cniVersion) out.problems.push(`cniVersion is ${JSON.stringify(r.cniVersion)}, the conflist asked for ${want.cniVersion}`)
  const ifaces = Array.isArray(r.interfaces) ? r.interfaces : []
  const podIf = ifaces.findIndex((i) => i.name === want.ifname && i.sandbox === want.netnsPath)
  if (podIf < 0) out.problems.push(`no interface ${want.ifname} with sandbox ${want.netnsPath} in "interfaces"`)
  if (want.bridge && !ifaces.some((i) => i.name === want.bridge && !i.sandbox)) out.problems.push(`the bridge ${want.bridge} is not among the result's interfaces`)
  out.hostInterfaces = ifaces.filter((i) => !i.sandbox && i.name && i.name !== want.bridge).map((i) => i.name!)
  const ips = Array.isArray(r.ips) ? r.ips : []
  if (ips.length === 0) out.problems.push('no "ips": the pod got no address')
  for (const [n, ip] of ips.entries()) {
    if (typeof ip.address !== 'string' || !validCidr(ip.address)) out.problems.push(`ips[${n}].address ${JSON.stringify(ip.address)} is not an address in CIDR form`)
    else if (ip.interface !== undefined && (typeof ip.interface !== 'number' || !ifaces[ip.interface])) out.problems.push(`ips[${n}].interface ${ip.interface} points at no interface`)
  }
  want.podCIDRs.forEach((cidr, i) => {
    const fam = familyOf(cidr)
    const mine = ips.filter((ip) => typeof ip.address === 'string' && validCidr(ip.address) && familyOf(ip.address) === fam)
    if (mine.length !== 1) return out.problems.push(`${mine.length} IPv${fam} addresses (want exactly one in ${cidr})`)
    const ip = mine[0]!
    const addr = hostPart(ip.address!)
    const gw = hostPart(want.gateways[i]!)
    if (!overlapsAny(cidr, addr)) out.problems.push(`address ${ip.address} is outside the node's pod CIDR ${cidr}`)
    else if (ip.address!.split('/')[1] !== cidr.split('/')[1]) out.problems.push(`address ${ip.address} has prefix /${ip.address!.split('/')[1]}, the pod CIDR is ${cidr}`)
    if (sameAddr(addr, gw)) out.problems.push(`the pod got the gateway address ${addr}`)
    if (!ip.gateway) out.problems.push(`no gateway for ${ip.address} (want ${gw}, the bridge address)`)
    else if (!sameAddr(ip.gateway, gw)) out.problems.push(`gateway ${ip.gateway} is not the bridge address ${gw}`)
    if (podIf >= 0 && ip.interface !== undefined && ip.interface !== podIf) out.problems.push(`${ip.address} is on interface ${ip.interface}, not on ${want.ifname} (${podIf})`)
    out.ips.push(canonicalIp(addr))
  })
  return out
}

/** libcni ValidateNetworkList for one plugin: found, executable, and VERSION lists the conflist's cniVersion. */
export function checkPluginVersion(probe: PluginProbe | undefined, cniVersion: string): {ok: boolean; detail: string} {
  if (!probe) return {ok: false, detail: 'not probed'}
  if (probe.state === 'missing') return {ok: false, detail: 'not found'}
  if (probe.state === 'not-executable') return {ok: false, detail: 'exists but is not an executable file'}
  if (probe.exitCode !== 0) return {ok: false, detail: `VERSION failed: ${describeCniError(probe.stdout ?? '', '', probe.exitCode ?? 1)}`}
  // A plugin that prints nothing predates VERSION: libcni takes it as supporting 0.1.0 only.
  let supported = ['0.1.0']
  if ((probe.stdout ?? '').trim()) {
    try {
      const v = JSON.parse(probe.stdout!) as {supportedVersions?: unknown}
      if (!Array.isArray(v.supportedVersions)) return {ok: false, detail: `VERSION answer has no supportedVersions: ${probe.stdout!.trim().slice(0, 120)}`}
      supported = v.supportedVersions.map(String)
    } catch {
      return {ok: false, detail: `VERSION answer is not JSON: ${probe.stdout!.trim().slice(0, 120)}`}
    }
  }
  return supported.includes(cniVersion)
    ? {ok: true, detail: `supports ${cniVersion} (${supported.join(', ')})`}
    : {ok: false, detail: `does not support cniVersion ${cniVersion}: it supports ${supported.join(', ')}`}
}
