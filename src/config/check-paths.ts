// Paths on the node: every file and directory netprov writes there must be its own, written in
// canonical form, and outside the kernel's trees and netprov's own state. A flags file that is also
// netprov's sysctl file, containerd's config or the conflist would be overwritten by one resource
// and "fixed" back by the other on every apply; a file under /proc or /sys writes kernel settings.
import {posix} from 'node:path'
import {LOCK_DIR, STATE_DIR} from '../resources/markers.js'
import {MODULES_FILE, SYSCTL_FILE} from '../resources/sysctl-file.js'
import {DEFAULTS, trimDir} from './defaults.js'
import type {Diagnostics} from './diagnostics.js'
import {type Path, toDisplay} from './paths.js'
import type {RawSpec} from './raw.js'

type Kind = 'file' | 'dir'

/** What netprov writes on every node whatever the cluster file says (the paths the resources use). */
export const NETPROV_FILES: ReadonlyArray<{path: string; what: string}> = [
  {path: SYSCTL_FILE, what: "netprov's own sysctl file"},
  {path: MODULES_FILE, what: "netprov's own modules-load file"},
]
export const NETPROV_STATE_DIRS: ReadonlyArray<{path: string; what: string}> = [
  {path: STATE_DIR, what: "netprov's own state directory"},
  {path: LOCK_DIR, what: "netprov's own lock and run directory"},
]
/** Trees the kernel provides: nothing netprov writes belongs there. */
const KERNEL_TREES: ReadonlyArray<{path: string; what: string}> = [
  {path: '/proc', what: "the kernel's process and sysctl files"},
  {path: '/sys', what: "the kernel's sysfs"},
  {path: '/dev', what: 'device files'},
]

/** A path netprov writes on the node, and where the cluster file says so. */
interface Target {
  name: string // "spec.kubelet.flagsFile", "netprov's own sysctl file", ...
  value: string // canonical
  kind: Kind
  at?: Path // where the file writes it; undefined for a default or one of netprov's own
  own?: boolean // one of netprov's fixed paths
}

const isUnder = (p: string, root: string): boolean => p === root || p.startsWith(root === '/' ? '/' : `${root}/`)

/** Why a node path written in the file is unusable on its own, or undefined. */
function shapeProblem(p: string, kind: Kind): string | undefined {
  const canonical = trimDir(posix.normalize(p))
  if (canonical === '/') return kind === 'dir' ? 'is the root directory: give a directory of its own' : 'is the root directory, not a file'
  if (p.includes('//')) return `contains "//": write it in canonical form, ${canonical}`
  if (p.split('/').includes('.')) return `has a "." segment: write it in canonical form, ${canonical}`
  if (kind === 'file' && p.endsWith('/')) return `ends in "/", but it names a file: write it without the "/"`
  for (const t of KERNEL_TREES)
    if (isUnder(canonical, t.path)) return `is ${canonical === t.path ? '' : 'under '}${t.path} (${t.what}): netprov writes nothing there`
  for (const s of NETPROV_STATE_DIRS)
    if (isUnder(canonical, s.path)) return `is ${canonical === s.path ? '' : 'inside '}${s.path}, ${s.what}: give it a path outside`
  return undefined
}

export function checkNodePaths(spec: RawSpec, diags: Diagnostics): void {
  const d = DEFAULTS.spec
  const given = (path: Path, value: string | undefined): Path | undefined => (value === undefined ? undefined : path)
  const configured: Array<{path: Path; value: string | undefined; def: string; kind: Kind}> = [
    {path: ['spec', 'cni', 'binDir'], value: spec.cni?.binDir, def: d.cni.binDir, kind: 'dir'},
    {path: ['spec', 'cni', 'confDir'], value: spec.cni?.confDir, def: d.cni.confDir, kind: 'dir'},
    {path: ['spec', 'kubelet', 'flagsFile'], value: spec.kubelet?.flagsFile, def: d.kubelet.flagsFile, kind: 'file'},
    {path: ['spec', 'containerRuntime', 'configFile'], value: spec.containerRuntime?.configFile, def: d.containerRuntime.configFile, kind: 'file'},
  ]
  // 1. each path on its own
  const ok = new Map<string, Target>()
  for (const c of configured) {
    const why = c.value === undefined ? undefined : shapeProblem(c.value, c.kind)
    if (why) {
      diags.at(c.path, `${toDisplay(c.path)} ${JSON.stringify(c.value)} ${why}`)
      continue
    }
    const key = toDisplay(c.path)
    ok.set(key, {name: key, value: trimDir(c.value ?? c.def), kind: c.kind, at: given(c.path, c.value)})
  }

  // 2. every path netprov writes, against every other
  const targets: Target[] = []
  const binDir = ok.get('spec.cni.binDir')
  const confDir = ok.get('spec.cni.confDir')
  const flagsFile = ok.get('spec.kubelet.flagsFile')
  const configFile = ok.get('spec.containerRuntime.configFile')
  if (binDir) targets.push(binDir)
  if (confDir) {
    targets.push(confDir)
    const confFile = spec.cni?.confFile
    targets.push({
      name: 'spec.cni.confDir/confFile',
      value: `${confDir.value}/${confFile ?? d.cni.confFile}`,
      kind: 'file',
      at: confFile !== undefined ? ['spec', 'cni', 'confFile'] : confDir.at,
    })
  }
  if (flagsFile) targets.push(flagsFile)
  if (configFile && (spec.containerRuntime?.type ?? d.containerRuntime.type) === 'containerd') targets.push(configFile)
  if (binDir) {
    const written = spec.cni?.plugins
    ;(written ?? d.cni.plugins).forEach((p, i) => {
      if (p === undefined) return
      targets.push({name: `the CNI plugin spec.cni.binDir/${p}`, value: `${binDir.value}/${p}`, kind: 'file', at: written ? ['spec', 'cni', 'plugins', i] : binDir.at})
    })
  }
  for (const f of NETPROV_FILES) targets.push({name: f.what, value: f.path, kind: 'file', own: true})
  for (const s of NETPROV_STATE_DIRS) targets.push({name: s.what, value: s.path, kind: 'dir', own: true})

  const reported = new Set<string>() // places already reported: one collision per value is enough to fix it
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      const [a, b] = [targets[i], targets[j]]
      if (!a.at && !b.at) continue // defaults and netprov's own paths never collide with each other
      const problem = collision(a, b)
      if (!problem) continue
      // Point at the one written later (or the only one written); say where the other one is.
      const later = !a.at ? b : !b.at ? a : before(diags, a.at, b.at) ? b : a
      const other = later === a ? b : a
      const place = JSON.stringify(later.at)
      if (reported.has(place)) continue
      reported.add(place)
      diags.at(later.at!, problem(later, other))
    }
  }

  function ref(t: Target): string {
    return `${t.name} ${JSON.stringify(t.value)}${t.own ? '' : t.at ? ` (line ${diags.lineOf(t.at)})` : ' (the default)'}`
  }

  function collision(a: Target, b: Target): ((self: Target, other: Target) => string) | undefined {
    if (a.value === b.value) {
      return (self, other) => {
        const why =
          self.kind === 'file' && other.kind === 'file'
            ? 'each file netprov writes on a node needs a path of its own'
            : self.kind === 'dir' && other.kind === 'dir'
              ? 'they must be different directories'
              : 'one path cannot be both a file and a directory'
        return `${self.name} ${JSON.stringify(self.value)} is also ${ref(other)}: ${why}`
      }
    }
    const fileAbove = (file: Target, t: Target): boolean => file.kind === 'file' && t.value.startsWith(`${file.value}/`)
    if (!fileAbove(a, b) && !fileAbove(b, a)) return undefined
    return (self, other) =>
      fileAbove(self, other)
        ? `${self.name} ${JSON.stringify(self.value)} is a file netprov writes, but ${ref(other)} lies under it: a file cannot also be a directory`
        : `${self.name} ${JSON.stringify(self.value)} lies under ${ref(other)}, a file netprov writes: a file cannot also be a directory`
  }
}

function before(diags: Diagnostics, a: Path, b: Path): boolean {
  const pa = diags.positionOf(a)
  const pb = diags.positionOf(b)
  return pa.line < pb.line || (pa.line === pb.line && pa.col <= pb.col)
}
