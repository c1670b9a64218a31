import {Flags} from '@oclif/core'
import {NetprovCommand} from '../base-command.js'
import {loadCluster} from '../config/index.js'
import {makePlan} from '../plan/make-plan.js'
import {checkWritable, redactPlan, writePlanFile} from '../plan/planfile.js'
import type {Plan as PlanDoc} from '../plan/types.js'
import {renderPlan} from '../render/plan-human.js'

export function planExitCode(plan: PlanDoc, detailed: boolean): number {
  // An error finding is an error: the nodes cannot reach the desired state until someone acts.
  if (plan.nodes.some((n) => n.error || n.findings.some((f) => f.severity === 'error'))) return 1
  const changes = plan.summary.create + plan.summary.update + plan.summary.delete
  return detailed && changes > 0 ? 2 : 0
}

export default class Plan extends NetprovCommand {
  static override enableJsonFlag = false
  static override summary = "Show what apply would change: reads every node's real state and diffs it with the cluster file."
  static override description = `Reads each node over SSH (one round trip per node, nodes in parallel) and compares what is there with what the cluster file wants: the pod bridge and its gateway address, host-gw routes, sysctls, CNI plugin binaries and configuration, the firewall, the kubelet flags and containerd's CNI settings. Nothing on any node is changed.

Objects netprov did not make (a foreign route into the pod network, another CNI config that a runtime would load first) are listed as findings: netprov reports them and never touches them.

Exit codes: 0 success; 1 error (bad file, unreachable node, or an error finding: something netprov may not touch stands where it needs its own object); with --detailed-exitcode, 2 means there are changes to apply. --out saves the plan, with a digest of each node's state, for \`netprov apply PLANFILE\`.`
  static override examples = [
    '<%= config.bin %> plan -f cluster.yaml',
    '<%= config.bin %> plan --node node1 --node node2',
    '<%= config.bin %> plan --detailed-exitcode --json > plan.json  # CI: 0 in sync, 2 drift, 1 error',
    '<%= config.bin %> plan --out tonight.plan && <%= config.bin %> apply tonight.plan --yes',
  ]

  static override flags = {
    file: NetprovCommand.fileFlag,
    node: Flags.string({summary: 'Only plan this node (repeatable).', multiple: true, helpValue: 'NAME'}),
    out: Flags.string({summary: 'Save the plan to this file for `netprov apply PLANFILE`.', helpValue: 'PLANFILE'}),
    'detailed-exitcode': Flags.boolean({summary: 'Exit 2 when there are changes, 0 when there are none, 1 on error.'}),
    json: Flags.boolean({summary: 'Print the plan as one JSON object.'}),
    debug: Flags.boolean({summary: 'Show SSH round trips and time per node.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const cluster = loadCluster(flags.file)
    if (flags.out) checkWritable(flags.out) // before any node is contacted
    const plan = await makePlan(cluster, {nodes: flags.node})
    if (flags.out) writePlanFile(flags.out, plan, cluster)
    if (flags.json) this.printJson(redactPlan(plan))
    else this.log(renderPlan(plan, {debug: flags.debug}) + (flags.out ? `\n\nSaved the plan to ${flags.out}. Apply exactly it with: netprov apply ${flags.out} (add --yes without a terminal)` : ''))
    const code = planExitCode(plan, flags['detailed-exitcode'])
    if (code) this.exit(code)
  }
}
