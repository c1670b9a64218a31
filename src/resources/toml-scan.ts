// Just enough TOML to find and rewrite a few keys of a file netprov does not own, byte for byte:
// a scanner that reports where each table header and key = value statement is, and parses the
// values netprov compares (strings and arrays of strings). Not a validator.

export type TomlValue = {type: 'string'; value: string; literal: boolean} | {type: 'array'; items: TomlValue[]} | {type: 'other'; raw: string}

export interface TomlStatement {
  kind: 'table' | 'array-table' | 'keyval'
  line: number // 1-based, for messages
  start: number // offset of the line's first byte
  indent: string
  table: string[] // the table it belongs to (for a header: itself)
  key: string[] // keyval: the key as written (dotted keys give several parts)
  valueStart: number // keyval: the value's span
  valueEnd: number
  value: TomlValue | null
  end: number // offset just past the statement's line (after its newline, if any)
}

export class TomlScanError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`)
  }
}

const BARE = /[A-Za-z0-9_-]/

export function scanToml(text: string): TomlStatement[] {
  const out: TomlStatement[] = []
  let i = 0
  let table: string[] = []
  const lineAt = (p: number) => text.slice(0, p).split('\n').length
  const fail = (p: number, m: string): never => {
    throw new TomlScanError(lineAt(p), m)
  }
  const ws = () => {
    while (text[i] === ' ' || text[i] === '\t') i++
  }
  // Whitespace, newlines and comments (inside arrays).
  const gap = () => {
    for (;;) {
      ws()
      if (text[i] === '#') while (i < text.length && text[i] !== '\n') i++
      else if (text[i] === '\n' || text[i] === '\r') i++
      else return
    }
  }
  const endOfLine = () => {
    ws()
    if (text[i] === '#') while (i < text.length && text[i] !== '\n') i++
    if (text[i] === '\r') i++
    if (i < text.length && text[i] !== '\n') fail(i, `unexpected ${JSON.stringify(text[i])}`)
    if (i < text.length) i++
  }
  const quoted = (q: string): string => {
    const start = ++i
    while (i < text.length && text[i] !== q && text[i] !== '\n') i += q === '"' && text[i] === '\\' ? 2 : 1
    if (text[i] !== q) fail(start, 'unterminated string')
    const raw = text.slice(start, i++)
    return q === "'" ? raw : unescape(raw)
  }
  const key = (): string[] => {
    const parts: string[] = []
    for (;;) {
      ws()
      if (text[i] === '"' || text[i] === "'") parts.push(quoted(text[i]!))
      else {
        const s = i
        while (i < text.length && BARE.test(text[i]!)) i++
        if (s === i) fail(i, 'expected a key')
        parts.push(text.slice(s, i))
      }
      ws()
      if (text[i] !== '.') return parts
      i++
    }
  }
  const value = (): TomlValue => {
    const c = text[i]
    for (const q of ['"""', "'''"]) {
      if (text.startsWith(q, i)) {
        const close = text.indexOf(q, i + 3)
        if (close < 0) fail(i, 'unterminated multi-line string')
        let e = close + 3
        while (text[e] === q[0]) e++ // up to two quotes may end the content
        const raw = text.slice(i, e)
        i = e
        return {type: 'other', raw}
      }
    }
    if (c === '"' || c === "'") return {type: 'string', value: quoted(c), literal: c === "'"}
    if (c === '[' || c === '{') {
      const close = c === '[' ? ']' : '}'
      const items: TomlValue[] = []
      const s = i++
      for (;;) {
        gap()
        if (text[i] === close) break
        if (c === '{') {
          key()
          if (text[i] !== '=') fail(i, 'expected =')
          i++
          gap()
        }
        items.push(value())
        gap()
        if (text[i] === ',') i++
        else if (text[i] !== close) fail(i, `expected , or ${close}`)
      }
      i++
      return c === '[' ? {type: 'array', items} : {type: 'other', raw: text.slice(s, i)}
    }
    // Numbers, booleans, dates (a date may hold one space): up to a delimiter, trailing blanks excluded.
    const s = i
    while (i < text.length && !/[,\]}#\r\n]/.test(text[i]!)) i++
    while (i > s && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--
    if (s === i) fail(i, 'expected a value')
    return {type: 'other', raw: text.slice(s, i)}
  }

  while (i < text.length) {
    const start = i
    ws()
    const indent = text.slice(start, i)
    if (text[i] === '#' || text[i] === '\n' || text[i] === '\r' || i >= text.length) {
      endOfLine()
      continue
    }
    const line = lineAt(i)
    if (text[i] === '[') {
      const array = text[i + 1] === '['
      i += array ? 2 : 1
      table = key()
      if (text[i] !== ']' || (array && text[i + 1] !== ']')) fail(i, 'expected ]')
      i += array ? 2 : 1
      const valueAt = i
      endOfLine()
      out.push({kind: array ? 'array-table' : 'table', line, start, indent, table, key: [], valueStart: valueAt, valueEnd: valueAt, value: null, end: i})
      continue
    }
    const k = key()
    if (text[i] !== '=') fail(i, 'expected =')
    i++
    ws()
    const valueStart = i
    const v = value()
    const valueEnd = i
    endOfLine()
    out.push({kind: 'keyval', line, start, indent, table, key: k, valueStart, valueEnd, value: v, end: i})
  }
  return out
}

function unescape(raw: string): string {
  return raw.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16))
    return ({b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\'} as Record<string, string>)[e] ?? `\\${e}`
  })
}

/** A TOML basic string for `s` (what netprov writes when the file gives no other style). */
export function basicString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`
}

/** Same string, in the file's own quoting style when it can hold it. */
export function stringLike(s: string, literal: boolean): string {
  return literal && !/['\n\r]/.test(s) ? `'${s}'` : basicString(s)
}

/**
 * TOML's rules on defining tables and keys (what a strict parser such as Python's tomllib enforces;
 * its logic, ported): a table is declared once, a key is set once, a [table] header cannot reopen a
 * table made by dotted keys (after its section), dotted keys cannot reopen a [table], and inline tables
 * and arrays cannot be extended. Values themselves are not checked. Throws TomlScanError at the first
 * breach.
 */
export function checkTables(st: readonly TomlStatement[]): void {
  const data = new Map<string, Node>()
  const flags = new Flags()
  let header: string[] = []
  const name = (k: readonly string[]) => k.map(tomlKey).join('.')
  for (const s of st) {
    const fail = (m: string): never => {
      throw new TomlScanError(s.line, m)
    }
    if (s.kind === 'table' || s.kind === 'array-table') {
      flags.finalizePending()
      const key = s.table
      if (s.kind === 'table') {
        if (flags.is(key, EXPLICIT) || flags.is(key, FROZEN)) fail(`[${name(key)}] is defined twice`)
        flags.set(key, EXPLICIT, false)
        if (!nest(data, key)) fail(`[${name(key)}]: a key on its path is a value, not a table`)
      } else {
        if (flags.is(key, FROZEN)) fail(`[[${name(key)}]]: ${name(key)} is an inline table or array, which cannot be extended`)
        flags.unsetAll(key)
        flags.set(key, EXPLICIT, false)
        const parent = nest(data, key.slice(0, -1))
        const last = key.at(-1)!
        const have = parent?.get(last)
        if (!parent || (have && !Array.isArray(have))) fail(`[[${name(key)}]]: ${name(key)} is already something other than an array of tables`)
        if (Array.isArray(have)) have.push(new Map())
        else parent!.set(last, [new Map()])
      }
      header = key
      continue
    }
    const key = s.key
    for (let i = 1; i < key.length; i++) {
      const cont = [...header, ...key.slice(0, i)]
      if (flags.is(cont, EXPLICIT)) fail(`${name(key)}: ${name(cont)} is a table defined elsewhere; dotted keys cannot add to it`)
      flags.addPending(cont, EXPLICIT)
    }
    const parentKey = [...header, ...key.slice(0, -1)]
    if (flags.is(parentKey, FROZEN)) fail(`${name(key)}: ${name(parentKey)} is an inline table or array, which cannot be extended`)
    const parent = nest(data, parentKey)
    if (!parent || parent.has(key.at(-1)!)) fail(`${name([...header, ...key])} is defined twice`)
    const frozen = s.value?.type === 'array' || (s.value?.type === 'other' && s.value.raw.startsWith('{'))
    if (frozen) flags.set([...header, ...key], FROZEN, true)
    parent!.set(key.at(-1)!, VALUE)
  }
}

/** A key as TOML writes it: bare when it can be, else a basic string. */
export const tomlKey = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : basicString(k))

// The document as tables (Map), arrays of tables (the last element is the open one) and values.
type Node = Map<string, Node> | Map<string, Node>[] | typeof VALUE
const VALUE = Symbol('value')

/** The table at `key`, created as needed (through the last element of arrays of tables); null if a value is in the way. */
function nest(root: Map<string, Node>, key: readonly string[]): Map<string, Node> | null {
  let cont: Map<string, Node> = root
  for (const k of key) {
    if (!cont.has(k)) cont.set(k, new Map())
    let next = cont.get(k)!
    if (Array.isArray(next)) next = next.at(-1)!
    if (!(next instanceof Map)) return null
    cont = next
  }
  return cont
}

const FROZEN = 0 // an inline table or array: nothing can be added to it
const EXPLICIT = 1 // a table that was defined: no [header] may define it again

interface FlagNode {
  flags: Set<number>
  recursive: Set<number>
  nested: Map<string, FlagNode>
}

class Flags {
  private root = new Map<string, FlagNode>()
  private pending: [string[], number][] = []

  addPending(key: string[], flag: number): void {
    this.pending.push([key, flag])
  }

  finalizePending(): void {
    for (const [k, f] of this.pending) this.set(k, f, false)
    this.pending = []
  }

  unsetAll(key: readonly string[]): void {
    let cont = this.root
    for (const k of key.slice(0, -1)) {
      const n = cont.get(k)
      if (!n) return
      cont = n.nested
    }
    cont.delete(key.at(-1)!)
  }

  set(key: readonly string[], flag: number, recursive: boolean): void {
    let cont = this.root
    let node: FlagNode | undefined
    for (const k of key) {
      node = cont.get(k)
      if (!node) cont.set(k, (node = {flags: new Set(), recursive: new Set(), nested: new Map()}))
      cont = node.nested
    }
    ;(recursive ? node!.recursive : node!.flags).add(flag)
  }

  is(key: readonly string[], flag: number): boolean {
    if (key.length === 0) return false
    let cont = this.root
    for (const k of key.slice(0, -1)) {
      const n = cont.get(k)
      if (!n) return false
      if (n.recursive.has(flag)) return true
      cont = n.nested
    }
    const n = cont.get(key.at(-1)!)
    return n ? n.flags.has(flag) || n.recursive.has(flag) : false
  }
}
