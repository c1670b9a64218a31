// lab.json: everything `up` made, so `status`, `down` and tests can find it.
import {readFile, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'

export type Role = 'control-plane' | 'worker'

export interface LabNode {
  name: string // node1, node2 ...
  index: number // 1-based
  role: Role
  address: string // underlay address, sshd listens here
  podCIDR: string // what the generated cluster file gives it: 10.244.<index>.0/24
  netns: string // np-<lab>-<node>
  hostVeth: string // np<lab>-<index>, on the bridge; the node's end is eth0
  dir: string // <lab dir>/nodes/<node>: sshd config, host key, logs, and the node's private dirs under fs/
  sshdConfig: string
  hostKey: string
  log: string // sshd's log (-E)
  pid?: number // sshd, the node's first process: `nsenter -t PID -n -m -u` enters the node
}

export interface LabState {
  version: 1
  name: string
  dir: string
  status: 'creating' | 'running'
  createdAt: string
  ownerPid?: number // set by the test helper: a lab whose owner died may be reaped
  subnet: string
  hostAddress: string // on the bridge, as <addr>/<prefix>
  bridge: string
  clusterFile: string
  ssh: {user: 'root'; identityFile: string; knownHostsFile: string; authorizedKeysFile: string; config: string}
  /** Directories (and /etc/hostname, /etc/hosts) each node has its own copy of, bind-mounted from <node dir>/fs. */
  privateDirs: string[]
  nodes: LabNode[]
}

export const stateFile = (dir: string) => path.join(dir, 'lab.json')

export async function readState(dir: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as LabState
  } catch {
    return undefined
  }
}

/** Atomic: readers never see half a file. */
export async function writeState(state: LabState): Promise<void> {
  const tmp = `${stateFile(state.dir)}.tmp-${process.pid}`
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', {mode: 0o644})
  await rename(tmp, stateFile(state.dir))
}
