import {execa} from 'execa'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** The built CLI in a child process, as CI runs it: no terminal. */
export async function netprov(args: string[], opts: {timeoutMs?: number; env?: Record<string, string>} = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [`${ROOT}bin/run.js`, ...args], {cwd: ROOT, reject: false, env: {CI: 'true', NO_COLOR: '1', ...opts.env}, stdin: 'ignore', timeout: opts.timeoutMs ?? 120_000})
  return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
}

export async function netprovJson<T = Record<string, unknown>>(args: string[]): Promise<{exitCode: number; json: T; stderr: string}> {
  const r = await netprov([...args, '--json'])
  try {
    return {exitCode: r.exitCode, json: JSON.parse(r.stdout) as T, stderr: r.stderr}
  } catch {
    throw new Error(`not JSON (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`)
  }
}
