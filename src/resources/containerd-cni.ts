import {type TomlStatement, type TomlValue, TomlScanError, checkTables, scanToml, stringLike, tomlKey} from './toml-scan.js'

// The CRI plugin's CNI directories in containerd's config.toml, edited in place: only these keys'
// values change (or are added); every other byte of the file stays as it was.
//   version 2 (containerd 1.x): [plugins."io.containerd.grpc.v1.cri".cni]    bin_dir, conf_dir
//   version 3 (containerd 2.x): [plugins.'io.containerd.cri.v1.runtime'.cni] bin_dirs, conf_dir
//                               (and bin_dir, deprecated since 2.1, only when the file has it)

export type ConfigVersion = 2 | 3

export const CNI_SECTION: Record<ConfigVersion, string[]> = {
  2: ['plugins', 'io.containerd.grpc.v1.cri', 'cni'],
  3: ['plugins', 'io.containerd.cri.v1.runtime', 'cni'],
}
// How each containerd writes it (`containerd config default`): double quotes in 1.x, single in 2.x.
const HEADER: Record<ConfigVersion, string> = {2: '[plugins."io.containerd.grpc.v1.cri".cni]', 3: "[plugins.'io.containerd.cri.v1.runtime'.cni]"}
const LITERAL: Record<ConfigVersion, boolean> = {2: false, 3: true}

export interface CniKeys {
  version: ConfigVersion
  binDirs: string[] | null // null: not set in the file
  confDir: string | null
}

export interface Edited {
  content: string
  before: CniKeys // what the file said
  criDisabled: boolean // disabled_plugins names the CRI plugin: kubelet cannot use this containerd
}

/** A file netprov will not edit, and why. */
export class CniEditError extends Error {}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])
const strings = (v: TomlValue | null): string[] | null =>
  v?.type === 'string' ? [v.value] : v?.type === 'array' && v.items.every((x) => x.type === 'string') ? v.items.map((x) => (x as {value: string}).value) : null
const literalOf = (v: TomlValue | null, dflt: boolean): boolean =>
  v?.type === 'string' ? v.literal : v?.type === 'array' && v.items[0]?.type === 'string' ? v.items[0].literal : dflt

/**
 * Sets the CNI dirs in `content`. `newVersion` is used only when the file has no statement at all
 * (absent, empty or comments only). Throws CniEditError for files it will not touch.
 */
export function editCniKeys(content: string, binDir: string, confDir: string, newVersion: ConfigVersion): Edited {
  let st: TomlStatement[]
  try {
    st = scanToml(content)
  } catch (e) {
    if (e instanceof TomlScanError) throw new CniEditError(`cannot read it as TOML (${e.message})`)
    throw e
  }
  const root = (k: string) => st.find((s) => s.kind === 'keyval' && s.table.length === 0 && same(s.key, [k]))
  const v = root('version')
  const version = v ? Number(v.value?.type === 'other' ? v.value.raw : NaN) : st.length ? 1 : newVersion
  if (version !== 2 && version !== 3) {
    throw new CniEditError(`config version ${v ? (v.value?.type === 'other' ? v.value.raw : '?') : '1 (no version line)'} is not supported: netprov edits versions 2 and 3 (\`containerd config migrate\` converts older files)`)
  }
  const section = CNI_SECTION[version]
  checkLayout(st, section, version)
  try {
    checkTables(st)
  } catch (e) {
    if (e instanceof TomlScanError) throw new CniEditError(`it is not valid TOML (${e.message})`)
    throw e
  }
  const body = st.filter((s) => s.kind === 'keyval' && same(s.table, section))
  const kv = (k: string) => body.find((s) => same(s.key, [k]))
  const binKey = version === 2 ? 'bin_dir' : 'bin_dirs'
  const before: CniKeys = {version, binDirs: strings(kv(binKey)?.value ?? kv('bin_dir')?.value ?? null), confDir: strings(kv('conf_dir')?.value ?? null)?.[0] ?? null}
  const dflt = LITERAL[version]
  const want: [string, string[] | string][] = [[binKey, version === 2 ? binDir : [binDir]], ['conf_dir', confDir]]
  if (version === 3 && kv('bin_dir')) want.push(['bin_dir', binDir])
  const edits: {at: number; to: number; text: string}[] = []
  const missing: string[] = []
  for (const [k, w] of want) {
    const s = kv(k)
    const text = (lit: boolean) => (typeof w === 'string' ? stringLike(w, lit) : `[${w.map((x) => stringLike(x, lit)).join(', ')}]`)
    if (!s) missing.push(`${k} = ${text(dflt)}`)
    else if (!(strings(s.value) && same(strings(s.value)!, typeof w === 'string' ? [w] : w) && (typeof w === 'string') === (s.value?.type === 'string')))
      edits.push({at: s.valueStart, to: s.valueEnd, text: text(literalOf(s.value, dflt))})
  }
  const eol = content.includes('\r\n') ? '\r\n' : '\n'
  const header = st.find((s) => s.kind === 'table' && same(s.table, section))
  if (header && missing.length) {
    const last = body.at(-1) ?? header
    const indent = body[0]?.indent ?? `${header.indent}  `
    const lead = last.end > 0 && content[last.end - 1] !== '\n' ? eol : ''
    edits.push({at: last.end, to: last.end, text: lead + missing.map((m) => `${indent}${m}${eol}`).join('')})
  } else if (!header) {
    const lead = content === '' ? '' : (content.endsWith('\n') ? '' : eol) + (content.endsWith(`${eol}${eol}`) ? '' : eol)
    const versionLine = v ? '' : `version = ${version}${eol}${eol}`
    edits.push({at: content.length, to: content.length, text: `${lead}${versionLine}${HEADER[version]}${eol}${missing.map((m) => `  ${m}${eol}`).join('')}`})
  }
  let out = content
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.to)
  checkResult(out, section, want)
  return {content: out, before, criDisabled: criDisabled(root('disabled_plugins')?.value ?? null)}
}

/**
 * The edited file, read back: still valid TOML, one plain CNI table holding exactly the wanted values.
 * A failure here is a case the checks before the edit missed: the file is refused, never written.
 */
function checkResult(out: string, section: string[], want: [string, string[] | string][]): void {
  const refuse = (why: string): never => {
    throw new CniEditError(`cannot edit safely: the edited file would not be right (${why}); set the CNI dirs by hand`)
  }
  let st: TomlStatement[] = []
  try {
    st = scanToml(out)
    checkTables(st)
  } catch (e) {
    if (e instanceof TomlScanError) refuse(`not valid TOML: ${e.message}`)
    throw e
  }
  if (st.filter((s) => s.kind === 'table' && same(s.table, section)).length !== 1) refuse('no single CNI table')
  for (const [k, w] of want) {
    const got = st.filter((s) => s.kind === 'keyval' && same(s.table, section) && same(s.key, [k]))
    const value = got.length === 1 ? got[0]!.value : null
    const ok = typeof w === 'string' ? value?.type === 'string' && value.value === w : value?.type === 'array' && same(strings(value) ?? [], w)
    if (!ok) refuse(`${k} is not ${JSON.stringify(w)}`)
  }
}

/**
 * netprov edits only a plain [plugins."...".cni] table under plain tables. Refused, because an edit (or
 * an appended table) could make the file invalid or change what another key means: the CNI table or
 * any table above it (plugins, plugins."<CRI plugin>") given as an inline table, a value or dotted keys,
 * or as an array of tables; dotted keys under the names netprov sets; the CNI table written twice.
 */
function checkLayout(st: TomlStatement[], section: string[], version: ConfigVersion): void {
  const name = (k: readonly string[]) => k.map(tomlKey).join('.')
  const atOrAbove = (p: readonly string[]) => p.length <= section.length && same(p, section.slice(0, p.length))
  const below = (p: readonly string[]) => p.length > section.length && same(p.slice(0, section.length), section)
  const byHand = `set cni.${version === 2 ? 'bin_dir' : 'bin_dirs'}/conf_dir by hand or use table syntax ([${name(section)}])`
  const unsafe = (s: TomlStatement, why: string): never => {
    throw new CniEditError(`line ${s.line}: cannot edit safely: ${why}; ${byHand}`)
  }
  for (const s of st) {
    if (s.kind === 'array-table' && (atOrAbove(s.table) || below(s.table))) unsafe(s, `${name(s.table)} is an array of tables ([[${name(s.table)}]])`)
    if (s.kind !== 'keyval') continue
    for (let i = 1; i <= s.key.length; i++) {
      const p = [...s.table, ...s.key.slice(0, i)]
      if (!atOrAbove(p)) continue
      if (i < s.key.length) unsafe(s, `${name(p)} is defined with dotted keys (${name(s.key)} = ...)`)
      const inline = s.value?.type === 'other' && s.value.raw.startsWith('{')
      unsafe(s, `${name(p)} is ${inline ? 'an inline table' : 'a value, not a table'}`)
    }
    if (same(s.table, section) && s.key.length > 1 && ['bin_dir', 'bin_dirs', 'conf_dir'].includes(s.key[0]!)) unsafe(s, `${name([...section, s.key[0]!])} is defined with dotted keys (${name(s.key)} = ...)`)
  }
  const headers = st.filter((s) => s.kind === 'table' && same(s.table, section))
  if (headers.length > 1) throw new CniEditError(`[${name(section)}] appears ${headers.length} times (lines ${headers.map((h) => h.line).join(', ')})`)
}

function criDisabled(v: TomlValue | null): boolean {
  return (strings(v) ?? []).some((p) => p === 'cri' || p === 'io.containerd.grpc.v1.cri' || p.startsWith('io.containerd.cri.v1.'))
}
