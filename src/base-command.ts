import {Command, Errors, Flags} from '@oclif/core'
import {BugError, NetprovError, UsageError} from './errors.js'

// Every netprov command: `--json` support, and errors rendered as "Error: what" + "Try: fix"
// (or as one JSON object under --json) with netprov's exit codes: 1 for every error, so that 2 keeps
// meaning "changes pending" for plan --detailed-exitcode.
export abstract class NetprovCommand extends Command {
  static enableJsonFlag = true

  /** `-f/--file`, shared by validate, plan, apply and verify. */
  static fileFlag = Flags.string({
    char: 'f',
    summary: 'Cluster file to read.',
    default: 'netprov.yaml',
    helpValue: 'FILE',
  })

  /** True under --json, for commands that print their own JSON (their exit codes are not just 0/1). */
  protected wantsJson(): boolean {
    return this.argv.includes('--json')
  }

  /** One JSON document on stdout. */
  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err // a command's own exit code (plan's 2)
    const e = toNetprovError(err)
    if (this.wantsJson()) {
      this.printJson({ok: false, ...e.toJSON()})
    } else {
      process.stderr.write(`Error: ${e.message}\n`)
      for (const s of e.suggestions) process.stderr.write(`  Try: ${s}\n`)
      if (e instanceof BugError && err.stack) process.stderr.write(`${err.stack}\n`)
    }
    this.exit(e.exit)
  }
}

/** oclif's flag and argument errors are usage errors; anything else unexpected is a bug. */
function toNetprovError(err: Error & {oclif?: {exit?: number}}): NetprovError {
  if (err instanceof NetprovError) return err
  if (err instanceof Errors.CLIError || err.oclif?.exit === 2) {
    return new UsageError(err.message.replace(/\n\s*See more help with --help$/, ''), ['see the command\'s --help'])
  }
  return new BugError(err.message)
}
