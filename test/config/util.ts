// Helpers for the cluster file tests: YAML written inline (indentation stripped), and the
// diagnostics parseCluster reports for it.
import {ConfigError, type Diagnostic} from '../../src/errors.js'
import {parseCluster} from '../../src/config/index.js'
import type {Cluster} from '../../src/config/types.js'

export const FILE = '/tmp/netprov-test/netprov.yaml'

/**
 * Strips the common indentation of a template literal (and its first empty line). Interpolated
 * values are inserted after that, verbatim: a multi-line value carries its final indentation.
 */
export function y(strings: TemplateStringsArray, ...values: unknown[]): string {
  const marker = (i: number): string => `\u0000${i}\u0000`
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? marker(i) : ''), '')
  const lines = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n')
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length))
  const dedented = lines.map((l) => l.slice(indent)).join('\n')
  return values.reduce<string>((acc, v, i) => acc.replace(marker(i), String(v)), dedented)
}

/** The diagnostics for `text`, or [] when it is valid. */
export function diagnose(text: string, file = FILE): Diagnostic[] {
  try {
    parseCluster(text, file)
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.diagnostics
    throw err
  }
}

export function parse(text: string, file = FILE): Cluster {
  return parseCluster(text, file)
}

/** "LINE:COL" of the first occurrence of `needle` in `text`. */
export function positionOf(text: string, needle: string): string {
  const i = text.indexOf(needle)
  if (i < 0) throw new Error(`${needle} not in text`)
  const before = text.slice(0, i).split('\n')
  return `${before.length}:${before[before.length - 1].length + 1}`
}

export const at = (d: Diagnostic): string => `${d.line}:${d.col}`

/** A small valid file to start from. */
export const MINIMAL = y`
  apiVersion: netprov.io/v1alpha1
  kind: Cluster
  metadata:
    name: lab
  spec:
    podCIDR: 10.244.0.0/16
  nodes:
    - name: node1
      address: 172.31.250.11
      role: control-plane
      podCIDR: 10.244.1.0/24
    - name: node2
      address: 172.31.250.12
      role: worker
      podCIDR: 10.244.2.0/24
`
