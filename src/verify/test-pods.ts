import type {Cluster, NodeSpec} from '../config/types.js'
import {tar, type TarEntry} from '../apply/tar.js'
import {type PodExpectation, checkAddResult, describeCniError} from './cni-result.js'
import {type ConfList, LOOPBACK_PREFIX, configPrefix, versionAtLeast} from './conflist.js'
import {DRIVER, RECORDER_NFT, RECORDER_NFT_PLAIN, VERIFY_STATE_ROOT, driverArgv} from './driver-script.js'
import type {DriverEvent} from './driver-output.js'
import {type Check, fail, pass, skip} from './types.js'

// Two throwaway test pods per node: "a" sends (to its gateway, to "b" on the same node, to "b" on
// other nodes), "b" receives and records the source address of what reaches it.

export const POD_LABELS = ['a', 'b'] as const
export type PodLabel = (typeof POD_LABELS)[number]

export interface TestPod {
  label: PodLabel
  cid: string // CNI_CONTAINERID, also the netns name: netprov-verify-<run>-<label>
  netns: string
  ready: boolean // ADD succeeded and gave addresses
  ips: string[] // IPv4 first
  recorder: 'nft' | 'iptables' | 'none'
  hostInterfaces: string[]
}

export interface NodeRun {
  node: NodeSpec
  list: ConfList
  stateDir: string
  binDir: string
  ipamDir: string // host-local's directory for this network ('' for other IPAM plugins)
  check: boolean // CHECK runs unless disableCheck or cniVersion < 0.4.0 (libcni)
  pods: TestPod[]
}

export function newNodeRun(cluster: Cluster, node: NodeSpec, list: ConfList, runId: string): NodeRun {
  const ipam = list.plugins.find((p) => (p.ipam as {type?: string} | undefined)?.type === 'host-local')?.ipam as {dataDir?: unknown} | undefined
  const dataDir = typeof ipam?.dataDir === 'string' && ipam.dataDir.startsWith('/') ? ipam.dataDir : '/var/lib/cni/networks'
  return {
    node,
    list,
    stateDir: `${VERIFY_STATE_ROOT}/${runId}`,
    binDir: cluster.cni.binDir,
    ipamDir: ipam ? `${dataDir}/${list.name}` : '',
    check: !list.disableCheck && versionAtLeast(list.cniVersion, '0.4.0'),
    pods: POD_LABELS.map((label) => {
      const cid = `netprov-verify-${runId}-${label}`
      return {label, cid, netns: cid, ready: false, ips: [], recorder: 'none', hostInterfaces: []}
    }),
  }
}

const entry = (name: string, text: string, mode?: number): TarEntry => ({name, data: Buffer.from(text), ...(mode ? {mode} : {})})

/** Everything the setup needs on the node, as one archive: the driver, the pods, each plugin's config prefix. */
export function setupArchive(run: NodeRun): Buffer {
  const chain = run.list.plugins.map((p, i) => `${i} ${p.type}\n`)
  return tar([
    entry('driver.sh', DRIVER, 0o700),
    entry('pods', run.pods.map((p) => `${p.cid} ${p.netns}\n`).join('')),
    entry('chain', chain.join('')),
    entry('delchain', [...chain].reverse().join('')),
    entry('lo.conf', LOOPBACK_PREFIX),
    ...run.list.plugins.map((p, i) => entry(`conf.${i}`, configPrefix(run.list, p))),
    entry('recorder.nft', RECORDER_NFT),
    entry('recorder-plain.nft', RECORDER_NFT_PLAIN),
  ])
}

export const setupArgv = (run: NodeRun) => driverArgv('setup', run.stateDir, [run.binDir, run.ipamDir, run.check ? '1' : '0'])

export function expectationFor(run: NodeRun, pod: TestPod): PodExpectation {
  const first = run.list.plugins[0]!
  return {
    cniVersion: run.list.cniVersion,
    netnsPath: `/run/netns/${pod.netns}`,
    ifname: 'eth0',
    podCIDRs: run.node.podCIDRs,
    gateways: run.node.gateways,
    ...(first.type === 'bridge' ? {bridge: typeof first.bridge === 'string' ? first.bridge : 'cni0'} : {}),
  }
}

const stepsOf = (events: readonly DriverEvent[], cid: string, prefix: string) =>
  events.filter((e): e is Extract<DriverEvent, {kind: 'step'}> => e.kind === 'step' && e.cid === cid && e.label.startsWith(prefix))

const pluginName = (run: NodeRun, label: string) => {
  const i = label.split(':')[1]!
  return i === 'lo' ? 'loopback (lo)' : `${run.list.plugins[Number(i)]?.type ?? '?'} (plugin ${Number(i) + 1} of ${run.list.plugins.length})`
}

const ADD_FIX = 'the plugin\'s message names the cause; the failed state checks above usually show it (drift, a missing plugin, the bridge address)'

/** The setup's events -> per pod: ADD (lo, then the chain), the result against the CNI format, CHECK. Fills in run.pods. */
export function setupChecks(run: NodeRun, events: readonly DriverEvent[]): Check[] {
  const n = run.node.name
  const out: Check[] = []
  const fatal = events.find((e) => e.kind === 'fatal')
  for (const pod of run.pods) {
    const p = `pod-${pod.label}`
    const nsErr = events.find((e) => e.kind === 'netns' && e.cid === pod.cid)
    if (nsErr && nsErr.kind === 'netns') {
      out.push(fail(n, `cni ADD ${p}`, `ip netns add ${pod.netns} failed: ${nsErr.error}`, 'verify needs root on the node (ip netns add)'))
      continue
    }
    const adds = stepsOf(events, pod.cid, 'ADD:')
    const chainAdds = adds.filter((s) => s.label !== 'ADD:lo')
    const failed = adds.filter((s) => s.exitCode !== 0)
    const chainOk = chainAdds.length === run.list.plugins.length && chainAdds.every((s) => s.exitCode === 0)
    if (failed.length) out.push(fail(n, `cni ADD ${p}`, failed.map((s) => `${pluginName(run, s.label)} failed: ${describeCniError(s.stdout, s.stderr, s.exitCode)}`).join('; '), ADD_FIX))
    else if (!chainOk) out.push(fail(n, `cni ADD ${p}`, `the setup did not finish${fatal && fatal.kind === 'fatal' ? `: ${fatal.message}` : ''}`, 'run verify again; check that the node has tar, base64, flock and ip'))
    else out.push(pass(n, `cni ADD ${p}`, `lo: loopback; eth0: ${run.list.plugins.map((x) => x.type).join(' -> ')} in a fresh netns ${pod.netns}`))
    if (!chainOk) {
      out.push(skip(n, `cni result ${p}`, 'no result: ADD failed'), skip(n, `cni CHECK ${p}`, 'ADD failed'))
      continue
    }
    const result = checkAddResult(chainAdds.at(-1)!.stdout, expectationFor(run, pod))
    pod.ips = result.ips
    pod.hostInterfaces = result.hostInterfaces
    pod.ready = result.ips.length > 0
    const got = result.ips.map((ip, i) => `${ip}/${run.node.podCIDRs[i]?.split('/')[1]} via ${run.node.gateways[i]?.split('/')[0]}`).join(', ')
    out.push(result.problems.length ? fail(n, `cni result ${p}`, result.problems.join('; '), 'compare the conflist\'s ipam ranges with the node\'s pod CIDR and bridge address (netprov apply rewrites it)') : pass(n, `cni result ${p}`, `eth0 ${got} (gateway = the bridge address)`))
    if (!run.check) out.push(skip(n, `cni CHECK ${p}`, run.list.disableCheck ? 'the conflist sets disableCheck' : `cniVersion ${run.list.cniVersion} has no CHECK`))
    else {
      const checks = stepsOf(events, pod.cid, 'CHECK:')
      const bad = checks.filter((s) => s.exitCode !== 0)
      if (bad.length) out.push(fail(n, `cni CHECK ${p}`, bad.map((s) => `${pluginName(run, s.label)}: ${describeCniError(s.stdout, s.stderr, s.exitCode)}`).join('; '), 'something changed the pod\'s interface or addresses right after ADD'))
      else if (checks.length < run.list.plugins.length) out.push(fail(n, `cni CHECK ${p}`, 'CHECK did not run to the end'))
      else out.push(pass(n, `cni CHECK ${p}`, `${run.list.plugins.map((x) => x.type).join(', ')} agree with the cached result`))
    }
    const rec = events.find((e) => e.kind === 'recorder' && e.cid === pod.cid)
    pod.recorder = rec && rec.kind === 'recorder' ? rec.mode : 'none'
  }
  return out
}
