import {createHash} from 'node:crypto'
import {closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import type {Cluster} from '../config/types.js'
import {UsageError} from '../errors.js'
import {digest} from './planner.js'
import {type NodePlan, PLAN_FORMAT_VERSION, type Plan, type Step} from './types.js'

/**
 * What leaves netprov as JSON (plan --json, --out, apply --json): file contents in write steps are
 * replaced by their sha256 and size. A config file netprov edits (containerd's) may hold secrets, and
 * a saved plan never needs the bytes: apply re-derives every step from the cluster file and the node.
 */
export function redactPlan<P extends Plan>(plan: P): P {
  return {...plan, nodes: plan.nodes.map(redactNode)} as P
}

// A step read back from a plan file is already redacted: it passes through unchanged.
const redactStep = (s: Step | RedactedWrite): Step | RedactedWrite =>
  s.op === 'write' && 'content' in s ? {op: 'write', path: s.path, mode: s.mode, contentSha256: createHash('sha256').update(s.content).digest('hex'), bytes: Buffer.byteLength(s.content)} : s

function redactNode(n: NodePlan): NodePlan {
  return {...n, changes: n.changes.map((c) => ({...c, steps: c.steps.map(redactStep) as Step[], undo: c.undo.map(redactStep) as Step[]}))}
}

/** Are two plans of a node the same changes (compared as they are shown and saved: redacted)? */
export function sameChanges(a: NodePlan, b: NodePlan): boolean {
  return JSON.stringify(redactNode(a).changes) === JSON.stringify(redactNode(b).changes)
}

interface RedactedWrite {
  op: 'write'
  path: string
  mode: string
  contentSha256: string
  bytes: number
}

/** A saved plan: the plan itself plus a digest of the cluster it was made for. */
export interface PlanFile extends Plan {
  clusterDigest: string
}

export function clusterDigest(cluster: Cluster): string {
  return digest(cluster)
}

/** Fails early (before any node is read) when PLANFILE cannot be a file: a directory, or no such folder. */
export function checkWritable(path: string): void {
  const dir = dirname(resolve(path))
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`cannot write the plan to ${path}: it is a directory`, ['give --out a file path'])
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`cannot write the plan to ${path}: no directory ${dir}`, ['create the directory first, or give another path'])
}

export function writePlanFile(path: string, plan: Plan, cluster: Cluster): void {
  const file: PlanFile = {...redactPlan(plan), clusterDigest: clusterDigest(cluster)}
  try {
    writeFileSync(path, JSON.stringify(file, null, 2) + '\n', {mode: 0o600})
  } catch (e) {
    throw new UsageError(`cannot write the plan to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ['give --out a file path in a writable directory'])
  }
}

const MAX_PLAN_BYTES = 64 * 1024 * 1024

/** A plan file must be a regular file of bounded size (a FIFO would hang, /dev/zero would eat memory). */
function checkPlanPath(path: string): void {
  let st
  try {
    st = statSync(path)
  } catch (e) {
    throw new UsageError(`${path}: cannot read the plan file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  if (!st.isFile()) throw new UsageError(`${path}: not a regular file, so not a plan file`, ['give the file written by `netprov plan --out`'])
  if (st.size > MAX_PLAN_BYTES) throw new UsageError(`${path}: ${st.size} bytes is too large for a plan file (at most ${MAX_PLAN_BYTES})`)
}

/** True when the file looks like a saved plan rather than a cluster file (apply takes either). Reads 200 bytes. */
export function isPlanFile(path: string): boolean {
  checkPlanPath(path)
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(200)
    const n = readSync(fd, head, 0, 200, 0)
    const text = head.subarray(0, n).toString('utf8')
    return text.trimStart().startsWith('{') && text.includes('"formatVersion"')
  } finally {
    closeSync(fd)
  }
}

export function readPlanFile(path: string): PlanFile {
  checkPlanPath(path)
  let data: PlanFile
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as PlanFile
  } catch (e) {
    throw new UsageError(`${path}: not a readable plan file: ${(e as Error).message}`, ['make one with `netprov plan --out FILE`'])
  }
  const major = String(data.formatVersion ?? '').split('.')[0]
  if (major !== PLAN_FORMAT_VERSION.split('.')[0]) {
    throw new UsageError(`${path}: plan format ${data.formatVersion ?? 'unknown'} is not supported (this netprov writes ${PLAN_FORMAT_VERSION})`, ['make a new plan with this netprov version'])
  }
  const wellFormed =
    typeof data.clusterFile === 'string' && typeof data.clusterDigest === 'string' && Array.isArray(data.nodes) &&
    data.nodes.every((n) => n && typeof n.name === 'string' && typeof n.factsDigest === 'string' && Array.isArray(n.changes) && Array.isArray(n.findings))
  if (!wellFormed) throw new UsageError(`${path}: not a well-formed plan file (missing or wrong fields)`, ['make a new plan with `netprov plan --out FILE`'])
  const names = data.nodes.map((n) => n.name)
  if (new Set(names).size !== names.length) throw new UsageError(`${path}: a node appears twice in the plan file; nothing was changed`, ['make a new plan with `netprov plan --out FILE`'])
  return data
}
