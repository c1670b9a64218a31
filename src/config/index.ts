// The cluster file, from path to normalised Cluster: read -> YAML -> schema -> semantic checks ->
// allocation -> defaults. Every problem found is collected; if there is any, one ConfigError
// carries them all (sorted by position), and nothing downstream ever sees a half-valid cluster.
import {dirname, resolve} from 'node:path'
import {ConfigError} from '../errors.js'
import {allocate} from './allocate.js'
import {checkCluster} from './check.js'
import {normalise} from './defaults.js'
import {Diagnostics} from './diagnostics.js'
import {parseYaml, readClusterText} from './load.js'
import type {RawCluster} from './raw.js'
import {checkSchema, sanitise} from './schema.js'
import type {Cluster} from './types.js'

export type {Cluster, NodeSpec, PortRule, Protocol, Role, SshSettings} from './types.js'
export {DEFAULTS} from './defaults.js'

/** Reads and validates the cluster file. Throws ConfigError with every diagnostic. */
export function loadCluster(file: string): Cluster {
  const diags = new Diagnostics(file)
  const text = readClusterText(file, diags)
  if (text === undefined) throw new ConfigError(diags.sorted())
  return parseCluster(text, file)
}

/** Validates cluster file text; `file` names it in diagnostics and anchors relative paths. */
export function parseCluster(text: string, file: string): Cluster {
  const early = new Diagnostics(file)
  const parsed = parseYaml(text, early)
  if (!parsed) throw new ConfigError(early.sorted())
  const diags = new Diagnostics(file, parsed.locator)
  const broken = checkSchema(parsed.data, diags)
  const raw = sanitise(parsed.data, broken) as RawCluster
  const abs = resolve(file)
  const checked = checkCluster(raw, diags, dirname(abs))
  // Allocation needs a fully valid file: a wrong address or CIDR would give meaningless slots.
  if (!diags.empty) throw new ConfigError(diags.sorted())
  const alloc = allocate(checked.pods, checked.masks, checked.nodes, diags)
  if (!diags.empty) throw new ConfigError(diags.sorted())
  return {...normalise(raw, checked, alloc, abs, dirname(abs)), warnings: diags.sortedWarnings()}
}
