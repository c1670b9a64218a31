import type {Cluster, NodeSpec} from '../../src/config/types.js'

// A normalised cluster built by hand, for unit tests of the planner and resources (no loader involved).
export function node(i: number, over: Partial<NodeSpec> = {}): NodeSpec {
  return {
    name: `node${i}`,
    address: `172.31.250.${10 + i}`,
    role: i === 1 ? 'control-plane' : 'worker',
    podCIDRs: [`10.244.${i}.0/24`],
    podCIDRAllocated: false,
    gateways: [`10.244.${i}.1/24`],
    ssh: {host: `172.31.250.${10 + i}`, user: 'root', port: 22, identityFile: '/nonexistent/id', knownHostsFile: '/nonexistent/kh', strictHostKeyChecking: 'yes', connectTimeoutSeconds: 5, concurrency: 20, become: 'none'},
    ...over,
  }
}

export function cluster(nodes = 3, over: Partial<Cluster> = {}): Cluster {
  return {
    file: '/tmp/netprov.yaml',
    dir: '/tmp',
    name: 'test',
    podCIDRs: ['10.244.0.0/16'],
    serviceCIDRs: ['10.96.0.0/12'],
    nodeCIDRMaskSize: 24,
    nodeCIDRMaskSizeIPv6: 64,
    routing: 'host-gw',
    bridge: {name: 'v-net-0', mtu: 1500},
    cni: {binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d', confFile: '10-netprov.conflist', networkName: 'netprov', pluginSource: '/usr/lib/cni', plugins: ['bridge', 'host-local', 'loopback', 'portmap']},
    kubelet: {flagsFile: '/etc/default/kubelet', legacyCNIFlags: false, extraArgs: {}},
    containerRuntime: {type: 'containerd', configFile: '/etc/containerd/config.toml'},
    firewall: {backend: 'none', extraPorts: []},
    nodes: Array.from({length: nodes}, (_, i) => node(i + 1)),
    ...over,
  }
}
