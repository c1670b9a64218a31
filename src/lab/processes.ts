// Finding and ending a node's processes. A node's processes are those in its network namespace (what
// `ip netns pids` lists) plus those sharing its UTS namespace (the node's hostname): a process a test
// started in a pod namespace on the node has left the node's netns but still has the node's hostname.
import {readFile, readdir, readlink, stat, statfs} from 'node:fs/promises'
import {LabProblem} from './errors.js'

const NS_INODE = /\[(\d+)\]/
const NSFS_MAGIC = 0x6e736673

async function nsInodeOfPid(pid: number, ns: 'net' | 'uts' | 'mnt'): Promise<number | undefined> {
  try {
    return Number(NS_INODE.exec(await readlink(`/proc/${pid}/ns/${ns}`))?.[1]) || undefined
  } catch {
    return undefined
  }
}

/** Inode of a named network namespace (/run/netns/NAME is an nsfs bind mount), undefined when it does not exist. */
export async function netnsInode(netns: string): Promise<number | undefined> {
  try {
    const path = `/run/netns/${netns}`
    // A file left without its mount (after a crash) is no namespace: only an nsfs mount is.
    if ((await statfs(path)).type !== NSFS_MAGIC) return undefined
    return (await stat(path)).ino
  } catch {
    return undefined
  }
}

async function allPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number)
}

export async function pidNetns(pid: number): Promise<number | undefined> {
  return nsInodeOfPid(pid, 'net')
}

/** Pids whose network namespace is one of `netInodes`, or whose UTS namespace is one of `utsInodes`. */
export async function pidsIn(netInodes: Set<number>, utsInodes: Set<number> = new Set()): Promise<number[]> {
  const out: number[] = []
  await Promise.all(
    (await allPids()).map(async (pid) => {
      if (pid === process.pid || pid === 1) return
      const net = await nsInodeOfPid(pid, 'net')
      if (net !== undefined && netInodes.has(net)) return void out.push(pid)
      if (utsInodes.size > 0) {
        const uts = await nsInodeOfPid(pid, 'uts')
        if (uts !== undefined && utsInodes.has(uts)) out.push(pid)
      }
    }),
  )
  return out.sort((a, b) => a - b)
}

/** UTS namespaces of the processes in `netInodes`, except the host's own (never a node's). */
export async function nodeUtsInodes(netInodes: Set<number>): Promise<Set<number>> {
  const hostUts = await nsInodeOfPid(process.pid, 'uts')
  const init = await nsInodeOfPid(1, 'uts')
  const out = new Set<number>()
  for (const pid of await pidsIn(netInodes)) {
    const uts = await nsInodeOfPid(pid, 'uts')
    if (uts !== undefined && uts !== hostUts && uts !== init) out.add(uts)
  }
  return out
}

/** Ends every process of the given nodes: SIGTERM, then SIGKILL after `graceMs`, until none is left. */
export async function killNodeProcesses(netInodes: Set<number>, graceMs = 1500, timeoutMs = 10_000): Promise<number[]> {
  if (netInodes.size === 0) return []
  const uts = await nodeUtsInodes(netInodes)
  const killed = new Set<number>()
  const start = Date.now()
  let signal: NodeJS.Signals = 'SIGTERM'
  for (;;) {
    const pids = await pidsIn(netInodes, uts)
    if (pids.length === 0) return [...killed].sort((a, b) => a - b)
    if (Date.now() - start > graceMs) signal = 'SIGKILL'
    if (Date.now() - start > timeoutMs) throw new LabProblem('command-failed', `processes still running in the lab's namespaces after SIGKILL: ${pids.join(' ')}`)
    for (const pid of pids) {
      try {
        process.kill(pid, signal)
        killed.add(pid)
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** True when `pid` is the sshd started with config `sshdConfig` (sshd rewrites its argv into one title string). */
export async function isOurSshd(pid: number, sshdConfig: string): Promise<boolean> {
  try {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8')
    return cmd.includes('sshd') && cmd.split(/[\0 ]+/).includes(sshdConfig)
  } catch {
    return false
  }
}
