import {describe, expect, it} from 'vitest'
import {at, diagnose, positionOf} from './util.js'

// Every string of the cluster file that can end up in a command (on a node, or in the ssh command
// line that reaches it) must refuse shell syntax. Each field below gets each payload appended to a
// valid value (and, for free-form fields, the payload alone); the file must be refused with a
// diagnostic at exactly that value. Enums are included: they are strings too.

// field -> [its placeholder's valid value, the message that must appear]
const FIELDS: Record<string, [string, string]> = {
  'metadata.name': ['lab', 'metadata.name'],
  'spec.podCIDR': ['10.244.0.0/16', 'spec.podCIDR'],
  'spec.serviceCIDR': ['10.96.0.0/12', 'spec.serviceCIDR'],
  'spec.routing': ['host-gw', 'spec.routing must be one of'],
  'spec.bridge.name': ['v-net-0', 'spec.bridge.name'],
  'spec.cni.binDir': ['/opt/cni/bin', 'spec.cni.binDir'],
  'spec.cni.confDir': ['/etc/cni/net.d', 'spec.cni.confDir'],
  'spec.cni.confFile': ['10-netprov.conflist', 'spec.cni.confFile'],
  'spec.cni.networkName': ['netprov', 'spec.cni.networkName'],
  'spec.cni.pluginSource': ['/usr/lib/cni', 'spec.cni.pluginSource'],
  'spec.cni.plugins[0]': ['bridge', 'spec.cni.plugins[0]'],
  'spec.kubelet.flagsFile': ['/etc/default/kubelet', 'spec.kubelet.flagsFile'],
  'spec.kubelet.extraArgs key': ['max-pods', 'spec.kubelet.extraArgs key'],
  'spec.kubelet.extraArgs value': ['110', 'spec.kubelet.extraArgs["cluster-domain"]'],
  'spec.containerRuntime.type': ['containerd', 'spec.containerRuntime.type must be one of'],
  'spec.containerRuntime.configFile': ['/etc/containerd/config.toml', 'spec.containerRuntime.configFile'],
  'spec.firewall.backend': ['nftables', 'spec.firewall.backend must be one of'],
  'spec.firewall.extraPorts[0].port': ['9100-9101', 'spec.firewall.extraPorts[0].port'],
  'spec.firewall.extraPorts[0].protocol': ['tcp', 'spec.firewall.extraPorts[0].protocol must be one of'],
  'spec.firewall.extraPorts[0].roles[0]': ['worker', 'spec.firewall.extraPorts[0].roles[0] must be one of'],
  'spec.ssh.user': ['root', 'spec.ssh.user'],
  'spec.ssh.identityFile': ['~/.ssh/id_ed25519', 'spec.ssh.identityFile'],
  'spec.ssh.knownHostsFile': ['~/.ssh/known_hosts', 'spec.ssh.knownHostsFile'],
  'spec.ssh.strictHostKeyChecking': ['accept-new', 'spec.ssh.strictHostKeyChecking must be one of'],
  'spec.ssh.become': ['none', 'spec.ssh.become must be one of'],
  'nodes[0].name': ['node1', 'nodes[0].name'],
  'nodes[0].address': ['172.31.250.11', 'nodes[0].address'],
  'nodes[0].role': ['worker', 'nodes[0].role must be one of'],
  'nodes[0].podCIDR': ['10.244.1.0/24', 'nodes[0].podCIDR'],
  'nodes[0].ssh.host': ['n1.example.com', 'nodes[0].ssh.host'],
  'nodes[0].ssh.user': ['admin', 'nodes[0].ssh.user'],
  'nodes[0].ssh.identityFile': ['keys/n1', 'nodes[0].ssh.identityFile'],
  'nodes[0].ssh.knownHostsFile': ['keys/known_hosts', 'nodes[0].ssh.knownHostsFile'],
  'nodes[0].ssh.become': ['sudo', 'nodes[0].ssh.become must be one of'],
}

// Every field appears once, as «field»; the extraArgs key is a key, all the others are values.
const TEMPLATE = `apiVersion: netprov.io/v1alpha1
kind: Cluster
metadata:
  name: «metadata.name»
spec:
  podCIDR: «spec.podCIDR»
  serviceCIDR: «spec.serviceCIDR»
  routing: «spec.routing»
  bridge:
    name: «spec.bridge.name»
  cni:
    binDir: «spec.cni.binDir»
    confDir: «spec.cni.confDir»
    confFile: «spec.cni.confFile»
    networkName: «spec.cni.networkName»
    pluginSource: «spec.cni.pluginSource»
    plugins:
      - «spec.cni.plugins[0]»
  kubelet:
    flagsFile: «spec.kubelet.flagsFile»
    extraArgs:
      «spec.kubelet.extraArgs key»: "110"
      cluster-domain: «spec.kubelet.extraArgs value»
  containerRuntime:
    type: «spec.containerRuntime.type»
    configFile: «spec.containerRuntime.configFile»
  firewall:
    backend: «spec.firewall.backend»
    extraPorts:
      - port: «spec.firewall.extraPorts[0].port»
        protocol: «spec.firewall.extraPorts[0].protocol»
        roles:
          - «spec.firewall.extraPorts[0].roles[0]»
  ssh:
    user: «spec.ssh.user»
    identityFile: «spec.ssh.identityFile»
    knownHostsFile: «spec.ssh.knownHostsFile»
    strictHostKeyChecking: «spec.ssh.strictHostKeyChecking»
    become: «spec.ssh.become»
nodes:
  - name: «nodes[0].name»
    address: «nodes[0].address»
    role: «nodes[0].role»
    podCIDR: «nodes[0].podCIDR»
    ssh:
      host: «nodes[0].ssh.host»
      user: «nodes[0].ssh.user»
      identityFile: «nodes[0].ssh.identityFile»
      knownHostsFile: «nodes[0].ssh.knownHostsFile»
      become: «nodes[0].ssh.become»
  - name: node2
    address: 172.31.250.12
    role: worker
    podCIDR: 10.244.2.0/24
`

const PAYLOADS = ['; rm -rf /', '$(x)', '`id`', "'q'", '"q"', '\nreboot', ' && reboot', '|sh', '>/etc/passwd', '\\']

/** The template with `target` set to `value` (double-quoted, so any payload is one YAML scalar). */
function render(target: string, value: string): {text: string; pos: string} {
  let text = TEMPLATE
  for (const [field, [valid]] of Object.entries(FIELDS)) if (field !== target) text = text.replace(`«${field}»`, valid)
  const pos = positionOf(text, `«${target}»`)
  return {text: text.replace(`«${target}»`, JSON.stringify(value)), pos}
}

describe('shell syntax in any string that reaches a command', () => {
  it('the template with only valid values is a valid cluster file', () => {
    let text = TEMPLATE
    for (const [field, [valid]] of Object.entries(FIELDS)) text = text.replace(`«${field}»`, valid)
    expect(diagnose(text)).toEqual([])
  })

  const cases = Object.entries(FIELDS).flatMap(([field, [valid, message]]) =>
    PAYLOADS.flatMap((payload) => [
      {field, value: valid + payload, message},
      {field, value: payload, message},
    ]),
  )

  it.each(cases)('$field = $value', ({field, value, message}) => {
    const {text, pos} = render(field, value)
    const diags = diagnose(text)
    const hit = diags.find((d) => d.message.includes(message))
    expect(hit, diags.map((d) => `${at(d)} ${d.message}`).join('\n') || 'accepted!').toBeDefined()
    expect(at(hit!)).toBe(pos)
  })

  it('names the offending character', () => {
    const {text} = render('nodes[0].name', 'node1; rm -rf /')
    expect(diagnose(text)[0].message).toBe(
      `nodes[0].name "node1; rm -rf /" is not a valid name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (contains ";")`,
    )
    expect(diagnose(render('spec.cni.binDir', '/opt/cni/bin\nreboot').text)[0].message).toContain('(contains a newline)')
  })
})
