import {type ContainerdFacts, containerdFact} from '../facts/services.js'
import type {Finding, Step} from '../plan/types.js'
import {CNI_SECTION, type CniKeys, CniEditError, type ConfigVersion, editCniKeys} from './containerd-cni.js'
import type {Context, Resource} from './resource.js'

// containerd's CNI dirs. config.toml is not netprov's: netprov owns only the CNI keys in it, so a
// change is always an edit of those keys (or a minimal new file when there is none), never a rewrite
// or a delete; undo puts the previous content back. containerd reads the file only when it starts:
// it is restarted after a change, if it runs.

export interface RuntimeConfig {
  path: string
  content: string
  mode: string // kept: the file may hold registry credentials
  keys: CniKeys
  restart?: boolean // desired only: containerd is running
}

const RESTART: Step = {op: 'exec', argv: ['systemctl', 'restart', 'containerd.service']}

/**
 * A new file is version 3 only for a containerd 2.x seen on the node: containerd 1.x cannot read
 * version 3, while 2.x still reads version 2 (it migrates it when loading).
 */
export function newFileVersion(version: string | null): ConfigVersion {
  const major = /(?:^|\s)v?(\d+)\.\d+/.exec(version ?? '')?.[1]
  return major !== undefined && Number(major) >= 2 ? 3 : 2
}

const facts = (ctx: Context) => ctx.facts.extra.containerd as ContainerdFacts
// Off: type none, or facts read without this kind (a hand-built test): never plan from a guess.
const off = (ctx: Context) => ctx.cluster.containerRuntime.type === 'none' || !('containerd' in ctx.facts.extra)

type Read = {ok: true; edited: ReturnType<typeof editCniKeys>} | {ok: false; problem: string}

function read(ctx: Context): Read {
  const f = facts(ctx)
  const {binDir, confDir} = ctx.cluster.cni
  try {
    return {ok: true, edited: editCniKeys(f.config?.content ?? '', binDir, confDir, newFileVersion(f.version))}
  } catch (e) {
    if (e instanceof CniEditError) return {ok: false, problem: e.message}
    throw e
  }
}


export const containerd: Resource<RuntimeConfig> = {
  kind: 'containerd',
  facts: (cluster) => (cluster.containerRuntime.type === 'none' ? [] : [containerdFact(cluster.containerRuntime.configFile)]),
  desired(ctx) {
    if (off(ctx)) return []
    const path = ctx.cluster.containerRuntime.configFile
    const r = read(ctx)
    const version = r.ok ? r.edited.before.version : 2
    const keys: CniKeys = {version, binDirs: [ctx.cluster.cni.binDir], confDir: ctx.cluster.cni.confDir}
    // When the file is refused, this create is blocked by the error finding of actual().
    return [{path, content: r.ok ? r.edited.content : '', mode: facts(ctx).config?.mode ?? '644', keys, restart: facts(ctx).active}]
  },
  actual(ctx) {
    if (off(ctx)) return {owned: [], findings: []}
    const path = ctx.cluster.containerRuntime.configFile
    const r = read(ctx)
    const config = facts(ctx).config
    if (!r.ok) return {owned: [], findings: [{severity: 'error', kind: 'containerd', id: path, message: `${path}: ${r.problem}; netprov leaves it alone`, fix: `set the CNI dirs (bin ${ctx.cluster.cni.binDir}, conf ${ctx.cluster.cni.confDir}) yourself, or set spec.containerRuntime.type: none`}]}
    const findings: Finding[] = r.edited.criDisabled
      ? [{severity: 'warning', kind: 'containerd', id: path, message: `${path} disables containerd's CRI plugin (disabled_plugins): the kubelet cannot use this containerd`, fix: 'remove the CRI plugin from disabled_plugins (netprov does not edit that key)'}]
      : []
    return {owned: config ? [{path, content: config.content, mode: config.mode, keys: r.edited.before}] : [], findings}
  },
  key: (s) => s.path,
  same: (w, h) => w.content === h.content,
  steps: (action, _before, after, ctx) => (after ? [{op: 'write', path: after.path, content: after.content, mode: after.mode}, ...restart(ctx)] : []),
  undo(action, before, after, ctx) {
    if (action === 'create') return [{op: 'remove', path: after!.path}, ...restart(ctx)]
    return before ? [{op: 'write', path: before.path, content: before.content, mode: before.mode}, ...restart(ctx)] : []
  },
  // Only the keys netprov owns, one per line, so the plan view diffs an update line by line.
  show: (s) => {
    const section = `[${CNI_SECTION[s.keys.version].map((p) => (p.includes('.') ? `"${p}"` : p)).join('.')}]`
    const bin = s.keys.version === 2 ? `bin_dir = ${value(s.keys.binDirs?.[0])}` : `bin_dirs = ${s.keys.binDirs ? JSON.stringify(s.keys.binDirs) : 'not set'}`
    return `${s.path} (config version ${s.keys.version})\n${section}\n${bin}\nconf_dir = ${value(s.keys.confDir)}\n`
  },
  reason: (action, _before, after) =>
    `${action === 'create' ? 'no config file yet: a minimal one with only the CNI dirs' : 'only the CNI dir keys change'}; ${after?.restart ? 'containerd is restarted to load them' : 'containerd is not running: it reads them when it starts'}`,
}

const value = (v: string | null | undefined) => (v == null ? 'not set' : JSON.stringify(v))
const restart = (ctx: Context): Step[] => (facts(ctx).active ? [RESTART] : [])
