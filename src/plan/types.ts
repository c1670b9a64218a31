// The plan: the main artifact. `plan --json` prints it, `--out` saves it, `apply` runs it,
// the human view renders it. Steps are data; only the executor turns them into commands.

export type Action = 'create' | 'update' | 'delete'

export type Step =
  /** `tolerate`: stderr pattern meaning "already in the wanted state" (e.g. "File exists"). */
  | {op: 'exec'; argv: string[]; tolerate?: string}
  /** Atomic write: temp file in the same directory, fsync, rename. */
  | {op: 'write'; path: string; content: string; mode: string}
  /** Copy a local file (checked by sha256 before sending). */
  | {op: 'upload'; local: string; path: string; sha256: string; mode: string}
  | {op: 'remove'; path: string}

export interface Change {
  action: Action
  kind: string
  id: string
  before: unknown
  after: unknown
  reason?: string
  steps: Step[]
  /** Steps that restore `before` if the node fails later in the same apply. */
  undo: Step[]
}

export interface Finding {
  severity: 'warning' | 'error'
  kind: string
  id: string
  message: string
  fix?: string
}

export interface NodeError {
  code: string
  message: string
  suggestions: string[]
}

export interface NodePlan {
  name: string
  address: string
  /** sha256 of what this node's plan was made from: `apply PLANFILE` refuses when it changed. */
  factsDigest: string
  /** The node's apply generation when it was read; apply refuses if another apply ran since. */
  generation?: string | null
  changes: Change[]
  findings: Finding[]
  error?: NodeError
  stats?: {roundTrips: number; ms: number}
}

export interface Summary {
  create: number
  update: number
  delete: number
}

export interface Plan {
  formatVersion: '1.0'
  netprovVersion: string
  createdAt: string
  clusterFile: string
  clusterName: string
  nodes: NodePlan[]
  summary: Summary
}

export const PLAN_FORMAT_VERSION = '1.0' as const
