import type {Resource} from './resource.js'

// The pod bridge named in the cluster file is netprov's by definition (the spec says so).
interface Bridge {
  name: string
  mtu: number
  up: boolean
}

export const bridge: Resource<Bridge> = {
  kind: 'bridge',
  desired: ({cluster}) => [{name: cluster.bridge.name, mtu: cluster.bridge.mtu, up: true}],
  actual({cluster, facts}) {
    const link = facts.links.find((l) => l.name === cluster.bridge.name)
    if (!link) return {owned: [], findings: []}
    if (link.kind !== 'bridge') {
      return {
        owned: [],
        findings: [{severity: 'error', kind: 'bridge', id: link.name, message: `${link.name} exists but is ${link.kind ? `a ${link.kind} device` : 'not a bridge'}`, fix: `remove it (ip link del ${link.name}) or choose another spec.bridge.name`}],
      }
    }
    return {owned: [{name: link.name, mtu: link.mtu, up: link.up}], findings: []}
  },
  key: (b) => b.name,
  same: (w, h) => w.mtu === h.mtu && w.up === h.up,
  steps(action, _before, after) {
    if (action === 'delete' || !after) return []
    const set = {op: 'exec' as const, argv: ['ip', 'link', 'set', 'dev', after.name, 'mtu', String(after.mtu), 'up']}
    if (action === 'update') return [set]
    // Pin the MAC the kernel gave it: an unpinned bridge takes the lowest MAC of its ports, so the
    // gateway's MAC would change as pods come and go (ARP blips for every pod).
    const pinMac = {op: 'exec' as const, argv: ['sh', '-c', 'ip link set dev "$1" address "$(cat "/sys/class/net/$1/address")"', 'sh', after.name]}
    // No "File exists" tolerance: a device of that name that appeared since the plan is not netprov's
    // (the change fails, and nothing of that device is undone: its first step touched nothing).
    return [{op: 'exec', argv: ['ip', 'link', 'add', 'name', after.name, 'type', 'bridge']}, pinMac, set]
  },
  // A bridge netprov created is deleted on rollback; one it only changed gets its old MTU and state back.
  undo(action, before, after) {
    if (action === 'create' && after) return [{op: 'exec', argv: ['ip', 'link', 'del', 'dev', after.name], tolerate: 'Cannot find device'}]
    if (action === 'update' && before) return [{op: 'exec', argv: ['ip', 'link', 'set', 'dev', before.name, 'mtu', String(before.mtu), before.up ? 'up' : 'down']}]
    return []
  },
  show: (b) => `mtu ${b.mtu}, ${b.up ? 'up' : 'down'}`,
  reason: (action, before, after) =>
    action === 'update' && before && after
      ? [before.mtu !== after.mtu ? `mtu ${before.mtu} -> ${after.mtu}` : '', before.up !== after.up ? 'down -> up' : ''].filter(Boolean).join(', ')
      : undefined,
}
