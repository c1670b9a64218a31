import type {Cluster, NodeSpec} from '../config/types.js'
import type {Fact} from '../facts/fact.js'
import type {NodeFacts} from '../facts/types.js'
import type {Action, Finding, Step} from '../plan/types.js'

export interface Context {
  cluster: Cluster
  node: NodeSpec
  facts: NodeFacts
  /** Local facts of the machine running netprov (sha256 of plugin sources...). */
  local: LocalFacts
}

export interface LocalFacts {
  plugins: Record<string, {path: string; sha256: string} | null>
  problems?: Record<string, string> // why a plugin is null ("not found", "is a symlink ...")
}

export interface Actual<S> {
  owned: S[] // netprov's, recognised by markers on the node
  findings: Finding[] // foreign or conflicting objects: reported, never touched
}

/**
 * One kind of thing netprov manages. Pure: says what it wants, reads what is there from facts,
 * and returns the steps that close the gap. It never runs anything.
 */
export interface Resource<S> {
  readonly kind: string
  /** Kinds this one builds on: while one of them is blocked (an error finding), this kind changes nothing. */
  readonly dependsOn?: readonly string[]
  /** Facts this kind needs beyond the base set (files it owns, firewall rules...). */
  facts?(cluster: Cluster, node: NodeSpec): Fact[]
  desired(ctx: Context): S[]
  actual(ctx: Context): Actual<S>
  key(s: S): string
  same(want: S, have: S): boolean
  steps(action: Action, before: S | null, after: S | null, ctx: Context): Step[]
  /** Steps that undo a change; default: the inverse change's steps. */
  undo?(action: Action, before: S | null, after: S | null, ctx: Context): Step[]
  /** What the human and JSON views show as before/after (default: the state itself). */
  show?(s: S): unknown
  /** Why a change is needed, for the human view. */
  reason?(action: Action, before: S | null, after: S | null): string | undefined
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResource = Resource<any>
