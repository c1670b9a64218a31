import {execa} from 'execa'
import {Readable} from 'node:stream'
import type {ExecOptions, ExecResult, Transport} from './transport.js'

/** netprov running on the node itself: same commands, no SSH. */
export class LocalTransport implements Transport {
  roundTrips = 0
  constructor(readonly node: string, private readonly prefix: readonly string[] = []) {}

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.roundTrips++
    const [cmd, ...args] = [...this.prefix, ...argv]
    const child = execa(cmd!, args, {
      input: stdinInput(options.stdin),
      timeout: options.timeoutMs,
      reject: false,
      stripFinalNewline: false,
      encoding: 'utf8',
      lines: false,
    })
    if (options.onLine) streamLines(child.stdout!, options.onLine)
    const r = await child
    return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }

  async close(): Promise<void> {}
}

/** Byte parts become a stream, so a node's archive is never copied into one big buffer. */
export function stdinInput(stdin: ExecOptions['stdin']): string | Uint8Array | Readable | undefined {
  return Array.isArray(stdin) ? Readable.from(stdin as Uint8Array[], {objectMode: false}) : (stdin as string | Uint8Array | undefined)
}

export function streamLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = ''
  stream.on('data', (chunk: Buffer | string) => {
    buf += chunk.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
  })
}
