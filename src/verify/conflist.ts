// The installed conflist as a runtime reads it (libcni ConfListFromBytes), and the per-plugin config a
// runtime hands each plugin (libcni buildOneConfig). Pure.

export interface PluginConf {
  type: string
  [key: string]: unknown
}

export interface ConfList {
  cniVersion: string
  name: string
  disableCheck: boolean
  plugins: PluginConf[]
}

// CNI spec: network names start alphanumeric and may hold alphanumerics, _ . -; a plugin type is a
// file name in CNI_PATH, so it must not be able to leave that directory.
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
const VERSION = /^\d+\.\d+\.\d+$/
export const SAFE_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/

export function parseConflist(text: string): {list?: ConfList; problems: string[]} {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    return {problems: [`not valid JSON: ${(e as Error).message}`]}
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {problems: ['not a JSON object']}
  const o = raw as Record<string, unknown>
  const problems: string[] = []
  if (typeof o.name !== 'string' || !o.name) problems.push('no "name"')
  else if (!NAME.test(o.name)) problems.push(`"name" ${JSON.stringify(o.name)} is not a valid network name`)
  if (typeof o.cniVersion !== 'string' || !o.cniVersion) problems.push('no "cniVersion"')
  else if (!VERSION.test(o.cniVersion)) problems.push(`"cniVersion" ${JSON.stringify(o.cniVersion)} is not a version`)
  const disable = o.disableCheck
  if (disable !== undefined && typeof disable !== 'boolean' && disable !== 'true' && disable !== 'false') problems.push('"disableCheck" is not a boolean')
  if (!Array.isArray(o.plugins) || o.plugins.length === 0) problems.push('no "plugins" (a conflist needs at least one)')
  else {
    o.plugins.forEach((p, i) => {
      if (!p || typeof p !== 'object' || Array.isArray(p)) return problems.push(`plugins[${i}] is not an object`)
      const t = (p as Record<string, unknown>).type
      if (typeof t !== 'string' || !t) problems.push(`plugins[${i}] has no "type"`)
      else if (!SAFE_TYPE.test(t)) problems.push(`plugins[${i}] type ${JSON.stringify(t)} is not a plugin file name`)
      const ipam = (p as Record<string, unknown>).ipam as Record<string, unknown> | undefined
      if (ipam && typeof ipam === 'object' && ipam.type !== undefined && (typeof ipam.type !== 'string' || !SAFE_TYPE.test(ipam.type))) problems.push(`plugins[${i}].ipam type ${JSON.stringify(ipam.type)} is not a plugin file name`)
    })
  }
  if (problems.length) return {problems}
  return {list: {cniVersion: o.cniVersion as string, name: o.name as string, disableCheck: disable === true || disable === 'true', plugins: o.plugins as PluginConf[]}, problems}
}

/** Every binary the list runs: each plugin's type, then its IPAM plugin's (the main plugin execs it). */
export function pluginTypes(list: ConfList): string[] {
  const out: string[] = []
  for (const p of list.plugins) {
    out.push(p.type)
    const ipam = p.ipam as {type?: unknown} | undefined
    if (ipam && typeof ipam.type === 'string') out.push(ipam.type)
  }
  return [...new Set(out)]
}

/**
 * libcni buildOneConfig: the plugin's config with the list's `name` and `cniVersion` injected, plus
 * `runtimeConfig` for the capabilities a runtime always provides (containerd passes portMappings,
 * empty here). Returned WITHOUT its closing brace: the node-side driver appends `,"prevResult":<the
 * previous plugin's output>}` or just `}`, so no JSON is ever parsed on the node.
 */
export function configPrefix(list: ConfList, plugin: PluginConf): string {
  const {prevResult: _ignored, ...rest} = plugin
  const caps = (plugin.capabilities ?? {}) as Record<string, unknown>
  const runtimeConfig = caps.portMappings === true ? {runtimeConfig: {portMappings: []}} : {}
  const text = JSON.stringify({...rest, ...runtimeConfig, name: list.name, cniVersion: list.cniVersion})
  return text.slice(0, -1)
}

/** containerd's loopback network for `lo` (go-cni WithLoNetwork), in the same prefix form. */
export const LOOPBACK_PREFIX = JSON.stringify({cniVersion: '0.3.1', name: 'cni-loopback', type: 'loopback'}).slice(0, -1)

/** Completes a prefix the way the driver does (for tests and for reporting the exact stdin). */
export function completeConfig(prefix: string, prevResult?: string): string {
  return prevResult ? `${prefix},"prevResult":${prevResult}}` : `${prefix}}`
}

/** "1.0.0" >= "0.4.0": CHECK exists from spec 0.4.0 on (libcni refuses it below). */
export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number)
  const b = min.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}
