import {FactError} from '../errors.js'

/** A fact: one command (an argument array) and a pure parser of what it prints. */
export interface Fact<T = unknown> {
  readonly id: string
  readonly argv: readonly string[]
  /** `exitCode` lets a parser tell "absent" from "empty". Throws on output it does not understand. */
  parse(stdout: string, exitCode: number): T
}

export function parseJson<T>(id: string, stdout: string): T {
  try {
    return JSON.parse(stdout.trim() || '[]') as T
  } catch (e) {
    throw new FactError('?', id, `not JSON: ${(e as Error).message}: ${stdout.slice(0, 120)}`)
  }
}
