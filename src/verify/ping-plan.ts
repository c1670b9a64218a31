import {familyOf} from '../net/cidr.js'
import type {NodeRun, TestPod} from './test-pods.js'

// Which pings prove what. From each node's pod "a": its gateway (the bridge address), pod "b" on the
// same node (across the bridge), and pod "b" on other nodes (across the routes): every ordered pair up
// to 10 nodes, beyond that a ring both ways plus two far samples per node. One ping per family.

export interface Ping {
  label: string // p0, p1 ... within the sender node's program
  check: string // "ping node1 -> node2"
  noNat?: string // "no-nat node1 -> node2": the receiver's recorder must show the sender's address
  from: string // sender node
  to: string // receiving node
  sender: TestPod
  receiver?: TestPod // undefined for the gateway
  target: string
  family: 4 | 6
}

export const ALL_PAIRS_UP_TO = 10

/** Target nodes for each sender: every other node up to 10 nodes, else ring neighbours and two far samples. */
export function peers(names: readonly string[]): Map<string, string[]> {
  const n = names.length
  const out = new Map<string, string[]>()
  names.forEach((name, i) => {
    if (n <= ALL_PAIRS_UP_TO) out.set(name, names.filter((x) => x !== name))
    else {
      const offsets = [1, n - 1, Math.floor(n / 2), Math.floor(n / 3)]
      out.set(name, [...new Set(offsets.map((o) => names[(i + o) % n]!))].filter((x) => x !== name))
    }
  })
  return out
}

const suffix = (family: 4 | 6, dual: boolean) => (dual && family === 6 ? ' IPv6' : '')

function sameFamily(a: TestPod, b: TestPod): [string, string, 4 | 6][] {
  return a.ips.flatMap((ip) => {
    const other = b.ips.find((x) => familyOf(x) === familyOf(ip))
    return other ? [[ip, other, familyOf(ip)] as [string, string, 4 | 6]] : []
  })
}

/** The pings of one sender node (its pod "a" must be ready); receivers that are not ready are left out. */
export function plannedPings(run: NodeRun, runs: ReadonlyMap<string, NodeRun>, targets: readonly string[], dual: boolean): Ping[] {
  const [a, b] = run.pods
  if (!a?.ready) return []
  const from = run.node.name
  const pings: Omit<Ping, 'label'>[] = []
  for (const gw of run.node.gateways) {
    const target = gw.split('/')[0]!
    if (a.ips.some((ip) => familyOf(ip) === familyOf(target))) pings.push({check: `ping pod -> gateway${suffix(familyOf(target), dual)}`, from, to: from, sender: a, target, family: familyOf(target)})
  }
  if (b?.ready) {
    for (const [, dst, family] of sameFamily(a, b)) {
      const s = suffix(family, dual)
      pings.push({check: `ping pod -> pod (same node)${s}`, noNat: `no-nat pod -> pod (same node)${s}`, from, to: from, sender: a, receiver: b, target: dst, family})
    }
  }
  for (const to of targets) {
    const rb = runs.get(to)?.pods[1]
    if (!rb?.ready) continue
    for (const [, dst, family] of sameFamily(a, rb)) {
      const s = suffix(family, dual)
      pings.push({check: `ping ${from} -> ${to}${s}`, noNat: `no-nat ${from} -> ${to}${s}`, from, to, sender: a, receiver: rb, target: dst, family})
    }
  }
  return pings.map((p, i) => ({...p, label: `p${i}`}))
}

/** The probe's input: one line per ping, "label netns target". */
export const pingsFile = (pings: readonly Ping[]) => pings.map((p) => `${p.label} ${p.sender.netns} ${p.target}\n`).join('')
