import {tar} from '../apply/tar.js'
import {describeCniError} from './cni-result.js'
import {DRIVER, driverArgv} from './driver-script.js'
import {type DriverEvent, parseSeen} from './driver-output.js'
import type {NodeRun} from './test-pods.js'
import {type Check, fail, pass} from './types.js'

// Teardown: DEL as a runtime does, then prove nothing is left: no namespace, no veth, no IPAM
// reservation. What DEL left behind and is provably this run's is removed, and still reported.

export function teardownArchive(run: NodeRun): Buffer {
  const links = [...new Set(run.pods.flatMap((p) => p.hostInterfaces))]
  return tar([
    {name: 'driver.sh', data: Buffer.from(DRIVER), mode: 0o700},
    {name: 'links', data: Buffer.from(links.map((l) => `${l}\n`).join(''))},
  ])
}

export const teardownArgv = (run: NodeRun) => driverArgv('teardown', run.stateDir)

/** What each pod's recorder saw (cid -> source -> packets), read just before DEL. */
export function seenByPod(events: readonly DriverEvent[]): Map<string, Map<string, number | null>> {
  const out = new Map<string, Map<string, number | null>>()
  for (const e of events) if (e.kind === 'seen') out.set(e.cid, parseSeen(e.mode, e.text))
  return out
}

export function teardownChecks(run: NodeRun, events: readonly DriverEvent[], setupRan: boolean): Check[] {
  const n = run.node.name
  const out: Check[] = []
  if (!events.some((e) => e.kind === 'done')) {
    const fatal = events.find((e) => e.kind === 'fatal')
    return [fail(n, 'cleanup', `the teardown did not finish${fatal && fatal.kind === 'fatal' ? `: ${fatal.message}` : ''}`, `run netprov verify again (it removes runs left over for 30 minutes), or by hand: ip netns del ${run.pods.map((p) => p.netns).join('; ip netns del ')}`)]
  }
  if (setupRan) {
    for (const pod of run.pods) {
      const dels = events.filter((e): e is Extract<DriverEvent, {kind: 'step'}> => e.kind === 'step' && e.cid === pod.cid && e.label.startsWith('DEL:'))
      const bad = dels.filter((s) => s.exitCode !== 0)
      const what = (label: string) => (label === 'DEL:lo' ? 'loopback (lo)' : run.list.plugins[Number(label.slice(4))]?.type ?? label)
      out.push(
        bad.length
          ? fail(n, `cni DEL pod-${pod.label}`, bad.map((s) => `${what(s.label)}: ${describeCniError(s.stdout, s.stderr, s.exitCode)}`).join('; '), bad.some((s) => s.exitCode === 127) ? 'install the missing plugin (netprov apply): until then a runtime cannot remove pods either' : 'DEL must succeed even when things are already gone (CNI spec): a runtime retries a failing DEL forever')
          : pass(n, `cni DEL pod-${pod.label}`, `${run.list.plugins.map((p) => p.type).reverse().join(' -> ')}, then lo: in reverse order with the cached result`),
      )
    }
  }
  const left = events.filter((e): e is Extract<DriverEvent, {kind: 'left'}> => e.kind === 'left')
  const removed = new Set(events.filter((e) => e.kind === 'removed').map((e) => (e.kind === 'removed' ? `${e.what} ${e.name}` : '')))
  const names = (xs: typeof left) => xs.map((e) => `${e.what === 'ipam' ? 'IPAM reservation' : e.what} ${e.name}`).join(', ')
  const stuck = left.filter((e) => !removed.has(`${e.what} ${e.name}`))
  if (stuck.length) out.push(fail(n, 'cleanup', `left on the node: ${names(stuck)}`, `remove by hand: ${stuck.map((e) => (e.what === 'netns' ? `ip netns del ${e.name}` : e.what === 'link' ? `ip link del ${e.name}` : `rm ${run.ipamDir}/${e.name}`)).join('; ')}`))
  else if (left.length) out.push(fail(n, 'cleanup', `DEL left ${names(left)} behind; verify removed it (a runtime would leak it)`, 'the plugins\' DEL does not release everything ADD made'))
  else out.push(pass(n, 'cleanup', `no test namespace, veth or IPAM reservation left (${run.pods.map((p) => p.netns).join(', ')})`))
  return out
}
