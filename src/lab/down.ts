// `netprov lab down`: removes exactly what `up` made: the nodes' processes, namespaces and veths, the
// bridge, the lab dir and its registry entry (and, with the last lab, the mount points labs had to create).
import {rm} from 'node:fs/promises'
import {LabProblem} from './errors.js'
import {ipBatch, labParts} from './host-net.js'
import {DEFAULT_LAB_NAME, bridgeName, defaultLabDir, validateLabDir, validateLabName} from './names.js'
import {checkPrerequisites} from './prereqs.js'
import {isOurSshd, killNodeProcesses, netnsInode, pidNetns} from './processes.js'
import {labDirOf, releaseMountpoints, unregister, withRegistryLock} from './registry.js'
import {readState} from './state.js'

export interface LabDownResult {
  name: string
  dir?: string
  existed: boolean // false: nothing of this lab was there (not an error)
  killed: number[] // pids ended
  netns: string[] // namespaces deleted
  links: string[] // links deleted
  removedMountpoints: string[]
}

/** Takes lab `name` (or the lab in `dir`) down. Succeeds, with existed=false, when there is nothing to remove. */
export async function labDown(target: {name?: string; dir?: string} | string = {}): Promise<LabDownResult> {
  checkPrerequisites({only: ['ip']}) // taking a lab down needs no sshd
  return destroyLab(typeof target === 'string' ? (target.startsWith('/') ? {dir: target} : {name: target}) : target)
}

export async function destroyLab(target: {name?: string; dir?: string}): Promise<LabDownResult> {
  let name: string
  let dir: string | undefined
  if (target.dir) {
    dir = validateLabDir(target.dir)
    const st = await readState(dir)
    if (!st) throw new LabProblem('not-found', `no lab in ${dir} (no lab.json)`, ['pass --name NAME instead'])
    name = st.name
  } else {
    name = validateLabName(target.name ?? DEFAULT_LAB_NAME)
    dir = await labDirOf(name)
  }
  const state = dir ? await readState(dir) : undefined

  // Everything of this lab: what lab.json lists, plus whatever carries its names (a crash may have left
  // parts that lab.json does not list yet).
  const parts = await labParts(name)
  const netns = [...new Set([...(state?.nodes.map((n) => n.netns) ?? []), ...parts.netns])].sort()
  const links = [...new Set(parts.links)]
  const result: LabDownResult = {name, dir, existed: Boolean(dir) || parts.netns.length + parts.links.length > 0, killed: [], netns: [], links: [], removedMountpoints: []}
  if (!result.existed) return result

  // 1. Processes: all in the nodes' network namespaces or with a node's hostname (UTS namespace); plus a
  //    recorded sshd that is still ours (its command line names its node's config) if its netns lost its name.
  const inodes = new Set<number>()
  for (const n of netns) {
    const ino = await netnsInode(n)
    if (ino) inodes.add(ino)
  }
  for (const node of state?.nodes ?? []) {
    if (!node.pid) continue
    const ino = (await isOurSshd(node.pid, node.sshdConfig)) ? await pidNetns(node.pid) : undefined
    if (ino) inodes.add(ino)
  }
  result.killed = await killNodeProcesses(inodes)

  // 2. Links first (deleting a namespace frees its veth only asynchronously), then namespaces.
  const veths = links.filter((l) => l !== bridgeName(name))
  const bridges = links.filter((l) => l === bridgeName(name))
  await ipBatch(veths.map((l) => `link del ${l}`), {force: true})
  await ipBatch(netns.map((n) => `netns del ${n}`), {force: true})
  await ipBatch(bridges.map((l) => `link del ${l}`), {force: true})

  // 3. Files and the registry entry. A --dir is only removed when it holds this lab's lab.json.
  if (dir && (state?.name === name || dir === defaultLabDir(name))) await rm(dir, {recursive: true, force: true})
  await withRegistryLock(async () => {
    if (dir) await unregister(name, dir)
    result.removedMountpoints = await releaseMountpoints()
  })

  const left = await labParts(name)
  result.netns = netns.filter((n) => !left.netns.includes(n))
  result.links = links.filter((l) => !left.links.includes(l))
  if (left.netns.length + left.links.length > 0) {
    throw new LabProblem('command-failed', `lab ${name}: could not remove ${[...left.netns, ...left.links].join(', ')}`, [
      'see `ip netns pids NAME` for processes still in a namespace, then run `netprov lab down` again',
    ])
  }
  return result
}
