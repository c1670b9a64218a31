// The host-wide lab registry under LAB_ROOT: one entry per lab name (its dir, or a symlink to a --dir),
// a lock that makes "is this name/subnet free? take it" atomic between concurrent `up`s, and the list of
// mount points labs had to create on the host.
import {lstat, mkdir, open, readFile, readdir, readlink, rm, rmdir, stat, symlink, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {LabProblem} from './errors.js'
import {LAB_ROOT, defaultLabDir} from './names.js'
import {type LabState, readState} from './state.js'

const LOCK = path.join(LAB_ROOT, '.lock')
const MOUNTPOINTS = path.join(LAB_ROOT, '.mountpoints.json')
const LAB_ENTRY = /^[a-z][a-z0-9]{0,7}$/

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Runs fn holding the registry lock (an O_EXCL file with the holder's pid; a dead holder's lock is taken over). */
export async function withRegistryLock<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  await mkdir(LAB_ROOT, {recursive: true, mode: 0o755})
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const fh = await open(LOCK, 'wx', 0o644)
      await fh.writeFile(String(process.pid))
      await fh.close()
      break
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT') {
        await mkdir(LAB_ROOT, {recursive: true, mode: 0o755}) // another process just removed the empty root
        continue
      }
      if (code !== 'EEXIST') throw e
      const holder = Number(await readFile(LOCK, 'utf8').catch(() => ''))
      const age = Date.now() - ((await stat(LOCK).catch(() => undefined))?.mtimeMs ?? Date.now())
      if ((holder > 0 && !alive(holder)) || (!holder && age > 5000) || age > 5 * 60_000) {
        await unlink(LOCK).catch(() => {})
        continue
      }
      if (Date.now() > deadline) {
        throw new LabProblem('locked', `the lab registry ${LOCK} is locked by process ${holder || '?'}`, [
          'wait for the other `netprov lab` command to finish; remove the file if that process is gone',
        ])
      }
      await new Promise((r) => setTimeout(r, 25 + Math.random() * 50))
    }
  }
  try {
    return await fn()
  } finally {
    await unlink(LOCK).catch(() => {})
    await rmdir(LAB_ROOT).catch(() => {}) // only succeeds when no lab (and no record) is left: leave no trace
  }
}

/** The dir of lab `name` (following the registry symlink), or undefined when no such lab is registered. */
export async function labDirOf(name: string): Promise<string | undefined> {
  const entry = defaultLabDir(name)
  try {
    const st = await lstat(entry)
    if (st.isSymbolicLink()) return path.resolve(LAB_ROOT, await readlink(entry))
    return st.isDirectory() ? entry : undefined
  } catch {
    return undefined
  }
}

/** Registers lab `name` living in `dir` (a symlink when dir is not the default). Caller holds the lock. */
export async function register(name: string, dir: string): Promise<void> {
  if (dir !== defaultLabDir(name)) await symlink(dir, defaultLabDir(name))
}

export async function unregister(name: string, dir: string): Promise<void> {
  const entry = defaultLabDir(name)
  if (dir !== entry) {
    const st = await lstat(entry).catch(() => undefined)
    if (st?.isSymbolicLink() && path.resolve(LAB_ROOT, await readlink(entry)) === dir) await unlink(entry)
  }
}

/** Every registered lab: {name, dir, state} (state undefined when lab.json is missing or unreadable). */
export async function listLabs(): Promise<{name: string; dir: string; state?: LabState}[]> {
  const names = await readdir(LAB_ROOT).catch(() => [] as string[])
  const out: {name: string; dir: string; state?: LabState}[] = []
  for (const name of names.filter((n) => LAB_ENTRY.test(n)).sort()) {
    const dir = await labDirOf(name)
    if (dir) out.push({name, dir, state: await readState(dir)})
  }
  return out
}

// ---- Mount points on the host -------------------------------------------------------------------
// A node's private dir is a bind mount onto the same path, which must exist on the host. Those a lab had
// to create (e.g. /etc/cni on a host without CNI) are recorded here and removed, if still empty, when the
// last lab goes down. Never /run/sshd: it is the standard sshd privilege-separation dir.

const KEEP = new Set(['/run/sshd'])

/** Creates the missing ones among `paths` (caller holds the lock) and records what it created. */
export async function ensureMountpoints(paths: string[]): Promise<string[]> {
  const created: string[] = []
  for (const p of paths) {
    const first = await mkdir(p, {recursive: true, mode: 0o755})
    if (!first) continue
    // mkdir -p returns the first dir it made; everything from there down to p is ours.
    for (let d = p; d.length >= first.length; d = path.dirname(d)) created.push(d)
  }
  if (created.length > 0) {
    const known = await recordedMountpoints()
    const all = [...new Set([...known, ...created.filter((c) => !KEEP.has(c))])]
    await writeFile(MOUNTPOINTS, JSON.stringify(all, null, 2) + '\n')
  }
  return created
}

async function recordedMountpoints(): Promise<string[]> {
  try {
    return JSON.parse(await readFile(MOUNTPOINTS, 'utf8')) as string[]
  } catch {
    return []
  }
}

/** When no lab is left (caller holds the lock): removes the recorded mount points that are still empty. */
export async function releaseMountpoints(): Promise<string[]> {
  if ((await listLabs()).length > 0) return []
  const removed: string[] = []
  const known = await recordedMountpoints()
  for (const d of [...known].sort((a, b) => b.length - a.length)) {
    try {
      await rmdir(d)
      removed.push(d)
    } catch {}
  }
  await rm(MOUNTPOINTS, {force: true})
  return removed
}
