import {Args, Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'
import {applyPlan, recheckAfterPrompt, refreshSavedPlan} from '../apply/apply.js'
import {NetprovCommand} from '../base-command.js'
import {loadCluster} from '../config/index.js'
import {ConfigError, UsageError} from '../errors.js'
import type {Cluster} from '../config/types.js'
import {makePlan} from '../plan/make-plan.js'
import {isPlanFile, readPlanFile, redactPlan} from '../plan/planfile.js'
import {renderApplyResult} from '../render/apply-human.js'
import {renderPlan} from '../render/plan-human.js'

/**
 * The cluster file a plan names. Its diagnostics are not echoed: a planted plan file could name any
 * local file and have its lines printed into CI logs. `netprov validate -f` shows them.
 */
function clusterOfPlan(file: string, planfile: string): Cluster {
  try {
    return loadCluster(file)
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${planfile} names the cluster file ${file}, which is not a valid cluster file; nothing was changed`, [`netprov validate -f ${file}`])
    throw e
  }
}

export default class Apply extends NetprovCommand {
  static override enableJsonFlag = false
  static override summary = 'Make the changes: converge every node to the cluster file, or apply a saved plan exactly.'
  static override description = `Plans (or loads PLANFILE), shows the plan, asks for confirmation on a terminal, then changes each node in one SSH round trip: its steps in dependency order, under a lock on the node, files written atomically, plugin binaries sent only when their sha256 differs. Nodes run in parallel (spec.ssh.concurrency).

A node whose step fails is rolled back, by the node itself, to the state it was planned from (files, addresses, routes, bridge, sysctls, firewall); the other nodes still finish. After applying, each node is read again and must show no changes.

A saved plan (from \`netprov plan --out\`) is applied only if no node changed since it was made; otherwise nothing is changed anywhere ("stale plan").

Without a terminal (CI), --yes is required. Exit 0 when every node converged, 1 otherwise.`
  static override examples = [
    '<%= config.bin %> apply -f cluster.yaml',
    '<%= config.bin %> apply -f cluster.yaml --yes --json   # unattended',
    '<%= config.bin %> apply tonight.plan --yes',
    '<%= config.bin %> apply --node node3 --yes',
  ]

  static override args = {
    planfile: Args.string({description: 'A plan saved with `netprov plan --out` (instead of -f).', required: false}),
  }

  static override flags = {
    file: NetprovCommand.fileFlag,
    node: Flags.string({summary: 'Only apply to this node (repeatable).', multiple: true, helpValue: 'NAME'}),
    yes: Flags.boolean({char: 'y', summary: 'Apply without asking (required without a terminal).'}),
    json: Flags.boolean({summary: 'Print the plan and the result as one JSON object.'}),
    'lock-timeout': Flags.integer({summary: "Seconds to wait for another run's lock on a node (default 0: fail at once, naming the holder).", default: 0, min: 0, max: 3600}),
    debug: Flags.boolean({summary: 'Show SSH round trips and time per node.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    const fileGiven = this.argv.some((a) => a.startsWith('-f') || a.startsWith('--file'))
    if (args.planfile && fileGiven) throw new UsageError('give either -f FILE or a PLANFILE, not both')
    if (args.planfile && !isPlanFile(args.planfile)) {
      throw new UsageError(`${args.planfile} is not a plan file`, [`to apply a cluster file, use: netprov apply -f ${args.planfile}`])
    }
    const saved = args.planfile ? readPlanFile(args.planfile) : undefined
    const cluster = saved ? clusterOfPlan(saved.clusterFile, args.planfile!) : loadCluster(flags.file)
    let plan = saved ? await refreshSavedPlan(cluster, saved, flags.node) : await makePlan(cluster, {nodes: flags.node})
    if (!flags.json) this.log(renderPlan(plan, {debug: flags.debug}))
    const pending = plan.summary.create + plan.summary.update + plan.summary.delete
    // Nothing to change: no prompt, no progress, no round trip, but every node still gets its status.
    // Otherwise the prompt can wait any time: read the nodes again and apply only to those still as shown.
    if (pending > 0 && !flags.yes) plan = await recheckAfterPrompt(cluster, plan, await this.confirm(plan.nodes.filter((n) => n.changes.length).length))
    const interactive = Boolean(process.stdout.isTTY) && !flags.json && !process.env.CI
    const progress = pending === 0 || flags.json ? 'none' : interactive ? 'tty' : 'lines'
    const result = await applyPlan(cluster, plan, {lockWaitSeconds: flags['lock-timeout'], progress})
    if (flags.json) this.printJson({ok: result.ok, plan: redactPlan(plan), nodes: result.nodes, summary: result.summary})
    else if (pending > 0 || !result.ok) this.log('\n' + renderApplyResult(result))
    if (!result.ok) this.exit(1)
  }

  private async confirm(nodes: number): Promise<true> {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new UsageError('refusing to apply without --yes: there is no terminal to confirm on', ['review the plan (netprov plan), then run apply with --yes'])
    }
    const rl = createInterface({input: process.stdin, output: process.stderr})
    const answer = await rl.question(`\nApply these changes to ${nodes} node(s)? Only 'yes' is accepted: `)
    rl.close()
    if (answer.trim() !== 'yes') throw new UsageError('apply cancelled: nothing was changed')
    return true
  }
}
