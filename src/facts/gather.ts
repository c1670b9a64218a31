import {randomBytes} from 'node:crypto'
import {FactError} from '../errors.js'
import {quoteArgv} from '../transport/quote.js'
import {type Transport, commandTimeoutMs} from '../transport/transport.js'
import type {Fact} from './fact.js'

/**
 * Every fact in ONE round trip: the commands run in a row, each framed by markers carrying a random
 * nonce (so no file content can forge a frame) and followed by its exit code.
 */
export function gatherScript(facts: readonly Fact[], nonce: string): string {
  const parts = facts.map(
    (f, i) => `printf '@@%s %d\\n' ${nonce} ${i}; ${quoteArgv(f.argv)} </dev/null; rc=$?; printf '\\n@@%s end %d %d\\n' ${nonce} ${i} "$rc"`,
  )
  return parts.join('\n') + '\n'
}

/** Splits the script's output back into (fact index -> stdout, exit code). Pure. */
export function splitOutput(stdout: string, nonce: string, count: number): {out: string; code: number}[] {
  const results: {out: string; code: number}[] = []
  for (let i = 0; i < count; i++) {
    const begin = `@@${nonce} ${i}\n`
    const endRe = new RegExp(`\\n@@${nonce} end ${i} (\\d+)\\n`)
    const b = stdout.indexOf(begin)
    if (b < 0) throw new Error(`fact ${i} did not start`)
    const rest = stdout.slice(b + begin.length)
    const m = endRe.exec(rest)
    if (!m) throw new Error(`fact ${i} did not finish`)
    results.push({out: rest.slice(0, m.index), code: Number(m[1])})
  }
  return results
}

export async function gather(transport: Transport, facts: readonly Fact[]): Promise<Map<string, unknown>> {
  const nonce = randomBytes(8).toString('hex')
  const r = await transport.exec(['sh', '-c', gatherScript(facts, nonce)], {timeoutMs: commandTimeoutMs(120), what: 'reading facts'})
  let parts
  try {
    parts = splitOutput(r.stdout, nonce, facts.length)
  } catch (e) {
    throw new FactError(transport.node, 'facts', `${(e as Error).message} (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`)
  }
  const values = new Map<string, unknown>()
  facts.forEach((f, i) => {
    try {
      values.set(f.id, f.parse(parts[i]!.out, parts[i]!.code))
    } catch (e) {
      throw new FactError(transport.node, f.id, (e as Error).message)
    }
  })
  return values
}
