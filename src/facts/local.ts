import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {closeSync, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, readSync, realpathSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, sep} from 'node:path'
import type {Cluster} from '../config/types.js'
import type {LocalFacts} from '../resources/resource.js'

const tgzCache = new Map<string, string>()

/** A .tgz source is unpacked once per run into a private temp dir, removed when netprov exits. */
async function pluginDir(source: string): Promise<string> {
  if (!isArchive(source)) return source
  let dir = tgzCache.get(source)
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'netprov-plugins-'))
    if (tgzCache.size === 0) process.once('exit', () => tgzCache.forEach((d) => rmSync(d, {recursive: true, force: true})))
    tgzCache.set(source, dir)
    await execa('tar', ['-xzf', source, '-C', dir, '--no-same-owner'])
  }
  return dir
}

const isArchive = (source: string) => /\.(tgz|tar\.gz)$/.test(source)

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** What is wrong with `path` as a plugin of `dir`, or undefined. Nothing but a real executable is sent to nodes. */
function pluginProblem(dir: string, path: string, archive: boolean): string | undefined {
  if (!existsSync(path)) return 'not found'
  if (lstatSync(path).isSymbolicLink()) {
    if (archive) return 'is a symlink in the archive'
    if (!realpathSync(path).startsWith(realpathSync(dir) + sep)) return `is a symlink to ${realpathSync(path)}, outside the plugin source`
  }
  if (!statSync(path).isFile()) return 'is not a regular file'
  const head = Buffer.alloc(4)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, head, 0, 4, 0)
  } finally {
    closeSync(fd)
  }
  const elf = head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))
  return elf || head.subarray(0, 2).toString() === '#!' ? undefined : 'is not an executable (neither ELF nor a #! script)'
}

const localCache = new Map<string, Promise<LocalFacts>>()

/**
 * sha256 of each plugin in pluginSource (null = unusable, with the reason in `problems`). Computed once
 * per run: plan, the re-read after a prompt and apply all ask for the same source.
 */
export function readLocalFacts(cluster: Cluster): Promise<LocalFacts> {
  const key = JSON.stringify([cluster.cni.pluginSource, cluster.cni.plugins])
  let facts = localCache.get(key)
  if (!facts) localCache.set(key, (facts = hashPlugins(cluster)))
  return facts
}

async function hashPlugins(cluster: Cluster): Promise<LocalFacts> {
  const plugins: LocalFacts['plugins'] = {}
  const problems: Record<string, string> = {}
  const source = cluster.cni.pluginSource
  const dir = existsSync(source) ? await pluginDir(source) : null
  for (const p of cluster.cni.plugins) {
    const path = dir ? join(dir, p) : ''
    const problem = dir ? pluginProblem(dir, path, isArchive(source)) : `${source} does not exist`
    plugins[p] = problem ? null : {path, sha256: sha256File(path)}
    if (problem) problems[p] = problem
  }
  return {plugins, problems}
}
