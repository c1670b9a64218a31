import type {Cluster, NodeSpec} from '../config/types.js'
import {fileFact} from '../facts/system.js'
import type {Context, Resource} from './resource.js'

// A whole file netprov writes and owns, recognised by a marker in its content. A file at that path
// without the marker belongs to someone else: reported, never overwritten.
export interface ManagedFile {
  path: string
  content: string
}

export interface FileSpec {
  kind: string
  path(cluster: Cluster, node: NodeSpec): string
  /** Wanted content, or null when the file should not exist (then netprov deletes its own copy). */
  render(ctx: Context): string | null
  owned(content: string): boolean
  mode?: string
}

export function managedFile(spec: FileSpec): Resource<ManagedFile> {
  const mode = spec.mode ?? '644'
  return {
    kind: spec.kind,
    facts: (cluster, node) => [fileFact(spec.path(cluster, node))],
    desired(ctx) {
      const content = spec.render(ctx)
      return content === null ? [] : [{path: spec.path(ctx.cluster, ctx.node), content}]
    },
    actual(ctx) {
      const path = spec.path(ctx.cluster, ctx.node)
      const content = ctx.facts.files[path]
      if (content === null || content === undefined) return {owned: [], findings: []}
      if (spec.owned(content)) return {owned: [{path, content}], findings: []}
      return {
        owned: [],
        findings: [{severity: 'error', kind: spec.kind, id: path, message: `${path} exists and was not written by netprov`, fix: `move it away (netprov will write its own), or point netprov at another path`}],
      }
    },
    key: (f) => f.path,
    same: (w, h) => w.content === h.content,
    steps(action, before, after) {
      if (action === 'delete' && before) return [{op: 'remove', path: before.path}]
      return after ? [{op: 'write', path: after.path, content: after.content, mode}] : []
    },
    undo(action, before, after) {
      if (action === 'create' && after) return [{op: 'remove', path: after.path}]
      return before ? [{op: 'write', path: before.path, content: before.content, mode}] : []
    },
    show: (f) => f.content,
  }
}
