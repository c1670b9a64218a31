import {Flags} from '@oclif/core'
import {NetprovCommand} from '../../base-command.js'
import {type LabStatus, labStatus} from '../../lab/index.js'

export default class LabStatusCommand extends NetprovCommand {
  static override summary = "Show a lab's nodes: address, namespace, sshd pid, and whether SSH answers."

  static override description = `For every node of the lab: its underlay address, its network namespace, the pid of its sshd (the node's first process: \`nsenter -t PID -n -m -u\` enters the node), whether that sshd is alive in the node's namespace, and whether SSH answers on the address (an SSH banner on port 22 within 1.5s). Exits 0 when every node is healthy, 1 otherwise or when there is no such lab.`

  static override examples = [
    {description: 'The default lab', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Lab "big", as JSON', command: '<%= config.bin %> <%= command.id %> --name big --json'},
  ]

  static override flags = {
    name: Flags.string({summary: 'Lab name.', default: 'lab', helpValue: 'NAME'}),
  }

  async run(): Promise<LabStatus> {
    const {flags} = await this.parse(LabStatusCommand)
    const s = await labStatus(flags.name)
    this.log(`Lab ${s.name}: ${s.healthy ? 'healthy' : 'NOT healthy'}; subnet ${s.subnet}, bridge ${s.bridge} ${s.hostAddress}${s.bridgeExists ? '' : ' (MISSING)'}; dir ${s.dir}`)
    this.log('')
    const rows = [
      ['NODE', 'ROLE', 'ADDRESS', 'NETNS', 'SSHD PID', 'SSH'],
      ...s.nodes.map((n) => [
        n.name,
        n.role,
        n.address,
        n.netnsExists ? n.netns : `${n.netns} (missing)`,
        n.pid ? `${n.pid}${n.sshdRunning ? '' : ' (dead)'}` : '-',
        n.sshAnswering ? 'answering' : 'NOT answering',
      ]),
    ]
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
    for (const r of rows) this.log('  ' + r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd())
    this.log('')
    this.log(`  ssh -F ${s.sshConfig} ${s.nodes[0]?.name ?? 'node1'}`)
    if (!s.healthy) process.exitCode = 1
    return s
  }
}
