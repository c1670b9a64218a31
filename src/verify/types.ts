// What verify reports: a flat list of named checks, each pass / fail / skip, per node.
// `verify --json` prints {ok, checks} (the spec's shape) plus summary and per-node stats.

export type CheckStatus = 'pass' | 'fail' | 'skip'

export interface Check {
  node: string
  check: string // stable name: "drift route 10.244.2.0/24", "cni plugin bridge", "ping node1 -> node2"
  status: CheckStatus
  detail: string
  fix?: string // what to do about a failure (or a warning carried by a pass)
}

export interface NodeStats {
  name: string
  roundTrips: number
  ms: number
}

export interface VerifyReport {
  ok: boolean
  checks: Check[]
  summary: {pass: number; fail: number; skip: number}
  nodes: NodeStats[]
  connectivity: boolean // false under --no-connectivity
  durationMs: number
}

export const pass = (node: string, check: string, detail: string, fix?: string): Check => ({node, check, status: 'pass', detail, ...(fix ? {fix} : {})})
export const fail = (node: string, check: string, detail: string, fix?: string): Check => ({node, check, status: 'fail', detail, ...(fix ? {fix} : {})})
export const skip = (node: string, check: string, detail: string): Check => ({node, check, status: 'skip', detail})

export function summarizeChecks(checks: readonly Check[]): VerifyReport['summary'] {
  const s = {pass: 0, fail: 0, skip: 0}
  for (const c of checks) s[c.status]++
  return s
}
