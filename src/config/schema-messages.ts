// Turns ajv's errors into sentences a person can act on, pointing at the offending key or value:
//   unknown key "podCidr" in spec (did you mean "podCIDR"?)
//   spec.bridge.mtu must be an integer (got "1500px")
import type {ErrorObject} from 'ajv/dist/2020.js'
import type {Part} from './locate.js'
import {fromPointer, type Path, toDisplay} from './paths.js'
import {closest} from './suggest.js'

export interface SchemaProblem {
  path: Path
  part: Part
  message: string
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'empty',
}

/** The errors worth reporting: one per place, the type error when there is one. */
export function relevantErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const typeFailed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath))
  return errors.filter((e) => {
    if (fromPointer(e.instancePath).includes(MERGE_KEY)) return false // inside a `<<:` value: the key is the problem
    if (e.keyword === 'propertyNames') return false // its inner error (with propertyName) says more
    if (e.propertyName !== undefined) return true // a key: the value's type is beside the point
    return e.keyword === 'type' || !typeFailed.has(e.instancePath)
  })
}

export function describe(e: ErrorObject): SchemaProblem {
  const path = fromPointer(e.instancePath)
  const where = path.length > 0 ? toDisplay(path) : ''
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>
  const params = e.params as Record<string, unknown>
  const data: unknown = e.data

  if (e.propertyName === MERGE_KEY) return {path: [...path, MERGE_KEY], part: 'key', message: mergeKey(where)}
  if (e.propertyName !== undefined) {
    const why = e.keyword === 'pattern' ? patternWhy(parent, e) : (e.message ?? 'is not allowed')
    return {path: [...path, e.propertyName], part: 'key', message: `${where} key ${quote(e.propertyName)} ${why}${danger(e.propertyName)}`}
  }

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty)
      if (key === MERGE_KEY) return {path: [...path, key], part: 'key', message: mergeKey(where)}
      const allowed = Object.keys((parent.properties ?? {}) as object)
      const guess = closest(key, allowed)
      const place = where ? `in ${where}` : 'at the top level'
      const hint = guess ? ` (did you mean ${quote(guess)}?)` : allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''
      return {path: [...path, key], part: 'key', message: `unknown key ${quote(key)} ${place}${hint}`}
    }
    case 'required': {
      const key = String(params.missingProperty)
      return {path, part: 'value', message: `${where || 'the cluster file'} is missing the required key ${quote(key)}`}
    }
    case 'type': {
      const want = ([] as string[]).concat(params.type as string | string[]).map((t) => TYPE_WORDS[t] ?? t)
      return {path, part: 'value', message: `${where} must be ${want.join(' or ')} (got ${shown(data)})`}
    }
    case 'enum':
    case 'const': {
      const allowed = (e.keyword === 'enum' ? (params.allowedValues as unknown[]) : [params.allowedValue]).map((v) => JSON.stringify(v))
      const want = allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`
      return {path, part: 'value', message: `${where} must be ${want} (got ${shown(data)})`}
    }
    case 'not': {
      const custom = parent.notErrorMessage
      return {path, part: 'value', message: `${where} ${shown(data)} ${typeof custom === 'string' ? custom : 'is not allowed'}`}
    }
    case 'pattern':
      return {path, part: 'value', message: `${where} ${quote(String(data))} ${patternWhy(parent, e)}${danger(String(data))}`}
    case 'minimum':
    case 'maximum': {
      const {minimum, maximum} = parent as {minimum?: number; maximum?: number}
      const range = minimum !== undefined && maximum !== undefined ? `between ${minimum} and ${maximum}` : e.keyword === 'minimum' ? `at least ${minimum}` : `at most ${maximum}`
      return {path, part: 'value', message: `${where} must be ${range} (got ${shown(data)})`}
    }
    case 'minLength':
      return {path, part: 'value', message: params.limit === 1 ? `${where} must not be empty` : `${where} must be at least ${params.limit} characters long`}
    case 'maxLength':
      return {path, part: 'value', message: `${where} is too long (at most ${params.limit} characters)`}
    case 'minItems':
      return {path, part: 'value', message: `${where} must have at least ${params.limit} ${plural(Number(params.limit), 'entry', 'entries')}`}
    case 'maxItems':
      return {path, part: 'value', message: `${where} must have at most ${params.limit} ${plural(Number(params.limit), 'entry', 'entries')}${parent.maxItems === 2 ? ' (one IPv4 and one IPv6 for dual-stack)' : ''}`}
    case 'uniqueItems': {
      const i = Math.max(Number(params.i), Number(params.j)) // the repeat, not the first one
      const item = Array.isArray(data) ? data[i] : undefined
      return {path: [...path, i], part: 'value', message: `${where} lists ${shown(item)} more than once`}
    }
    default:
      return {path, part: 'value', message: `${where || 'the cluster file'} ${e.message ?? 'is invalid'}`}
  }
}

/** YAML 1.1's merge key. netprov reads YAML 1.2, where `<<` is an ordinary (and so unknown) key. */
const MERGE_KEY = '<<'

function mergeKey(where: string): string {
  return `unknown key "<<" ${where ? `in ${where}` : 'at the top level'}: YAML merge keys are not supported (netprov reads YAML 1.2); write the keys out`
}

function patternWhy(parent: Record<string, unknown>, e: ErrorObject): string {
  const custom = parent.patternErrorMessage
  return typeof custom === 'string' ? custom : `must match the pattern ${String((e.params as {pattern?: string}).pattern)}`
}

/** Names the first character that could smuggle shell syntax, so the reason for refusing is plain. */
export function danger(s: string): string {
  const m = /[\s;|&$`'"<>(){}[\]\\*?!#\x00-\x1f\x7f]/.exec(s)
  if (!m) return ''
  const names: Record<string, string> = {'\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab', ' ': 'a space'}
  const ch = m[0]
  const name = names[ch] ?? (ch < ' ' || ch === '\x7f' ? 'a control character' : quote(ch))
  return ` (contains ${name})`
}

function quote(s: string): string {
  const q = JSON.stringify(s)
  return q.length > 70 ? q.slice(0, 66) + '..."' : q
}

function shown(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return quote(v)
  return String(v)
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many)
