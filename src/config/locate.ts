// Maps a data path back to a line and column in the YAML source, so that every diagnostic can point
// at the exact key or value it is about.
import {type Document, type LineCounter, isAlias, isMap, isScalar, isSeq, type Node} from 'yaml'
import type {Path} from './paths.js'

export interface Position {
  line: number // 1-based
  col: number // 1-based
}

export type Part = 'key' | 'value'

export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Where `path` is written. `part: 'key'` points at the key of the last map entry (for unknown keys);
   * a value that is missing or empty points at its key; a path that does not exist points at the
   * deepest part that does.
   */
  position(path: Path, part: Part = 'value'): Position {
    let node: unknown = this.doc.contents
    let best: number | undefined = rangeStart(node)
    for (let i = 0; i < path.length; i++) {
      node = this.resolve(node)
      const seg = path[i]
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg))
        if (!pair) break
        best = rangeStart(pair.key) ?? best
        const isLast = i === path.length - 1
        if (isLast && part === 'key') break
        node = pair.value
        if (isEmpty(node)) break // `key:` with nothing after it: the key is the place to point at
        best = rangeStart(node) ?? best
      } else if (isSeq(node) && /^[0-9]+$/.test(String(seg))) {
        const item: unknown = node.items[Number(seg)]
        if (item === undefined) break
        node = item
        best = rangeStart(node) ?? best
      } else break
    }
    return best === undefined ? {line: 1, col: 1} : this.lines.linePos(best)
  }

  private resolve(node: unknown): unknown {
    // Aliases point at the anchored node; follow them so paths through `*ref` still resolve.
    for (let i = 0; i < 10 && isAlias(node); i++) node = node.resolve(this.doc)
    return node
  }
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as Node | null | undefined)?.range
  return r ? r[0] : undefined
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value)
  return undefined
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null && (node.source ?? '') === '')
}
