import type {NodeSpec} from '../config/types.js'
import type {Step} from '../plan/types.js'
import {STATE_DIR} from './markers.js'

// Commit-confirmed firewall changes. Before netprov's rules change, the node arms a timer of its own
// that puts the previous rules back unless netprov confirms the change over a NEW SSH connection (the
// apply's own connection is established, so it survives rules that would refuse any new one).
// Per backend, in <FIREWALL_DIR>/<backend>/:
//   restore.sh     puts back the rules netprov found (written before the change)
//   armed.<token>  exists while the change is unconfirmed; whoever removes it (confirm or timer) wins;
//                  the token keeps a timer of an earlier apply from firing on this one's file
//   timer.pid      the timer's process group
//   restored       written by the timer when it restored (read by the confirm: too late)
// All scripts are fixed text; values reach them as arguments. The apply program ignores TERM (and
// its children inherit that), so timers are stopped with KILL.

export const FIREWALL_DIR = `${STATE_DIR}/firewall`
export const guardDir = (backend: string) => `${FIREWALL_DIR}/${backend}`

/** The confirmation window: long enough for a new SSH connection to time out once and retry. */
export function confirmSeconds(node: NodeSpec): number {
  const forced = Number(process.env.NETPROV_FIREWALL_CONFIRM_SECONDS)
  return forced > 0 ? forced : Math.max(30, 3 * node.ssh.connectTimeoutSeconds)
}

// Kills the timer's process group, but only a number > 1 whose process is really this guard's timer
// (its command line names the guard dir): a stale timer.pid (a reboot, PID reuse) must never kill
// someone else's processes, and "-1" would mean every process.
const STOP_TIMER = `p=$(cat "$d/timer.pid" 2>/dev/null); rm -f -- "$d/timer.pid"
case $p in ''|*[!0-9]*) p=0;; esac
if [ "$p" -gt 1 ] && tr '\\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$d"; then kill -s KILL -- "-$p" 2>/dev/null; fi`

// A timer left by an earlier unconfirmed apply is stopped: this apply brings its own.
const PREPARE = `d=$1
${STOP_TIMER}
rm -rf -- "$d" && mkdir -p -- "$d"`

// setsid + no stdio: the timer outlives the apply program and its SSH session, and sshd does not wait for it.
const ARM = `d=$1; token=$$
: > "$d/armed.$token" || exit 1
setsid sh -c 'echo $$ > "$1/timer.pid"; sleep "$2"; rm -- "$1/armed.$3" 2>/dev/null || exit 0
if sh "$1/restore.sh" "$1" > "$1/restore.log" 2>&1; then r=restored; else r="restore failed (restore.log)"; fi
echo "$r $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$1/restored"; rm -f -- "$1/timer.pid"' sh "$d" "$2" "$token" </dev/null >/dev/null 2>&1 &
echo $! > "$d/timer.pid" # at once, for a confirm that comes quickly (the timer writes it again: setsid may fork)`

// Takes the armed file if it is still there (exit 0), else exit 1: the timer got it first, or nothing was armed.
const TAKE = `take() { for a in "$1"/armed.*; do if rm -- "$a" 2>/dev/null; then return 0; fi; done; return 1; }`

// Rollback inside the same apply: only if still armed (else nothing changed, or the timer already restored).
const UNDO = `${TAKE}
d=$1
take "$d" || exit 0
${STOP_TIMER}
sh "$d/restore.sh" "$d"`

// Exit 3 when a timer already restored: the change is gone and the apply failed.
const CONFIRM = `${TAKE}
rc=0
for d; do
  if take "$d"; then
    ${STOP_TIMER}
  elif [ -f "$d/restored" ]; then
    printf '%s: %s\\n' "$d" "$(cat "$d/restored")"; rc=3
  else
    # the timer took the armed file and is restoring right now: the change is being taken back
    printf '%s: the timer fired and is restoring the previous rules\\n' "$d"; rc=3
  fi
done
exit $rc`

/**
 * The steps that come before netprov's rules change: a clean state dir, whatever `save` keeps of the
 * current rules, the restore script, the armed timer.
 */
export function armSteps(backend: string, node: NodeSpec, save: Step[], restoreScript: string): Step[] {
  const d = guardDir(backend)
  return [
    {op: 'exec', argv: ['sh', '-c', PREPARE, 'sh', d]},
    ...save,
    {op: 'write', path: `${d}/restore.sh`, content: restoreScript, mode: '700'},
    {op: 'exec', argv: ['sh', '-c', ARM, 'sh', d, String(confirmSeconds(node))]},
  ]
}

// After the rules are in: if the window already closed (a slow rule load), the timer restored before
// the new rules landed and nothing would ever take them back. Restore again and fail the change.
const STILL_ARMED = `d=$1
for a in "$d"/armed.*; do [ -e "$a" ] && exit 0; done
sh "$d/restore.sh" "$d"; echo "the confirmation window closed before the new rules were in place; restored the previous rules" >&2; exit 1`

/** The step that comes right after netprov's rules change (see STILL_ARMED). */
export function stillArmedStep(backend: string): Step {
  return {op: 'exec', argv: ['sh', '-c', STILL_ARMED, 'sh', guardDir(backend)]}
}

export function undoSteps(backend: string): Step[] {
  return [{op: 'exec', argv: ['sh', '-c', UNDO, 'sh', guardDir(backend)]}]
}

/** Run by apply over a new SSH connection once the program succeeded: keeps the new rules. */
export function confirmArgv(backends: readonly string[]): string[] {
  return ['sh', '-c', CONFIRM, 'sh', ...backends.map(guardDir)]
}
