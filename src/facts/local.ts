import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Cluster} from '../config/types.js'
import type {LocalFacts} from '../resources/resource.js'

const tgzCache = new Map<string, string>()

/** A .tgz source is unpacked once per run into a private temp dir. */
async function pluginDir(source: string): Promise<string> {
  if (!/\.(tgz|tar\.gz)$/.test(source)) return source
  let dir = tgzCache.get(source)
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'netprov-plugins-'))
    await execa('tar', ['-xzf', source, '-C', dir])
    tgzCache.set(source, dir)
  }
  return dir
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** sha256 of each plugin in pluginSource (null = missing), computed once per run. */
export async function readLocalFacts(cluster: Cluster): Promise<LocalFacts> {
  const plugins: LocalFacts['plugins'] = {}
  const dir = existsSync(cluster.cni.pluginSource) ? await pluginDir(cluster.cni.pluginSource) : null
  for (const p of cluster.cni.plugins) {
    const path = dir ? join(dir, p) : ''
    plugins[p] = dir && existsSync(path) && statSync(path).isFile() ? {path, sha256: sha256File(path)} : null
  }
  return {plugins}
}
