// Structural validation of the cluster file against schemas/cluster.schema.json (JSON Schema 2020-12,
// the same file editors use), plus `sanitise`: dropping every value that failed, so the semantic
// checks can still run on the rest and report all problems in one go.
import {readFileSync} from 'node:fs'
import {Ajv2020, type ErrorObject, type ValidateFunction} from 'ajv/dist/2020.js'
import _addFormats from 'ajv-formats'
import type {Diagnostics} from './diagnostics.js'
import {fromPointer, type Path} from './paths.js'
import {describe, relevantErrors} from './schema-messages.js'

const addFormats = _addFormats as unknown as typeof _addFormats.default

/** The cluster file schema; it sits two folders up from both src/config and dist/config. */
export const clusterSchema: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../schemas/cluster.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>

let compiled: ValidateFunction | undefined

function validator(): ValidateFunction {
  if (!compiled) {
    // verbose: errors carry parentSchema (for patternErrorMessage, allowed keys) and the failing data.
    const ajv = new Ajv2020({allErrors: true, strict: true, allowUnionTypes: true, verbose: true})
    addFormats(ajv) // so any `format` in the schema is enforced rather than ignored with a warning
    // An annotation editors (VS Code, yaml-language-server) show for a failed pattern; we show it too.
    ajv.addKeyword({keyword: 'patternErrorMessage', schemaType: 'string'})
    ajv.addKeyword({keyword: 'notErrorMessage', schemaType: 'string'}) // the same, for a `not` (reserved values)
    compiled = ajv.compile(clusterSchema)
  }
  return compiled
}

/** Validates `data`; adds diagnostics and returns the paths whose values must be ignored later. */
export function checkSchema(data: unknown, diags: Diagnostics): Path[] {
  const validate = validator()
  if (validate(data)) return []
  const errors = relevantErrors(validate.errors ?? [])
  const drop: Path[] = []
  for (const e of errors) {
    const p = describe(e)
    diags.at(p.path, p.message, p.part)
    const bad = badValuePath(e)
    if (bad) drop.push(bad)
  }
  return drop
}

function badValuePath(e: ErrorObject): Path | undefined {
  const path = fromPointer(e.instancePath)
  if (e.keyword === 'required') return undefined // nothing there to drop
  if (e.propertyName !== undefined) return [...path, e.propertyName]
  if (e.keyword === 'additionalProperties') return [...path, String((e.params as {additionalProperty: string}).additionalProperty)]
  return path
}

/**
 * A copy of `data` without the values at `paths`: array items become undefined (indexes, and so
 * positions, stay right), map entries are deleted. What remains has the types the schema promises.
 */
export function sanitise<T>(data: T, paths: readonly Path[]): T {
  const copy = structuredClone(data)
  for (const path of paths) {
    if (path.length === 0) continue
    let parent: unknown = copy
    for (const seg of path.slice(0, -1)) {
      parent = parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)[String(seg)] : undefined
    }
    if (parent === null || typeof parent !== 'object') continue
    const last = String(path[path.length - 1])
    if (Array.isArray(parent)) parent[Number(last)] = undefined
    else delete (parent as Record<string, unknown>)[last]
  }
  return copy
}
