// Reads the cluster file and parses it as YAML, turning every way this can fail (missing file, YAML
// syntax, duplicate keys, empty file, a top level that is not a mapping) into positioned diagnostics.
import {closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync} from 'node:fs'
import {type Document, LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type YAMLError} from 'yaml'
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
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: true, uniqueKeys: true})
  const problems = [...doc.errors, ...doc.warnings]
  if (problems.length > 0) {
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
