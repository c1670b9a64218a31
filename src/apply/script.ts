import {readFileSync} from 'node:fs'
import type {Change, Step} from '../plan/types.js'
import {GENERATION_FILE, LOCK_DIR, STATE_DIR} from '../resources/markers.js'
import {quoteArg, quoteArgv} from '../transport/quote.js'
import {type TarEntry, tarParts} from './tar.js'

// Exit codes of the apply program, beyond 0 and 1 (a step failed).
export const EXIT_LOCKED = 75
export const EXIT_STALE = 76

/**
 * The shell functions every apply program starts with.
 * - `run` tolerates the stderr pattern that means "already so"; `put` writes atomically.
 * - A failed step calls `fail`, which rolls the node back ON THE NODE: the failed change's undo,
 *   then every completed change's undo, newest first. The node never depends on netprov (or its
 *   connection) staying alive to be left consistent.
 * - `u*` variants are for undo steps: they report and go on, never fail.
 */
const PRELUDE = String.raw`set -u
# The program runs to its end even if netprov or its connection goes away (Ctrl-C, network blip).
trap '' HUP INT TERM PIPE
umask 022
d=$1
done_list=''
rollback() {
  ok=1
  # the failed change is undone only if one of its own steps did something (touched_N): a step that
  # failed first touched nothing, and what it met (a device that appeared meanwhile) is not netprov's
  eval "t=\${touched_$1:-}"
  if [ -n "$t" ]; then "undo_$1" || ok=0; fi
  for j in $done_list; do "undo_$j" || ok=0; done
  if [ $ok = 1 ]; then echo '@@NP rolledback ok'; else echo '@@NP rolledback partial'; fi
}
fail() { printf '@@NP fail %s %s\n' "$1" "$2"; rollback "$1"; exit 1; }
# 9>&-: the lock is the program's; a step that leaves something running (a timer) must not hold it.
try() {
  tol=$1; shift
  "$@" 2>"$d/err" 9>&- && return 0
  rc=$? # the failed command's status (after an if without else, $? would be 0)
  if [ -n "$tol" ] && grep -q -- "$tol" "$d/err"; then return 0; fi
  printf '%s: ' "$*" >&2; cat "$d/err" >&2; return $rc
}
run() { i=$1; shift; try "$@" || fail "$i" $?; eval "touched_$i=1"; }
urun() { try "$@" || { echo "undo step failed: $*" >&2; return 1; }; }
# Atomic write: a new temp file (mktemp: never one that exists, never through a symlink) in the
# target's directory, content, mode, checksum, fsync, rename. A directory at the target is refused.
write_file() {
  src=$1; dst=$2; mode=$3; sum=$4
  mkdir -p -- "$(dirname -- "$dst")" || return 1
  if [ -d "$dst" ]; then echo "$dst is a directory" >&2; return 1; fi
  tmp=$(mktemp -- "$dst.netprov-XXXXXX") || return 1
  if cat -- "$d/$src" > "$tmp" && chmod "$mode" "$tmp" && { [ -z "$sum" ] || echo "$sum  $tmp" | sha256sum -c --status; } && { sync -- "$tmp" 2>/dev/null || sync; } && mv -f -- "$tmp" "$dst"; then return 0; fi
  rm -f -- "$tmp"; echo "cannot write $dst" >&2; return 1
}
put() { i=$1; shift; write_file "$@" || fail "$i" 1; eval "touched_$i=1"; }
uput() { write_file "$@" || { echo "undo: cannot write $2" >&2; return 1; }; }
`

export interface ApplyProgram {
  script: string
  archive: Buffer[] // tar parts, streamed to the node's stdin
}

// One read per local file per run: every node's archive shares the same plugin buffers.
const fileCache = new Map<string, Buffer>()
const readCached = (path: string) => fileCache.get(path) ?? fileCache.set(path, readFileSync(path)).get(path)!

export interface ProgramOptions {
  holder: string // who is applying: written into the lock info
  expectedGeneration?: string | null // undefined: no check
  newGeneration: string
  lockWaitSeconds: number
}

export interface ProgramChange {
  index: number
  steps: readonly Step[]
  undo?: readonly Step[]
}

/** Builds the apply program for one node: run.sh plus every file it installs, as one tar archive. Pure but for reading upload sources. */
export function buildProgram(changes: readonly ProgramChange[], o: ProgramOptions): ApplyProgram {
  const files: TarEntry[] = []
  const lines = [PRELUDE]
  for (const c of changes) {
    const body = (c.undo ?? []).map((s) => stepLine(null, s, files))
    lines.push(`undo_${c.index}() {`, ...body.map((l) => `  ${l} || return 1`), '  return 0', '}')
  }
  lines.push(
    `mkdir -p ${LOCK_DIR} ${STATE_DIR} || { echo '@@NP bootfail cannot create ${LOCK_DIR} or ${STATE_DIR}'; exit 1; }`,
    `if [ -e ${GENERATION_FILE} ] && [ ! -f ${GENERATION_FILE} ]; then echo '@@NP bootfail ${GENERATION_FILE} is not a regular file'; exit 1; fi`,
    // test the lock file in a subshell first: a failed redirection on exec would end the program silently
    `if ! ( : >> ${LOCK_DIR}/lock ) 2>/dev/null; then echo '@@NP bootfail cannot open ${LOCK_DIR}/lock (read-only, or not a file?)'; exit 1; fi`,
    `exec 9>>${LOCK_DIR}/lock`,
    // the holder writes lock.info just after it takes the lock: give it a moment before saying who it is
    `if ! flock -w ${o.lockWaitSeconds} 9; then h=; for t in 1 2 3 4 5 6 7 8 9 10; do h=$(cat ${LOCK_DIR}/lock.info 2>/dev/null); [ -n "$h" ] && break; sleep 0.1; done; printf '@@NP locked %s\\n' "\${h:-holder unknown: it was starting or finishing}"; exit ${EXIT_LOCKED}; fi`,
    `printf '%s\\n' ${quoteArg(o.holder)} > ${LOCK_DIR}/lock.info`,
  )
  if (o.expectedGeneration !== undefined) {
    const want = o.expectedGeneration ?? 'none'
    lines.push(`gen=$(tr -d '[:space:]' < ${GENERATION_FILE} 2>/dev/null); [ -n "$gen" ] || gen=none`, `if [ "$gen" != ${quoteArg(want)} ]; then printf '@@NP stale %s\\n' "$gen"; exit ${EXIT_STALE}; fi`)
  }
  for (const c of changes) {
    lines.push(`printf '@@NP begin ${c.index}\\n'`)
    for (const s of c.steps) lines.push(stepLine(c.index, s, files))
    lines.push(`done_list="${c.index} $done_list"`, `printf '@@NP done ${c.index}\\n'`)
  }
  const gen = files.length
  files.push({name: `f${gen}`, data: Buffer.from(`${o.newGeneration}\n`)})
  lines.push(`write_file f${gen} ${GENERATION_FILE} 644 '' || echo 'cannot write the generation stamp' >&2`, `: > ${LOCK_DIR}/lock.info`, `printf '@@NP ok\\n'`)
  const script = lines.join('\n') + '\n'
  files.push({name: 'run.sh', data: Buffer.from(script), mode: 0o700})
  return {script, archive: tarParts(files)}
}

/** One step as a line of the program; `i` null for undo steps (report, never fail). */
function stepLine(i: number | null, s: Step, files: TarEntry[]): string {
  const [runner, writer] = i === null ? ['urun', 'uput'] : [`run ${i}`, `put ${i}`]
  switch (s.op) {
    case 'exec':
      return `${runner} ${quoteArg(s.tolerate ?? '')} ${quoteArgv(s.argv)}`
    case 'write': {
      const name = `f${files.length}`
      files.push({name, data: Buffer.from(s.content)})
      return `${writer} ${name} ${quoteArg(s.path)} ${quoteArg(s.mode)} ''`
    }
    case 'upload': {
      const name = `f${files.length}`
      files.push({name, data: readCached(s.local)})
      return `${writer} ${name} ${quoteArg(s.path)} ${quoteArg(s.mode)} ${quoteArg(s.sha256)}`
    }
    case 'remove':
      return `${runner} '' rm -f -- ${quoteArg(s.path)}`
  }
}

/**
 * The one command that runs a program on the node: unpack the archive from stdin into a private
 * temp dir, run run.sh, always remove the temp dir. Its own failures say so (bootfail).
 */
export function bootstrapArgv(): string[] {
  const boot = `set -u; fail() { echo "@@NP bootfail $1"; exit 1; }; mkdir -p ${STATE_DIR} || fail 'cannot create ${STATE_DIR}'; d=$(mktemp -d ${STATE_DIR}/apply.XXXXXX) || fail 'cannot create a temp dir in ${STATE_DIR}'; trap 'rm -rf "$d"' EXIT; tar -xf - -C "$d" || fail 'cannot unpack the program (tar)'; sh "$d/run.sh" "$d"`
  return ['sh', '-c', boot]
}

export interface ProgramOutcome {
  done: number[] // change indexes completed
  failed?: number // change index that failed
  rolledBack?: 'ok' | 'partial' // the program's own rollback after a failure
  bootfail?: string // the program could not start
  locked?: string // lock holder
  stale?: string // generation found
  ok: boolean
}

/** Reads the markers of the program's output. Pure. */
export function parseOutcome(stdout: string): ProgramOutcome {
  const out: ProgramOutcome = {done: [], ok: false}
  for (const line of stdout.split('\n')) {
    const m = /^@@NP (\w+) ?(.*)$/.exec(line)
    if (!m) continue
    const [, what, rest] = m
    if (what === 'done') out.done.push(Number(rest))
    else if (what === 'fail') out.failed = Number(rest!.split(' ')[0])
    else if (what === 'rolledback') out.rolledBack = rest === 'ok' ? 'ok' : 'partial'
    else if (what === 'bootfail') out.bootfail = rest
    else if (what === 'locked') out.locked = rest || 'unknown holder'
    else if (what === 'stale') out.stale = rest
    else if (what === 'ok') out.ok = true
  }
  return out
}

/** The program's changes, each with its undo steps (for the on-node rollback). */
export function programChanges(changes: readonly Change[]): ProgramChange[] {
  return changes.map((c, index) => ({index, steps: c.steps, undo: c.undo}))
}
