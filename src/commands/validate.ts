import {formatDiagnostic, ConfigError} from '../errors.js'
import {NetprovCommand} from '../base-command.js'
import {loadCluster} from '../config/index.js'
import type {Cluster} from '../config/types.js'

/** `netprov.yaml: valid — cluster "lab", 3 nodes, pod CIDR 10.244.0.0/16` */
export function validSummary(file: string, c: Cluster): string {
  const nodes = `${c.nodes.length} node${c.nodes.length === 1 ? '' : 's'}`
  const pods = `pod CIDR${c.podCIDRs.length > 1 ? 's' : ''} ${c.podCIDRs.join(', ')}`
  return `${file}: valid — cluster "${c.name}", ${nodes}, ${pods}`
}

export default class Validate extends NetprovCommand {
  static override summary = 'Check a cluster file without touching any node.'
  // One line per paragraph: oclif wraps to the terminal width itself.
  static override description = [
    'Reads the cluster file and checks everything that can be checked without a node: YAML syntax, unknown or misspelt keys, types, CIDRs (well-formed, canonical, node CIDRs inside spec.podCIDR and disjoint, no overlap between pods, services and node addresses), unique node names and addresses, a bridge name the kernel accepts, that every node without a podCIDR can be given one, that no two nodes share an SSH target, that the node paths netprov writes are distinct and outside /proc, /sys, /dev and its own state dirs, that host-key checking cannot be defeated (no known_hosts under /dev), and that no value could smuggle shell syntax into a command run on a node.',
    'Every problem is reported at once, one per line, as FILE:LINE:COL: message, on stderr. Exit codes: 0 valid, 1 invalid.',
    'With --json it prints the normalised cluster, exactly what plan and apply work from: defaults filled in, allocated pod CIDRs, bridge gateways, resolved paths and per-node SSH settings. On errors it prints {"ok": false, ..., "diagnostics": [{file, line, col, message, path}]} and exits 1.',
  ].join('\n\n')
  static override examples = [
    {description: 'Check ./netprov.yaml.', command: '<%= config.bin %> validate'},
    {description: 'Check another file.', command: '<%= config.bin %> validate -f clusters/lab.yaml'},
    {description: 'See the pod CIDRs and gateways netprov will use.', command: "<%= config.bin %> validate --json | jq '.nodes[] | {name, podCIDRs, gateways}'"},
    {description: 'In CI, fail the build on a bad cluster file.', command: '<%= config.bin %> validate -f netprov.yaml || exit 1'},
  ]

  static override flags = {
    file: NetprovCommand.fileFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Validate)
    let cluster: Cluster
    try {
      cluster = loadCluster(flags.file)
    } catch (err) {
      // Under --json the base command prints {ok:false, ..., diagnostics}; here, one line per problem.
      if (!(err instanceof ConfigError) || this.jsonEnabled()) throw err
      for (const d of err.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n')
      const n = err.diagnostics.length
      process.stderr.write(`${flags.file}: invalid — ${n} problem${n === 1 ? '' : 's'}\n`)
      this.exit(1)
    }
    if (!this.jsonEnabled()) {
      for (const w of cluster.warnings ?? []) process.stderr.write(formatDiagnostic({...w, message: `warning: ${w.message}`}) + '\n')
      this.log(validSummary(flags.file, cluster))
    }
    return {ok: true, ...cluster}
  }
}
