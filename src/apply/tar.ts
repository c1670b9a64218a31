// A minimal ustar writer: apply sends every file a node needs (binaries, configs, the step script)
// as one archive on ssh's stdin, so a node's whole apply is one round trip and no file content ever
// travels inside a command line.

function header(name: string, size: number, mode: number): Buffer {
  const h = Buffer.alloc(512, 0)
  const put = (s: string, off: number, len: number) => h.write(s.slice(0, len), off, len, 'ascii')
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0')
  if (Buffer.byteLength(name) > 99) throw new Error(`tar entry name too long: ${name}`)
  put(name, 0, 100)
  put(oct(mode, 8) + '\0', 100, 8)
  put(oct(0, 8) + '\0', 108, 8)
  put(oct(0, 8) + '\0', 116, 8)
  put(oct(size, 12) + '\0', 124, 12)
  put(oct(0, 12) + '\0', 136, 12)
  put('        ', 148, 8) // checksum field counts as spaces while summing
  put('0', 156, 1)
  put('ustar\u000000', 257, 8)
  let sum = 0
  for (const b of h) sum += b
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8)
  return h
}

export interface TarEntry {
  name: string
  data: Buffer
  mode?: number
}

/** The archive as parts: headers and padding are new, file data is the entries' own buffers. */
export function tarParts(entries: readonly TarEntry[]): Buffer[] {
  const parts: Buffer[] = []
  for (const e of entries) {
    parts.push(header(e.name, e.data.length, e.mode ?? 0o644), e.data)
    const pad = (512 - (e.data.length % 512)) % 512
    if (pad) parts.push(Buffer.alloc(pad, 0))
  }
  parts.push(Buffer.alloc(1024, 0))
  return parts
}

export function tar(entries: readonly TarEntry[]): Buffer {
  return Buffer.concat(tarParts(entries))
}
