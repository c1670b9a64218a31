// What each node has to itself. A node shares the host's filesystem except these paths, which are bind
// mounts from <lab dir>/nodes/<node>/fs/<path> inside the node's own mount namespace: what netprov writes
// on node1 is not seen on node2 or on the host.
import {copyFile, mkdir, writeFile, chmod, access} from 'node:fs/promises'
import path from 'node:path'

/** Directories every node has its own (empty at first, like on a fresh node). */
export const PRIVATE_DIRS = [
  // what netprov writes or reads
  '/etc/cni',
  '/opt/cni',
  '/var/lib/cni',
  '/etc/default',
  '/etc/sysctl.d',
  '/etc/containerd',
  '/etc/modules-load.d',
  '/run/netns', // pod namespaces made on a node (ip netns add) stay on that node
  '/var/lib/netprov',
  '/run/netprov',
  // so that working on a node never writes to the host's (temp files, shell history, sshd's wtmp/lastlog)
  '/tmp',
  '/var/tmp',
  '/root',
  '/var/log',
] as const

const MODES: Record<string, number> = {'/tmp': 0o1777, '/var/tmp': 0o1777, '/root': 0o700}

/** Files every node has its own copy of, when the host has them (bind mounts need an existing target). */
export const PRIVATE_FILES = ['/etc/hostname', '/etc/hosts'] as const

export const nodeFsPath = (nodeDir: string, p: string) => path.join(nodeDir, 'fs', p)

const exists = (p: string) => access(p).then(() => true, () => false)

/**
 * Creates the node's private tree and its fstab (<nodeDir>/fstab: one bind mount per line, for `mount -a -T`).
 * A target that is an ancestor of the lab dir (e.g. /tmp for a lab dir under /tmp) is mounted last: it
 * hides the sources below it. `hostsLines` are appended to the node's copy of /etc/hosts.
 */
export async function prepareNodeFs(labDir: string, nodeDir: string, hostname: string, hostsLines: string[]): Promise<string> {
  const mounts: [string, string][] = []
  for (const d of PRIVATE_DIRS) {
    const src = nodeFsPath(nodeDir, d)
    await mkdir(src, {recursive: true, mode: 0o755})
    if (MODES[d] !== undefined) await chmod(src, MODES[d]!)
    mounts.push([src, d])
  }
  for (const f of PRIVATE_FILES) {
    if (!(await exists(f))) continue
    const src = nodeFsPath(nodeDir, f)
    await mkdir(path.dirname(src), {recursive: true})
    if (f === '/etc/hostname') await writeFile(src, `${hostname}\n`)
    else {
      await copyFile(f, src)
      await writeFile(src, `\n# netprov lab nodes\n${hostsLines.join('\n')}\n`, {flag: 'a'})
    }
    mounts.push([src, f])
  }
  const covers = (target: string) => labDir === target || labDir.startsWith(`${target}/`)
  mounts.sort((a, b) => Number(covers(a[1])) - Number(covers(b[1])))
  const fstab = path.join(nodeDir, 'fstab')
  await writeFile(fstab, `# private dirs of this lab node (netprov lab): source target\n${mounts.map(([s, t]) => `${s} ${t} none bind 0 0`).join('\n')}\n`)
  return fstab
}
