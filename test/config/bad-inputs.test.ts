import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {at, diagnose, MINIMAL, y} from './util.js'

// One row per way a cluster file can be wrong: the message (a distinctive part of it) and the
// line:col it must point at. `count` is how many diagnostics the file gives in total (default 1),
// so a single mistake is not reported twice.
interface Case {
  name: string
  yaml: string
  at: string
  message: string
  count?: number
}

const node1 = `
  - name: node1
    address: 172.31.250.11
    role: control-plane`

const cases: Case[] = [
  // ---- unknown keys: point at the key, suggest the right one
  {
    name: 'unknown key in spec, with suggestion',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        podCidr: 10.244.0.0/16
      nodes: ${node1}
    `,
    at: '3:3',
    message: 'unknown key "podCidr" in spec (did you mean "podCIDR"?)',
  },
  {
    name: 'unknown top-level key',
    yaml: y`
      apiVersion: netprov.io/v1alpha1
      metdata: {name: lab}
      spec: {podCIDR: 10.244.0.0/16}
      nodes: ${node1}
    `,
    at: '2:1',
    message: 'unknown key "metdata" at the top level (did you mean "metadata"?)',
  },
  {
    name: 'unknown key in a node',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          podCidr: 10.244.1.0/24
    `,
    at: '6:5',
    message: 'unknown key "podCidr" in nodes[0] (did you mean "podCIDR"?)',
  },
  {
    name: 'unknown key without a near miss lists the allowed ones',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {name: br0, colour: blue}
      nodes: ${node1}
    `,
    at: '3:23',
    message: 'unknown key "colour" in spec.bridge (allowed: name, mtu)',
  },
  {
    name: 'unknown key in an extraPorts entry',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        firewall:
          extraPorts:
            - {port: 8472, proto: udp}
      nodes: ${node1}
    `,
    at: '5:22',
    message: 'unknown key "proto" in spec.firewall.extraPorts[0] (did you mean "protocol"?)',
  },
  {
    name: 'unknown key in a node ssh override',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          ssh: {hostname: n1}
    `,
    at: '6:11',
    message: 'unknown key "hostname" in nodes[0].ssh',
  },
  // ---- types, enums, required keys
  {
    name: 'wrong type: mtu',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge:
          mtu: 1500px
      nodes: ${node1}
    `,
    at: '4:10',
    message: 'spec.bridge.mtu must be an integer (got "1500px")',
  },
  {
    name: 'wrong type: boolean',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {legacyCNIFlags: "yes"}
      nodes: ${node1}
    `,
    at: '3:29',
    message: 'spec.kubelet.legacyCNIFlags must be true or false (got "yes")',
  },
  {
    name: 'wrong type: nodes is a mapping',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        node1: {address: 172.31.250.11}
    `,
    at: '3:3',
    message: 'nodes must be a list (got a mapping)',
  },
  {
    name: 'enum: routing',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        routing: hostgw
      nodes: ${node1}
    `,
    at: '3:12',
    message: 'spec.routing must be one of "host-gw", "none" (got "hostgw")',
  },
  {
    name: 'enum: role',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: master
    `,
    at: '5:11',
    message: 'nodes[0].role must be one of "control-plane", "worker" (got "master")',
  },
  {
    name: 'wrong apiVersion',
    yaml: y`
      apiVersion: netprov.io/v1
      spec: {podCIDR: 10.244.0.0/16}
      nodes: ${node1}
    `,
    at: '1:13',
    message: 'apiVersion must be "netprov.io/v1alpha1" (got "netprov.io/v1")',
  },
  {
    name: 'missing spec.podCIDR points at spec',
    yaml: y`
      spec:
        routing: none
      nodes: ${node1}
    `,
    at: '2:3',
    message: 'spec is missing the required key "podCIDR"',
  },
  {
    name: 'missing node role points at the node',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
    `,
    at: '3:5',
    message: 'nodes[0] is missing the required key "role"',
  },
  {
    name: 'no nodes',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes: []
    `,
    at: '2:8',
    message: 'nodes must have at least 1 entry',
  },
  {
    name: 'strictHostKeyChecking "no" is not offered',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh: {strictHostKeyChecking: "no"}
      nodes: ${node1}
    `,
    at: '3:32',
    message: 'spec.ssh.strictHostKeyChecking must be one of "yes", "accept-new" (got "no")',
  },
  {
    name: 'ssh port out of range',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          ssh: {port: 0}
    `,
    at: '6:17',
    message: 'nodes[0].ssh.port must be between 1 and 65535 (got 0)',
  },
  {
    name: 'mtu out of range',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {mtu: 70000}
      nodes: ${node1}
    `,
    at: '3:17',
    message: 'spec.bridge.mtu must be between 68 and 65535 (got 70000)',
  },
  // ---- CIDRs: syntax and canonical form
  {
    name: 'CIDR without prefix length',
    yaml: y`
      spec: {podCIDR: 10.244.0.0}
      nodes: ${node1}
    `,
    at: '1:17',
    message: 'spec.podCIDR "10.244.0.0" is not a CIDR',
  },
  {
    name: 'CIDR prefix too long',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/33}
      nodes: ${node1}
    `,
    at: '1:17',
    message: 'spec.podCIDR: 10.244.0.0/33 is not a valid CIDR: the prefix length must be 0-32 for IPv4',
  },
  {
    name: 'malformed IPv4 network',
    yaml: y`
      spec: {podCIDR: 10.244.0/16}
      nodes: ${node1}
    `,
    at: '1:17',
    message: 'spec.podCIDR: 10.244.0/16 is not a valid CIDR: 10.244.0 is not a valid IPv4 address',
  },
  {
    name: 'node podCIDR with host bits set',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          podCIDR: 10.244.1.5/24
    `,
    at: '6:14',
    message: 'nodes[0].podCIDR: 10.244.1.5/24 has host bits set; did you mean 10.244.1.0/24?',
  },
  {
    name: 'IPv6 CIDR with host bits set',
    yaml: y`
      spec: {podCIDR: "fd00:10:244::1/56"}
      nodes:
        - {name: node1, address: "fd00:172::11", role: worker}
    `,
    at: '1:17',
    message: 'fd00:10:244::1/56 has host bits set; did you mean fd00:10:244::/56?',
  },
  // ---- CIDRs: containment and overlaps
  {
    name: 'node podCIDR outside spec.podCIDR',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          podCIDR: 10.245.1.0/24
    `,
    at: '6:14',
    message: 'nodes[0].podCIDR 10.245.1.0/24 is not inside spec.podCIDR 10.244.0.0/16',
  },
  {
    name: 'overlapping node podCIDRs',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, podCIDR: 10.244.0.0/23}
        - {name: node2, address: 172.31.250.12, role: worker, podCIDR: 10.244.1.0/24}
    `,
    at: '4:66',
    message: 'nodes[1].podCIDR 10.244.1.0/24 overlaps 10.244.0.0/23, the podCIDR of node1 (line 3)',
  },
  {
    name: 'pod CIDR overlaps service CIDR',
    yaml: y`
      spec:
        podCIDR: 10.0.0.0/8
        serviceCIDR: 10.96.0.0/12
      nodes: ${node1}
    `,
    at: '3:16',
    message: 'spec.serviceCIDR 10.96.0.0/12 overlaps spec.podCIDR 10.0.0.0/8',
  },
  {
    name: 'node podCIDR overlaps service CIDR',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16, serviceCIDR: 10.96.0.0/12}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, podCIDR: 10.96.0.0/24}
    `,
    at: '3:66',
    message: 'nodes[0].podCIDR 10.96.0.0/24 overlaps spec.serviceCIDR 10.96.0.0/12',
    count: 2, // it is also outside spec.podCIDR
  },
  {
    name: 'pod CIDR overlaps the default service CIDR',
    yaml: y`
      spec:
        podCIDR: 10.64.0.0/10
      nodes: ${node1}
    `,
    at: '2:3',
    message: 'spec.serviceCIDR 10.96.0.0/12 (the default) overlaps spec.podCIDR 10.64.0.0/10',
  },
  {
    name: 'node address inside the pod CIDR',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 10.244.200.1, role: worker}
    `,
    at: '3:28',
    message: 'nodes[0].address 10.244.200.1 is inside spec.podCIDR 10.244.0.0/16',
  },
  {
    name: 'node address inside the service CIDR',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 10.96.0.1, role: worker}
    `,
    at: '3:28',
    message: 'nodes[0].address 10.96.0.1 is inside spec.serviceCIDR 10.96.0.0/12',
  },
  // ---- uniqueness
  {
    name: 'duplicate node names',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker}
        - {name: node1, address: 172.31.250.12, role: worker}
    `,
    at: '4:12',
    message: 'duplicate node name "node1" (first used on line 3)',
  },
  {
    name: 'duplicate node addresses (written differently)',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: "fd00:172::11", role: worker}
        - {name: node2, address: "fd00:172:0:0::11", role: worker}
    `,
    at: '4:28',
    message: 'nodes[1].address fd00:172::11 is already the address of node1 (line 3)',
    count: 3, // IPv4 pod CIDR, IPv6-only nodes: host-gw has no next hop for either
  },
  // ---- dual-stack and address families
  {
    name: 'dual-stack list with two IPv4 CIDRs',
    yaml: y`
      spec:
        podCIDR: [10.244.0.0/16, 10.245.0.0/16]
      nodes: ${node1}
    `,
    at: '2:28',
    message: 'spec.podCIDR lists two IPv4 CIDRs (10.244.0.0/16 and 10.245.0.0/16); a dual-stack list has one IPv4 and one IPv6 CIDR',
  },
  {
    name: 'dual-stack list with three entries',
    yaml: y`
      spec:
        podCIDR: [10.244.0.0/16, "fd00::/56", 10.245.0.0/16]
      nodes: ${node1}
    `,
    at: '2:12',
    message: 'spec.podCIDR must have at most 2 entries (one IPv4 and one IPv6 for dual-stack)',
  },
  {
    name: 'IPv6 node podCIDR in an IPv4 cluster',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          podCIDR: "fd00:10:244:1::/64"
    `,
    at: '6:14',
    message: 'nodes[0].podCIDR fd00:10:244:1::/64 is IPv6, but spec.podCIDR has no IPv6 CIDR',
  },
  {
    name: 'host-gw with a node that has no address of the pod family',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: "fd00:172::11", role: worker}
    `,
    at: '3:28',
    message: 'node1 has no IPv4 address, but routing host-gw routes its IPv4 pod CIDR via the node address',
  },
  {
    name: 'node podCIDR too small for a gateway and a pod',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, podCIDR: 10.244.1.0/31}
    `,
    at: '3:66',
    message: 'nodes[0].podCIDR 10.244.1.0/31 is too small',
  },
  {
    name: 'IPv6 needs an MTU of at least 1280',
    yaml: y`
      spec:
        podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]
        bridge: {mtu: 1200}
      nodes:
        - {name: node1, address: [172.31.250.11, "fd00:172::11"], role: worker}
    `,
    at: '3:17',
    message: 'spec.bridge.mtu 1200 is below 1280, the minimum MTU for IPv6',
  },
  // ---- node addresses
  {
    name: 'invalid IPv4 address',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.300, role: worker}
    `,
    at: '3:28',
    message: 'nodes[0].address: 172.31.250.300 is not a valid IPv4 address',
  },
  {
    name: 'leading zeros in an address',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.011, role: worker}
    `,
    at: '3:28',
    message: 'nodes[0].address: 172.31.250.011 is not a valid IPv4 address',
  },
  {
    name: 'loopback node address',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 127.0.0.1, role: worker}
    `,
    at: '3:28',
    message: 'nodes[0].address 127.0.0.1 is a loopback address',
  },
  {
    name: 'address with a prefix length',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11/24, role: worker}
    `,
    at: '3:28',
    message: 'nodes[0].address "172.31.250.11/24" is not an IP address',
  },
  // ---- names, paths, ports, kubelet flags
  {
    name: 'bridge name of 16 characters',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {name: abcdefghijklmnop}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.bridge.name "abcdefghijklmnop" is not a bridge name the kernel accepts',
  },
  {
    name: 'bridge name ".."',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {name: ".."}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.bridge.name ".." is not a bridge name the kernel accepts',
  },
  {
    name: 'bridge name that looks like an option',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {name: -help}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.bridge.name "-help" is not a bridge name the kernel accepts',
  },
  {
    name: 'bridge name "all" (/proc/sys/net/*/conf/all)',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {name: all}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.bridge.name "all" is not a name netprov may give its bridge: "all" and "default" are the kernel\'s /proc/sys/net/*/conf/{all,default} settings, not interfaces, and "lo" is the loopback interface every node already has',
  },
  {
    name: 'bridge name "default"',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge:
          name: "default"
      nodes: ${node1}
    `,
    at: '4:11',
    message: 'spec.bridge.name "default" is not a name netprov may give its bridge',
  },
  {
    name: 'bridge name "lo"',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {name: lo, mtu: 1500}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.bridge.name "lo" is not a name netprov may give its bridge',
  },
  {
    name: 'upper-case node name',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: Node1, address: 172.31.250.11, role: worker}
    `,
    at: '3:12',
    message: 'nodes[0].name "Node1" is not a valid name',
  },
  {
    name: 'relative node-side path',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {binDir: opt/cni/bin}
      nodes: ${node1}
    `,
    at: '3:17',
    message: 'spec.cni.binDir "opt/cni/bin" is not allowed: use an absolute path',
  },
  {
    name: 'node-side path with ..',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/default/../../root/.bashrc}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'without ".." segments',
  },
  // ---- node-side paths: canonical, not in the kernel's trees or netprov's state, and all distinct
  {
    name: 'flagsFile is netprov\'s own sysctl file',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/sysctl.d/99-netprov.conf}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/etc/sysctl.d/99-netprov.conf" is also netprov\'s own sysctl file "/etc/sysctl.d/99-netprov.conf": each file netprov writes on a node needs a path of its own',
  },
  {
    name: 'containerd config is netprov\'s own modules-load file',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        containerRuntime:
          configFile: /etc/modules-load.d/netprov.conf
      nodes: ${node1}
    `,
    at: '4:17',
    message: 'spec.containerRuntime.configFile "/etc/modules-load.d/netprov.conf" is also netprov\'s own modules-load file "/etc/modules-load.d/netprov.conf"',
  },
  {
    name: 'flagsFile is the (default) conflist',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/cni/net.d/10-netprov.conflist}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/etc/cni/net.d/10-netprov.conflist" is also spec.cni.confDir/confFile "/etc/cni/net.d/10-netprov.conflist" (the default): each file netprov writes on a node needs a path of its own',
  },
  {
    name: 'flagsFile is containerd\'s (default) config',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/containerd/config.toml}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/etc/containerd/config.toml" is also spec.containerRuntime.configFile "/etc/containerd/config.toml" (the default)',
  },
  {
    name: 'flagsFile and containerd config both written: reported at the later one',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        containerRuntime: {configFile: /etc/k8s/node.conf}
        kubelet: {flagsFile: /etc/k8s/node.conf}
      nodes: ${node1}
    `,
    at: '4:24',
    message: 'spec.kubelet.flagsFile "/etc/k8s/node.conf" is also spec.containerRuntime.configFile "/etc/k8s/node.conf" (line 3): each file netprov writes on a node needs a path of its own',
  },
  {
    name: 'confDir + confFile written after flagsFile land on it: reported at confFile',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/default/kubelet.conflist}
        cni: {confDir: /etc/default, confFile: kubelet.conflist}
      nodes: ${node1}
    `,
    at: '4:42',
    message: 'spec.cni.confDir/confFile "/etc/default/kubelet.conflist" is also spec.kubelet.flagsFile "/etc/default/kubelet.conflist" (line 3)',
  },
  {
    name: 'binDir and confDir are the same directory',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni:
          binDir: /etc/cni
          confDir: /etc/cni
      nodes: ${node1}
    `,
    at: '5:14',
    message: 'spec.cni.confDir "/etc/cni" is also spec.cni.binDir "/etc/cni" (line 4): they must be different directories',
  },
  {
    name: 'binDir and confDir the same but for a trailing /',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {confDir: /opt/cni/bin/}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.cni.confDir "/opt/cni/bin" is also spec.cni.binDir "/opt/cni/bin" (the default): they must be different directories',
  },
  {
    name: 'flagsFile is binDir',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {binDir: /usr/local/cni}
        kubelet: {flagsFile: /usr/local/cni}
      nodes: ${node1}
    `,
    at: '4:24',
    message: 'spec.kubelet.flagsFile "/usr/local/cni" is also spec.cni.binDir "/usr/local/cni" (line 3): one path cannot be both a file and a directory',
  },
  {
    name: 'confDir is netprov\'s sysctl file',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {confDir: /etc/sysctl.d/99-netprov.conf}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.cni.confDir "/etc/sysctl.d/99-netprov.conf" is also netprov\'s own sysctl file "/etc/sysctl.d/99-netprov.conf": one path cannot be both a file and a directory',
  },
  {
    name: 'flagsFile is a CNI plugin binary',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /opt/cni/bin/bridge}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/opt/cni/bin/bridge" is also the CNI plugin spec.cni.binDir/bridge "/opt/cni/bin/bridge" (the default)',
  },
  {
    name: 'a listed plugin lands on the (default) flagsFile',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {binDir: /etc/default, plugins: [bridge, kubelet]}
      nodes: ${node1}
    `,
    at: '3:49',
    message: 'the CNI plugin spec.cni.binDir/kubelet "/etc/default/kubelet" is also spec.kubelet.flagsFile "/etc/default/kubelet" (the default)',
  },
  {
    name: 'a file above a directory netprov writes',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/cni}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/etc/cni" is a file netprov writes, but spec.cni.confDir "/etc/cni/net.d" (the default) lies under it: a file cannot also be a directory',
  },
  {
    name: 'a file above netprov\'s state directory',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        containerRuntime: {configFile: /var/lib}
      nodes: ${node1}
    `,
    at: '3:34',
    message: 'spec.containerRuntime.configFile "/var/lib" is a file netprov writes, but netprov\'s own state directory "/var/lib/netprov" lies under it',
  },
  {
    name: 'a directory under a file netprov writes',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {binDir: /etc/default/kubelet/bin}
      nodes: ${node1}
    `,
    at: '3:17',
    message: 'spec.cni.binDir "/etc/default/kubelet/bin" lies under spec.kubelet.flagsFile "/etc/default/kubelet" (the default), a file netprov writes: a file cannot also be a directory',
  },
  {
    name: 'binDir is /',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {binDir: /}
      nodes: ${node1}
    `,
    at: '3:17',
    message: 'spec.cni.binDir "/" is the root directory: give a directory of its own',
  },
  {
    name: 'flagsFile is /',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/" is the root directory, not a file',
  },
  {
    name: 'flagsFile under /proc',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /proc/sys/net/ipv4/ip_forward}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/proc/sys/net/ipv4/ip_forward" is under /proc (the kernel\'s process and sysctl files): netprov writes nothing there',
  },
  {
    name: 'binDir is /sys',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {binDir: /sys}
      nodes: ${node1}
    `,
    at: '3:17',
    message: 'spec.cni.binDir "/sys" is /sys (the kernel\'s sysfs): netprov writes nothing there',
  },
  {
    name: 'containerd config is /dev/null',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        containerRuntime: {configFile: /dev/null}
      nodes: ${node1}
    `,
    at: '3:34',
    message: 'spec.containerRuntime.configFile "/dev/null" is under /dev (device files): netprov writes nothing there',
  },
  {
    name: 'node path with //',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc//default/kubelet}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/etc//default/kubelet" contains "//": write it in canonical form, /etc/default/kubelet',
  },
  {
    name: 'node path with a . segment (would dodge the collision checks)',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/./sysctl.d/99-netprov.conf}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/etc/./sysctl.d/99-netprov.conf" has a "." segment: write it in canonical form, /etc/sysctl.d/99-netprov.conf',
  },
  {
    name: 'file path with a trailing /',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /etc/default/kubelet/}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/etc/default/kubelet/" ends in "/", but it names a file: write it without the "/"',
  },
  {
    name: 'file inside netprov\'s state directory',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {flagsFile: /var/lib/netprov/kubelet}
      nodes: ${node1}
    `,
    at: '3:24',
    message: 'spec.kubelet.flagsFile "/var/lib/netprov/kubelet" is inside /var/lib/netprov, netprov\'s own state directory: give it a path outside',
  },
  {
    name: 'confDir is netprov\'s run directory',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {confDir: /run/netprov}
      nodes: ${node1}
    `,
    at: '3:18',
    message: 'spec.cni.confDir "/run/netprov" is /run/netprov, netprov\'s own lock and run directory: give it a path outside',
  },
  {
    name: 'confFile must be a .conflist',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {confFile: 10-netprov.conf}
      nodes: ${node1}
    `,
    at: '3:19',
    message: 'spec.cni.confFile "10-netprov.conf" is not allowed: use a plain file name',
  },
  {
    name: 'CNI network name must start with a letter or digit',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {networkName: -net}
      nodes: ${node1}
    `,
    at: '3:22',
    message: 'spec.cni.networkName "-net" is not a valid CNI network name',
  },
  {
    name: 'duplicate CNI plugin',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni: {plugins: [bridge, host-local, bridge]}
      nodes: ${node1}
    `,
    at: '3:39',
    message: 'spec.cni.plugins lists "bridge" more than once',
  },
  {
    name: 'port out of range',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        firewall: {extraPorts: [{port: 70000}]}
      nodes: ${node1}
    `,
    at: '3:34',
    message: 'spec.firewall.extraPorts[0].port must be between 1 and 65535 (got 70000)',
  },
  {
    name: 'port range running backwards',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        firewall: {extraPorts: [{port: "200-100"}]}
      nodes: ${node1}
    `,
    at: '3:34',
    message: 'spec.firewall.extraPorts[0].port: the range "200-100" runs backwards; write "100-200"',
  },
  {
    name: 'port range beyond 65535',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        firewall: {extraPorts: [{port: "65000-65536"}]}
      nodes: ${node1}
    `,
    at: '3:34',
    message: 'port 65536 in "65000-65536" is out of range (1-65535)',
  },
  {
    name: 'extraPorts entry without roles',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        firewall: {extraPorts: [{port: 9100, roles: []}]}
      nodes: ${node1}
    `,
    at: '3:47',
    message: 'spec.firewall.extraPorts[0].roles must have at least 1 entry',
  },
  {
    name: 'kubelet flag netprov owns',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet:
          extraArgs:
            node-ip: 1.2.3.4
      nodes: ${node1}
    `,
    at: '5:7',
    message: 'spec.kubelet.extraArgs key "node-ip" is not allowed: netprov sets it',
  },
  {
    name: 'kubelet flag written with its dashes',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet:
          extraArgs:
            --max-pods: "110"
      nodes: ${node1}
    `,
    at: '5:7',
    message: 'spec.kubelet.extraArgs key "--max-pods" is not a valid kubelet flag name',
  },
  {
    name: 'identityFile with a space',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh: {identityFile: "keys/my key"}
      nodes: ${node1}
    `,
    at: '3:23',
    message: 'spec.ssh.identityFile "keys/my key" is not allowed',
  },
  // ---- SSH: host-key checks stay on, and each node is its own machine
  {
    name: 'knownHostsFile /dev/null with accept-new (accepts any host key every time)',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh: {knownHostsFile: /dev/null, strictHostKeyChecking: accept-new}
      nodes: ${node1}
    `,
    at: '3:25',
    message: 'spec.ssh.knownHostsFile "/dev/null" is under /dev: no host key can be kept or checked there, so strictHostKeyChecking accept-new would accept any host key on every connection (and "yes" could never verify one); netprov never turns host-key checks off, so give a real known_hosts file',
  },
  {
    name: 'knownHostsFile /dev/null with "yes" (nothing can ever be verified)',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh:
          knownHostsFile: /dev/null
      nodes: ${node1}
    `,
    at: '4:21',
    message: 'spec.ssh.knownHostsFile "/dev/null" is under /dev',
  },
  {
    name: 'a node\'s knownHostsFile under /dev',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - name: node1
          address: 172.31.250.11
          role: worker
          ssh: {knownHostsFile: /dev/fd/3, strictHostKeyChecking: accept-new}
    `,
    at: '6:27',
    message: 'nodes[0].ssh.knownHostsFile "/dev/fd/3" is under /dev',
  },
  {
    name: 'relative knownHostsFile that resolves to /dev/null',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh: {knownHostsFile: ../../../../../dev/null}
      nodes: ${node1}
    `,
    at: '3:25',
    message: 'spec.ssh.knownHostsFile "../../../../../dev/null" is under /dev',
  },
  {
    name: 'two nodes, one SSH target (ssh.host is the other node\'s address)',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker}
        - name: node2
          address: 172.31.250.12
          role: worker
          ssh: {host: 172.31.250.11}
    `,
    at: '7:17',
    message: 'node2 and node1 (line 3) both reach 172.31.250.11 port 22 over SSH: netprov would configure one machine as two nodes; give each node its own ssh host or port',
  },
  {
    name: 'one SSH target: host names differ only in case and a trailing dot',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16, ssh: {port: 2200}}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, ssh: {host: n1.lab.example}}
        - {name: node2, address: 172.31.250.12, role: worker, ssh: {host: N1.Lab.Example.}}
    `,
    at: '4:69',
    message: 'node2 and node1 (line 3) both reach n1.lab.example port 2200 over SSH',
  },
  {
    name: 'one SSH target: the same port given explicitly',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, ssh: {host: bastion, port: 2201}}
        - {name: node2, address: 172.31.250.12, role: worker, ssh: {port: 2201, host: bastion}}
    `,
    at: '4:81',
    message: 'node2 and node1 (line 3) both reach bastion port 2201 over SSH',
  },
  {
    name: 'one SSH target: IPv6 written two ways',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16, routing: none}
      nodes:
        - {name: node1, address: "fd00::11", role: worker}
        - {name: node2, address: "fd00::12", role: worker, ssh: {host: "fd00:0:0::11"}}
    `,
    at: '4:66',
    message: 'node2 and node1 (line 3) both reach fd00::11 port 22 over SSH',
  },
  {
    name: 'one SSH target: an IPv4-mapped IPv6 host',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker}
        - {name: node2, address: 172.31.250.12, role: worker, ssh: {host: "::ffff:172.31.250.11"}}
    `,
    at: '4:69',
    message: 'node2 and node1 (line 3) both reach 172.31.250.11 port 22 over SSH',
  },
  {
    name: 'three nodes on one SSH target: both repeats named',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, ssh: {host: gw}}
        - {name: node2, address: 172.31.250.12, role: worker, ssh: {host: gw}}
        - {name: node3, address: 172.31.250.13, role: worker, ssh: {host: gw}}
    `,
    at: '5:69',
    message: 'node3 and node1 (line 3) both reach gw port 22 over SSH',
    count: 2,
  },
  {
    name: 'ssh host that the C library would read as another address',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, ssh: {host: 172.31.250.011}}
    `,
    at: '3:69',
    message: 'nodes[0].ssh.host "172.31.250.011" is not a valid IPv4 address: write four decimal numbers 0-255 without leading zeros',
  },
  // ---- node CIDR mask sizes and allocation
  {
    name: 'nodeCIDRMaskSize shorter than the pod prefix',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        nodeCIDRMaskSize: 8
      nodes: ${node1}
    `,
    at: '3:21',
    message: 'spec.nodeCIDRMaskSize 8 is shorter than the prefix of spec.podCIDR 10.244.0.0/16',
  },
  {
    name: 'pod CIDR too small for the default node mask',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/25
      nodes: ${node1}
    `,
    at: '2:12',
    message: 'spec.podCIDR 10.244.0.0/25 is too small for /24 node CIDRs (spec.nodeCIDRMaskSize, default 24)',
  },
  {
    name: 'allocation: two nodes whose addresses map to the same slot',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker}
        - {name: node2, address: 172.31.251.11, role: worker}
    `,
    at: '4:12',
    message: 'node2 and node1 (line 3) would get the same pod CIDR 10.244.11.0/24: their addresses 172.31.251.11 and 172.31.250.11 are equal modulo 256',
  },
  {
    name: 'allocation: slot taken by an explicit podCIDR',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, podCIDR: 10.244.12.0/24}
        - {name: node2, address: 172.31.250.12, role: worker}
    `,
    at: '4:12',
    message: 'cannot allocate a IPv4 pod CIDR for node2: its slot 10.244.12.0/24 (from its address 172.31.250.12) overlaps 10.244.12.0/24, the podCIDR of node1 (line 3)',
  },
  {
    name: 'allocation: pod CIDR exhausted',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/23}
      nodes:
        - {name: node1, address: 172.31.250.1, role: worker}
        - {name: node2, address: 172.31.250.2, role: worker}
        - {name: node3, address: 172.31.250.3, role: worker}
    `,
    at: '1:17',
    message: 'spec.podCIDR 10.244.0.0/23 is exhausted: it has 2 slots of /24 (0 taken by explicit podCIDRs) but 3 nodes need one',
  },
  // ---- the file itself
  {name: 'empty file', yaml: '', at: '1:1', message: 'the file is empty'},
  {name: 'only comments', yaml: '# nothing here\n', at: '1:1', message: 'the file is empty'},
  {
    name: 'a file that is a list',
    yaml: y`
      # a list of nodes instead of a cluster
      - name: node1
        address: 172.31.250.11
    `,
    at: '2:1',
    message: 'the top level must be a mapping with apiVersion, kind, metadata, spec and nodes, not a list',
  },
  {name: 'a file that is one word', yaml: 'hello\n', at: '1:1', message: 'the top level must be a mapping with apiVersion, kind, metadata, spec and nodes, not a single value'},
  {
    name: 'YAML syntax error',
    yaml: y`
      spec:
        podCIDR: [10.244.0.0/16
      nodes: []
    `,
    at: '3:1',
    message: 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  {
    name: 'YAML bad indentation',
    yaml: 'spec:\n  podCIDR: 10.244.0.0/16\n   routing: none\n',
    at: '2:12',
    message: 'YAML syntax error: Nested mappings are not allowed in compact mappings',
    count: 2,
  },
  {
    name: 'duplicate key',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        podCIDR: 10.245.0.0/16
      nodes: ${node1}
    `,
    at: '3:3',
    message: 'duplicate key "podCIDR": each key may appear only once in a mapping',
  },
  {
    name: 'two YAML documents',
    yaml: 'spec: {podCIDR: 10.244.0.0/16}\n---\nspec: {podCIDR: 10.245.0.0/16}\n',
    at: '2:1',
    message: 'the file holds more than one YAML document',
  },
  {
    name: 'YAML alias without its anchor',
    yaml: y`
      spec: {podCIDR: *pods}
      nodes: ${node1}
    `,
    at: '1:17',
    message: 'YAML alias *pods refers to no anchor &pods before it',
  },
  // ---- YAML 1.1, merge keys and tags: nothing may change what a value is behind the schema's back
  {
    name: '%YAML 1.1 (merge keys, sexagesimal 25:00 = 1500)',
    yaml: y`
      %YAML 1.1
      ---
      spec:
        podCIDR: 10.244.0.0/16
        base: &b {mtu: 25:00}
        bridge:
          <<: *b
      nodes: ${node1}
    `,
    at: '1:1',
    message: 'YAML 1.1 is not supported: netprov reads YAML 1.2 (in YAML 1.1, << merge keys, yes/no booleans and 25:00 sexagesimal numbers change what the file says); remove the %YAML directive',
  },
  {
    name: '%YAML 1.3',
    yaml: '%YAML 1.3\n---\nspec: {podCIDR: 10.244.0.0/16}\nnodes: [{name: a, address: 172.31.250.11, role: worker}]\n',
    at: '1:1',
    message: 'YAML 1.3 is not supported: netprov reads YAML 1.2',
  },
  {
    name: '%TAG directive',
    yaml: '%TAG !n! tag:netprov.io,2024:\n---\nspec: {podCIDR: 10.244.0.0/16}\nnodes: [{name: a, address: 172.31.250.11, role: worker}]\n',
    at: '1:1',
    message: 'YAML tags are not supported: remove the %TAG directive',
  },
  {
    name: 'unknown directive',
    yaml: '%FOO bar\n---\nspec: {podCIDR: 10.244.0.0/16}\nnodes: [{name: a, address: 172.31.250.11, role: worker}]\n',
    at: '1:1',
    message: 'unknown YAML directive %FOO: netprov reads plain YAML 1.2; remove it',
  },
  {
    name: 'merge key in a mapping is an unknown key (YAML 1.2 has none)',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge:
          <<: {mtu: 9000}
          name: br0
      nodes: ${node1}
    `,
    at: '4:5',
    message: 'unknown key "<<" in spec.bridge: YAML merge keys are not supported (netprov reads YAML 1.2); write the keys out',
  },
  {
    name: 'merge key from an anchor in a node',
    yaml: y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - &n1 {name: node1, address: 172.31.250.11, role: worker}
        - <<: *n1
          name: node2
          address: 172.31.250.12
    `,
    at: '4:5',
    message: 'unknown key "<<" in nodes[1]: YAML merge keys are not supported',
    count: 2, // nothing was merged, so nodes[1] has no role
  },
  {
    name: 'merge key at the top level',
    yaml: y`
      <<: {apiVersion: netprov.io/v1alpha1}
      spec: {podCIDR: 10.244.0.0/16}
      nodes: ${node1}
    `,
    at: '1:1',
    message: 'unknown key "<<" at the top level: YAML merge keys are not supported',
  },
  {
    name: 'merge key in kubelet extraArgs (where any flag name is a key)',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        common: &args {max-pods: "110"}
        kubelet:
          extraArgs:
            <<: *args
      nodes: ${node1}
    `,
    at: '6:7',
    message: 'unknown key "<<" in spec.kubelet.extraArgs: YAML merge keys are not supported',
    count: 2, // and the unknown key "common"
  },
  {
    name: 'sexagesimal number is just a string in YAML 1.2',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        bridge: {mtu: 25:00}
      nodes: ${node1}
    `,
    at: '3:17',
    message: 'spec.bridge.mtu must be an integer (got "25:00")',
  },
  {
    name: 'custom YAML tag',
    yaml: y`
      spec: {podCIDR: !cidr 10.244.0.0/16}
      nodes: ${node1}
    `,
    at: '1:17',
    message: 'YAML tags are not supported: !cidr (netprov reads plain YAML values; remove the tag)',
  },
  {
    name: '!!binary tag (was "got a mapping")',
    yaml: y`
      spec:
        podCIDR: !!binary MTAuMjQ0LjAuMC8xNg==
      nodes: ${node1}
    `,
    at: '2:12',
    message: 'YAML tags are not supported: !!binary',
  },
  {
    name: '!!omap tag (extraArgs silently became {})',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet:
          extraArgs: !!omap [max-pods: "110"]
      nodes: ${node1}
    `,
    at: '4:16',
    message: 'YAML tags are not supported: !!omap',
  },
  {
    name: '!!set tag',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        cni:
          plugins: !!set {bridge, loopback}
      nodes: ${node1}
    `,
    at: '4:14',
    message: 'YAML tags are not supported: !!set',
  },
  {
    name: '!!str tag: quote the value instead',
    yaml: y`
      spec:
        podCIDR: 10.244.0.0/16
        kubelet: {extraArgs: {max-pods: !!str 110}}
      nodes: ${node1}
    `,
    at: '3:35',
    message: 'YAML tags are not supported: !!str (netprov reads plain YAML values; remove the tag, and quote the value to make it a string)',
  },
  {
    name: 'tag on a key',
    yaml: y`
      spec:
        !!str podCIDR: 10.244.0.0/16
      nodes: ${node1}
    `,
    at: '2:3',
    message: 'YAML tags are not supported: !!str',
  },
  {
    name: 'tag on the document',
    yaml: '--- !!map\nspec: {podCIDR: 10.244.0.0/16}\nnodes: [{name: a, address: 172.31.250.11, role: worker}]\n',
    at: '1:5',
    message: 'YAML tags are not supported: !!map',
  },
  {
    name: 'two tags: both reported',
    yaml: y`
      spec:
        podCIDR: !foo 10.244.0.0/16
        routing: !bar none
      nodes: ${node1}
    `,
    at: '3:12',
    message: 'YAML tags are not supported: !bar',
    count: 2,
  },
]

describe('bad cluster files: message and position', () => {
  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30))

  it.each(cases)('$name', (c) => {
    const diags = diagnose(c.yaml)
    const found = diags.find((d) => d.message.includes(c.message))
    expect(found, `no diagnostic with "${c.message}" in:\n${diags.map((d) => `${at(d)}: ${d.message}`).join('\n')}`).toBeDefined()
    expect(at(found!)).toBe(c.at)
    expect(found!.file).toBe('/tmp/netprov-test/netprov.yaml')
    expect(diags.map((d) => `${at(d)}: ${d.message}`)).toHaveLength(c.count ?? 1)
  })
})

// knownHostsFile is a local path: what it really is on this machine counts, not only its spelling.
describe('knownHostsFile that is really a device, pipe or socket', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netprov-kh-'))
    symlinkSync('/dev/null', join(dir, 'null-link'))
    symlinkSync(join(dir, 'null-link'), join(dir, 'link-to-link'))
    if (spawnSync('mkfifo', [join(dir, 'fifo')]).status !== 0) throw new Error('mkfifo failed')
    writeFileSync(join(dir, 'known_hosts'), '')
    mkdirSync(join(dir, 'ssh'))
  })
  const file = (): string => join(dir, 'netprov.yaml')
  const rows: Array<{name: string; value: string; message: () => string}> = [
    {name: 'a symlink to /dev/null', value: 'null-link', message: () => 'spec.ssh.knownHostsFile "null-link" leads to /dev/null, under /dev: no host key can be kept or checked there'},
    {name: 'a symlink to that symlink', value: 'link-to-link', message: () => 'spec.ssh.knownHostsFile "link-to-link" leads to /dev/null, under /dev'},
    {name: 'a FIFO', value: 'fifo', message: () => 'spec.ssh.knownHostsFile "fifo" is a named pipe (FIFO): no host key can be kept or checked there'},
  ]
  it.each(rows)('$name', (r) => {
    const text = y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh: {knownHostsFile: ${r.value}, strictHostKeyChecking: accept-new}
      nodes: ${node1}
    `
    const diags = diagnose(text, file())
    expect(diags.map((d) => `${at(d)}: ${d.message}`)).toEqual([expect.stringContaining(`3:25: ${r.message()}`)])
  })

  it.each(['known_hosts', 'ssh', 'not-there-yet'])('a regular file, a directory or a missing file (%s) is left to ssh', (value) => {
    const text = y`
      spec:
        podCIDR: 10.244.0.0/16
        ssh: {knownHostsFile: ${value}, strictHostKeyChecking: accept-new}
      nodes: ${node1}
    `
    expect(diagnose(text, file())).toEqual([])
  })
})

describe('all problems at once', () => {
  it('reports every problem in one go, in file order, with pointers into the data', () => {
    const diags = diagnose(y`
      spec:
        podCIDR: 10.244.0.0/16
        routing: hostgw
        bridge: {name: abcdefghijklmnop, mtu: big}
      nodes:
        - {name: node1, address: 172.31.250.11, role: worker, podCIDR: 10.244.1.5/24}
        - {name: node1, address: 172.31.250.11, role: boss}
    `)
    expect(diags.map((d) => [at(d), d.path])).toEqual([
      ['3:12', '/spec/routing'],
      ['4:18', '/spec/bridge/name'],
      ['4:41', '/spec/bridge/mtu'],
      ['6:66', '/nodes/0/podCIDR'],
      ['7:12', '/nodes/1/name'],
      ['7:28', '/nodes/1/address'],
      ['7:49', '/nodes/1/role'],
    ])
  })

  it('the minimal file is valid', () => expect(diagnose(MINIMAL)).toEqual([]))
})
