// SSH settings that would defeat host-key checking, or point two nodes at one machine.
//
// A knownHostsFile under /dev (/dev/null, or a symlink there) can hold no host key: with
// accept-new every connection "records" the key into nothing and accepts whatever key the host
// shows, every time; with "yes" no key can ever be verified. The README promises that host-key
// checks are never turned off, so such a file is refused, whatever strictHostKeyChecking says.
//
// Two nodes whose effective (ssh.host, ssh.port) are equal are one machine configured as two nodes:
// each apply would undo the other's bridge address, routes and flags.
import {realpathSync, statSync} from 'node:fs'
import {Address4, Address6} from 'ip-address'
import type {CheckedNode} from './check-nodes.js'
import {DEFAULTS, localPath} from './defaults.js'
import type {Diagnostics} from './diagnostics.js'
import {type Path, toDisplay} from './paths.js'
import type {RawCluster} from './raw.js'

export function checkSsh(raw: RawCluster, nodes: readonly CheckedNode[], dir: string, diags: Diagnostics): void {
  const known: Array<[string | undefined, Path]> = [[raw.spec?.ssh?.knownHostsFile, ['spec', 'ssh', 'knownHostsFile']]]
  raw.nodes?.forEach((n, i) => known.push([n?.ssh?.knownHostsFile, ['nodes', i, 'ssh', 'knownHostsFile']]))
  for (const [value, path] of known) {
    if (value === undefined) continue
    const why = notAKnownHostsFile(localPath(value, dir))
    if (why)
      diags.at(
        path,
        `${toDisplay(path)} ${JSON.stringify(value)} ${why}: no host key can be kept or checked there, so strictHostKeyChecking accept-new would accept any host key on every connection (and "yes" could never verify one); netprov never turns host-key checks off, so give a real known_hosts file`,
      )
  }
  checkTargets(raw, nodes, diags)
}

/** Why `file` (absolute) cannot be a known_hosts file, or undefined. Only what is certain: a missing file is fine (accept-new creates it). */
function notAKnownHostsFile(file: string): string | undefined {
  if (underDev(file)) return 'is under /dev'
  let real: string
  try {
    real = realpathSync(file)
  } catch {
    return undefined // not there (yet)
  }
  if (underDev(real)) return `leads to ${real}, under /dev`
  try {
    const st = statSync(real)
    if (st.isCharacterDevice()) return 'is a character device'
    if (st.isBlockDevice()) return 'is a block device'
    if (st.isFIFO()) return 'is a named pipe (FIFO)'
    if (st.isSocket()) return 'is a socket'
  } catch {
    // vanished meanwhile: ssh will say so
  }
  return undefined
}

const underDev = (p: string): boolean => p === '/dev' || p.startsWith('/dev/')

/** Digits, dots and hex: what the C library reads as an IPv4 address in its own ways (011 octal, 0x7f.1, 2887383563). */
const NUMERIC_HOST = /^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$/i

/** The machine an ssh host names, as far as can be told without DNS: one key per address; names by their lower-case spelling. */
function machineOf(host: string): {key: string; shown: string} | string {
  if (host.includes(':')) {
    try {
      const a = new Address6(host)
      const value = a.bigInt()
      // ::ffff:a.b.c.d is the IPv4 host a.b.c.d
      if (value >> 32n === 0xffffn) return {key: `4/${value & 0xffffffffn}`, shown: Address4.fromBigInt(value & 0xffffffffn).correctForm()}
      return {key: `6/${value}`, shown: a.correctForm()}
    } catch {
      return 'is not a valid IPv6 address'
    }
  }
  if (NUMERIC_HOST.test(host)) {
    if (!/^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$/.test(host) || !Address4.isValid(host))
      return 'is not a valid IPv4 address: write four decimal numbers 0-255 without leading zeros (ssh would read forms like 011, 0x7f.1 or 2887383563 its own way)'
    const a = new Address4(host)
    return {key: `4/${a.bigInt()}`, shown: a.correctForm()}
  }
  const name = host.toLowerCase().replace(/\.$/, '')
  return {key: `name/${name}`, shown: name}
}

function checkTargets(raw: RawCluster, nodes: readonly CheckedNode[], diags: Diagnostics): void {
  const clusterPort = raw.spec?.ssh?.port ?? DEFAULTS.spec.ssh.port
  const seen = new Map<string, {name: string; path: Path}>()
  for (const n of nodes) {
    const own = raw.nodes?.[n.index]?.ssh
    const hostPath: Path = own?.host !== undefined ? [...n.path, 'ssh', 'host'] : [...n.path, 'address']
    const host = own?.host ?? n.addresses[0]?.text
    if (host === undefined) continue // no usable address: reported already
    const machine = machineOf(host)
    if (typeof machine === 'string') {
      diags.at(hostPath, `${toDisplay(hostPath)} ${JSON.stringify(host)} ${machine}`)
      continue
    }
    const port = own?.port ?? clusterPort
    const key = `${machine.key} ${port}`
    const first = seen.get(key)
    if (!first) {
      seen.set(key, {name: n.name, path: n.path})
      continue
    }
    // Both hosts taken from the node addresses: that is a duplicate address, already reported.
    if (own?.host === undefined && raw.nodes?.[Number(first.path[1])]?.ssh?.host === undefined) continue
    const at: Path = own?.host !== undefined ? hostPath : own?.port !== undefined ? [...n.path, 'ssh', 'port'] : hostPath
    diags.at(
      at,
      `${n.name} and ${first.name} (line ${diags.lineOf(first.path)}) both reach ${machine.shown} port ${port} over SSH: netprov would configure one machine as two nodes; give each node its own ssh host or port`,
    )
  }
}
