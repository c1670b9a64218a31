import {Flags} from '@oclif/core'
import {NetprovCommand} from '../../base-command.js'
import {type Lab, labUp} from '../../lab/index.js'

export default class LabUp extends NetprovCommand {
  static override summary = 'Start a local multi-node lab: network namespaces with their own sshd, on one bridge.'

  static override description = `Creates N nodes on this machine, like kind does for Kubernetes, but for SSH nodes. Each node is a network namespace named np-<lab>-<node> with its own mount and UTS namespaces (hostname node1, node2, ...) and its own OpenSSH server listening on the node's underlay address. The nodes hang off one bridge in the host (npbr-<lab>) like hosts on a switch; the bridge gets the subnet's first address, so netprov on the host reaches every node over SSH. Node i gets address .(10+i): node1 = 172.31.250.11 by default.

Directories netprov writes on a node (/etc/cni, /opt/cni, /var/lib/cni, /etc/default, /etc/sysctl.d, /etc/containerd, /etc/modules-load.d, /run/netns, /var/lib/netprov, /run/netprov, and /tmp, /var/tmp, /root, /var/log) are private to that node: bind mounts from <dir>/nodes/<node>/fs inside the node.

The lab dir holds an SSH key, known_hosts pinned to the nodes' host keys, an ssh_config (ssh -F <dir>/ssh_config node1), lab.json (what was made) and netprov.yaml, a cluster file ready for \`netprov plan -f <dir>/netprov.yaml\`.

Nothing on the host changes but the lab's bridge, veths and files (plus empty mount points such as /etc/cni where the host lacks them, removed again with the last lab): no host sysctl, firewall or route (other than the bridge's connected route), and no ip_forward. A subnet that overlaps a host route or another lab is refused. Needs root, iproute2, openssh-server and nftables.`

  static override examples = [
    {description: 'Three nodes on 172.31.250.0/24 (lab "lab", dir /run/netprov-lab/lab)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Then plan against it', command: '<%= config.bin %> plan -f /run/netprov-lab/lab/netprov.yaml'},
    {description: 'Log in to a node', command: 'ssh -F /run/netprov-lab/lab/ssh_config node1'},
    {description: 'A second, larger lab next to the first', command: '<%= config.bin %> <%= command.id %> --name big --nodes 20 --subnet 172.31.251.0/24'},
    {description: 'Pick a free /24 of 172.31.0.0/16 and print the lab as JSON', command: '<%= config.bin %> <%= command.id %> --name ci --subnet auto --json'},
    {description: 'Start over', command: '<%= config.bin %> <%= command.id %> --recreate'},
  ]

  static override flags = {
    nodes: Flags.integer({char: 'n', summary: 'Number of nodes (1-250).', default: 3, min: 1, max: 250, helpValue: 'N'}),
    name: Flags.string({summary: 'Lab name: 1-8 of [a-z0-9], starting with a letter.', default: 'lab', helpValue: 'NAME'}),
    subnet: Flags.string({
      summary: 'Underlay IPv4 subnet (private, /16 to /28), or "auto" for a free /24 of 172.31.0.0/16.',
      default: '172.31.250.0/24',
      helpValue: 'CIDR',
    }),
    dir: Flags.string({summary: 'Lab dir (keys, configs, node files). Default: /run/netprov-lab/<name>.', helpValue: 'DIR'}),
    recreate: Flags.boolean({summary: 'Take down an existing lab of that name first.', default: false}),
  }

  async run(): Promise<Lab> {
    const {flags} = await this.parse(LabUp)
    // Ctrl-C (or SIGTERM) while the lab comes up: stop, remove what was made, exit 1. A second one kills.
    const interrupt = new AbortController()
    const onSignal = () => interrupt.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let lab: Lab
    try {
      lab = await labUp({
        name: flags.name,
        nodes: flags.nodes,
        subnet: flags.subnet,
        dir: flags.dir,
        recreate: flags.recreate,
        signal: interrupt.signal,
        onProgress: this.jsonEnabled() ? undefined : (m) => this.logToStderr(m),
      })
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    this.log(`Lab ${lab.name} is up (${lab.nodes.length} nodes, ${(lab.timingsMs.total! / 1000).toFixed(1)}s).`)
    this.log('')
    const w = Math.max(...lab.nodes.map((n) => n.name.length))
    for (const n of lab.nodes) this.log(`  ${n.name.padEnd(w)}  ${n.address.padEnd(15)}  ${n.role.padEnd(13)}  netns ${n.netns}  sshd pid ${n.pid}`)
    this.log('')
    this.log(`  cluster file  ${lab.clusterFile}`)
    this.log(`  ssh           ssh -F ${lab.ssh.config} ${lab.nodes[0]!.name}`)
    this.log(`  status        netprov lab status --name ${lab.name}`)
    this.log(`  teardown      netprov lab down --name ${lab.name}`)
    return lab
  }
}
