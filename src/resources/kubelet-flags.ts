import type {Cluster, NodeSpec} from '../config/types.js'
import {kubeletUnitFact} from '../facts/services.js'
import type {Action, Step} from '../plan/types.js'
import {type ManagedFile, managedFile} from './managed-file.js'
import {FILE_HEADER, hasHeader} from './markers.js'
import type {Context, Resource} from './resource.js'

// The kubelet's flags file (kubeadm's kubelet unit reads KUBELET_EXTRA_ARGS from it), owned by
// netprov. The kubelet reads it only when it starts: a change restarts kubelet.service when systemd
// knows that unit, and otherwise says that a restart is needed.

export function kubeletArgs(cluster: Cluster, node: NodeSpec): string[] {
  const k = cluster.kubelet
  // Dual-stack: the kubelet takes one address per family, comma-separated.
  const ips = node.addresses?.length ? node.addresses.join(',') : node.address
  const extra = Object.keys(k.extraArgs).sort().map((name) => `--${name}=${k.extraArgs[name]}`)
  const legacy = k.legacyCNIFlags ? ['--network-plugin=cni', `--cni-conf-dir=${cluster.cni.confDir}`, `--cni-bin-dir=${cluster.cni.binDir}`] : []
  return [`--node-ip=${ips}`, ...extra, ...legacy]
}

export function renderKubeletFlags(cluster: Cluster, node: NodeSpec): string {
  return [FILE_HEADER, `KUBELET_EXTRA_ARGS="${kubeletArgs(cluster, node).join(' ')}"`, ''].join('\n')
}

/** The kubelet package's own placeholder (`KUBELET_EXTRA_ARGS=` and nothing else): taken over, nothing is lost. */
export const isPackageDefault = (content: string) => content.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('#') || l.trim() === 'KUBELET_EXTRA_ARGS=')

type Flags = ManagedFile & {restart?: boolean}

const file = managedFile({
  kind: 'kubelet-flags',
  path: (cluster) => cluster.kubelet.flagsFile,
  render: ({cluster, node}) => renderKubeletFlags(cluster, node),
  owned: (content) => hasHeader(content) || isPackageDefault(content),
})

const RESTART: Step = {op: 'exec', argv: ['systemctl', 'restart', 'kubelet.service']}
const unitExists = (ctx: Context) => ctx.facts.extra['kubelet-unit'] === true
// Facts read without this kind (a hand-built test): not planned, never guessed.
const gathered = (ctx: Context) => 'kubelet-unit' in ctx.facts.extra

export const kubeletFlags: Resource<Flags> = {
  ...file,
  facts: (cluster, node) => [...file.facts!(cluster, node), kubeletUnitFact],
  desired: (ctx) => (gathered(ctx) ? file.desired(ctx).map((f) => ({...f, restart: unitExists(ctx)})) : []),
  actual: (ctx) => (gathered(ctx) ? file.actual(ctx) : {owned: [], findings: []}),
  steps: (action, before, after, ctx) => [...file.steps(action, before, after, ctx), ...(unitExists(ctx) ? [RESTART] : [])],
  undo: (action: Action, before, after, ctx) => [...file.undo!(action, before, after, ctx), ...(unitExists(ctx) ? [RESTART] : [])],
  reason: (_action, _before, after) =>
    after?.restart ? 'kubelet.service is restarted to load the new flags' : 'kubelet.service not found: restart the kubelet yourself (or let kubeadm start it) for the new flags to take effect',
}
