// `netprov lab up`: N nodes on this machine, each a network namespace with its own mount and UTS
// namespaces and its own sshd, on one bridge in the root namespace that also carries the host's address.
import {mkdir, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {renderClusterFile, podCIDROf} from './cluster-file.js'
import {LabProblem, checkInterrupted} from './errors.js'
import {ipBatch, labParts, readHostRoutes} from './host-net.js'
import {DEFAULT_LAB_NAME, LAB_ROOT, bridgeName, defaultLabDir, hostVethName, netnsName, nodeName, validateLabDir, validateLabName, validateNodeCount} from './names.js'
import {type BootSpec, spawnNode, waitForSsh} from './node-boot.js'
import {PRIVATE_DIRS, PRIVATE_FILES, prepareNodeFs} from './node-fs.js'
import {checkPrerequisites} from './prereqs.js'
import {ensureMountpoints, labDirOf, listLabs, register, withRegistryLock} from './registry.js'
import {mapLimit, run} from './run.js'
import {generateKey, renderKnownHosts, renderSshConfig, renderSshdConfig, sshdVersion} from './ssh-files.js'
import {type LabNode, type LabState, writeState} from './state.js'
import {DEFAULT_SUBNET, type Subnet, checkNodesFit, clashingRoutes, hostAddress, nodeAddress, overlaps, parseRange, parseSubnet, pickSubnet} from './subnet.js'
import {destroyLab} from './down.js'

export interface LabUpOptions {
  name?: string // default "lab"
  nodes?: number // default 3
  subnet?: string // an IPv4 CIDR (default 172.31.250.0/24), or "auto": the first free /24 of 172.31.0.0/16
  autoSubnetStart?: number // with subnet "auto": which /24 of the pool to try first (tests spread out)
  dir?: string // default /run/netprov-lab/<name>
  recreate?: boolean // take down a lab of that name first
  concurrency?: number // nodes started at once (default 16)
  ownerPid?: number // recorded in lab.json: the test helper reaps labs whose owner died
  sshd?: string // sshd binary (absolute path); default: sshd found on PATH or in /usr/sbin
  onProgress?: (message: string) => void
  signal?: AbortSignal // abort (e.g. on Ctrl-C): `up` stops and removes what it made
}

export type Lab = LabState & {timingsMs: Record<string, number>}

export async function labUp(opts: LabUpOptions = {}): Promise<Lab> {
  const t0 = Date.now()
  const timingsMs: Record<string, number> = {}
  const mark = (step: string, since: number) => (timingsMs[step] = Date.now() - since)
  const say = opts.onProgress ?? (() => {})

  const name = validateLabName(opts.name ?? DEFAULT_LAB_NAME)
  const count = validateNodeCount(opts.nodes ?? 3)
  const dir = opts.dir ? validateLabDir(opts.dir) : defaultLabDir(name)
  if (dir !== defaultLabDir(name) && (dir === LAB_ROOT || dir.startsWith(`${LAB_ROOT}/`))) {
    throw new LabProblem('bad-dir', `invalid lab dir "${dir}": inside ${LAB_ROOT}, only ${defaultLabDir(name)} is lab ${name}'s`, ['leave --dir out'])
  }
  const wanted = opts.subnet ?? DEFAULT_SUBNET
  if (wanted !== 'auto') checkNodesFit(parseSubnet(wanted), count)
  else if (count > 244) throw new LabProblem('bad-subnet', `--subnet auto picks a /24, which holds at most 244 nodes, not ${count}`, ['pass a larger --subnet, e.g. 10.201.0.0/16'])
  const {tools} = checkPrerequisites()
  const sshd = opts.sshd ?? tools.sshd!
  if (!path.isAbsolute(sshd)) throw new LabProblem('missing-tools', `sshd must be an absolute path, not "${sshd}"`)
  if (opts.recreate) await destroyLab({name})

  let state: LabState | undefined
  try {
    // 1. Under the registry lock: the name, the subnet and the dir are free; claim them and make the bridge,
    //    so that a concurrent `up` sees this lab (in the registry and in the host's routes).
    await withRegistryLock(async () => {
      const existing = await labDirOf(name)
      if (existing) {
        throw new LabProblem('exists', `lab "${name}" already exists (${existing})`, [
          `see it with \`netprov lab status --name ${name}\``,
          `remove it with \`netprov lab down --name ${name}\`, or pass --recreate`,
        ])
      }
      const parts = await labParts(name)
      if (parts.netns.length + parts.links.length > 0) {
        throw new LabProblem('leftovers', `parts of an earlier lab "${name}" are still on this host: ${[...parts.netns, ...parts.links].join(', ')}`, [
          `remove them with \`netprov lab down --name ${name}\``,
        ])
      }
      if ((await readdir(dir).catch(() => [])).length > 0) {
        throw new LabProblem('bad-dir', `lab dir ${dir} exists and is not empty`, ['pass an empty or new --dir'])
      }
      const subnet = await chooseSubnet(wanted, count, opts.autoSubnetStart)
      await mkdir(dir, {recursive: true, mode: 0o755})
      state = initialState(name, dir, subnet, count, opts.ownerPid)
      await writeState(state)
      await register(name, dir)
      say(`lab ${name}: subnet ${subnet.cidr}, bridge ${state.bridge} ${state.hostAddress}, dir ${dir}`)
      await ipBatch([
        `link add ${state.bridge} type bridge`,
        `addr add ${state.hostAddress} dev ${state.bridge}`,
        `link set ${state.bridge} up`,
      ])
      await ensureMountpoints([...PRIVATE_DIRS, '/run/sshd'])
    })
    const lab = state!
    mark('claim', t0)
    checkInterrupted(opts.signal)

    // 2. Keys and config files, and 3. the network (one namespace and one veth pair per node, the host
    //    end on the bridge), at the same time: one is mostly ssh-keygen, the other mostly the kernel.
    say(`generating keys and configs, creating ${count} network namespaces on ${lab.bridge}`)
    const keys = async () => {
      const t = Date.now()
      const sshDir = path.join(dir, 'ssh')
      await mkdir(sshDir, {mode: 0o700})
      const version = await sshdVersion(sshd)
      const clientKey = await generateKey(lab.ssh.identityFile, `netprov-lab-${name}`)
      await writeFile(lab.ssh.authorizedKeysFile, clientKey + '\n', {mode: 0o600})
      const hostKeys = await mapLimit(lab.nodes, 8, async (n) => {
        await mkdir(n.dir, {recursive: true, mode: 0o755})
        await writeFile(n.sshdConfig, renderSshdConfig(lab, n, version))
        return generateKey(n.hostKey, `${n.name}.${name}.netprov-lab`)
      })
      await writeFile(lab.ssh.knownHostsFile, renderKnownHosts(lab.nodes.map((n, i) => ({...n, hostPublicKey: hostKeys[i]!}))))
      await writeFile(lab.ssh.config, renderSshConfig(lab))
      await writeFile(lab.clusterFile, renderClusterFile(lab))
      mark('keys', t)
    }
    const network = async () => {
      const t = Date.now()
      await ipBatch([
        ...lab.nodes.map((n) => `netns add ${n.netns}`),
        ...lab.nodes.map((n) => `link add ${n.hostVeth} type veth peer name eth0 netns ${n.netns}`),
        ...lab.nodes.map((n) => `link set ${n.hostVeth} master ${lab.bridge} up`),
      ])
      const prefix = lab.subnet.split('/')[1]
      await mapLimit(lab.nodes, 8, (n) => ipBatch(['link set lo up', `addr add ${n.address}/${prefix} dev eth0`, 'link set eth0 up'], {netns: n.netns}))
      mark('network', t)
    }
    const both = await Promise.allSettled([keys(), network()])
    for (const r of both) if (r.status === 'rejected') throw r.reason
    checkInterrupted(opts.signal)

    // 4. The nodes: private dirs, hostname, sshd; wait until each answers SSH.
    const t = Date.now()
    say(`starting sshd on ${count} nodes`)
    const hostsLines = lab.nodes.map((n) => `${n.address}\t${n.name}`)
    await mapLimit(lab.nodes, opts.concurrency ?? 16, async (n) => {
      checkInterrupted(opts.signal)
      const boot: BootSpec = {
        netns: n.netns,
        hostname: n.name,
        sshdConfig: n.sshdConfig,
        sshdLog: n.log,
        bootLog: path.join(n.dir, 'boot.log'),
        labDir: dir,
        fstab: await prepareNodeFs(dir, n.dir, n.name, hostsLines),
        tools: {ip: tools.ip!, unshare: tools.unshare!, sshd},
      }
      const started = spawnNode(boot)
      n.pid = started.pid
      await waitForSsh(n.name, n.address, boot, started, opts.signal)
    })
    mark('nodes', t)

    lab.status = 'running'
    await writeState(lab)
    mark('total', t0)
    return {...lab, timingsMs}
  } catch (e) {
    if (state) {
      say(`lab ${name}: failed, removing what was made`)
      await writeState(state).catch(() => {}) // so the pids started so far are known to the teardown
      await destroyLab({name}).catch((e2) => say(`cleanup failed too: ${(e2 as Error).message}`))
    }
    throw e
  }
}

async function chooseSubnet(wanted: string, count: number, autoStart = 0): Promise<Subnet> {
  const routes = await readHostRoutes()
  const others = (await listLabs()).flatMap((l) => (l.state ? [{name: l.name, range: parseRange(l.state.subnet)!}] : []))
  const clashes = (s: Subnet) => {
    const mine = parseRange(s.cidr)!
    return [
      ...clashingRoutes(s, routes).map((r) => `host route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}${r.table ? ` table ${r.table}` : ''}`),
      ...others.filter((o) => overlaps(mine, o.range)).map((o) => `lab ${o.name} (${o.range.cidr})`),
    ]
  }
  if (wanted === 'auto') {
    const s = pickSubnet((c) => clashes(c).length === 0, autoStart)
    if (!s) throw new LabProblem('subnet-in-use', 'no free /24 left in 172.31.0.0/16 for a lab', ['pass --subnet with a free private subnet'])
    return s
  }
  const s = parseSubnet(wanted)
  const found = clashes(s)
  if (found.length > 0) {
    throw new LabProblem('subnet-in-use', `subnet ${s.cidr} overlaps ${found.join(', ')}`, [
      'pass another --subnet, or `--subnet auto` to pick a free /24 of 172.31.0.0/16',
    ])
  }
  return s
}

function initialState(name: string, dir: string, subnet: Subnet, count: number, ownerPid?: number): LabState {
  const nodes: LabNode[] = Array.from({length: count}, (_, i) => {
    const index = i + 1
    const node = nodeName(index)
    const nodeDir = path.join(dir, 'nodes', node)
    return {
      name: node,
      index,
      role: index === 1 ? 'control-plane' : 'worker',
      address: nodeAddress(subnet, index),
      podCIDR: podCIDROf(index),
      netns: netnsName(name, node),
      hostVeth: hostVethName(name, index),
      dir: nodeDir,
      sshdConfig: path.join(nodeDir, 'sshd_config'),
      hostKey: path.join(nodeDir, 'ssh_host_ed25519_key'),
      log: path.join(nodeDir, 'sshd.log'),
    }
  })
  return {
    version: 1,
    name,
    dir,
    status: 'creating',
    createdAt: new Date().toISOString(),
    ...(ownerPid ? {ownerPid} : {}),
    subnet: subnet.cidr,
    hostAddress: `${hostAddress(subnet)}/${subnet.prefix}`,
    bridge: bridgeName(name),
    clusterFile: path.join(dir, 'netprov.yaml'),
    ssh: {
      user: 'root',
      identityFile: path.join(dir, 'ssh', 'id_ed25519'),
      knownHostsFile: path.join(dir, 'ssh', 'known_hosts'),
      authorizedKeysFile: path.join(dir, 'ssh', 'authorized_keys'),
      config: path.join(dir, 'ssh_config'),
    },
    privateDirs: [...PRIVATE_DIRS, ...PRIVATE_FILES],
    nodes,
  }
}
