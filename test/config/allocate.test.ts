import {describe, expect, it} from 'vitest'
import {slotCidr} from '../../src/config/allocate.js'
import {type Cidr, type Ip, parseCidr, parseIp} from '../../src/config/cidr.js'
import {diagnose, parse, y} from './util.js'

const cidr = (s: string): Cidr => parseCidr(s) as Cidr
const ip = (s: string): Ip => parseIp(s) as Ip

describe('the allocation rule: slot = address mod number of slots', () => {
  it.each([
    ['10.244.0.0/16', 24, ['172.31.250.13'], '10.244.13.0/24'],
    ['10.244.0.0/16', 24, ['172.31.250.0'], '10.244.0.0/24'],
    ['10.244.0.0/20', 24, ['172.31.250.20'], '10.244.4.0/24'], // 16 slots: 20 mod 16 = 4
    ['10.244.0.0/16', 26, ['172.31.250.13'], '10.244.131.64/26'], // 1024 slots: (250*256+13) mod 1024 = 525, 525*64 = 131*256+64
    ['10.0.0.0/8', 24, ['172.31.250.13'], '10.250.13.0/24'], // 65536 slots: the low 16 bits
    ['fd00:10:244::/56', 64, ['fd00:172::1:12'], 'fd00:10:244:12::/64'], // 256 slots: the low 8 bits
    ['fd00:10:244::/56', 64, ['172.31.250.13', 'fd00::ab'], 'fd00:10:244:ab::/64'], // the address of the pod family
    ['fd00:10:244::/56', 64, ['172.31.250.13'], 'fd00:10:244:d::/64'], // none of that family: the first address
  ] as const)('%s /%d, address %j -> %s', (pod, mask, addrs, want) => {
    expect(slotCidr(cidr(pod), mask, addrs.map(ip)).cidr.text).toBe(want)
  })

  it('allocates in the file, marks it, and gives the gateway', () => {
    const c = parse(y`
      spec: {podCIDR: 10.244.0.0/16}
      nodes:
        - {name: a, address: 172.31.250.11, role: control-plane, podCIDR: 10.244.1.0/24}
        - {name: b, address: 172.31.250.12, role: worker}
    `)
    expect(c.nodes.map((n) => [n.podCIDRs, n.podCIDRAllocated, n.gateways])).toEqual([
      [['10.244.1.0/24'], false, ['10.244.1.1/24']],
      [['10.244.12.0/24'], true, ['10.244.12.1/24']],
    ])
  })

  it('uses spec.nodeCIDRMaskSize and nodeCIDRMaskSizeIPv6', () => {
    const c = parse(y`
      spec:
        podCIDR: [10.244.0.0/16, "fd00:10:244::/48"]
        nodeCIDRMaskSize: 28
        nodeCIDRMaskSizeIPv6: 80
      nodes:
        - {name: a, address: [172.31.250.11, "fd00::1:2:3"], role: worker}
    `)
    // IPv4: 4096 slots, (250*256+11) mod 4096 = 2571 -> 10.244.160.176/28; IPv6: 2^32 slots, low 32 bits 0x0002_0003 << 48
    expect(c.nodes[0].podCIDRs).toEqual(['10.244.160.176/28', 'fd00:10:244:2:3::/80'])
  })

  it('counts slots partly covered by small explicit CIDRs when checking for exhaustion', () => {
    const diags = diagnose(y`
      spec: {podCIDR: 10.244.0.0/23}
      nodes:
        - {name: a, address: 172.31.250.10, role: worker, podCIDR: 10.244.0.0/25}
        - {name: b, address: 172.31.250.11, role: worker, podCIDR: 10.244.0.128/25}
        - {name: c, address: 172.31.250.12, role: worker}
        - {name: d, address: 172.31.250.13, role: worker}
    `)
    expect(diags.map((d) => d.message)).toEqual([
      'spec.podCIDR 10.244.0.0/23 is exhausted: it has 2 slots of /24 (1 taken by explicit podCIDRs) but 2 nodes need one; widen it or raise spec.nodeCIDRMaskSize',
    ])
  })
})

// ---- stability, property-style: random add/remove sequences over a fixed pool of candidate nodes.

function rng(seed: number): () => number {
  // mulberry32: small, seeded, reproducible
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Candidate {
  name: string
  v4: string
  v6: string
  explicit?: string // an explicit IPv4 podCIDR
}

function pool(random: () => number, size: number): Candidate[] {
  const used = new Set<string>()
  const out: Candidate[] = []
  while (out.length < size) {
    // mostly one /24 (no clashes), some from a second /24 (clashes modulo 256 happen)
    const v4 = random() < 0.8 ? `172.31.250.${Math.floor(random() * 254) + 1}` : `172.31.251.${Math.floor(random() * 254) + 1}`
    if (used.has(v4)) continue
    used.add(v4)
    const i = out.length
    const host = v4.split('.')[3]
    out.push({
      name: `n${i}-${Math.floor(random() * 1e6).toString(36)}`,
      v4,
      v6: `fd00:172:31:${v4.split('.')[2]}::${Number(host).toString(16)}`,
      // explicit CIDRs: a few nodes pin one, anywhere in the pod CIDR (at size /24 or /25)
      explicit: random() < 0.15 ? (random() < 0.5 ? `10.244.${Math.floor(random() * 256)}.0/24` : `10.244.${Math.floor(random() * 256)}.128/25`) : undefined,
    })
  }
  return out
}

function clusterFile(nodes: Candidate[], dual: boolean): string {
  const lines = [dual ? 'spec: {podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]}' : 'spec: {podCIDR: 10.244.0.0/16}', 'nodes:']
  for (const n of nodes) {
    const address = dual ? `[${n.v4}, "${n.v6}"]` : n.v4
    lines.push(`  - {name: ${n.name}, address: ${address}, role: worker${n.explicit ? `, podCIDR: ${n.explicit}` : ''}}`)
  }
  return lines.join('\n') + '\n'
}

type Outcome = {ok: true; cidrs: Map<string, string[]>} | {ok: false; messages: string[]}

function outcome(nodes: Candidate[], dual: boolean): Outcome {
  const text = clusterFile(nodes, dual)
  const diags = diagnose(text)
  if (diags.length > 0) return {ok: false, messages: diags.map((d) => d.message)}
  return {ok: true, cidrs: new Map(parse(text).nodes.map((n) => [n.name, n.podCIDRs]))}
}

// The only reasons adding a node may be refused: a clash with a CIDR someone already has.
const CLASH = /would get the same pod CIDR|cannot allocate|overlaps .*, the podCIDR of|is exhausted/

describe.each([
  ['IPv4', false],
  ['dual-stack', true],
])('stability (%s): adding or removing nodes never moves another node', (_, dual) => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random add/remove sequence, seed %d', (seed) => {
    const random = rng(seed * 7919 + (dual ? 1 : 0))
    const candidates = pool(random, 60)
    const first = new Map<string, string[]>() // node -> the CIDRs it got the first time it was valid
    const alone = new Map<string, string[]>() // node -> its CIDRs in a cluster of its own
    let current: Candidate[] = []
    let valid = 0
    let refused = 0
    for (let step = 0; step < 150; step++) {
      const outside = candidates.filter((c) => !current.includes(c))
      if (current.length === 0 || (random() < 0.5 && outside.length > 0)) {
        current = [...current, outside[Math.floor(random() * outside.length)]]
        current.sort(() => random() - 0.5) // file order must not matter either
      } else {
        current = current.filter((_, i) => i !== Math.floor(random() * current.length))
      }
      if (current.length === 0) continue
      const o = outcome(current, dual)
      if (!o.ok) {
        refused++
        for (const m of o.messages) expect(m).toMatch(CLASH)
        continue
      }
      valid++
      for (const [name, cidrs] of o.cidrs) {
        if (!first.has(name)) first.set(name, cidrs)
        expect(cidrs, `${name} moved at step ${step}`).toEqual(first.get(name))
        // stronger: a node's CIDRs are those it would get with no other node around
        if (!alone.has(name)) {
          const solo = outcome([current.find((c) => c.name === name)!], dual)
          if (solo.ok) alone.set(name, solo.cidrs.get(name)!)
        }
        if (alone.has(name)) expect(cidrs).toEqual(alone.get(name))
      }
    }
    expect(valid).toBeGreaterThan(20) // the property was really exercised
    expect(valid + refused).toBeGreaterThan(100)
  })

  it('the random sequences do run into clashes, and they are refused rather than resolved by moving', () => {
    let refused = 0
    for (let seed = 1; seed <= 8; seed++) {
      const random = rng(seed * 104729 + (dual ? 1 : 0))
      const candidates = pool(random, 60)
      refused += candidates.length > 0 && !outcome(candidates.slice(0, 40), dual).ok ? 1 : 0
    }
    expect(refused).toBeGreaterThan(0)
  })
})

describe('stability, spelled out', () => {
  const base = y`
    spec: {podCIDR: 10.244.0.0/16}
    nodes:
      - {name: b, address: 172.31.250.20, role: worker}
      - {name: c, address: 172.31.250.30, role: worker}
  `
  const cidrsOf = (text: string) => Object.fromEntries(parse(text).nodes.map((n) => [n.name, n.podCIDRs[0]]))

  it('adding a node whose name sorts first changes nobody (a name-ordered probing rule would)', () => {
    const before = cidrsOf(base)
    const after = cidrsOf(base + '  - {name: a, address: 172.31.250.40, role: worker}\n')
    expect(after).toEqual({...before, a: '10.244.40.0/24'})
  })

  it('removing a node changes nobody', () => {
    const before = cidrsOf(base)
    const after = cidrsOf(base.replace(/ {2}- \{name: b.*\n/, ''))
    expect(after).toEqual({c: before.c})
  })

  it('a node pinned to another node\'s slot is refused, and the other node keeps its CIDR', () => {
    const diags = diagnose(base + '  - {name: d, address: 172.31.250.40, role: worker, podCIDR: 10.244.20.0/24}\n')
    expect(diags.map((d) => d.message)).toEqual([expect.stringContaining('cannot allocate a IPv4 pod CIDR for b: its slot 10.244.20.0/24 (from its address 172.31.250.20) overlaps 10.244.20.0/24, the podCIDR of d')])
  })
})
