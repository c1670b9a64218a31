// One error hierarchy for the whole tool. Every error says what went wrong, where, and how to fix it.
// Commands map `exit` to the process exit code; `--json` prints `toJSON()`.

export interface Diagnostic {
  file: string
  line: number // 1-based; 0 when the problem has no position (missing file)
  col: number // 1-based
  message: string
  path?: string // JSON pointer into the cluster file, e.g. /nodes/1/podCIDR
}

export function formatDiagnostic(d: Diagnostic): string {
  return d.line > 0 ? `${d.file}:${d.line}:${d.col}: ${d.message}` : `${d.file}: ${d.message}`
}

export class NetprovError extends Error {
  readonly code: string = 'NETPROV_ERROR'
  readonly exit: number = 1
  readonly suggestions: string[]
  constructor(message: string, suggestions: string[] = []) {
    super(message)
    this.name = new.target.name
    this.suggestions = suggestions
  }

  toJSON(): Record<string, unknown> {
    return {error: this.name, code: this.code, message: this.message, suggestions: this.suggestions}
  }
}

/** The cluster file is wrong. Carries every problem found, each with file:line:col. */
export class ConfigError extends NetprovError {
  override readonly code = 'CONFIG_INVALID'
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'))
  }

  override toJSON(): Record<string, unknown> {
    return {...super.toJSON(), diagnostics: this.diagnostics}
  }
}

/** Bad command-line usage (conflicting flags, unknown node name...). */
export class UsageError extends NetprovError {
  override readonly code = 'USAGE'
}

/** A node could not be reached or authenticated. */
export class ConnectError extends NetprovError {
  override readonly code = 'CONNECT_FAILED'
  constructor(readonly node: string, readonly cause_: string, suggestions: string[] = []) {
    super(`node ${node}: cannot connect: ${cause_}`, suggestions)
  }
}

/** Connected, but a command on the node did not finish in time (a hung tool, a stuck mount...). */
export class NodeTimeoutError extends NetprovError {
  override readonly code = 'NODE_TIMEOUT'
  constructor(readonly node: string, what: string, seconds: number) {
    super(`node ${node}: ${what} did not finish within ${seconds} s`, [
      `log in and look for a hung command (ps -ef), e.g. ssh ${node} ps -ef`,
      'raise the limit with NETPROV_COMMAND_TIMEOUT=SECONDS if the node is just slow',
    ])
  }
}

/** Facts read from a node could not be understood. */
export class FactError extends NetprovError {
  override readonly code = 'FACT_UNPARSEABLE'
  constructor(readonly node: string, readonly fact: string, detail: string) {
    super(`node ${node}: cannot read ${fact}: ${detail}`, ['run with --debug to see the raw output, and report it'])
  }
}

/** A step failed while changing a node. */
export class ApplyError extends NetprovError {
  override readonly code = 'APPLY_FAILED'
  constructor(readonly node: string, readonly step: string, readonly stderr: string, suggestions: string[] = []) {
    super(`node ${node}: ${step} failed: ${stderr.trim() || 'no output'}`, suggestions)
  }
}

/** A saved plan no longer matches a node's state. */
export class StalePlanError extends NetprovError {
  override readonly code = 'PLAN_STALE'
  /** `what`: what changed, when it is not the nodes (e.g. the cluster file). */
  constructor(readonly nodes: string[], what?: string) {
    super(`stale plan: ${what ?? `the state of ${nodes.join(', ')}`} changed since the plan was made; nothing was changed`, [
      'run `netprov plan --out PLANFILE` again and review the new plan',
    ])
  }
}

/** Another netprov holds the node's lock. */
export class LockedError extends NetprovError {
  override readonly code = 'NODE_LOCKED'
  constructor(readonly node: string, readonly holder: string) {
    super(`node ${node}: locked by another netprov run (${holder})`, [
      'wait for the other run to finish, then try again',
    ])
  }
}

/** A lab operation failed (not root, missing packages, subnet clash...). */
export class LabError extends NetprovError {
  override readonly code = 'LAB_FAILED'
}

/** A netprov bug: something that must not happen did. */
export class BugError extends NetprovError {
  override readonly code = 'BUG'
  constructor(message: string) {
    super(`internal error: ${message}`, ['this is a netprov bug: please report it with the command you ran'])
  }
}

/** After apply, a node still differs from the cluster file. */
export class VerificationError extends NetprovError {
  override readonly code = 'NOT_CONVERGED'
  constructor(readonly node: string, readonly remaining: {kind: string; id: string; action: string; before: unknown; after: unknown}[]) {
    super(
      `node ${node}: still differs after apply: ` +
        remaining.map((c) => `${c.kind} ${c.id} (${c.action}; wanted ${show(c.after)}, found ${show(c.before)})`).join('; '),
      ['run `netprov plan --node ' + node + '` to see the difference; something on the node may be undoing netprov\'s changes'],
    )
  }
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  const s = (typeof v === 'string' ? v : JSON.stringify(v)).replaceAll('\n', '\\n') // one line per difference
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
