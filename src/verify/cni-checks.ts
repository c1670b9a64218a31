import {hasJsonMarker} from '../resources/markers.js'
import type {Cluster, NodeSpec} from '../config/types.js'
import type {NodeFacts} from '../facts/types.js'
import {confPath, earlierConfigs} from '../resources/cni-config.js'
import {checkPluginVersion} from './cni-result.js'
import {type ConfList, parseConflist, pluginTypes} from './conflist.js'
import type {PluginProbe} from './probe-facts.js'
import {type Check, fail, pass} from './types.js'

// Checks that catch a CNI setup which looks right but fails at pod start: the conflist a runtime would
// load, its order in confDir, and every plugin it runs (libcni ValidateNetworkList).

/** containerd runs loopback for `lo` with its own built-in list at this version (go-cni WithLoNetwork). */
export const LOOPBACK_VERSION = '0.3.1'

export interface ConflistRead {
  list?: ConfList
  checks: Check[]
}

export function conflistChecks(cluster: Cluster, node: NodeSpec, facts: NodeFacts): ConflistRead {
  const n = node.name
  const path = confPath(cluster)
  const apply = `netprov apply -f ${cluster.file} --node ${n}`
  const checks: Check[] = []
  const earlier = earlierConfigs({cluster, node, facts, local: {plugins: {}}})
  if (earlier.length) checks.push(fail(n, 'cni config order', earlier.map((f) => f.message).join('; '), earlier.map((f) => f.fix).join('; ')))
  else if (facts.confDir?.includes(cluster.cni.confFile)) checks.push(pass(n, 'cni config order', `${cluster.cni.confFile} sorts first in ${cluster.cni.confDir}: runtimes load it`))
  const text = facts.files[path]
  if (text === null || text === undefined) {
    checks.push(fail(n, 'cni conflist', `${path} does not exist: pods cannot start (NetworkPluginNotReady)`, apply))
    return {checks}
  }
  const {list, problems} = parseConflist(text)
  if (!list) {
    // apply repairs only its own file: one without netprov's marker has to be moved away first.
    const fix = hasJsonMarker(text) ? apply : `move ${path} away (it is not netprov's, so apply leaves it alone), then ${apply}`
    checks.push(fail(n, 'cni conflist', `${path}: ${problems.join('; ')}`, fix))
    return {checks}
  }
  checks.push(pass(n, 'cni conflist', `${path}: network ${list.name}, cniVersion ${list.cniVersion}, plugins ${list.plugins.map((p) => p.type).join(' -> ')}`))
  return {list, checks}
}

/** What the single gather round trip probes with VERSION: the wanted plugins plus what the rendered conflist runs. */
export function probeNames(cluster: Cluster): string[] {
  return [...new Set([...cluster.cni.plugins, 'bridge', 'host-local', 'portmap', 'loopback'])]
}

/** Binaries the installed list runs that the gather did not probe (someone edited the conflist). */
export function unprobed(list: ConfList, probes: Record<string, PluginProbe>): string[] {
  return pluginTypes(list).filter((t) => !probes[t])
}

export function pluginChecks(cluster: Cluster, node: NodeSpec, list: ConfList, probes: Record<string, PluginProbe>): Check[] {
  const n = node.name
  const fix = (t: string) =>
    cluster.cni.plugins.includes(t)
      ? `netprov apply -f ${cluster.file} --node ${n} (copies it from ${cluster.cni.pluginSource})`
      : `add "${t}" to spec.cni.plugins (and to ${cluster.cni.pluginSource}), then netprov apply`
  const checks = pluginTypes(list).map((t) => {
    const v = checkPluginVersion(probes[t], list.cniVersion)
    return v.ok ? pass(n, `cni plugin ${t}`, `${cluster.cni.binDir}/${t} ${v.detail}`) : fail(n, `cni plugin ${t}`, `${cluster.cni.binDir}/${t} ${v.detail}`, fix(t))
  })
  const lo = checkPluginVersion(probes.loopback, LOOPBACK_VERSION)
  checks.push(
    lo.ok
      ? pass(n, 'cni plugin loopback', `${cluster.cni.binDir}/loopback ${lo.detail} (containerd runs it for lo)`)
      : fail(n, 'cni plugin loopback', `${cluster.cni.binDir}/loopback ${lo.detail}: containerd runs it for every pod's lo (unless use_internal_loopback = true)`, fix('loopback')),
  )
  return checks
}
