import type {ExecOptions, ExecResult, Transport} from './transport.js'

export type FakeHandler = (argv: readonly string[], options: ExecOptions) => ExecResult | Promise<ExecResult>

/** For unit tests: answers from a handler, records every call. */
export class FakeTransport implements Transport {
  readonly calls: {argv: readonly string[]; stdin?: ExecOptions['stdin']}[] = []
  constructor(readonly node: string, private readonly handler: FakeHandler) {}

  get roundTrips(): number {
    return this.calls.length
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push({argv, stdin: options.stdin})
    const r = await this.handler(argv, options)
    if (options.onLine) for (const line of r.stdout.split('\n')) options.onLine(line)
    return r
  }

  async close(): Promise<void> {}
}
