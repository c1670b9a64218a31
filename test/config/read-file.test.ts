import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadCluster} from '../../src/config/index.js'
import {Diagnostics} from '../../src/config/diagnostics.js'
import {MAX_CLUSTER_FILE_BYTES, readClusterText} from '../../src/config/load.js'
import {ConfigError, type Diagnostic} from '../../src/errors.js'
import {at, MINIMAL} from './util.js'

// Reading the cluster file: only a regular file of at most 1 MiB is read. A FIFO would block `-f`
// forever and /dev/zero would eat all memory, so each is refused before a byte is read, with a
// diagnostic that says what the path is. These problems have no position: line:col is 0:0.

let dir: string
let socket: Server
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netprov-read-'))
  writeFileSync(join(dir, 'ok.yaml'), MINIMAL)
  mkdirSync(join(dir, 'folder.yaml'))
  const fifo = spawnSync('mkfifo', [join(dir, 'fifo.yaml')])
  if (fifo.status !== 0) throw new Error(`mkfifo: ${fifo.stderr}`)
  symlinkSync(join(dir, 'fifo.yaml'), join(dir, 'link-to-fifo.yaml'))
  symlinkSync('/dev/zero', join(dir, 'link-to-zero.yaml'))
  // a file just over the limit: a valid cluster followed by comments
  writeFileSync(join(dir, 'big.yaml'), MINIMAL + '#'.repeat(MAX_CLUSTER_FILE_BYTES - MINIMAL.length) + '\n')
  writeFileSync(join(dir, 'just-fits.yaml'), MINIMAL + '#'.repeat(MAX_CLUSTER_FILE_BYTES - MINIMAL.length - 1) + '\n')
  socket = createServer()
  await new Promise<void>((ok) => socket.listen(join(dir, 'socket.yaml'), ok))
})
afterAll(() => new Promise<void>((ok) => socket.close(() => ok())))

function diagnose(file: string): Diagnostic[] {
  try {
    loadCluster(file)
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.diagnostics
    throw err
  }
}

interface Case {
  name: string
  file: () => string
  message: string
}

const cases: Case[] = [
  {name: 'a directory', file: () => join(dir, 'folder.yaml'), message: 'cannot read the cluster file: is a directory, not a cluster file'},
  {name: 'a FIFO (would block forever)', file: () => join(dir, 'fifo.yaml'), message: 'cannot read the cluster file: is a named pipe (FIFO), not a regular file'},
  {name: 'a symlink to a FIFO', file: () => join(dir, 'link-to-fifo.yaml'), message: 'is a named pipe (FIFO), not a regular file'},
  {name: '/dev/zero (would never end)', file: () => '/dev/zero', message: 'cannot read the cluster file: is a character device, not a regular file'},
  {name: '/dev/null', file: () => '/dev/null', message: 'is a character device, not a regular file'},
  {name: 'a symlink to /dev/zero', file: () => join(dir, 'link-to-zero.yaml'), message: 'is a character device, not a regular file'},
  {name: 'a socket', file: () => join(dir, 'socket.yaml'), message: 'cannot read the cluster file: is a socket, not a regular file'},
  {
    name: 'a file over 1 MiB',
    file: () => join(dir, 'big.yaml'),
    message: `cannot read the cluster file: is 1 MiB (${MAX_CLUSTER_FILE_BYTES + 1} bytes); a cluster file may be at most 1 MiB`,
  },
  {name: 'a path through a file', file: () => join(dir, 'ok.yaml', 'netprov.yaml'), message: 'cannot read the cluster file: a part of the path is not a directory'},
]

describe('reading the cluster file: only a regular file of at most 1 MiB', () => {
  it.each(cases)('$name', (c) => {
    const file = c.file()
    const diags = diagnose(file)
    expect(diags, diags.map((d) => d.message).join('\n')).toHaveLength(1)
    expect(diags[0].message).toContain(c.message)
    expect(at(diags[0])).toBe('0:0')
    expect(diags[0].file).toBe(file)
  })

  it('a file of exactly 1 MiB is read', () => {
    expect(loadCluster(join(dir, 'just-fits.yaml')).nodes).toHaveLength(2)
  })

  it('the read is bounded even when stat reports size 0 (/proc files)', () => {
    // /proc/self/status is a regular file of size 0 that holds far more than 10 bytes
    const diags = new Diagnostics('/proc/self/status')
    expect(readClusterText('/proc/self/status', diags, 10)).toBeUndefined()
    expect(diags.list.map((d) => [at(d), d.message])).toEqual([['0:0', 'cannot read the cluster file: holds more than 10 bytes; a cluster file may be at most 10 bytes']])
  })

  it('under the bound the same /proc file is read whole', () => {
    const diags = new Diagnostics('/proc/self/status')
    expect(readClusterText('/proc/self/status', diags)).toMatch(/^Name:/)
    expect(diags.list).toEqual([])
  })
})
