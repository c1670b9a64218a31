// A real lab for end-to-end tests: nodes are network namespaces with their own sshd (see src/lab).
//
//   let lab: TestLab
//   beforeAll(async () => { lab = await startLab({nodes: 2}) })
//   afterAll(async () => { await lab?.stop() })
//   ...
//   await execa('node', ['bin/run.js', 'apply', '-f', lab.clusterFile, '--yes'])
//   const r = await lab.exec('node1', ['ip', '-j', 'route'])      // what is really on node1
//   const s = await lab.ssh('node2', 'cat /etc/cni/net.d/10-netprov.conflist')  // over real SSH
//
// Every lab gets a unique name and a free /24 of 172.31.0.0/16 (chosen under the lab registry's lock,
// checked against the host's routes and the other labs), so tests in other files and other processes
// can run labs at the same time. Labs left by a test process that died are taken down by the next
// startLab. Needs root.
import {execa} from 'execa'
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {type LabNode, type LabState, type LabUpOptions, labDown, labUp, listLabs, sshArgv} from '../../src/lab/index.js'

export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface TestLabNode {
  name: string // node1, node2 ...
  address: string // underlay address (sshd listens here; the cluster file's node address)
  netns: string // np-<lab>-<node>
  pid: number // the node's sshd: `nsenter -t pid -n -m -u` is "on the node"
  role: 'control-plane' | 'worker'
  podCIDR: string // what the lab's cluster file gives it
}

export interface TestLab {
  lab: LabState // everything lab.json says
  name: string
  dir: string
  subnet: string
  clusterFile: string // <dir>/netprov.yaml, ready for netprov -f
  nodes: TestLabNode[]
  node(name: string): TestLabNode
  /** Runs argv on the node (its network, mount and UTS namespaces), not over SSH. Never throws on exit code. */
  exec(node: string, argv: string[], opts?: {input?: string; timeoutMs?: number}): Promise<ExecResult>
  /** Runs a remote command over real SSH with the lab's key and pinned host keys. Never throws on exit code. */
  ssh(node: string, command: string, opts?: {input?: string; timeoutMs?: number}): Promise<ExecResult>
  /** ssh argv (without the remote command) for `node`: ssh -i KEY -o StrictHostKeyChecking=yes ... root@ADDR */
  sshArgs(node: string): string[]
  /** Takes the lab down (idempotent). Call it in afterAll. */
  stop(): Promise<void>
}

export interface StartLabOptions {
  nodes?: number // default 3
  name?: string // default: unique per process and call (t<pid base36><counter>)
  subnet?: string // default "auto": a free /24 of 172.31.0.0/16
  sshd?: string // sshd binary (tests of failure paths)
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
let counter = 0
const running = new Set<string>()

// Last resort when a test process exits without afterAll having run (a crash, process.exit): tear down
// synchronously with the built CLI. A SIGKILLed process is handled by the next startLab (reapDeadOwners).
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const name of running) {
      spawnSync(process.execPath, [`${ROOT}bin/run.js`, 'lab', 'down', '--name', name], {stdio: 'ignore', timeout: 30_000})
    }
  })
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Takes down labs that a test process (ownerPid) started and that outlived it. */
export async function reapDeadOwners(): Promise<string[]> {
  const reaped: string[] = []
  for (const l of await listLabs()) {
    const owner = l.state?.ownerPid
    if (owner && owner !== process.pid && !alive(owner)) {
      await labDown({name: l.name}).catch(() => {})
      reaped.push(l.name)
    }
  }
  return reaped
}

export function uniqueLabName(): string {
  // 't' + pid (base 36, <= 5 chars for pids up to 2^22) + counter: at most 8 characters.
  const n = counter++ % 36 ** 2
  return `t${process.pid.toString(36)}${n.toString(36)}`.slice(0, 8)
}

export async function startLab(opts: StartLabOptions = {}): Promise<TestLab> {
  installExitHook()
  await reapDeadOwners()
  const name = opts.name ?? uniqueLabName()
  const upOpts: LabUpOptions = {
    name,
    nodes: opts.nodes ?? 3,
    subnet: opts.subnet ?? 'auto',
    // Spread processes over the pool so that concurrent starts rarely contend for the same /24.
    autoSubnetStart: (process.pid * 7 + counter * 3) % 256,
    ownerPid: process.pid,
    sshd: opts.sshd,
  }
  running.add(name)
  let state: LabState
  try {
    state = await labUp(upOpts)
  } catch (e) {
    running.delete(name)
    throw e
  }
  const byName = new Map(state.nodes.map((n) => [n.name, n]))
  const get = (node: string): LabNode => {
    const n = byName.get(node)
    if (!n) throw new Error(`lab ${name} has no node ${node} (nodes: ${[...byName.keys()].join(', ')})`)
    return n
  }
  let stopped = false
  const result = async (p: Promise<{stdout?: unknown; stderr?: unknown; exitCode?: number; failed?: boolean}>): Promise<ExecResult> => {
    const r = await p
    return {stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? (r.failed ? 127 : 0)}
  }
  return {
    lab: state,
    name,
    dir: state.dir,
    subnet: state.subnet,
    clusterFile: state.clusterFile,
    nodes: state.nodes.map((n) => ({name: n.name, address: n.address, netns: n.netns, pid: n.pid!, role: n.role, podCIDR: n.podCIDR})),
    node: (node) => {
      const n = get(node)
      return {name: n.name, address: n.address, netns: n.netns, pid: n.pid!, role: n.role, podCIDR: n.podCIDR}
    },
    exec: (node, argv, o = {}) =>
      result(
        execa('nsenter', ['-t', String(get(node).pid), '-n', '-m', '-u', '--', ...argv], {
          reject: false,
          input: o.input,
          stdin: o.input === undefined ? 'ignore' : undefined,
          timeout: o.timeoutMs ?? 30_000,
        }),
      ),
    ssh: (node, command, o = {}) =>
      result(
        execa(sshArgv(state, get(node))[0]!, [...sshArgv(state, get(node)).slice(1), command], {
          reject: false,
          input: o.input,
          stdin: o.input === undefined ? 'ignore' : undefined,
          timeout: o.timeoutMs ?? 30_000,
        }),
      ),
    sshArgs: (node) => sshArgv(state, get(node)),
    stop: async () => {
      if (stopped) return
      await labDown({name})
      stopped = true
      running.delete(name)
    },
  }
}
