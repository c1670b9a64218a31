import {Flags} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import {NetprovCommand} from '../base-command.js'
import {loadCluster} from '../config/index.js'
import {renderJunit} from '../verify/junit.js'
import {renderVerify} from '../verify/render-human.js'
import {runVerify} from '../verify/verify.js'

export default class Verify extends NetprovCommand {
  static override enableJsonFlag = false
  static override summary = 'Prove the nodes are right and that pods really talk: state checks, then real CNI test pods.'
  static override description = `Reads every node again (one SSH round trip per node) and re-plans: every pending change is a failed "drift" check. Then the checks for what looks right but fails at pod start or silently drops traffic: the conflist parses and sorts first, every plugin it runs answers CNI VERSION with the conflist's cniVersion, host-gw next hops are on-link, forwarding and bridge-nf-call are on, no forward chain drops pod traffic by default (Docker's FORWARD DROP), strict rp_filter, a bridge MTU above the underlay's, IPv6 forwarding. The firewall ports of each node's role are probed from a peer node (refused = open, timeout = filtered).

Unless --no-connectivity, it then runs the installed conflist the way a container runtime does: two test pods per node in throwaway network namespaces (loopback ADD on lo, ADD in list order, CHECK, DEL in reverse order), pings from each test pod to its gateway, to the other test pod on its node and to a test pod on every other node, and checks on the receiving side that the source address is the sender's pod address (no NAT). It always removes its test pods (also on failure and Ctrl-C) and proves that no namespace, veth or IPAM reservation is left. Nothing else on the nodes is changed.

Exit 0 when every check passes, 1 otherwise.`
  static override examples = [
    '<%= config.bin %> verify -f cluster.yaml',
    '<%= config.bin %> verify --no-connectivity --node node1',
    '<%= config.bin %> verify --json --junit verify.xml   # CI',
  ]

  static override flags = {
    file: NetprovCommand.fileFlag,
    node: Flags.string({summary: 'Only verify this node (repeatable); pods are tested between the selected nodes.', multiple: true, helpValue: 'NAME'}),
    json: Flags.boolean({summary: 'Print {"ok", "checks": [{node, check, status, detail}], ...} as one JSON object.'}),
    'no-connectivity': Flags.boolean({summary: 'State checks only: no test pods, nothing created on the nodes.'}),
    junit: Flags.string({summary: 'Also write the checks as JUnit XML to this file.', helpValue: 'FILE'}),
    debug: Flags.boolean({summary: 'Show SSH round trips per node.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Verify)
    const cluster = loadCluster(flags.file)
    const progress = flags.json ? undefined : (node: string, m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${node}: ${m}\n`)
    const report = await runVerify(cluster, {nodes: flags.node, connectivity: !flags['no-connectivity'], handleSignals: true, progress})
    if (flags.junit) writeFileSync(flags.junit, renderJunit(report))
    if (flags.json) this.printJson(report)
    else this.log(renderVerify(report, {addresses: Object.fromEntries(cluster.nodes.map((n) => [n.name, n.address])), debug: flags.debug}))
    if (!report.ok) this.exit(1)
  }
}
