import type {Cluster, NodeSpec} from '../config/types.js'
import {type Port, openPorts} from '../resources/firewall-rules.js'
import type {DriverEvent} from './driver-output.js'
import {type Check, fail, pass, skip} from './types.js'

// "The role's firewall ports are reachable from a peer node": each node is probed by the node before
// it in the file's order (a ring), from that peer's own network, in the same round trip as its pings.
// With nothing listening, an open TCP port answers "connection refused" at once and an open UDP port
// with ICMP port-unreachable; a filtered port does not answer (timeout). Ranges are probed at both ends.

export interface PortProbe {
  label: string // q0, q1 ... within the prober's program
  target: NodeSpec
  rule: Port
  port: number
}

const show = (p: Port) => `${p.protocol} ${p.from === p.to ? p.from : `${p.from}-${p.to}`}`

/** prober name -> its probes. `nodes`: the reachable selected nodes, in the file's order. */
export function plannedPortProbes(cluster: Cluster, nodes: readonly NodeSpec[]): Map<string, PortProbe[]> {
  const out = new Map<string, PortProbe[]>()
  if (nodes.length < 2) return out
  nodes.forEach((target, i) => {
    const prober = nodes[(i + nodes.length - 1) % nodes.length]!
    const probes = openPorts(cluster, target).flatMap((rule) => [...new Set([rule.from, rule.to])].map((port) => ({target, rule, port})))
    out.set(prober.name, probes.map((p, j) => ({...p, label: `q${j}`})))
  })
  return out
}

export const portsFile = (probes: readonly PortProbe[]) => probes.map((p) => `${p.label} ${p.rule.protocol} ${p.target.address} ${p.port}\n`).join('')

/**
 * The control probe: the target's SSH port is open (netprov reached it over SSH a moment ago, when
 * ssh goes straight to the node's address). If the prober gets no answer there either, the fault is
 * on the prober's side (its own firewall drops the replies): blame it, not the target.
 */
function brokenPath(target: NodeSpec, probes: readonly PortProbe[], ev: readonly DriverEvent[]): boolean {
  if (target.ssh.host !== target.address || ev.some((e) => e.kind === 'noportprobe')) return false
  const control = probes.find((p) => p.rule.protocol === 'tcp' && p.port === target.ssh.port)
  if (!control) return false
  const e = ev.find((x) => x.kind === 'port' && x.label === control.label) as Extract<DriverEvent, {kind: 'port'}> | undefined
  return e !== undefined && e.state !== 'open'
}

/** One check per open-port rule of each probed node, judged from its prober's events. */
export function portChecks(cluster: Cluster, nodes: readonly NodeSpec[], planned: ReadonlyMap<string, PortProbe[]>, events: ReadonlyMap<string, readonly DriverEvent[] | undefined>): Check[] {
  if (nodes.length < 2) return nodes.map((n) => skip(n.name, 'firewall ports', 'no other node to probe from (verify at least two nodes)'))
  const out: Check[] = []
  for (const [prober, probes] of planned) {
    const ev = events.get(prober)
    const target = probes[0]?.target
    if (!target) continue
    if (ev && brokenPath(target, probes, ev)) {
      const port = target.ssh.port
      out.push(fail(prober, `port probes to ${target.name}`, `${target.name}'s SSH port ${port} (open: netprov just reached it over SSH) does not answer ${prober}: the path from ${prober} is broken, so its probes say nothing about ${target.name}'s firewall`, `check ${prober}'s own firewall: it must accept replies (ct state established,related accept) and let new outbound connections out`))
    }
    const rules = [...new Map(probes.map((p) => [show(p.rule), p.rule])).values()]
    for (const rule of rules) {
      const name = `firewall port ${show(rule)}`
      const mine = probes.filter((p) => show(p.rule) === show(rule))
      if (!ev) {
        out.push(skip(target.name, name, `could not probe from ${prober}`))
        continue
      }
      if (ev.some((e) => e.kind === 'noportprobe')) {
        out.push(skip(target.name, name, `${prober} has no bash or timeout to probe ports with`))
        continue
      }
      if (brokenPath(target, probes, ev)) {
        out.push(skip(target.name, name, `not judged: probes from ${prober} do not get through (see ${prober}'s "port probes" check)`))
        continue
      }
      const results = mine.map((p) => ({p, e: ev.find((e) => e.kind === 'port' && e.label === p.label) as Extract<DriverEvent, {kind: 'port'}> | undefined}))
      const closed = results.filter((r) => r.e?.state !== 'open')
      const ports = mine.map((p) => p.port).join(' and ')
      if (closed.length === 0) out.push(pass(target.name, name, `${ports} reachable from ${prober} (${rule.protocol === 'tcp' ? 'connection refused or accepted' : 'port unreachable'}: the firewall lets it in)`))
      else {
        const why = closed.map((r) => `${r.p.port} ${r.e ? (r.e.state === 'filtered' ? `filtered (no answer${rule.protocol === 'udp' ? ', or ICMP rate-limited' : ''})` : `rejected: ${r.e.output.trim().split('\n').at(-1)}`) : 'not probed'}`)
        const fix = cluster.firewall.backend === 'none' ? `open ${show(rule)} to the other nodes in the node's firewall (spec.firewall.backend is none)` : `netprov apply -f ${cluster.file} --node ${target.name} (opens it), and look for another firewall that drops it`
        out.push(fail(target.name, name, `from ${prober}: ${why.join('; ')}`, fix))
      }
    }
  }
  return out
}
