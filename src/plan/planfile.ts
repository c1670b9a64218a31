import {readFileSync, writeFileSync} from 'node:fs'
import type {Cluster} from '../config/types.js'
import {UsageError} from '../errors.js'
import {digest} from './planner.js'
import {PLAN_FORMAT_VERSION, type Plan} from './types.js'

/** A saved plan: the plan itself plus a digest of the cluster it was made for. */
export interface PlanFile extends Plan {
  clusterDigest: string
}

export function clusterDigest(cluster: Cluster): string {
  return digest(cluster)
}

export function writePlanFile(path: string, plan: Plan, cluster: Cluster): void {
  const file: PlanFile = {...plan, clusterDigest: clusterDigest(cluster)}
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n', {mode: 0o600})
}

/** True when the file looks like a saved plan rather than a cluster file (apply takes either). */
export function isPlanFile(path: string): boolean {
  try {
    const head = readFileSync(path, 'utf8').slice(0, 200)
    return head.trimStart().startsWith('{') && head.includes('"formatVersion"')
  } catch {
    return false
  }
}

export function readPlanFile(path: string): PlanFile {
  let data: PlanFile
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as PlanFile
  } catch (e) {
    throw new UsageError(`${path}: not a readable plan file: ${(e as Error).message}`, ['make one with `netprov plan --out FILE`'])
  }
  const major = String(data.formatVersion ?? '').split('.')[0]
  if (major !== PLAN_FORMAT_VERSION.split('.')[0] || !Array.isArray(data.nodes)) {
    throw new UsageError(`${path}: plan format ${data.formatVersion ?? 'unknown'} is not supported (this netprov writes ${PLAN_FORMAT_VERSION})`, ['make a new plan with this netprov version'])
  }
  return data
}
