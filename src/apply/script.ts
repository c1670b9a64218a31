import {readFileSync} from 'node:fs'
import type {Change, Step} from '../plan/types.js'
import {quoteArg, quoteArgv} from '../transport/quote.js'
import {type TarEntry, tarParts} from './tar.js'

import {GENERATION_FILE, LOCK_DIR, STATE_DIR} from '../resources/markers.js'

// Exit codes of the apply program, beyond 0 and 1 (a step failed).
export const EXIT_LOCKED = 75
export const EXIT_STALE = 76

/**
 * The shell functions every apply program starts with. `run` tolerates the stderr pattern that means
 * "already so"; `put` writes atomically (temp file in the same directory, fsync, rename); `fail`
 * prints a marker netprov reads to know which change broke.
 */
const PRELUDE = String.raw`set -u
# A node's program runs to its end even if netprov or its connection goes away (Ctrl-C, network
# blip): a finished program is a consistent node; one killed half-way is not.
trap '' HUP INT TERM PIPE
umask 022
d=$1
fail() { printf '@@NP fail %s %s\n' "$1" "$2"; exit 1; }
run() {
  i=$1; tol=$2; shift 2
  # 9>&-: the lock is the program's; a step that leaves something running (a timer) must not hold it.
  if "$@" 2>"$d/err" 9>&-; then return 0; fi
  rc=$?
  if [ -n "$tol" ] && grep -q -- "$tol" "$d/err"; then return 0; fi
  printf '%s: ' "$*" >&2; cat "$d/err" >&2; fail "$i" "$rc"
}
put() {
  i=$1; src=$2; dst=$3; mode=$4; sum=$5
  mkdir -p -- "$(dirname -- "$dst")" || fail "$i" 1
  tmp="$dst.netprov-tmp"
  if cp -- "$d/$src" "$tmp" && chmod "$mode" "$tmp" && { [ -z "$sum" ] || echo "$sum  $tmp" | sha256sum -c --status; } && { sync -- "$tmp" 2>/dev/null || sync; } && mv -f -- "$tmp" "$dst"; then return 0; fi
  rm -f -- "$tmp"; echo "cannot write $dst" >&2; fail "$i" 1
}
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
  expectedGeneration?: string | null // undefined: no check (rollback)
  newGeneration: string
  lockWaitSeconds: number
}

/** Builds the apply program for one node: run.sh plus every file it installs, as one tar archive. Pure but for reading upload sources. */
export function buildProgram(changes: readonly {index: number; steps: readonly Step[]}[], o: ProgramOptions): ApplyProgram {
  const files: TarEntry[] = []
  const lines = [PRELUDE]
  lines.push(
    `mkdir -p ${LOCK_DIR} ${STATE_DIR} || exit 1`,
    `exec 9>>${LOCK_DIR}/lock`,
    `if ! flock -w ${o.lockWaitSeconds} 9; then printf '@@NP locked %s\\n' "$(cat ${LOCK_DIR}/lock.info 2>/dev/null)"; exit ${EXIT_LOCKED}; fi`,
    `printf '%s\\n' ${quoteArg(o.holder)} > ${LOCK_DIR}/lock.info`,
  )
  if (o.expectedGeneration !== undefined) {
    const want = o.expectedGeneration ?? 'none'
    lines.push(`gen=$(cat ${GENERATION_FILE} 2>/dev/null || echo none)`, `if [ "$gen" != ${quoteArg(want)} ]; then printf '@@NP stale %s\\n' "$gen"; exit ${EXIT_STALE}; fi`)
  }
  for (const c of changes) {
    lines.push(`printf '@@NP begin ${c.index}\\n'`)
    for (const s of c.steps) lines.push(stepLine(c.index, s, files))
    lines.push(`printf '@@NP done ${c.index}\\n'`)
  }
  lines.push(`printf '%s\\n' ${quoteArg(o.newGeneration)} > ${GENERATION_FILE}.tmp && mv -f ${GENERATION_FILE}.tmp ${GENERATION_FILE}`, `: > ${LOCK_DIR}/lock.info`, `printf '@@NP ok\\n'`)
  const script = lines.join('\n') + '\n'
  files.push({name: 'run.sh', data: Buffer.from(script), mode: 0o700})
  return {script, archive: tarParts(files)}
}

function stepLine(i: number, s: Step, files: TarEntry[]): string {
  switch (s.op) {
    case 'exec':
      return `run ${i} ${quoteArg(s.tolerate ?? '')} ${quoteArgv(s.argv)}`
    case 'write': {
      const name = `f${files.length}`
      files.push({name, data: Buffer.from(s.content)})
      return `put ${i} ${name} ${quoteArg(s.path)} ${quoteArg(s.mode)} ''`
    }
    case 'upload': {
      const name = `f${files.length}`
      files.push({name, data: readCached(s.local)})
      return `put ${i} ${name} ${quoteArg(s.path)} ${quoteArg(s.mode)} ${quoteArg(s.sha256)}`
    }
    case 'remove':
      return `run ${i} '' rm -f -- ${quoteArg(s.path)}`
  }
}

/**
 * The one command that runs a program on the node: unpack the archive from stdin into a private
 * temp dir, run run.sh, always remove the temp dir.
 */
export function bootstrapArgv(): string[] {
  const boot = `set -u; mkdir -p ${STATE_DIR} || exit 1; d=$(mktemp -d ${STATE_DIR}/apply.XXXXXX) || exit 1; trap 'rm -rf "$d"' EXIT; tar -xf - -C "$d" || exit 1; sh "$d/run.sh" "$d"`
  return ['sh', '-c', boot]
}

export interface ProgramOutcome {
  done: number[] // change indexes completed
  failed?: number // change index that failed
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
    else if (what === 'locked') out.locked = rest || 'unknown holder'
    else if (what === 'stale') out.stale = rest
    else if (what === 'ok') out.ok = true
  }
  return out
}

/** Undo steps for a failed node: the failed change, then completed ones, newest first. */
export function rollbackSteps(changes: readonly Change[], outcome: ProgramOutcome): {index: number; steps: Step[]}[] {
  const touched = [...outcome.done, ...(outcome.failed === undefined ? [] : [outcome.failed])]
  return touched
    .sort((a, b) => b - a)
    .map((i) => ({index: i, steps: changes[i]!.undo}))
    .filter((c) => c.steps.length > 0)
}
