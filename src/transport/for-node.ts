import type {NodeSpec} from '../config/types.js'
import {LocalTransport} from './local.js'
import {SshTransport} from './ssh.js'
import type {Transport} from './transport.js'

export type TransportFactory = (node: NodeSpec) => Transport

/** SSH by default; NETPROV_TRANSPORT=local runs the commands on this machine (netprov on the node itself). */
export const defaultTransport: TransportFactory = (node) =>
  process.env.NETPROV_TRANSPORT === 'local' ? new LocalTransport(node.name) : new SshTransport(node.name, node.ssh)
