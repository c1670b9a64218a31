import type {Cluster, NodeSpec} from '../../src/config/types.js'
import type {NodeFacts} from '../../src/facts/types.js'
import {renderConflist} from '../../src/resources/cni-config.js'
import {FILE_HEADER} from '../../src/resources/markers.js'
import type {LocalFacts} from '../../src/resources/resource.js'
import {MODULES_FILE, SYSCTL_FILE} from '../../src/resources/sysctl-file.js'
import {familyOf} from '../../src/net/cidr.js'

export const PLUGIN_SHA = 'b'.repeat(64)

export function localFacts(c: Cluster): LocalFacts {
  return {plugins: Object.fromEntries(c.cni.plugins.map((p) => [p, {path: `${c.cni.pluginSource}/${p}`, sha256: PLUGIN_SHA}]))}
}

/** A node as a fresh machine shows it: an underlay interface, forwarding off, nothing of netprov's. */
export function freshFacts(c: Cluster, n: NodeSpec): NodeFacts {
  const fam = familyOf(n.address)
  return {
    links: [{name: 'lo', kind: null, mtu: 65536, up: true}, {name: 'eth0', kind: 'veth', mtu: 1500, up: true}],
    addresses: [{dev: 'eth0', cidr: `${n.address}/${fam === 4 ? 24 : 64}`, family: fam, scope: 'global'}],
    routes: [{dst: fam === 4 ? '172.31.250.0/24' : 'fd00:172:31::/64', via: null, dev: 'eth0', protocol: 'kernel', family: fam}],
    sysctls: {'net.ipv4.ip_forward': '0', 'net.ipv6.conf.all.forwarding': '0', 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1'},
    files: {},
    binaries: Object.fromEntries(c.cni.plugins.map((p) => [`${c.cni.binDir}/${p}`, null])),
    confDir: null,
    tools: ['ip', 'flock', 'sha256sum', 'base64', 'nft'],
    extra: {},
  }
}

/** The same node after a successful apply of `c`. */
export function convergedFacts(c: Cluster, n: NodeSpec): NodeFacts {
  const f = freshFacts(c, n)
  f.links.push({name: c.bridge.name, kind: 'bridge', mtu: c.bridge.mtu, up: true})
  for (const [i, gw] of n.gateways.entries()) {
    f.addresses.push({dev: c.bridge.name, cidr: gw, family: familyOf(gw), scope: 'global'})
    f.routes.push({dst: n.podCIDRs[i]!, via: null, dev: c.bridge.name, protocol: 'kernel', family: familyOf(gw)})
  }
  if (c.routing === 'host-gw') {
    for (const o of c.nodes.filter((x) => x.name !== n.name)) {
      for (const p of o.podCIDRs.filter((x) => familyOf(x) === familyOf(o.address))) f.routes.push({dst: p, via: o.address, dev: 'eth0', protocol: '147', family: familyOf(p)})
    }
  }
  const v6 = c.podCIDRs.some((p) => familyOf(p) === 6)
  const v4 = c.podCIDRs.some((p) => familyOf(p) === 4)
  if (v4) f.sysctls['net.ipv4.ip_forward'] = '1'
  if (v6) f.sysctls['net.ipv6.conf.all.forwarding'] = '1'
  const lines = [...(v4 ? ['net.ipv4.ip_forward = 1'] : []), ...(v6 ? ['net.ipv6.conf.all.forwarding = 1'] : []), 'net.bridge.bridge-nf-call-iptables = 1', ...(v6 ? ['net.bridge.bridge-nf-call-ip6tables = 1'] : [])]
  f.files[SYSCTL_FILE] = [FILE_HEADER, ...lines, ''].join('\n')
  f.files[MODULES_FILE] = `${FILE_HEADER}\nbr_netfilter\n`
  f.files[`${c.cni.confDir}/${c.cni.confFile}`] = renderConflist(c, n)
  f.confDir = [c.cni.confFile]
  for (const p of c.cni.plugins) f.binaries[`${c.cni.binDir}/${p}`] = {sha256: PLUGIN_SHA, mode: '755'}
  return f
}
