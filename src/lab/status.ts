// `netprov lab status`: is each node's namespace there, its sshd alive, and does it answer SSH?
import {LabProblem} from './errors.js'
import {listLinks} from './host-net.js'
import {DEFAULT_LAB_NAME, validateLabName} from './names.js'
import {sshAnswers} from './node-boot.js'
import {isOurSshd, netnsInode, pidNetns} from './processes.js'
import {labDirOf, listLabs} from './registry.js'
import {readState} from './state.js'

export interface NodeStatus {
  name: string
  role: string
  address: string
  netns: string
  pid?: number
  netnsExists: boolean
  sshdRunning: boolean // the recorded pid is alive, is our sshd, and is in the node's namespace
  sshAnswering: boolean // an SSH banner on address:22 within the timeout
}

export interface LabStatus {
  name: string
  dir: string
  status: string // lab.json's: creating | running
  subnet: string
  bridge: string
  bridgeExists: boolean
  hostAddress: string
  clusterFile: string
  sshConfig: string
  healthy: boolean // every node's namespace exists, sshd runs and answers
  nodes: NodeStatus[]
}

export async function labStatus(name: string = DEFAULT_LAB_NAME, opts: {timeoutMs?: number} = {}): Promise<LabStatus> {
  validateLabName(name)
  const dir = await labDirOf(name)
  const state = dir ? await readState(dir) : undefined
  if (!dir || !state) {
    const others = (await listLabs()).map((l) => l.name)
    throw new LabProblem('not-found', `no lab named "${name}"${others.length ? ` (labs: ${others.join(', ')})` : ''}`, [
      `start one with \`netprov lab up --name ${name}\``,
    ])
  }
  const links = await listLinks()
  const nodes = await Promise.all(
    state.nodes.map(async (n): Promise<NodeStatus> => {
      const ino = await netnsInode(n.netns)
      let sshdRunning = false
      if (n.pid && ino) {
        sshdRunning = (await isOurSshd(n.pid, n.sshdConfig)) && (await pidNetns(n.pid)) === ino
      }
      return {
        name: n.name,
        role: n.role,
        address: n.address,
        netns: n.netns,
        pid: n.pid,
        netnsExists: Boolean(ino),
        sshdRunning,
        sshAnswering: await sshAnswers(n.address, opts.timeoutMs ?? 1500),
      }
    }),
  )
  return {
    name,
    dir,
    status: state.status,
    subnet: state.subnet,
    bridge: state.bridge,
    bridgeExists: links.includes(state.bridge),
    hostAddress: state.hostAddress,
    clusterFile: state.clusterFile,
    sshConfig: state.ssh.config,
    healthy: links.includes(state.bridge) && nodes.every((n) => n.netnsExists && n.sshdRunning && n.sshAnswering),
    nodes,
  }
}

export {listLabs}
