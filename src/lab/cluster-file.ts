// The ready-to-use cluster file of a lab (<dir>/netprov.yaml), per the product spec.
import {Scalar, stringify} from 'yaml'
import type {LabState} from './state.js'

export const LAB_POD_CIDR = '10.244.0.0/16'
export const LAB_SERVICE_CIDR = '10.96.0.0/12'
export const podCIDROf = (index: number) => `10.244.${index}.0/24`

function quoted(value: string): Scalar {
  const s = new Scalar(value)
  s.type = Scalar.QUOTE_DOUBLE
  return s
}

export function renderClusterFile(lab: LabState): string {
  const doc = {
    apiVersion: 'netprov.io/v1alpha1',
    kind: 'Cluster',
    metadata: {name: lab.name},
    spec: {
      podCIDR: LAB_POD_CIDR,
      serviceCIDR: LAB_SERVICE_CIDR,
      ssh: {
        user: 'root',
        identityFile: lab.ssh.identityFile,
        knownHostsFile: lab.ssh.knownHostsFile,
        strictHostKeyChecking: quoted('yes'), // quoted, so no YAML 1.1 reader takes it for a boolean
      },
    },
    nodes: lab.nodes.map((n) => ({name: n.name, address: n.address, role: n.role, podCIDR: n.podCIDR})),
  }
  const header = [
    `# Cluster file of netprov lab "${lab.name}" (written by \`netprov lab up\`; \`netprov lab down --name ${lab.name}\` deletes it).`,
    `# Underlay ${lab.subnet} on bridge ${lab.bridge}; every node runs sshd on its address.`,
    `#   netprov plan -f ${lab.clusterFile}`,
    '',
  ].join('\n')
  return header + stringify(doc, {defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN'})
}
