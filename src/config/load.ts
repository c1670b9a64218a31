// Reads the cluster file and parses it as YAML, turning every way this can fail (missing file, YAML
// syntax, duplicate keys, empty file, a top level that is not a mapping) into positioned diagnostics.
import {closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync} from 'node:fs'
import {type Document, LineCounter, isMap, isScalar, isSeq, parseDocument, Parser, visit, type YAMLError} from 'yaml'
import {Diagnostics} from './diagnostics.js'
import {Locator} from './locate.js'

export interface Parsed {
  doc: Document
  locator: Locator
  data: unknown // plain JS value of the document
}

/** The most a cluster file may hold; a real one is a few kilobytes. */
export const MAX_CLUSTER_FILE_BYTES = 1024 * 1024

/**
 * The file's text, or undefined after a diagnostic (line 0: there is no position to point at).
 * Only a regular file of at most `limit` bytes is read: a FIFO would block forever and /dev/zero
 * would never end, so the path is stat()ed first, opened without blocking, fstat()ed again (the
 * same file, not one swapped in since) and read with a bound, because /proc-like files report a
 * size of 0 whatever they hold.
 */
export function readClusterText(file: string, diags: Diagnostics, limit = MAX_CLUSTER_FILE_BYTES): string | undefined {
  const refuse = (why: string): undefined => {
    diags.raw(0, 0, `cannot read the cluster file: ${why}`)
    return undefined
  }
  let fd: number | undefined
  try {
    const before = notReadable(statSync(file), limit)
    if (before) return refuse(before)
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
    const after = notReadable(fstatSync(fd), limit)
    if (after) return refuse(after)
    const buf = Buffer.alloc(limit + 1)
    let got = 0
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null)
      if (n === 0) break
      got += n
      if (got > limit) return refuse(`holds more than ${sizeText(limit)}; a cluster file may be at most ${sizeText(limit)}`)
    }
    return buf.subarray(0, got).toString('utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return refuse(
      code === 'ENOENT'
        ? 'no such file (give the cluster file with -f FILE; the default is ./netprov.yaml)'
        : code === 'EISDIR'
          ? 'is a directory, not a cluster file'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'ENOTDIR'
              ? 'a part of the path is not a directory'
              : (err as Error).message,
    )
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Why a file with these stats cannot be a cluster file, or undefined when it can. */
function notReadable(st: Stats, limit: number): string | undefined {
  if (st.isDirectory()) return 'is a directory, not a cluster file'
  if (st.isFIFO()) return 'is a named pipe (FIFO), not a regular file; netprov reads the cluster file from a regular file only (a pipe could block forever)'
  if (st.isCharacterDevice()) return 'is a character device, not a regular file; netprov reads the cluster file from a regular file only'
  if (st.isBlockDevice()) return 'is a block device, not a regular file; netprov reads the cluster file from a regular file only'
  if (st.isSocket()) return 'is a socket, not a regular file; netprov reads the cluster file from a regular file only'
  if (!st.isFile()) return 'is not a regular file'
  if (st.size > limit) return `is ${sizeText(st.size)} (${st.size} bytes); a cluster file may be at most ${sizeText(limit)}`
  return undefined
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`
  return `${bytes} bytes`
}

/** Parses YAML text. Returns undefined (after adding diagnostics to `diags`) when it is unusable. */
export function parseYaml(text: string, diags: Diagnostics): Parsed | undefined {
  const lines = new LineCounter() // one per parse: positions are offsets into this text only
  // YAML 1.2, core schema, no << merge keys; a %YAML directive could switch all that (1.1 turns on
  // merge keys, yes/no booleans and 25:00 = 1500), so directives other than %YAML 1.2 are refused.
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: true, uniqueKeys: true, version: '1.2', merge: false})
  const refused = refuseDirectivesAndTags(text, lines, diags)
  // The yaml library's own complaints about directives and tags say less than ours.
  const problems = [...doc.errors, ...doc.warnings].filter((e) => !(refused && (e.code === 'BAD_DIRECTIVE' || e.code === 'TAG_RESOLVE_FAILED')))
  if (problems.length > 0 || refused) {
    for (const e of problems) {
      const pos = e.linePos?.[0] ?? {line: 1, col: 1}
      diags.raw(pos.line, pos.col, yamlMessage(e, text))
    }
    return undefined
  }
  const top = doc.contents
  if (top === null || (isScalar(top) && top.value === null)) {
    diags.raw(1, 1, 'the file is empty; expected a Cluster (apiVersion: netprov.io/v1alpha1, kind: Cluster, metadata, spec, nodes)')
    return undefined
  }
  const locator = new Locator(doc, lines)
  if (!isMap(top)) {
    const {line, col} = locator.position([])
    const what = isSeq(top) ? 'a list' : 'a single value'
    diags.raw(line, col, `the top level must be a mapping with apiVersion, kind, metadata, spec and nodes, not ${what}`)
    return undefined
  }
  let dangling = false
  visit(doc, {
    Alias(_, alias) {
      // yaml only notices an alias to a missing anchor in toJS(), without a position
      if (alias.resolve(doc) === undefined) {
        const {line, col} = lines.linePos(alias.range?.[0] ?? 0)
        diags.raw(line, col, `YAML alias *${alias.source} refers to no anchor &${alias.source} before it`)
        dangling = true
      }
    },
  })
  if (dangling) return undefined
  try {
    return {doc, locator, data: doc.toJS({maxAliasCount: 100})}
  } catch (err) {
    // e.g. an alias to an anchor that does not exist, or an alias bomb
    diags.raw(1, 1, `cannot read the YAML: ${(err as Error).message}`)
    return undefined
  }
}

/**
 * Explicit tags (!!binary, !!omap, !!set, !!str, !custom) and directives other than %YAML 1.2 are
 * refused at their position: a tag silently changes what a value is (`!!omap [...]` became {},
 * `!!binary` a byte buffer), so netprov reads plain values only. Returns true when it refused any.
 */
function refuseDirectivesAndTags(text: string, lines: LineCounter, diags: Diagnostics): boolean {
  let refused = false
  const refuse = (offset: number, message: string): void => {
    const {line, col} = lines.linePos(offset)
    diags.raw(line, col, message)
    refused = true
  }
  // The CST keeps every tag and directive as a token with its offset, wherever it is written (before
  // a key, a value, a document, inside flow collections); comments and quoted text are other tokens.
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      for (const item of x) walk(item)
      return
    }
    if (x === null || typeof x !== 'object') return
    const token = x as {type?: unknown; offset?: unknown; source?: unknown}
    if (typeof token.offset === 'number' && typeof token.source === 'string') {
      if (token.type === 'tag') refuse(token.offset, `YAML tags are not supported: ${token.source} (netprov reads plain YAML values; remove the tag${token.source === '!!str' || token.source === '!' ? ', and quote the value to make it a string' : ''})`)
      if (token.type === 'directive') {
        const [name, version] = token.source.split(/[ \t]+/)
        if (name === '%YAML' && version !== '1.2')
          refuse(token.offset, `YAML ${version ?? '(no version)'} is not supported: netprov reads YAML 1.2 (in YAML 1.1, << merge keys, yes/no booleans and 25:00 sexagesimal numbers change what the file says); remove the %YAML directive`)
        else if (name === '%TAG') refuse(token.offset, 'YAML tags are not supported: remove the %TAG directive')
        else if (name !== '%YAML') refuse(token.offset, `unknown YAML directive ${name}: netprov reads plain YAML 1.2; remove it`)
      }
    }
    for (const [key, value] of Object.entries(x)) if (key !== 'source') walk(value)
  }
  for (const token of new Parser().parse(text)) walk(token)
  return refused
}

function yamlMessage(e: YAMLError, text: string): string {
  // yaml's messages end with " at line L, column C:" and a source excerpt; the position is ours to print.
  const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
  switch (e.code) {
    case 'DUPLICATE_KEY': {
      const key = /^[^\s:#]+|^"[^"]*"|^'[^']*'/.exec(text.slice(e.pos[0]))?.[0]
      return key ? `duplicate key ${JSON.stringify(key.replace(/^["']|["']$/g, ''))}: each key may appear only once in a mapping` : 'duplicate key: each key may appear only once in a mapping'
    }
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document; netprov reads one cluster per file'
    case 'TAG_RESOLVE_FAILED':
      return `YAML: ${first} (netprov uses plain YAML: no custom tags)`
    default:
      return `YAML syntax error: ${first}`
  }
}
