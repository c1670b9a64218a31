import {Flags} from '@oclif/core'
import {NetprovCommand} from '../../base-command.js'
import {type LabDownResult, labDown} from '../../lab/index.js'

export default class LabDown extends NetprovCommand {
  static override summary = 'Remove a lab: its node processes, namespaces, veths, bridge and lab dir.'

  static override description = `Removes exactly what \`netprov lab up\` made: every process in the nodes' network namespaces (and any process still carrying a node's hostname, e.g. one started in a pod namespace on a node), the np-<lab>-* namespaces, the lab's veths and npbr-<lab> bridge, the lab dir and its registry entry. It also finds parts of a lab that a crashed \`up\` left behind, by their names. Nothing to remove is not an error: it exits 0.`

  static override examples = [
    {description: 'Remove the default lab', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Remove lab "big"', command: '<%= config.bin %> <%= command.id %> --name big'},
    {description: 'Remove the lab living in a given dir', command: '<%= config.bin %> <%= command.id %> --dir /var/tmp/mylab'},
  ]

  static override flags = {
    name: Flags.string({summary: 'Lab name.', default: 'lab', helpValue: 'NAME', exclusive: ['dir']}),
    dir: Flags.string({summary: 'Lab dir (instead of --name).', helpValue: 'DIR'}),
  }

  async run(): Promise<LabDownResult> {
    const {flags} = await this.parse(LabDown)
    const r = await labDown(flags.dir ? {dir: flags.dir} : {name: flags.name})
    if (!r.existed) this.log(`No lab named ${r.name}: nothing to remove.`)
    else
      this.log(
        `Lab ${r.name} is down: ${r.killed.length} processes ended, ${r.netns.length} namespaces and ${r.links.length} links deleted` +
          (r.dir ? `, ${r.dir} removed.` : '.'),
      )
    return r
  }
}
