// Running host commands: argv arrays only (never a shell string), failures become LabErrors with stderr.
import {execa} from 'execa'
import {LabProblem} from './errors.js'

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Runs `argv`, throws a LabProblem naming the command and its stderr when it fails. */
export async function run(argv: string[], opts: {input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  const r = await tryRun(argv, opts)
  if (r.exitCode !== 0) {
    throw new LabProblem('command-failed', `\`${argv.join(' ')}\` failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim() || 'no output'}`)
  }
  return r
}

/** Runs `argv` and returns its outcome whatever it is (exit code 127 when it could not be started). */
export async function tryRun(argv: string[], opts: {input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  const [file, ...args] = argv
  const r = await execa(file!, args, {
    reject: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeoutMs ?? 60_000,
    env: {LC_ALL: 'C'},
    cleanup: false, // execa's exit hook (signal-exit) would turn our Ctrl-C handling into a plain kill
  })
  const exitCode = r.exitCode ?? (r.failed ? 127 : 0)
  return {stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? (r.failed ? r.shortMessage : '')), exitCode}
}

/** Runs fn over items, at most `limit` at a time; rejects with the first error after all started ones settle. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  let firstError: unknown
  const worker = async () => {
    while (firstError === undefined && next < items.length) {
      const i = next++
      try {
        out[i] = await fn(items[i]!, i)
      } catch (e) {
        firstError ??= e
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  if (firstError !== undefined) throw firstError
  return out
}
