// The only interface that touches a node. Commands are argument arrays, never shell text.

export interface ExecOptions {
  /** Parts are streamed in order without being joined (large archives share cached file buffers). */
  stdin?: string | Uint8Array | readonly Uint8Array[]
  timeoutMs?: number
  /** What the command is, for a timeout message ("reading facts", "the apply program"). */
  what?: string
  /** Called with each complete stdout line as it arrives (progress markers). */
  onLine?: (line: string) => void
}

export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface Transport {
  readonly node: string
  /** Runs argv on the node (one round trip). Throws ConnectError when the node cannot be reached. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>
  /** Round trips made so far (for --debug stats and tests). */
  readonly roundTrips: number
  close(): Promise<void>
}

/** A command's deadline: its default, or NETPROV_COMMAND_TIMEOUT seconds for every command. */
export function commandTimeoutMs(defaultSeconds: number): number {
  const forced = Number(process.env.NETPROV_COMMAND_TIMEOUT)
  return (forced > 0 ? forced : defaultSeconds) * 1000
}
