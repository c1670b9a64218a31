import {binariesFact} from '../facts/system.js'
import type {Resource} from './resource.js'

// CNI plugin binaries, copied from pluginSource on the machine running netprov, compared by sha256
// so an unchanged file is never sent again. The listed plugins' paths in binDir are netprov's;
// other binaries there are never touched, and none is ever deleted (others may share binDir).
interface Binary {
  path: string
  sha256: string
  mode: string
  local: string
}

export const cniBinary: Resource<Binary> = {
  kind: 'cni-binary',
  facts: (cluster) => [binariesFact(cluster.cni.binDir, cluster.cni.plugins)],
  desired: ({cluster, local}) =>
    cluster.cni.plugins.flatMap((p) => {
      const src = local.plugins[p]
      return src ? [{path: `${cluster.cni.binDir}/${p}`, sha256: src.sha256, mode: '755', local: src.path}] : []
    }),
  actual({cluster, facts, local}) {
    const owned = cluster.cni.plugins.flatMap((p) => {
      const path = `${cluster.cni.binDir}/${p}`
      const b = facts.binaries[path]
      return b ? [{path, sha256: b.sha256, mode: b.mode.replace(/^0(?=\d{3}$)/, ''), local: ''}] : []
    })
    const findings = cluster.cni.plugins
      .filter((p) => !local.plugins[p])
      .map((p) => ({severity: 'error' as const, kind: 'cni-binary', id: `${cluster.cni.binDir}/${p}`, message: `plugin "${p}" in ${cluster.cni.pluginSource} ${local.problems?.[p] ?? 'not found'}`, fix: 'install containernetworking-plugins on this machine, or fix spec.cni.pluginSource'}))
    return {owned, findings}
  },
  key: (b) => b.path,
  same: (w, h) => w.sha256 === h.sha256 && w.mode === h.mode,
  steps: (action, _before, after) => (after && action !== 'delete' ? [{op: 'upload', local: after.local, path: after.path, sha256: after.sha256, mode: after.mode}] : []),
  undo: () => [], // the old binary is not kept: a half-applied node keeps the new one (it is still a valid plugin)
  show: (b) => `sha256:${b.sha256.slice(0, 12)} mode ${b.mode}`,
}
