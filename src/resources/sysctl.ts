import {familyOf} from '../net/cidr.js'
import type {Cluster} from '../config/types.js'
import type {Step} from '../plan/types.js'
import type {Resource} from './resource.js'

// Runtime kernel settings (persistence is the sysctl-file resource). Written through /proc/sys so
// procps is not needed; br_netfilter is loaded only when its settings are missing (it may be built in).
interface Sysctl {
  key: string
  value: string
}

export function wantedSysctls(cluster: Cluster): Sysctl[] {
  const v6 = cluster.podCIDRs.some((c) => familyOf(c) === 6)
  const v4 = cluster.podCIDRs.some((c) => familyOf(c) === 4)
  return [
    ...(v4 ? [{key: 'net.ipv4.ip_forward', value: '1'}] : []),
    ...(v6 ? [{key: 'net.ipv6.conf.all.forwarding', value: '1'}] : []),
    {key: 'net.bridge.bridge-nf-call-iptables', value: '1'},
    ...(v6 ? [{key: 'net.bridge.bridge-nf-call-ip6tables', value: '1'}] : []),
  ]
}

const write = (key: string, value: string): Step => ({
  op: 'exec',
  argv: ['sh', '-c', 'printf "%s\\n" "$2" > "/proc/sys/$1"', 'sh', key.replaceAll('.', '/'), value],
})

export const sysctl: Resource<Sysctl> = {
  kind: 'sysctl',
  desired: ({cluster}) => wantedSysctls(cluster),
  actual: ({cluster, facts}) => ({
    owned: wantedSysctls(cluster)
      .filter((s) => facts.sysctls[s.key] !== undefined)
      .map((s) => ({key: s.key, value: facts.sysctls[s.key]!})),
    findings: [],
  }),
  key: (s) => s.key,
  same: (w, h) => w.value === h.value,
  steps(action, _before, after) {
    if (!after || action === 'delete') return []
    const modprobe: Step[] = action === 'create' && after.key.startsWith('net.bridge.') ? [{op: 'exec', argv: ['modprobe', 'br_netfilter']}] : []
    return [...modprobe, write(after.key, after.value)]
  },
  undo: (action, before) => (action === 'update' && before ? [write(before.key, before.value)] : []),
  show: (s) => s.value,
  reason: (action) => (action === 'create' ? 'setting missing (module not loaded)' : undefined),
}
