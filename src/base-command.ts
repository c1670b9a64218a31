import {Command, Flags} from '@oclif/core'
import {NetprovError} from './errors.js'

// Every netprov command: `--json` support, and NetprovErrors rendered as "Error: what" + "Try: fix"
// (or as one JSON object under --json) with the error's own exit code.
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
    if (!(err instanceof NetprovError)) return super.catch(err)
    if (this.wantsJson()) {
      this.printJson({ok: false, ...err.toJSON()})
    } else {
      process.stderr.write(`Error: ${err.message}\n`)
      for (const s of err.suggestions) process.stderr.write(`  Try: ${s}\n`)
    }
    this.exit(err.exit)
  }
}
